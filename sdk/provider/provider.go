package provider

import "context"

// Provider is the contract every provider plugin implements. Every method takes the caller's
// context first: the host cancels it when a job is cancelled or a call times out, and the SDK
// carries that cancellation across the process boundary.
type Provider interface {
	// Info describes the provider; it is called before Configure and must not need credentials.
	Info(ctx context.Context) (Info, error)
	// Configure receives the provider's section of the daemon configuration (providers.<name>),
	// secrets included. It may be called again after a plugin restart.
	Configure(ctx context.Context, cfg Config) error
	// ListVMs returns the VMs matching filter. An unknown filter value is ErrInvalidArgument.
	ListVMs(ctx context.Context, filter Filter) ([]VM, error)
	// GetVM returns one VM's full hardware picture, or ErrNotFound.
	GetVM(ctx context.Context, id string) (VM, error)
	// ExportVM writes the VM's disks (and descriptor, if the platform has one) into spec.Dir,
	// reporting progress as it goes, and returns what it wrote. It must write nothing outside
	// spec.Dir; use SafeJoin for every path it creates.
	ExportVM(ctx context.Context, spec ExportSpec, report Reporter) (ExportResult, error)
}

// Info describes a provider to the host.
type Info struct {
	Name         string
	Version      string
	Description  string
	Capabilities []Capability
	// Config declares the keys of the provider's providers.<name> section; the host checks a
	// section against it at start-up and redacts the secret ones wherever it shows settings.
	Config []ConfigKey
	// Filters names the Filter fields the provider honours, by their JSON names (the Filter*
	// constants); the host refuses the others with a 400 (CheckFilterFields). Empty means all.
	Filters []string
}

// Capability names something a provider can do beyond the required contract.
type Capability string

const (
	// CapExportOVA and friends say which export methods the provider writes itself.
	CapExportOVA  Capability = "export.ova"
	CapExportOVF  Capability = "export.ovf"
	CapExportVMDK Capability = "export.vmdk"
	// CapExportRaw and CapExportQCOW2: the provider writes raw or qcow2 disk images itself;
	// without them the host converts what the provider wrote.
	CapExportRaw   Capability = "export.raw"
	CapExportQCOW2 Capability = "export.qcow2"
	// CapResume: ExportVM honours ExportSpec.ResumeToken.
	CapResume Capability = "export.resume"
	// CapPower: the provider implements PowerController.
	CapPower Capability = "power"
	// CapShutdownVM and CapRemoveCDROM: the provider honours those export options.
	CapShutdownVM  Capability = "option.shutdown_vm"
	CapRemoveCDROM Capability = "option.remove_cdrom"
	// CapHolds: the provider records holds and implements Releaser.
	CapHolds Capability = "holds"
)

// Has reports whether info lists the capability.
func (i Info) Has(c Capability) bool {
	for _, have := range i.Capabilities {
		if have == c {
			return true
		}
	}
	return false
}
