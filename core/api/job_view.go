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
}

func view(j jobs.Job) JobView {
	v := JobView{
		ID: j.ID, Status: j.Status, Stage: j.Stage, Spec: j.Spec, ExportDir: j.ExportDir,
		CreatedAt: j.CreatedAt, StartedAt: j.StartedAt, FinishedAt: j.FinishedAt, Attempts: j.Attempts,
		Failures: j.Failures, Error: j.Error, Progress: j.Progress, Percentage: j.Progress.Percentage,
		ScheduleID: j.ScheduleID, Kind: j.Kind, ConvertSpec: j.ConvertSpec, Packaged: j.Packaged || j.ExportDone(),
		Steps: j.Steps,
	}
	if j.Result != nil {
		r := *j.Result
		r.VM = vmJSON(r.VM)
		v.Result = &r
	}
	return v
}
