package pipeline

import (
	"errors"
	"slices"
	"testing"
)

// Every combination of a job's choices and the plan it gets, refusals included: the table
// docs/pipeline.md explains.
func TestPlan(t *testing.T) {
	t.Parallel()
	keep := Choices{KeepExport: true}
	with := func(c Choices, f func(*Choices)) Choices { f(&c); return c }
	img := func(c Choices, method string) Choices { c.Method = method; return c }
	cases := []struct {
		name    string
		c       Choices
		want    []string
		refused string // the field a refusal names
	}{
		{name: "export only", c: keep, want: []string{StepExport, StepVerify, StepPackage}},
		{name: "integration enabled, nothing asked", c: with(keep, func(c *Choices) { c.Hyper2KVM = true }), want: []string{StepExport, StepVerify, StepPackage}},
		{name: "/convert", c: Choices{Convert: true}, want: []string{StepConvert}},
		{name: "Pattern 1: auto_convert and import", c: with(keep, func(c *Choices) { c.Hyper2KVM, c.AutoConvert, c.Import = true, true, true }),
			want: []string{StepExport, StepVerify, StepPackage, StepConvert, StepImport}},
		{name: "import block alone", c: with(keep, func(c *Choices) { c.Import = true }), want: []string{StepExport, StepVerify, StepPackage, StepConvert, StepImport}},
		{name: "auto_convert without import", c: with(keep, func(c *Choices) { c.Hyper2KVM, c.AutoConvert = true, true }),
			want: []string{StepExport, StepVerify, StepPackage, StepConvert}},
		{name: "keep_export false", c: Choices{Hyper2KVM: true, AutoConvert: true, Import: true},
			want: []string{StepExport, StepVerify, StepConvert, StepImport, StepDropExport}},
		{name: "auto_convert disabled with the integration", c: with(keep, func(c *Choices) { c.AutoConvert = true }), want: []string{StepExport, StepVerify, StepPackage}},
		{name: "daemon mode", c: with(keep, func(c *Choices) { c.Hyper2KVM, c.DaemonMode = true, true }), want: []string{StepExport, StepVerify, StepPackage, StepHandOff}},
		{name: "daemon mode wins over auto_convert", c: with(keep, func(c *Choices) {
			c.Hyper2KVM, c.DaemonMode, c.AutoConvert, c.Hyper2KVMInstalled = true, true, true, true
		}),
			want: []string{StepExport, StepVerify, StepPackage, StepHandOff}},
		{name: "direct mode with hyper2kvm installed", c: with(keep, func(c *Choices) { c.Hyper2KVM, c.AutoConvert, c.Hyper2KVMInstalled = true, true, true }),
			want: []string{StepExport, StepVerify, StepPackage, StepHyper2KVM}},
		{name: "direct mode, export not kept", c: Choices{Hyper2KVM: true, AutoConvert: true, Hyper2KVMInstalled: true},
			want: []string{StepExport, StepVerify, StepHyper2KVM, StepDropExport}},
		{name: "direct mode with an import block: our domain XML and libvirt import follow hyper2kvm",
			c:    with(keep, func(c *Choices) { c.Hyper2KVM, c.AutoConvert, c.Hyper2KVMInstalled, c.Import = true, true, true, true }),
			want: []string{StepExport, StepVerify, StepPackage, StepHyper2KVM, StepImport}},
		{name: "direct mode with an import block, export not kept", c: Choices{Hyper2KVM: true, AutoConvert: true, Hyper2KVMInstalled: true, Import: true},
			want: []string{StepExport, StepVerify, StepHyper2KVM, StepImport, StepDropExport}},
		{name: "keep_export false with daemon_mode", c: Choices{Hyper2KVM: true, DaemonMode: true}, refused: "hyper2kvm_integration.keep_export"},
		{name: "keep_export false without a conversion", c: Choices{}, refused: "hyper2kvm_integration.keep_export"},
		{name: "keep_export false, integration off", c: Choices{AutoConvert: true}, refused: "hyper2kvm_integration.keep_export"},
		// raw and qcow2: the images are the product; a conversion is the built-in one.
		{name: "raw images", c: img(keep, "raw"), want: []string{StepExport, StepVerify, StepPackage}},
		{name: "qcow2 images", c: img(keep, "qcow2"), want: []string{StepExport, StepVerify, StepPackage}},
		{name: "qcow2 images imported (copied, kept)", c: with(img(keep, "qcow2"), func(c *Choices) { c.Import = true }),
			want: []string{StepExport, StepVerify, StepPackage, StepConvert, StepImport}},
		{name: "qcow2 imported, export not kept (moved, never converted twice)", c: with(img(Choices{}, "qcow2"), func(c *Choices) { c.Import, c.ImportFormat = true, "qcow2" }),
			want: []string{StepExport, StepVerify, StepConvert, StepImport, StepDropExport}},
		{name: "raw with auto_convert and hyper2kvm installed: built-in, not direct mode", c: with(img(keep, "raw"), func(c *Choices) { c.Hyper2KVM, c.AutoConvert, c.Hyper2KVMInstalled = true, true, true }),
			want: []string{StepExport, StepVerify, StepPackage, StepConvert}},
		{name: "qcow2, keep_export false, direct mode: built-in", c: with(img(Choices{}, "qcow2"), func(c *Choices) { c.Hyper2KVM, c.AutoConvert, c.Hyper2KVMInstalled = true, true, true }),
			want: []string{StepExport, StepVerify, StepConvert, StepDropExport}},
		{name: "qcow2 compressed", c: with(img(keep, "qcow2"), func(c *Choices) { c.Compress = true }), want: []string{StepExport, StepVerify, StepPackage}},
		{name: "raw with daemon mode", c: with(img(keep, "raw"), func(c *Choices) { c.Hyper2KVM, c.DaemonMode = true, true }), refused: "export_method"},
		{name: "qcow2 imported as raw", c: with(img(keep, "qcow2"), func(c *Choices) { c.Import, c.ImportFormat = true, "raw" }), refused: "import.format"},
		{name: "raw compressed", c: with(img(keep, "raw"), func(c *Choices) { c.Compress = true }), refused: "options.compress"},
		{name: "raw, keep_export false without a conversion", c: img(Choices{}, "raw"), refused: "hyper2kvm_integration.keep_export"},
		// The OVF methods ignore what only images are checked against.
		{name: "ova imported as raw", c: with(img(keep, "ova"), func(c *Choices) { c.Import, c.ImportFormat, c.Compress = true, "raw", true }),
			want: []string{StepExport, StepVerify, StepPackage, StepConvert, StepImport}},
	}
	for _, c := range cases {
		got, err := Plan(c.c)
		var r *Refusal
		switch {
		case c.refused != "":
			if !errors.As(err, &r) || r.Field != c.refused {
				t.Errorf("%s: Plan = %v, %v; want refused naming %s", c.name, got, err, c.refused)
			}
		case err != nil || !slices.Equal(got, c.want):
			t.Errorf("%s: Plan = %s, %v; want %s", c.name, Describe(got), err, Describe(c.want))
		}
	}
}
