package awsprovider

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/aws/internal/ebsdirect"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// An export reads exactly the written blocks through EBS direct, whatever the server throws at
// it within the rules — pages of 100 with empty pages between, throttling, expired block
// tokens, a block corrupted twice — and writes disks identical to the source images, with
// their extents; the snapshots are deleted and their hold released.
func TestExportThroughEBSDirect(t *testing.T) {
	defer func(n int32) { listPageSize = n }(listPageSize)
	listPageSize = 100
	root, data := spread(150), spread(40)
	for _, tc := range []struct {
		name      string
		faults    ebsdirect.Faults
		wantGets  map[int32]int // root volume block → GetSnapshotBlock requests
		wantLists int           // at least this many ListSnapshotBlocks
	}{
		{name: "pages of 100", wantGets: map[int32]int{root[0]: 1, root[149]: 1}, wantLists: 3},
		{name: "empty pages between pages", faults: ebsdirect.Faults{EmptyPages: 2}, wantLists: 5},
		{name: "throttled every fifth request", faults: ebsdirect.Faults{ThrottleEvery: 5}},
		{name: "expired block tokens", faults: ebsdirect.Faults{ExpiredTokens: map[int32]bool{root[0]: true, root[77]: true}},
			wantGets: map[int32]int{root[0]: 2, root[77]: 2, root[78]: 1}},
		{name: "a block corrupted twice", faults: ebsdirect.Faults{Corrupt: map[int32]int{root[3]: 2}}, wantGets: map[int32]int{root[3]: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rg := newRig(t, root, data)
			rg.ebs.SetFaults(tc.faults)
			p := configured(t, rg.settings)
			dir := t.TempDir()
			rec := &providertest.Recorder{}
			res, err := p.ExportVM(context.Background(), provider.ExportSpec{JobID: "job-1", VMID: rg.instance.ID, Method: provider.MethodRaw, Dir: dir}, rec)
			if err != nil {
				t.Fatalf("ExportVM: %v", err)
			}
			if len(res.Artifacts) != 2 {
				t.Fatalf("artifacts = %+v, want one per volume", res.Artifacts)
			}
			for i, a := range res.Artifacts {
				path := filepath.Join(dir, a.Path)
				if err := provider.VerifyFileExtents(path, a); err != nil {
					t.Errorf("disk %d: %v", i, err)
				}
				sameBlocks(t, path, rg.images[i])
				var inExtents int64
				for _, e := range a.Extents {
					inExtents += e.Length
				}
				if want := int64(len(rg.images[i].Blocks)) * ebsdirect.BlockSize; inExtents != want {
					t.Errorf("disk %d holds %d bytes of data, want %d (the written blocks only)", i, inExtents, want)
				}
				if src := res.VM.Disks[i].Source; !strings.HasPrefix(src, "ebs:"+rg.instance.Volumes[i]+"@snap-") {
					t.Errorf("disk %d source %q does not name its volume and snapshot", i, src)
				}
			}
			for idx, want := range tc.wantGets {
				if got, _ := rg.ebs.Gets(snapshotOf(res, 0), idx); got != want {
					t.Errorf("block %d was requested %d times, want %d", idx, got, want)
				}
			}
			if got := rg.ebs.Lists(); got < tc.wantLists {
				t.Errorf("ListSnapshotBlocks was called %d times, want at least %d", got, tc.wantLists)
			}
			if left := rec.Holds(); len(left) > 0 {
				t.Errorf("holds left after success: %+v", left)
			}
			if left := rg.ourSnapshots(t); len(left) > 0 {
				t.Errorf("snapshots left after success: %v", left)
			}
			var snapshotting, downloading bool
			for _, ev := range rec.Events() {
				snapshotting = snapshotting || ev.Phase == provider.PhaseSnapshotting && strings.HasPrefix(ev.OperationID, "snap-") && ev.Percent == 100
				downloading = downloading || ev.Phase == provider.PhaseDownloading && ev.BytesDone == int64(len(root))*ebsdirect.BlockSize && ev.BytesTotal == ev.BytesDone
			}
			if !snapshotting || !downloading {
				t.Errorf("progress: snapshotting at 100%% %v, root disk downloaded in full %v", snapshotting, downloading)
			}
		})
	}
}

func snapshotOf(res provider.ExportResult, disk int) string {
	_, snap, _ := strings.Cut(res.VM.Disks[disk].Source, "@")
	return snap
}

// Failures name their cause, and leave the snapshots held: Release deletes them, twice is fine.
func TestExportFailuresAreClear(t *testing.T) {
	root := spread(20)
	for _, tc := range []struct {
		name     string
		faults   func(rg *rig) ebsdirect.Faults
		settings map[string]any
		sentinel error
		says     string
	}{
		{"persistent corruption", func(*rig) ebsdirect.Faults { return ebsdirect.Faults{Corrupt: map[int32]int{root[5]: -1}} }, nil,
			nil, fmt.Sprintf("block %d of snapshot", root[5])},
		{"throttling outlasts the retries", func(*rig) ebsdirect.Faults { return ebsdirect.Faults{ThrottleAll: true} }, map[string]any{"max_attempts": 3},
			provider.ErrUnavailable, "throttled the request through all 3 attempts"},
		{"KMS key not usable", func(*rig) ebsdirect.Faults { return ebsdirect.Faults{DenyKMS: true} }, nil,
			provider.ErrAuth, "kms:Decrypt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rg := newRig(t, root, spread(2))
			rg.ebs.SetFaults(tc.faults(rg))
			for k, v := range tc.settings {
				rg.settings[k] = v
			}
			p := configured(t, rg.settings)
			rec := &providertest.Recorder{}
			_, err := p.ExportVM(context.Background(), provider.ExportSpec{JobID: "job-1", VMID: rg.instance.ID, Method: provider.MethodRaw, Dir: t.TempDir()}, rec)
			if err == nil || (tc.sentinel != nil && !errors.Is(err, tc.sentinel)) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("ExportVM = %v; want an error (%v) saying %q", err, tc.sentinel, tc.says)
			}
			if len(rg.ourSnapshots(t)) != 2 || len(rec.Holds()) != 1 {
				t.Fatalf("after the failure: snapshots %v, holds %+v; want both snapshots held", rg.ourSnapshots(t), rec.Holds())
			}
			for round := 0; round < 2; round++ {
				for _, h := range rec.Holds() {
					if err := p.Release(context.Background(), h); err != nil {
						t.Fatalf("Release %s (round %d): %v", h.ID, round, err)
					}
				}
			}
			if left := rg.ourSnapshots(t); len(left) > 0 {
				t.Errorf("snapshots left after Release: %v", left)
			}
		})
	}
	t.Run("unknown instance", func(t *testing.T) {
		rg := newRig(t, root, spread(2))
		_, err := configured(t, rg.settings).ExportVM(context.Background(), provider.ExportSpec{VMID: "i-0000000000000000f", Method: provider.MethodRaw, Dir: t.TempDir()}, &providertest.Recorder{})
		if !errors.Is(err, provider.ErrNotFound) {
			t.Errorf("ExportVM(unknown) = %v, want ErrNotFound", err)
		}
	})
}
