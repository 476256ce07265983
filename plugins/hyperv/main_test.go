package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/hyperv"
	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/psscript"
	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/standin"
	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// exists says whether what a hold names is on the stand-in host: a checkpoint of the VM or an
// export folder on the share.
func exists(s *standin.Standin) func(provider.Hold) (bool, error) {
	return func(h provider.Hold) (bool, error) {
		// Both are named hypersdk-<job>-<suffix>; the hold's id ends with the suffix.
		suffix := h.ID[strings.LastIndex(h.ID, "-"):]
		var names []string
		switch h.Kind {
		case provider.HoldSnapshot:
			names = s.Host.Checkpoints(standin.VMID)
		case provider.HoldObject:
			names = s.Host.Folders()
		}
		return slices.ContainsFunc(names, func(n string) bool { return strings.HasSuffix(n, suffix) }), nil
	}
}

// The provider passes the conformance and holds suites through the real gRPC boundary, in
// process, against the WinRM fake and a real smbd.
func TestConformanceInProcess(t *testing.T) {
	s := standin.StartT(t, standin.Options{})
	p := plugin.ConnectInProcess(t, hyperv.New())
	providertest.Run(t, p, providertest.Suite{Settings: s.Settings(), ExportVMID: standin.VMID, Method: provider.MethodRaw})
	providertest.RunHolds(t, p, providertest.HoldsSuite{Settings: s.Settings(), ExportVMID: standin.VMID, Exists: exists(s)})
	// The password authenticates the sessions; no script (nor its base64 parameters) carries it.
	secret := s.SMB.Password
	for _, text := range s.Host.Texts() {
		if strings.Contains(text, secret) || strings.Contains(decodeParams(t, text), secret) {
			t.Fatalf("a script carries the password:\n%s", text)
		}
	}
}

// decodeParams is the JSON parameters of a rendered script.
func decodeParams(t *testing.T, text string) string {
	t.Helper()
	_, params, err := psscript.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	return string(params)
}

// The built plugin binary passes them too, with a second binary killed -9 mid-download whose
// checkpoint and export folder the first releases.
func TestBinaryConformance(t *testing.T) {
	s := standin.StartT(t, standin.Options{DiskMiB: 64})
	bin := buildPlugin(t)
	providertest.Run(t, plugin.Launch(t, bin), providertest.Suite{Settings: s.Settings(), ExportVMID: standin.VMID, Method: provider.MethodRaw})
	crashing, kill := plugin.LaunchKillable(t, bin)
	var once sync.Once
	providertest.RunHolds(t, plugin.Launch(t, bin), providertest.HoldsSuite{Settings: s.Settings(), ExportVMID: standin.VMID, Exists: exists(s),
		Crashing: &killOnDownload{Provider: crashing, kill: func() { once.Do(kill) }}, CrashSettings: s.Settings()})
	if ran := s.Host.Ran(); !slices.Contains(ran, psscript.RemoveCheckpoint) || !slices.Contains(ran, psscript.RemoveExport) {
		t.Errorf("scripts run: %v; want the checkpoint and the export folder removed", ran)
	}
}

// killOnDownload kills its plugin process when the export reports its first downloaded bytes.
type killOnDownload struct {
	provider.Provider
	kill func()
}

func (k *killOnDownload) ExportVM(ctx context.Context, spec provider.ExportSpec, r provider.Reporter) (provider.ExportResult, error) {
	return k.Provider.ExportVM(ctx, spec, &killingReporter{Reporter: r, kill: k.kill})
}

type killingReporter struct {
	provider.Reporter
	kill func()
}

func (k *killingReporter) Progress(p provider.Progress) {
	k.Reporter.Progress(p)
	if p.Phase == provider.PhaseDownloading && p.BytesDone > 0 {
		k.kill()
	}
}

func buildPlugin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hypersdk-provider-hyperv")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}
