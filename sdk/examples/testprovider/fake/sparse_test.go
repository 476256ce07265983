package fake

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/diskfile"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

func TestDataRuns(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	cases := []struct {
		size int64
		want [][2]int64
	}{
		{1 << 30, [][2]int64{{0, mib}, {(1 << 30) / 3 &^ 4095, (1<<30)/3&^4095 + mib}, {2 * (1 << 30) / 3 &^ 4095, 2*(1<<30)/3&^4095 + mib}, {1<<30 - mib, 1 << 30}}},
		{2 * mib, [][2]int64{{0, 2 * mib}}}, // the runs overlap: the whole disk is data
		{4096, [][2]int64{{0, 4096}}},
	}
	for _, c := range cases {
		if got := dataRuns(c.size); !reflect.DeepEqual(got, c.want) {
			t.Errorf("dataRuns(%d) = %v, want %v", c.size, got, c.want)
		}
	}
}

// With sparse_disk, a 1 GiB disk holds 4 MiB, and its artifact's extents describe it: the
// host's check passes, and fails once a byte of it changes.
func TestSparseDiskExport(t *testing.T) {
	t.Parallel()
	p := New()
	cfg, err := provider.NewConfig(map[string]any{"vm_count": 1, "disk_size_bytes": 1 << 30, "sparse_disk": true})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rec := &providertest.Recorder{}
	res, err := p.ExportVM(context.Background(), provider.ExportSpec{VMID: "vm-001", Method: provider.MethodRaw, Dir: dir}, rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Artifacts) != 1 {
		t.Fatalf("artifacts = %+v, want one disk", res.Artifacts)
	}
	a := res.Artifacts[0]
	var data int64
	for _, e := range a.Extents {
		data += e.Length
	}
	if !a.ExtentsKnown || a.SHA256 != "" || a.Size != 1<<30 || data != 4<<20 {
		t.Fatalf("artifact = size %d, extents known %v covering %d bytes, sha256 %q; want 1 GiB with 4 MiB of extents and no whole-file digest",
			a.Size, a.ExtentsKnown, data, a.SHA256)
	}
	path := filepath.Join(dir, a.Path)
	extents := make([]diskfile.Extent, len(a.Extents))
	for i, e := range a.Extents {
		extents[i] = diskfile.Extent(e)
	}
	if err := diskfile.VerifyExtents(path, a.Size, extents); err != nil {
		t.Fatalf("the disk does not match its own extents: %v", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0}, a.Extents[1].Offset+5); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := diskfile.VerifyExtents(path, a.Size, extents); err == nil {
		t.Fatal("a changed byte inside an extent was not noticed")
	}
}
