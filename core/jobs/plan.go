package jobs

import (
	"errors"
	"time"

	"github.com/hypersdk/hypersdk/core/pipeline"
)

// Step states.
const (
	StepPending = "pending"
	StepRunning = "running"
	StepDone    = "done"
	StepFailed  = "failed"
)

// Step is one step of a job's plan as the job has lived it; GET /jobs/query shows them.
type Step struct {
	Name       string     `json:"name"`
	State      string     `json:"state"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Bytes      int64      `json:"bytes,omitempty"` // what the step wrote, hashed or converted
	Error      string     `json:"error,omitempty"`
}

// choices are what the planner needs of a spec.
func (m *Manager) choices(s Spec) pipeline.Choices {
	h := s.Hyper2KVM
	c := pipeline.Choices{
		Convert: s.Convert != nil, Hyper2KVM: h.Enabled, AutoConvert: h.AutoConvert, DaemonMode: h.DaemonMode,
		KeepExport: h.Keep(), Import: s.Import != nil, Hyper2KVMInstalled: m.kvm.Hyper2KVM != "",
		Method: s.ExportMethod, Compress: s.Options.Compress,
	}
	if s.Import != nil {
		c.ImportFormat = s.Import.Format
	}
	return c
}

// plan makes the steps of a spec, all pending; a refusal becomes the 400 naming its field.
func (m *Manager) plan(s Spec) ([]Step, error) {
	names, err := pipeline.Plan(m.choices(s))
	var r *pipeline.Refusal
	if errors.As(err, &r) {
		return nil, &FieldError{Field: r.Field, Message: r.Message}
	}
	if err != nil {
		return nil, err
	}
	steps := make([]Step, len(names))
	for i, n := range names {
		steps[i] = Step{Name: n, State: StepPending}
	}
	return steps, nil
}

// planOf returns the job's steps; a job accepted before jobs had plans gets one now, with the
// export steps done if it had packaged its export.
func (m *Manager) planOf(j *Job) ([]Step, error) {
	if len(j.Steps) > 0 {
		return j.Steps, nil
	}
	spec := j.Spec
	if j.Kind == KindConvert {
		spec.Convert = j.ConvertSpec
	}
	steps, err := m.plan(spec)
	if err != nil {
		return nil, err
	}
	for i := range steps {
		switch steps[i].Name {
		case pipeline.StepExport, pipeline.StepVerify, pipeline.StepPackage:
			if j.Packaged {
				steps[i].State = StepDone
			}
		}
	}
	return steps, nil
}

// ExportDone reports whether the export steps are done: packaged, or verified where the plan
// does not package (keep_export: false). The API's "packaged" says this.
func (j Job) ExportDone() bool {
	for _, s := range j.Steps {
		if s.Name == pipeline.StepPackage {
			return s.State == StepDone
		}
	}
	return j.StepDone(pipeline.StepVerify)
}

// StepDone reports whether the job's plan holds step and it is done.
func (j Job) StepDone(step string) bool {
	for _, s := range j.Steps {
		if s.Name == step {
			return s.State == StepDone
		}
	}
	return false
}
