// Package providertest is the conformance suite every provider runs from its own tests, through
// the real gRPC boundary (plugin.ConnectInProcess or plugin.Launch), so a provider that passes
// here behaves the way hypervisord expects: a config schema the host can use and settings it
// accepts, unknown settings refused, listing, lookup, errors, export into the directory it was
// given and nowhere else — with every export method, raw and qcow2 included — and cancellation.
//
//	func TestConformance(t *testing.T) {
//		p := plugin.ConnectInProcess(t, mycloud.New())
//		providertest.Run(t, p, providertest.Suite{Settings: map[string]any{"endpoint": srv.URL}, ExportVMID: "vm-1"})
//	}
package providertest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Suite says how to drive the provider under test.
type Suite struct {
	// Settings is the providers.<name> section to configure it with.
	Settings map[string]any
	// ExportVMID is a small VM the suite exports; its export must take long enough to be
	// cancelled after its first progress event (a few chunks).
	ExportVMID string
	// Method is the export method to use; default vmdk.
	Method string
}

// Run runs every conformance check as a subtest.
func Run(t *testing.T, p provider.Provider, s Suite) {
	t.Helper()
	if s.Method == "" {
		s.Method = provider.MethodVMDK
	}
	ctx := context.Background()
	cfg, err := provider.NewConfig(s.Settings)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("info", func(t *testing.T) {
		info, err := p.Info(ctx)
		if err != nil || info.Name == "" || info.Version == "" {
			t.Fatalf("Info = %+v, %v; want a name and a version", info, err)
		}
		if len(info.Config) == 0 {
			return
		}
		// The host checks the provider's section against this schema before Configure.
		if err := provider.CheckSchema(info.Config); err != nil {
			t.Fatalf("Info.Config is a schema the host cannot use: %v", err)
		}
		if _, problems := provider.CheckSettings(info.Config, s.Settings); len(problems) > 0 {
			t.Fatalf("the suite's settings fail the provider's own schema: %v", problems)
		}
	})
	t.Run("configure", func(t *testing.T) {
		// A key the provider does not know is refused, naming it, not silently ignored: a typo
		// in the daemon's config is caught at start-up. Then the good settings are applied.
		withUnknown := map[string]any{unknownSetting: true}
		for k, v := range s.Settings {
			withUnknown[k] = v
		}
		bad, err := provider.NewConfig(withUnknown)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Configure(ctx, bad); !errors.Is(err, provider.ErrInvalidArgument) || !strings.Contains(err.Error(), unknownSetting) {
			t.Errorf("Configure with the unknown key %s = %v, want ErrInvalidArgument naming it", unknownSetting, err)
		}
		if err := p.Configure(ctx, cfg); err != nil {
			t.Fatalf("Configure: %v", err)
		}
	})
	t.Run("list", func(t *testing.T) {
		vms, err := p.ListVMs(ctx, provider.Filter{})
		if err != nil || len(vms) == 0 {
			t.Fatalf("ListVMs = %d VMs, %v; want some", len(vms), err)
		}
		for _, vm := range vms {
			if vm.ID == "" || vm.Name == "" {
				t.Errorf("VM without id or name: %+v", vm)
			}
			switch vm.PowerState {
			case provider.PowerOn, provider.PowerOff, provider.PowerSuspended:
			default:
				t.Errorf("VM %s power state %q is not one of the contract's", vm.ID, vm.PowerState)
			}
		}
		got, err := p.GetVM(ctx, vms[0].ID)
		if err != nil || got.ID != vms[0].ID {
			t.Errorf("GetVM(%s) = %s, %v", vms[0].ID, got.ID, err)
		}
	})
	t.Run("filter by power state", func(t *testing.T) {
		vms, err := p.ListVMs(ctx, provider.Filter{PowerState: provider.PowerOn})
		if err != nil {
			t.Fatal(err)
		}
		for _, vm := range vms {
			if vm.PowerState != provider.PowerOn {
				t.Errorf("filter poweredOn returned %s in state %s", vm.ID, vm.PowerState)
			}
		}
	})
	t.Run("unknown id is ErrNotFound", func(t *testing.T) {
		_, err := p.GetVM(ctx, "hypersdk-conformance-no-such-vm")
		if !errors.Is(err, provider.ErrNotFound) {
			t.Fatalf("GetVM(unknown) = %v, want ErrNotFound", err)
		}
		_, err = p.ExportVM(ctx, provider.ExportSpec{VMID: "hypersdk-conformance-no-such-vm", Method: s.Method, Dir: t.TempDir()}, &Recorder{})
		if !errors.Is(err, provider.ErrNotFound) {
			t.Fatalf("ExportVM(unknown) = %v, want ErrNotFound", err)
		}
	})
	t.Run("export writes only inside its directory", func(t *testing.T) {
		exportInto(ctx, t, p, s.ExportVMID, s.Method)
	})
	// Every provider is asked for every method: it writes its own format whatever the method
	// (the host converts and packages what it did not), so raw and qcow2 exports must succeed
	// and verify like any other.
	for _, m := range []string{provider.MethodRaw, provider.MethodQCOW2} {
		if m == s.Method {
			continue
		}
		t.Run("export with method "+m, func(t *testing.T) {
			exportInto(ctx, t, p, s.ExportVMID, m)
		})
	}
	t.Run("export refuses a directory that is not absolute or does not exist", func(t *testing.T) {
		for _, dir := range []string{"", "relative/dir", filepath.Join(t.TempDir(), "missing"), "/tmp/../tmp/x"} {
			_, err := p.ExportVM(ctx, provider.ExportSpec{VMID: s.ExportVMID, Method: s.Method, Dir: dir}, &Recorder{})
			if !errors.Is(err, provider.ErrInvalidArgument) {
				t.Errorf("ExportVM into %q = %v, want ErrInvalidArgument", dir, err)
			}
		}
	})
	t.Run("cancellation mid-export", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		done := make(chan error, 1)
		go func() {
			_, err := p.ExportVM(cctx, provider.ExportSpec{VMID: s.ExportVMID, Method: s.Method, Dir: t.TempDir()},
				&Recorder{OnProgress: func(pr provider.Progress) {
					if pr.Phase == provider.PhaseDownloading {
						cancel()
					}
				}})
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled export returned %v, want context.Canceled", err)
			}
		case <-time.After(time.Minute):
			t.Fatal("export did not stop within a minute of cancellation")
		}
	})
}

// unknownSetting is a settings key no provider declares.
const unknownSetting = "hypersdk_conformance_no_such_key"

// exportInto exports vmID with method into a fresh job directory and checks the export: some
// progress, some artifacts, each verifying against what the provider reported, and nothing
// written beside the directory.
func exportInto(ctx context.Context, t *testing.T, p provider.Provider, vmID, method string) {
	t.Helper()
	parent := t.TempDir()
	dir := filepath.Join(parent, "job")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var events int
	res, err := p.ExportVM(ctx, provider.ExportSpec{JobID: "conformance", VMID: vmID, Method: method, Dir: dir}, &Recorder{OnProgress: func(provider.Progress) { events++ }})
	if err != nil {
		t.Fatalf("ExportVM(%s, method %s): %v", vmID, method, err)
	}
	if len(res.Artifacts) == 0 || events == 0 {
		t.Fatalf("export (method %s) produced %d artifacts and %d progress events; want some of each", method, len(res.Artifacts), events)
	}
	for _, a := range res.Artifacts {
		checkArtifact(t, dir, a)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Errorf("export (method %s) wrote beside its directory: %v", method, entries)
	}
}

// checkArtifact verifies an artifact lies inside dir and matches its size and its checksum or,
// for a sparse artifact, its extents.
func checkArtifact(t *testing.T, dir string, a provider.Artifact) {
	t.Helper()
	path, err := provider.SafeJoin(dir, a.Path)
	if err != nil {
		t.Errorf("artifact %q: %v", a.Path, err)
		return
	}
	if a.ExtentsKnown {
		if err := provider.VerifyFileExtents(path, a); err != nil {
			t.Errorf("artifact %q does not match its extents: %v", a.Path, err)
		}
		return
	}
	f, err := os.Open(path)
	if err != nil {
		t.Errorf("artifact %q: %v", a.Path, err)
		return
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil || n != a.Size {
		t.Errorf("artifact %q: %d bytes on disk, %d reported (%v)", a.Path, n, a.Size, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); a.SHA256 != "" && !strings.EqualFold(sum, a.SHA256) {
		t.Errorf("artifact %q: sha256 %s on disk, %s reported", a.Path, sum, a.SHA256)
	}
}
