package pipeline

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/domainxml"
	"github.com/hypersdk/hypersdk/core/kvm"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// A job interrupted after libvirt took its domain must, on its retry, recognise the domain as
// its own by the UUID it recorded before defining — not convert again over the domain's disks,
// nor fail as a clash with itself. A UUID libvirt does not know is forgotten.
func TestRetryRecognisesTheDomainItDefined(t *testing.T) {
	t.Parallel()
	const socket = "/var/run/libvirt/libvirt-sock"
	_, err := os.Stat(socket)
	providertest.NeedPeer(t, err == nil, "libvirtd is not running (deploy/install-deps.sh --test installs and starts it)")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := kvm.Config{Socket: socket}

	name := fmt.Sprintf("hypersdk-resume-%d", time.Now().UnixNano())
	out := filepath.Join(t.TempDir(), name)
	if err := claimOutputDir(out, "job-me"); err != nil {
		t.Fatal(err)
	}
	disk := filepath.Join(out, name+"-disk0.qcow2")
	if msg, err := exec.Command("qemu-img", "create", "-q", "-f", "qcow2", disk, "16M").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img create: %v %s", err, msg)
	}
	writeFiles(t, out, map[string]string{name + ".xml": "<domain/>"})
	dom, err := domainxml.Build(provider.VM{Name: name, CPUs: 1, MemoryMB: 128, Firmware: provider.FirmwareBIOS, Disks: []provider.Disk{{BootOrder: 1}}},
		domainxml.Options{Name: name, DomainType: "qemu", Disks: []domainxml.Disk{{Path: disk, Format: "qcow2"}}})
	if err != nil {
		t.Fatal(err)
	}
	dom.UUID = kvm.NewUUID()
	if _, err := kvm.Define(ctx, cfg, dom, false); err != nil {
		t.Fatalf("define: %v", err)
	}
	t.Cleanup(func() { exec.Command("virsh", "-c", "qemu:///system", "undefine", name).Run() })

	cases := []struct {
		name     string
		uuid     string
		wantDone bool
	}{
		{name: "domain defined by the interrupted attempt", uuid: dom.UUID, wantDone: true},
		{name: "attempt stopped before libvirt took it", uuid: kvm.NewUUID()},
	}
	for _, c := range cases {
		j := &State{JobID: "job-me", Result: &Result{DomainUUID: c.uuid}, Env: &Env{KVM: KVMConfig{Libvirt: cfg}}, Log: hclog.NewNullLogger()}
		done, err := importedEarlier(ctx, j, name, out)
		if err != nil || done != c.wantDone {
			t.Fatalf("%s: importedEarlier = %v, %v; want %v", c.name, done, err, c.wantDone)
		}
		if !c.wantDone {
			if j.Result.DomainUUID != "" {
				t.Errorf("%s: the unknown UUID was kept", c.name)
			}
			continue
		}
		if j.Result.Domain != name || len(j.Result.Converted) != 1 || j.Result.Converted[0] != disk || j.Result.DomainXML != filepath.Join(out, name+".xml") {
			t.Errorf("%s: result = %+v", c.name, j.Result)
		}
		if _, err := os.Stat(filepath.Join(out, claimFile)); !os.IsNotExist(err) {
			t.Errorf("%s: the claim stayed (%v)", c.name, err)
		}
	}

	// The same, through the import step a restarted daemon resumes at (convert already done):
	// it keeps the domain and its disk instead of defining it again under a new UUID.
	st := &State{JobID: "job-me", Kind: KindExport, Spec: Spec{Import: &ImportOptions{}}, Plan: []string{StepConvert, StepImport},
		Result: &Result{VM: provider.VM{Name: name}, Converted: []string{disk}, DomainUUID: dom.UUID},
		Env:    &Env{KVM: KVMConfig{Libvirt: cfg, OutputDir: filepath.Dir(out)}}, Log: hclog.NewNullLogger(), Save: func() error { return nil }}
	if _, err := (importStep{}).Run(ctx, st); err != nil {
		t.Fatalf("import step resumed after define: %v", err)
	}
	if st.Result.Domain != name || st.Result.DomainUUID != dom.UUID {
		t.Errorf("import step result = %+v, want the domain defined before, under its UUID", st.Result)
	}
	if _, err := os.Stat(disk); err != nil {
		t.Errorf("the domain's disk is gone: %v", err)
	}
}
