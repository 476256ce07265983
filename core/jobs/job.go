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

// Stages of a running job.
const (
	StageExporting  = "exporting"
	StagePackaging  = "packaging"
	StageConverting = "converting"
	StageImporting  = "importing"
	StageHandingOff = "handing_off"
)

// Spec is what was asked for: the seed's /jobs/submit body.
type Spec struct {
	VMIdentifier string         `json:"vm_identifier"`
	Provider     string         `json:"provider"`
	ExportMethod string         `json:"export_method"`
	ExportPath   string         `json:"export_path"`
	Options      Options        `json:"options"`
	Hyper2KVM    Hyper2KVM      `json:"hyper2kvm_integration"`
	Import       *ImportOptions `json:"import,omitempty"`
	// Convert makes this a conversion job (POST /convert) of an existing export; the export
	// fields are then unused.
	Convert *ConvertSpec `json:"-"`
}

// ConvertSpec is the seed's POST /convert body.
type ConvertSpec struct {
	SourcePath string `json:"source_path"`
	OutputPath string `json:"output_path"`
	Format     string `json:"format"`
	Compress   bool   `json:"compression"`
}

// Options are the seed's export options.
type Options struct {
	ShutdownVM  bool `json:"shutdown_vm"`
	RemoveCDROM bool `json:"remove_cdrom"`
	Compress    bool `json:"compress"`
}

// Hyper2KVM is the seed's hyper2kvm_integration block.
type Hyper2KVM struct {
	Enabled     bool   `json:"enabled"`
	AutoConvert bool   `json:"auto_convert"`
	DaemonMode  bool   `json:"daemon_mode"`
	Instance    string `json:"instance,omitempty"`
	// KeepExport false (default true) removes the exported files once the built-in pipeline
	// has converted the disks: the converted images are the product. A provider that can
	// decode its download into the target format then writes no disk file at all.
	KeepExport *bool `json:"keep_export,omitempty"`
}

// keepExport is KeepExport with its default.
func (h Hyper2KVM) keepExport() bool { return h.KeepExport == nil || *h.KeepExport }

// ImportOptions ask for the converted VM to be defined in libvirt at the end of the job.
type ImportOptions struct {
	Network   string `json:"network,omitempty"`
	MemoryMB  int64  `json:"memory_mb,omitempty"`
	VCPUs     int32  `json:"vcpus,omitempty"`
	Autostart bool   `json:"autostart"`
	Format    string `json:"format,omitempty"`
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
}

// Job kinds.
const (
	KindExport  = "export"
	KindConvert = "convert"
)

// Failure is one failed attempt.
type Failure struct {
	Attempt int       `json:"attempt"`
	Stage   string    `json:"stage"`
	Error   string    `json:"error"`
	At      time.Time `json:"at"`
}

// Result is what a completed job produced.
type Result struct {
	Artifacts []Artifact  `json:"artifacts"`
	VM        provider.VM `json:"vm"`
	OVA       string      `json:"ova,omitempty"`
	Manifest  string      `json:"manifest,omitempty"`
	Converted []string    `json:"converted,omitempty"`
	// Streamed are disks the provider converted while it downloaded them, waiting in the export
	// directory for the conversion stage to check and adopt them.
	Streamed  []Artifact `json:"streamed,omitempty"`
	DomainXML string     `json:"domain_xml,omitempty"`
	Domain    string     `json:"libvirt_domain,omitempty"`
	Handoff   string     `json:"hyper2kvm_manifest,omitempty"`
	// HandoffService is the state of hyper2kvm@<instance> when the manifest was written.
	HandoffService string `json:"hyper2kvm_service,omitempty"`
	// HandoffStatus follows hyper2kvm's answer: waiting, completed, failed or timed_out.
	HandoffStatus  string   `json:"hyper2kvm_status,omitempty"`
	HandoffError   string   `json:"hyper2kvm_error,omitempty"`
	HandoffOutputs []string `json:"hyper2kvm_outputs,omitempty"`
	DomainUUID     string   `json:"libvirt_uuid,omitempty"`
}

// Artifact is a file of the result, verified by the daemon.
type Artifact struct {
	Path   string `json:"path"`
	Kind   string `json:"kind"`
	Format string `json:"format"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// From names the exported disk a converted-disk artifact was decoded from, Disk its index
	// in the VM's disks.
	From string `json:"from,omitempty"`
	Disk int    `json:"disk,omitempty"`
}
