package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hypersdk/hypersdk/core/domainxml"
	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/handoff"
	"github.com/hypersdk/hypersdk/core/logging"
	"github.com/hypersdk/hypersdk/core/pipeline"
	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// FieldError is a rejected request field; the API turns it into a 400 naming the field.
type FieldError struct {
	Field   string
	Message string
	Err     error // the underlying cause, e.g. an unknown provider
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }
func (e *FieldError) Unwrap() error { return e.Err }

// Validate checks and normalises a spec: defaults the export method to ova and the export path
// to <export.base_path>/<job id>, and confines the path under export.base_path after resolving
// ".." and symlinks.
func (m *Manager) Validate(s *Spec, jobID string) error {
	if s.Convert != nil {
		return m.validateConvert(s.Convert)
	}
	if strings.TrimSpace(s.VMIdentifier) == "" {
		return &FieldError{Field: "vm_identifier", Message: "is required"}
	}
	if s.Provider == "" {
		return &FieldError{Field: "provider", Message: "is required"}
	}
	p, err := m.providers.Provider(s.Provider)
	if err != nil {
		return &FieldError{Field: "provider", Message: err.Error(), Err: err}
	}
	if err := checkOptions(p, s); err != nil {
		return err
	}
	if s.ExportMethod == "" {
		s.ExportMethod = provider.MethodOVA
	}
	if !provider.ValidMethod(s.ExportMethod) {
		return &FieldError{Field: "export_method", Message: fmt.Sprintf("must be %s, got %q", provider.MethodNames(), s.ExportMethod)}
	}
	if s.ExportPath == "" {
		s.ExportPath = jobID
	}
	resolved, err := pipeline.ConfinePath(m.cfg.BasePath, s.ExportPath)
	if err != nil {
		return &FieldError{Field: "export_path", Message: err.Error()}
	}
	s.ExportPath = resolved
	if st, err := os.Stat(resolved); err == nil && !st.IsDir() {
		return &FieldError{Field: "export_path", Message: fmt.Sprintf("%s exists and is not a folder", resolved)}
	}
	if s.Import != nil && s.Import.Format != "" && s.Import.Format != "qcow2" && s.Import.Format != "raw" {
		return &FieldError{Field: "import.format", Message: fmt.Sprintf("must be qcow2 or raw, got %q", s.Import.Format)}
	}
	if s.Import != nil {
		if err := sizeError("import.", domainxml.CheckSize(s.Import.MemoryMB, int64(s.Import.VCPUs))); err != nil {
			return err
		}
	}
	if in := s.Hyper2KVM.Instance; in != "" {
		if err := handoff.CheckInstance(in); err != nil {
			return &FieldError{Field: "hyper2kvm_integration.instance", Message: err.Error(), Err: err}
		}
	}
	// The planner refuses the combinations no plan serves (keep_export false with daemon_mode…).
	if _, err := m.plan(*s); err != nil {
		return err
	}
	return nil
}

// validateConvert checks a /convert request: the source must exist under export.base_path, the
// output goes under hyper2kvm.output_dir.
func (m *Manager) validateConvert(c *ConvertSpec) error {
	if c.SourcePath == "" {
		return &FieldError{Field: "source_path", Message: "is required"}
	}
	src, err := pipeline.ConfinePath(m.cfg.BasePath, c.SourcePath)
	if err != nil {
		return &FieldError{Field: "source_path", Message: err.Error()}
	}
	if st, err := os.Stat(src); err != nil || !st.Mode().IsRegular() {
		return &FieldError{Field: "source_path", Message: fmt.Sprintf("%s is not an existing file", c.SourcePath)}
	}
	c.SourcePath = src
	if c.OutputPath == "" {
		base := filepath.Base(src)
		c.OutputPath = strings.TrimSuffix(base, filepath.Ext(base))
	}
	out, err := pipeline.ConfinePath(m.kvm.OutputDir, c.OutputPath)
	if err != nil {
		return &FieldError{Field: "output_path", Message: strings.Replace(err.Error(), "export.base_path", "hyper2kvm.output_dir", 1)}
	}
	// Checked again when the job claims the directory; here it is a 409 before anything runs.
	if err := pipeline.OutputDirFree(out); err != nil {
		return &FieldError{Field: "output_path", Message: err.Error(), Err: err}
	}
	c.OutputPath = out
	switch c.Format {
	case "":
		c.Format = m.kvm.DefaultFormat
	case "qcow2", "raw":
	default:
		return &FieldError{Field: "conversion_options.format", Message: fmt.Sprintf("must be qcow2 or raw, got %q", c.Format)}
	}
	return nil
}

// Submit validates every spec, then accepts them all in one transaction (or none), queues them
// and returns the accepted jobs.
func (m *Manager) Submit(specs []Spec, scheduleID string) ([]Job, error) {
	return m.submit(specs, scheduleID, nil)
}

// submit is Submit with the jobs' ids chosen by the caller (SubmitOnce), or new ones (nil).
func (m *Manager) submit(specs []Spec, scheduleID string, ids []string) ([]Job, error) {
	jobs := make([]Job, len(specs))
	now := time.Now().UTC()
	for i := range specs {
		id := newJobID()
		if ids != nil {
			id = ids[i]
		}
		if err := m.Validate(&specs[i], id); err != nil {
			var fe *FieldError
			if len(specs) > 1 && errors.As(err, &fe) {
				fe.Field = fmt.Sprintf("jobs[%d].%s", i, fe.Field)
			}
			return nil, err
		}
		jobs[i] = Job{ID: id, Kind: KindExport, Status: StatusPending, Spec: specs[i], ExportDir: specs[i].ExportPath, CreatedAt: now.Add(time.Duration(i)), ScheduleID: scheduleID}
		if c := specs[i].Convert; c != nil {
			jobs[i].Kind, jobs[i].ConvertSpec, jobs[i].ExportDir = KindConvert, c, filepath.Dir(c.SourcePath)
		}
		steps, err := m.plan(specs[i])
		if err != nil {
			return nil, err
		}
		jobs[i].Steps = steps
	}
	err := m.createJobs(jobs)
	var fe *FieldError
	if errors.As(err, &fe) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("persist jobs: %w", err)
	}
	for _, j := range jobs {
		m.log.Info("job accepted", logging.Present("job_id", j.ID, "kind", j.Kind, "vm", j.Spec.VMIdentifier, "provider", j.Spec.Provider, "export_dir", j.ExportDir)...)
		m.publish(j, events.JobCreated, "")
		m.enqueue(j.ID)
	}
	return jobs, nil
}

// createJobs stores a batch of accepted jobs, all or none, once no live job writes into their
// export directories.
func (m *Manager) createJobs(jobs []Job) error {
	m.submitMu.Lock()
	defer m.submitMu.Unlock()
	if err := m.claimExportDirs(jobs); err != nil {
		return err
	}
	writes := make([]store.JobWrite, len(jobs))
	for i := range jobs {
		w, err := m.jobWrite(&jobs[i])
		if err != nil {
			return err
		}
		writes[i] = w
	}
	return m.store.CreateJobs(context.Background(), writes)
}

// ErrConflict means the job (or its output) clashes with what exists: a job already ended, a
// folder another job writes. It is pipeline.ErrConflict, which steps fail with too.
var ErrConflict = pipeline.ErrConflict

// Cancel stops a job: a pending one never starts, a running one has its context cancelled (the
// plugin stops, partial files are removed). Ending an ended job is a conflict.
func (m *Manager) Cancel(id string) (Job, error) {
	// A pending job's end event is noted before the update that ends it (end_events.go). Should
	// the job start in between, the note stays: whatever ends the job notes its own end over
	// it, and until then a resend drops the note of a job that has not ended.
	noted := false
	if cur, err := m.getJob(id); err == nil && cur.Status == StatusPending {
		m.markEnding(id, events.JobCancelled, "cancelled by request")
		noted = true
	}
	j, err := m.update(id, func(j *Job) error {
		switch {
		case j.Status.Terminal():
			return fmt.Errorf("%w: job %s is already %s", ErrConflict, id, j.Status)
		case j.Status == StatusPending && m.liveRun(id) == nil:
			now := time.Now().UTC()
			j.Status, j.FinishedAt, j.Error = StatusCancelled, &now, "cancelled by request"
		}
		return nil
	})
	if err != nil {
		return j, err
	}
	if j.Status == StatusCancelled {
		if !noted { // it went back to pending after the read: noted late, still before the event
			m.markEnding(id, events.JobCancelled, "cancelled by request")
		}
		m.log.Info("job cancelled before it started", "job_id", id)
		m.publishEnd(j, events.JobCancelled, "cancelled by request")
		return j, nil
	}
	if r := m.liveRun(id); r != nil {
		r.cancel(errCancelled)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if cur, err := m.Get(id); err == nil && cur.Status.Terminal() {
			return cur, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return m.Get(id)
}

// sizeError turns a domain size refusal into a field error under prefix ("import." in a job
// spec, "" for /import-to-kvm).
func sizeError(prefix string, err error) error {
	var se *domainxml.SizeError
	if errors.As(err, &se) {
		return &FieldError{Field: prefix + se.Field, Message: se.Message, Err: err}
	}
	return err
}
