package pipeline

import (
	"strings"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// The steps a job's plan is made of, in the order they run when a plan holds them.
const (
	StepExport     = "export"      // the provider writes the VM's disks into the job's directory
	StepVerify     = "verify"      // what the provider reported is re-hashed; images it converted are checked
	StepPackage    = "package"     // manifest, OVF descriptor, OVA
	StepConvert    = "convert"     // each disk converted with qemu-img, or the image converted during the download adopted
	StepImport     = "import"      // domain XML written and the VM defined in libvirt
	StepHyper2KVM  = "hyper2kvm"   // direct mode: hyper2kvm fixes and converts the boot disk, qemu-img the data disks
	StepHandOff    = "hand-off"    // daemon mode: the manifest goes into hyper2kvm's watch directory
	StepDropExport = "drop-export" // keep_export false: the export goes once the converted disks are in place
)

// Choices are what a job's plan depends on: the fields of its request, and whether hyper2kvm is
// installed (decided when the job is accepted, so a job does what it said it would).
type Choices struct {
	Convert            bool // a POST /convert job: its source is an existing export
	Hyper2KVM          bool // hyper2kvm_integration.enabled
	AutoConvert        bool // hyper2kvm_integration.auto_convert
	DaemonMode         bool // hyper2kvm_integration.daemon_mode
	KeepExport         bool // hyper2kvm_integration.keep_export (default true)
	Import             bool // an import block
	Hyper2KVMInstalled bool // hyper2kvm.path exists
	// Method is the export_method; ImportFormat the import block's format ("" for the default)
	// and Compress options.compress — what an image method (raw, qcow2) is checked against.
	Method       string
	ImportFormat string
	Compress     bool
}

// Refusal is a combination of request fields no plan can serve; the API answers 400 naming
// Field.
type Refusal struct {
	Field   string
	Message string
}

func (r *Refusal) Error() string { return r.Field + ": " + r.Message }

// Plan is the one place that turns a job's choices into its steps. docs/pipeline.md shows the
// plan of each kind of job.
func Plan(c Choices) ([]string, error) {
	if c.Convert {
		return []string{StepConvert}, nil
	}
	if IsImageMethod(c.Method) {
		return planImages(c)
	}
	plan := []string{StepExport, StepVerify}
	if c.KeepExport {
		plan = append(plan, StepPackage)
	}
	switch {
	case c.Hyper2KVM && c.DaemonMode:
		if !c.KeepExport {
			return nil, &Refusal{"hyper2kvm_integration.keep_export", "cannot be false with daemon_mode: hyper2kvm reads the export"}
		}
		return append(plan, StepHandOff), nil
	case c.Hyper2KVM && c.AutoConvert && c.Hyper2KVMInstalled:
		plan = append(plan, StepHyper2KVM)
		if c.Import {
			plan = append(plan, StepImport)
		}
	case c.Hyper2KVM && c.AutoConvert || c.Import:
		plan = append(plan, StepConvert)
		if c.Import {
			plan = append(plan, StepImport)
		}
	case !c.KeepExport:
		return nil, &Refusal{"hyper2kvm_integration.keep_export", "false needs auto_convert or an import block: without a conversion the export is the product"}
	}
	if !c.KeepExport {
		plan = append(plan, StepDropExport)
	}
	return plan, nil
}

// planImages plans a raw or qcow2 export: the disks are the product, as images in the method's
// format, with no descriptor for hyper2kvm to read — its daemon mode is refused, and a conversion
// (auto_convert, or an import) is the built-in one, in the method's format: a disk the provider
// wrote in it is copied into hyper2kvm.output_dir (moved, with keep_export false), never
// converted twice.
func planImages(c Choices) ([]string, error) {
	switch {
	case c.Hyper2KVM && c.DaemonMode:
		return nil, &Refusal{"export_method", c.Method + " exports disk images, with no OVF for hyper2kvm's daemon to read: use ova or ovf with daemon_mode"}
	case c.ImportFormat != "" && c.ImportFormat != c.Method:
		return nil, &Refusal{"import.format", "must be " + c.Method + " (the export_method) or omitted: the exported images are what is imported"}
	case c.Compress && c.Method == provider.MethodRaw:
		return nil, &Refusal{"options.compress", "a raw image cannot be compressed: use export_method qcow2 for compressed clusters"}
	}
	plan := []string{StepExport, StepVerify}
	if c.KeepExport {
		plan = append(plan, StepPackage)
	}
	switch {
	case c.Hyper2KVM && c.AutoConvert || c.Import:
		plan = append(plan, StepConvert)
		if c.Import {
			plan = append(plan, StepImport)
		}
	case !c.KeepExport:
		return nil, &Refusal{"hyper2kvm_integration.keep_export", "false needs auto_convert or an import block: without a conversion the export is the product"}
	}
	if !c.KeepExport {
		plan = append(plan, StepDropExport)
	}
	return plan, nil
}

// Describe renders a plan for logs: "export → verify → package".
func Describe(plan []string) string { return strings.Join(plan, " → ") }
