package pipeline

import (
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// The request and result types of a job: what the steps read and write. core/jobs persists
// them in its job record and the API shows them.

// Stages of a running job.
const (
	StageExporting  = "exporting"
	StagePackaging  = "packaging"
	StageConverting = "converting"
	StageImporting  = "importing"
	StageHandingOff = "handing_off"
)

// Job kinds.
const (
	KindExport  = "export"
	KindConvert = "convert"
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

// Keep is KeepExport with its default.
func (h Hyper2KVM) Keep() bool { return h.KeepExport == nil || *h.KeepExport }

// ImportOptions ask for the converted VM to be defined in libvirt at the end of the job.
type ImportOptions struct {
	Network   string `json:"network,omitempty"`
	MemoryMB  int64  `json:"memory_mb,omitempty"`
	VCPUs     int32  `json:"vcpus,omitempty"`
	Autostart bool   `json:"autostart"`
	Format    string `json:"format,omitempty"`
}

// Result is what a completed job produced.
type Result struct {
	Artifacts []Artifact  `json:"artifacts"`
	VM        provider.VM `json:"vm"`
	// NotExported are disks of the VM the provider left out on purpose, each with the reason
	// (an OCI custom image holds the boot volume only); VM.Disks has the exported ones.
	NotExported []provider.NotExportedDisk `json:"not_exported,omitempty"`
	OVA         string                     `json:"ova,omitempty"`
	Manifest    string                     `json:"manifest,omitempty"`
	Converted   []string                   `json:"converted,omitempty"`
	// Streamed are disks the provider converted while it downloaded them, waiting in the export
	// directory for the conversion stage to check and adopt them.
	Streamed  []Artifact `json:"streamed,omitempty"`
	DomainXML string     `json:"domain_xml,omitempty"`
	Domain    string     `json:"libvirt_domain,omitempty"`
	// Handoff is where the hand-off's manifest is: to_be_processed/<job id>.json when written,
	// then wherever hyper2kvm moved it (processing/, processed/<date>/, failed/<date>/).
	Handoff string `json:"hyper2kvm_manifest,omitempty"`
	// HandoffDir is the manifest workflow directory of hyper2kvm@<instance>.
	HandoffDir string `json:"hyper2kvm_workflow_dir,omitempty"`
	// HandoffService is the state of hyper2kvm@<instance> when the manifest was written.
	HandoffService string `json:"hyper2kvm_service,omitempty"`
	// HandoffVersion is the version of the hyper2kvm installed at hyper2kvm.path then, if any.
	HandoffVersion string `json:"hyper2kvm_version,omitempty"`
	// HandoffAt is when the manifest was handed over; hyper2kvm.job_timeout counts from it.
	HandoffAt *time.Time `json:"hyper2kvm_handed_off_at,omitempty"`
	// HandoffStatus follows hyper2kvm: waiting, converting, completed, failed or timed_out.
	HandoffStatus  string   `json:"hyper2kvm_status,omitempty"`
	HandoffError   string   `json:"hyper2kvm_error,omitempty"`
	HandoffOutputs []string `json:"hyper2kvm_outputs,omitempty"`
	// HandoffReport is hyper2kvm's answer: the manifest's .report.json or .error.json.
	HandoffReport string `json:"hyper2kvm_report,omitempty"`
	DomainUUID    string `json:"libvirt_uuid,omitempty"`
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

// Hand-off states in Result.HandoffStatus.
const (
	HandoffWaiting    = "waiting"
	HandoffConverting = "converting"
	HandoffCompleted  = "completed"
	HandoffFailed     = "failed"
	HandoffTimedOut   = "timed_out"
)
