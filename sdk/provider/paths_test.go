package provider

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestSafeJoin(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		ok   bool
	}{
		{"disk.vmdk", true},
		{"sub/disk.vmdk", true},
		{"a/../disk.vmdk", true},
		{"", false},
		{".", false},
		{"..", false},
		{"../escape.vmdk", false},
		{"sub/../../escape", false},
		{"/etc/passwd", false},
	}
	for _, c := range cases {
		p, err := SafeJoin("/exports/job-1", c.name)
		if c.ok && (err != nil || filepath.Dir(p) == "") {
			t.Errorf("SafeJoin(%q) = %q, %v; want ok", c.name, p, err)
		}
		if !c.ok && !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("SafeJoin(%q) = %q, %v; want ErrInvalidArgument", c.name, p, err)
		}
	}
}

func TestExportSpecValidate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		name string
		spec ExportSpec
		ok   bool
	}{
		{"good", ExportSpec{VMID: "vm", Method: MethodOVA, Dir: dir}, true},
		{"no vm", ExportSpec{Method: MethodOVA, Dir: dir}, false},
		{"bad method", ExportSpec{VMID: "vm", Method: "zip", Dir: dir}, false},
		{"relative dir", ExportSpec{VMID: "vm", Method: MethodVMDK, Dir: "exports"}, false},
		{"unclean dir", ExportSpec{VMID: "vm", Method: MethodVMDK, Dir: dir + "/../x"}, false},
		{"missing dir", ExportSpec{VMID: "vm", Method: MethodVMDK, Dir: filepath.Join(dir, "nope")}, false},
	}
	for _, c := range cases {
		err := c.spec.Validate()
		if c.ok != (err == nil) || (!c.ok && !errors.Is(err, ErrInvalidArgument)) {
			t.Errorf("%s: Validate = %v", c.name, err)
		}
	}
}

func TestConfigDecodeRejectsUnknownKeys(t *testing.T) {
	t.Parallel()
	cfg, _ := NewConfig(map[string]any{"host": "vc", "pasword": "x"})
	var s struct {
		Host     string `json:"host"`
		Password string `json:"password"`
	}
	if err := cfg.Decode(&s); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("Decode with a typo = %v, want ErrInvalidArgument", err)
	}
}
