package api

import (
	"time"

	"github.com/hypersdk/hypersdk/core/jobs"
)

// JobView is a job as the API shows it. It names the fields it shows instead of embedding
// jobs.Job: the stored record also holds what only the daemon may read — the resume token, which
// can carry a provider's session and lease state — and a field added to the record stays private
// until it is added here (TestJobViewShowsTheJobButNotItsResumeToken keeps the two in step).
type JobView struct {
	ID          string            `json:"job_id"`
	Status      jobs.Status       `json:"status"`
	Stage       string            `json:"stage,omitempty"`
	Spec        jobs.Spec         `json:"spec"`
	ExportDir   string            `json:"export_dir"`
	CreatedAt   time.Time         `json:"created_at"`
	StartedAt   *time.Time        `json:"started_at,omitempty"`
	FinishedAt  *time.Time        `json:"finished_at,omitempty"`
	Attempts    int               `json:"attempts"`
	Node        string            `json:"node,omitempty"` // the cluster node that runs (or last ran) it
	Failures    []jobs.Failure    `json:"failures,omitempty"`
	Error       string            `json:"error,omitempty"`
	Progress    jobs.Progress     `json:"progress"`
	Percentage  float64           `json:"percentage"`
	Result      *jobs.Result      `json:"result,omitempty"`
	ScheduleID  string            `json:"schedule_id,omitempty"`
	Kind        string            `json:"kind"`
	ConvertSpec *jobs.ConvertSpec `json:"convert,omitempty"`
	Packaged    bool              `json:"packaged,omitempty"`
	// Steps is the job's plan and how far each step got (docs/pipeline.md).
	Steps []jobs.Step `json:"steps,omitempty"`
	// Holds are what the provider created outside the export directory for the job (a
	// snapshot, a grant, a VM it powered off) and whether they are released yet. The provider's
	// own data for each stays private: it may name secrets.
	Holds []HoldView `json:"holds,omitempty"`
}

// HoldView is one of a job's holds as the API shows it.
type HoldView struct {
	Kind        string     `json:"kind"`
	ID          string     `json:"id"`
	Description string     `json:"description,omitempty"`
	Provider    string     `json:"provider"`
	State       string     `json:"state"`
	RecordedAt  time.Time  `json:"recorded_at"`
	ReleasedAt  *time.Time `json:"released_at,omitempty"`
	Attempts    int        `json:"release_attempts,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
}

func holdViews(holds []jobs.Hold) []HoldView {
	if len(holds) == 0 {
		return nil
	}
	out := make([]HoldView, len(holds))
	for i, h := range holds {
		out[i] = HoldView{Kind: h.Kind, ID: h.ID, Description: h.Description, Provider: h.Provider, State: h.State,
			RecordedAt: h.RecordedAt, ReleasedAt: h.ReleasedAt, Attempts: h.Attempts, LastError: h.LastError}
	}
	return out
}

func view(j jobs.Job) JobView {
	v := JobView{
		ID: j.ID, Status: j.Status, Stage: j.Stage, Spec: j.Spec, ExportDir: j.ExportDir,
		CreatedAt: j.CreatedAt, StartedAt: j.StartedAt, FinishedAt: j.FinishedAt, Attempts: j.Attempts, Node: j.Node,
		Failures: j.Failures, Error: j.Error, Progress: j.Progress, Percentage: j.Progress.Percentage,
		ScheduleID: j.ScheduleID, Kind: j.Kind, ConvertSpec: j.ConvertSpec, Packaged: j.Packaged || j.ExportDone(),
		Steps: j.Steps, Holds: holdViews(j.Holds),
	}
	if j.Result != nil {
		r := *j.Result
		r.VM = vmJSON(r.VM)
		v.Result = &r
	}
	return v
}
