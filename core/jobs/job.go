// Package jobs is the persisted job queue: jobs are accepted, written to the store, run by a pool
// of workers through the pipeline's stages, and every state change is committed to bbolt before
// it is acted on, so a daemon killed at any moment restarts into a truthful state.
//
// A job's life:
//
//	pending ──worker──▶ running(stage: exporting → packaging → converting → importing | handing_off)
//	   │                   │            └─ a stage fails: retried up to export.max_retries, resuming
//	   │                   ├──▶ completed
//	   │                   ├──▶ failed     (retries exhausted, or an error no retry can fix)
//	   └──cancel──▶ cancelled ◀──cancel──┘
//
// A job found "running" when the daemon starts was interrupted by a crash: it goes back to
// pending with the interruption recorded as a failed attempt, and runs again, resuming from its
// checkpoint.
package jobs

import (
	"time"

	"github.com/hypersdk/hypersdk/core/pipeline"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Status of a job.
type Status string

// Statuses.
const (
	StatusPending   Status = "pending"
	StatusRunning   Status = "running"
	StatusCompleted Status = "completed"
	StatusFailed    Status = "failed"
	StatusCancelled Status = "cancelled"
)

// Terminal reports whether the job will never change again.
func (s Status) Terminal() bool {
	return s == StatusCompleted || s == StatusFailed || s == StatusCancelled
}

// Job is the persisted record of one job.
type Job struct {
	ID          string       `json:"job_id"`
	Status      Status       `json:"status"`
	Stage       string       `json:"stage,omitempty"`
	Spec        Spec         `json:"spec"`
	ExportDir   string       `json:"export_dir"`
	CreatedAt   time.Time    `json:"created_at"`
	StartedAt   *time.Time   `json:"started_at,omitempty"`
	FinishedAt  *time.Time   `json:"finished_at,omitempty"`
	Attempts    int          `json:"attempts"`
	Node        string       `json:"node,omitempty"` // the cluster node that runs (or last ran) it; empty on a single daemon
	Failures    []Failure    `json:"failures,omitempty"`
	Error       string       `json:"error,omitempty"`
	Progress    Progress     `json:"progress"`
	ResumeToken []byte       `json:"resume_token,omitempty"`
	Result      *Result      `json:"result,omitempty"`
	ScheduleID  string       `json:"schedule_id,omitempty"`
	Kind        string       `json:"kind"` // export or convert
	ConvertSpec *ConvertSpec `json:"convert,omitempty"`
	Packaged    bool         `json:"packaged,omitempty"` // before plans: export and packaging were done
	// Steps is the job's plan, chosen when it was accepted, with how far each step got. A retry
	// or a restarted daemon resumes at the first step not done.
	Steps []Step `json:"steps,omitempty"`
	// Exported is what the provider reported it wrote, for the verify step; Verified what that
	// step found, for the package step.
	Exported []provider.Artifact `json:"exported,omitempty"`
	Verified []pipeline.File     `json:"verified,omitempty"`
	// Claimed is the output directory the job claimed (or was about to) for its conversion.
	Claimed string `json:"claimed_output,omitempty"`
	// Holds are what the provider created outside the export directory for this job, stored
	// before it was created and kept until it is released (holds.go).
	Holds []Hold `json:"holds,omitempty"`
}

// Failure is one failed attempt.
type Failure struct {
	Attempt int       `json:"attempt"`
	Stage   string    `json:"stage"`
	Error   string    `json:"error"`
	At      time.Time `json:"at"`
}

// The request and result types live with the steps that use them.
type (
	KVMConfig     = pipeline.KVMConfig
	Spec          = pipeline.Spec
	ConvertSpec   = pipeline.ConvertSpec
	Options       = pipeline.Options
	Hyper2KVM     = pipeline.Hyper2KVM
	ImportOptions = pipeline.ImportOptions
	Result        = pipeline.Result
	Artifact      = pipeline.Artifact
)

// Stages and kinds, as the API shows them.
const (
	StageExporting  = pipeline.StageExporting
	StagePackaging  = pipeline.StagePackaging
	StageConverting = pipeline.StageConverting
	StageImporting  = pipeline.StageImporting
	StageHandingOff = pipeline.StageHandingOff
	KindExport      = pipeline.KindExport
	KindConvert     = pipeline.KindConvert
)
