package pipeline

import "strings"

// The steps a job's plan is made of, in the order they run when a plan holds them.
const (
	StepExport     = "export"      // the provider writes the VM's disks into the job's directory
	StepVerify     = "verify"      // what the provider reported is re-hashed; images it converted are checked
	StepPackage    = "package"     // manifest, OVF descriptor, OVA
	StepConvert    = "convert"     // each disk converted with qemu-img, or the image converted during the download adopted
	StepImport     = "import"      // domain XML written and the VM defined in libvirt
	StepHyper2KVM  = "hyper2kvm"   // direct mode: hyper2kvm converts the export itself
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
