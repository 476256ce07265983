package hosttools

import (
	"context"
	"github.com/hypersdk/hypersdk/sdk/providertest"
	"testing"
)

func TestParseVersion(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"qemu-img version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u18)\nCopyright (c) 2003-2022": "7.2.19",
		"9.0.0\n": "9.0.0",
		"systemd 252 (252.39-1~deb12u1)\n+PAM +AUDIT": "252",
		"hyper2kvm 0.4.1":          "0.4.1",
		"libvirtd (libvirt) 9.0.0": "9.0.0",
		"no version here":          "",
	}
	for in, want := range cases {
		if got := parseVersion([]byte(in)); got != want {
			t.Errorf("parseVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

// qemu-img is a required peer: the project's setup installs it, and under CI its absence fails.
func TestDetectorFindsQemuImg(t *testing.T) {
	t.Parallel()
	providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils; make test installs it")
	d := NewDetector("/nonexistent/hyper2kvm")
	qemu, ok := d.Find(context.Background(), "qemu-img")
	if !ok || qemu.Version == "" || qemu.Path == "" {
		t.Errorf("qemu-img = %+v, want found with a version", qemu)
	}
	if h, ok := d.Find(context.Background(), "hyper2kvm"); ok {
		t.Errorf("hyper2kvm at a nonexistent path reported found: %+v", h)
	}
}
