package provider

import (
	"errors"
	"testing"
)

func TestValidMethod(t *testing.T) {
	t.Parallel()
	cases := []struct {
		method string
		valid  bool
	}{
		{MethodOVA, true}, {MethodOVF, true}, {MethodVMDK, true}, {MethodRaw, true}, {MethodQCOW2, true},
		{"", false}, {"OVA", false}, {"vhd", false}, {"qcow", false},
	}
	for _, c := range cases {
		if got := ValidMethod(c.method); got != c.valid {
			t.Errorf("ValidMethod(%q) = %v, want %v", c.method, got, c.valid)
		}
	}
	if got, want := MethodNames(), "ova, ovf, vmdk, raw or qcow2"; got != want {
		t.Errorf("MethodNames() = %q, want %q", got, want)
	}
}

func TestExportSpecValidateMethod(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, m := range Methods {
		if err := (ExportSpec{VMID: "vm-1", Method: m, Dir: dir}).Validate(); err != nil {
			t.Errorf("method %s: %v", m, err)
		}
	}
	err := (ExportSpec{VMID: "vm-1", Method: "vhd", Dir: dir}).Validate()
	if !errors.Is(err, ErrInvalidArgument) || err.Error() != `invalid argument: export method "vhd" is not ova, ovf, vmdk, raw or qcow2` {
		t.Errorf("Validate(vhd) = %v, want ErrInvalidArgument naming the methods", err)
	}
}
