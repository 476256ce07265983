package handoff_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/core/handoff"
	"github.com/hypersdk/hypersdk/core/pipeline"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// packageOVA packages a two-disk VM as the ova method does and returns the OVA and the disks'
// contents.
func packageOVA(t *testing.T) (string, string, []string) {
	t.Helper()
	dir := t.TempDir()
	vm := provider.VM{ID: "vm-1", Name: "web", CPUs: 1, MemoryMB: 512,
		Disks: []provider.Disk{{Label: "Hard disk 1", CapacityBytes: 1 << 20, BootOrder: 1}, {Label: "Hard disk 2", CapacityBytes: 1 << 20}}}
	contents := []string{"boot disk bytes", "data disk bytes, a few more"}
	var artifacts []provider.Artifact
	for i, c := range contents {
		name := "web-disk" + string(rune('0'+i)) + ".vmdk"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(c))
		artifacts = append(artifacts, provider.Artifact{Path: name, Kind: provider.KindDisk, Format: provider.FormatVMDKStream, Size: int64(len(c)), SHA256: hex.EncodeToString(sum[:]), Disk: i})
	}
	files, err := pipeline.Verify(dir, artifacts)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := pipeline.PackageExport(dir, "web", provider.MethodOVA, vm, files)
	if err != nil {
		t.Fatal(err)
	}
	return pkg.OVA, pkg.Files[0].SHA256, contents
}

// An OVA is unpacked into an OVF package whose disks are the files the archive held, each
// checked against the archive's checksum and its .mf.
func TestExtractOVA(t *testing.T) {
	t.Parallel()
	ova, sum, contents := packageOVA(t)
	dir := handoff.ExtractDir(filepath.Dir(ova), "job-1")
	got, err := handoff.ExtractOVA(ova, sum, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Descriptor != filepath.Join(dir, "web.ovf") {
		t.Errorf("descriptor = %s", got.Descriptor)
	}
	if len(got.Disks) != 2 {
		t.Fatalf("disks = %+v", got.Disks)
	}
	for _, d := range got.Disks {
		raw, err := os.ReadFile(d.Path)
		want := sha256.Sum256([]byte(contents[d.Disk]))
		if err != nil || string(raw) != contents[d.Disk] || d.SHA256 != hex.EncodeToString(want[:]) || d.Size != int64(len(raw)) || d.Format != "vmdk" {
			t.Errorf("disk %d = %+v holding %q (%v)", d.Disk, d, raw, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "web-disk0.vmdk web-disk1.vmdk web.mf web.ovf" {
		t.Errorf("unpacked %v", names)
	}
	// Unpacking again (a hand-off cut off by a crash) replaces what is there.
	if _, err := handoff.ExtractOVA(ova, sum, dir); err != nil {
		t.Errorf("second extraction: %v", err)
	}
}

func TestExtractOVARefusesWhatWasNotVerified(t *testing.T) {
	t.Parallel()
	ova, _, _ := packageOVA(t)
	if _, err := handoff.ExtractOVA(ova, strings.Repeat("0", 64), t.TempDir()); err == nil || !strings.Contains(err.Error(), "not the "+strings.Repeat("0", 64)+" verified") {
		t.Errorf("an OVA that is not the one verified: %v", err)
	}

	// An archive whose .mf disagrees with a disk in it.
	raw, err := os.ReadFile(ova)
	if err != nil {
		t.Fatal(err)
	}
	tampered := filepath.Join(t.TempDir(), "web.ova")
	var out bytes.Buffer
	tr, tw := tar.NewReader(bytes.NewReader(raw)), tar.NewWriter(&out)
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		var body bytes.Buffer
		body.ReadFrom(tr)
		b := body.Bytes()
		if hdr.Name == "web-disk1.vmdk" {
			b = bytes.ToUpper(b)
		}
		tw.WriteHeader(hdr)
		tw.Write(b)
	}
	tw.Close()
	if err := os.WriteFile(tampered, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := handoff.ExtractOVA(tampered, "", t.TempDir()); err == nil || !strings.Contains(err.Error(), "web-disk1.vmdk has SHA-256") {
		t.Errorf("a disk the .mf disagrees with: %v", err)
	}

	// A member named to leave the folder.
	var evil bytes.Buffer
	tw = tar.NewWriter(&evil)
	tw.WriteHeader(&tar.Header{Name: "../escape.vmdk", Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
	tw.Write([]byte("x"))
	tw.Close()
	evilPath := filepath.Join(t.TempDir(), "evil.ova")
	os.WriteFile(evilPath, evil.Bytes(), 0o644)
	dest := filepath.Join(t.TempDir(), "x")
	if _, err := handoff.ExtractOVA(evilPath, "", dest); err == nil || !strings.Contains(err.Error(), "not a plain file name") {
		t.Errorf("a member leaving the folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dest), "escape.vmdk")); err == nil {
		t.Error("the member was written outside the folder")
	}
}
