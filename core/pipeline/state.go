package pipeline

import (
	"context"
	"errors"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/domainxml"
	"github.com/hypersdk/hypersdk/core/kvm"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// State is what a job's steps share — packer multistep's state bag, typed: the job's request,
// what earlier steps produced, and the daemon's parts the steps use. core/jobs fills it from the
// job's record and stores it back after each step; Save stores it in the middle of a step,
// before a side effect is made (a folder claimed, a domain about to be defined).
type State struct {
	JobID       string
	Kind        string // KindExport or KindConvert
	Spec        Spec
	ConvertSpec *ConvertSpec
	ExportDir   string
	ResumeToken []byte
	Plan        []string // the names of the job's steps

	Result   *Result
	Exported []provider.Artifact // what the provider reported it wrote (export → verify)
	Verified []File              // what verification found (verify → package)
	Claimed  string              // the output folder a conversion claimed, or was about to

	Env      *Env
	Log      hclog.Logger
	Reporter provider.Reporter       // the export's progress and checkpoints
	Track    func(provider.Progress) // progress of the steps after the export
	Save     func() error
}

// Planned reports whether the job's plan holds step.
func (st *State) Planned(step string) bool {
	for _, s := range st.Plan {
		if s == step {
			return true
		}
	}
	return false
}

// Env is the daemon's configuration and parts the steps use.
type Env struct {
	Providers     Providers
	ExportSlots   chan struct{} // export.concurrent_exports
	ChunkSize     int64
	MaxRetries    int
	ExportTimeout time.Duration // export.job_timeout
	KVM           KVMConfig
	Holds         HoldKeeper // releases what a job's provider holds when its export ends (step_export.go); may be nil
	// Budgets bounds the exports running at once from each source (export.source_budgets):
	// across the cluster on etcd, on this daemon otherwise. Nil: no budgets.
	Budgets SourceBudgets
}

// SourceBudgets hands out a source's export slots: a source is a provider instance (one
// vCenter, one cloud account and region).
type SourceBudgets interface {
	// Acquire waits for one of source's slots for the job and returns its release; a source
	// without a budget is not waited for.
	Acquire(ctx context.Context, source, jobID string) (release func(), err error)
}

// Providers gives a provider by name (the plugin host).
type Providers interface {
	Provider(name string) (provider.Provider, error)
}

// KVMConfig is what the conversion, import and hand-off steps need from the daemon config.
type KVMConfig struct {
	QemuImg       string
	OutputDir     string // hyper2kvm.output_dir: where converted disks go
	DefaultFormat string
	Compression   bool
	Libvirt       kvm.Config
	DomainType    string // kvm or qemu
	NVRAMDir      string
	Network       string // default libvirt network
	Firmware      domainxml.Firmware
	WatchDir      string        // hyper2kvm.watch_dir
	PollInterval  time.Duration // hyper2kvm.poll_interval: how often a hand-off's answer is looked for
	Hyper2KVM     string        // hyper2kvm.path when that executable exists, else ""
	Systemctl     string        // empty when not installed
	Version       string
}

// Step is one named unit of a plan. Run says how many bytes it wrote, hashed or converted.
// Cleanup undoes what a failed or cancelled Run left (an export's files stay: the retry resumes
// from them).
type Step interface {
	Run(ctx context.Context, st *State) (int64, error)
	Cleanup(st *State)
}

// Def is a step with how a job runs it.
type Def struct {
	Step
	Stage       string // the job's stage while it runs; "" leaves it as it is
	AfterExport bool   // counts against hyper2kvm.job_timeout
	// Redo names the earlier steps whose work this one's failure spoils: the one in the plan is
	// cleaned up and runs again (a disk that fails verification is exported again; a failed
	// import converts again, by whichever step converted).
	Redo []string
}

// Steps are the steps a plan can hold, by name. Adding a step is a file with its type and a
// line here (and one in Plan).
var Steps = map[string]Def{
	StepExport:     {Step: exportStep{}, Stage: StageExporting},
	StepVerify:     {Step: verifyStep{}, Stage: StagePackaging, Redo: []string{StepExport}},
	StepPackage:    {Step: packageStep{}, Stage: StagePackaging},
	StepConvert:    {Step: convertStep{}, Stage: StageConverting, AfterExport: true},
	StepImport:     {Step: importStep{}, Stage: StageImporting, AfterExport: true, Redo: []string{StepConvert, StepHyper2KVM}},
	StepHyper2KVM:  {Step: hyper2kvmStep{}, Stage: StageConverting, AfterExport: true},
	StepHandOff:    {Step: handOffStep{}, Stage: StageHandingOff, AfterExport: true},
	StepDropExport: {Step: dropExportStep{}, AfterExport: true},
}

// Errors a step can fail with that the job engine treats specially.
var (
	// ErrConflict: the job's output clashes with something that exists (a domain, a disk, a
	// folder another job writes); a retry cannot help.
	ErrConflict = errors.New("conflict")
	// ErrExportTimeout: the export ran past export.job_timeout.
	ErrExportTimeout = errors.New("export exceeded export.job_timeout")
)

// noCleanup is for steps with nothing to undo.
type noCleanup struct{}

func (noCleanup) Cleanup(*State) {}
