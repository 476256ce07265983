package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/cmd/hypervisord/internal/h2kmanifest"
	"github.com/hypersdk/hypersdk/core/handoff"
)

var updateManifests = flag.Bool("update", false, "rewrite testdata/manifests/*.json from this run's hand-offs")

// goldenJobID stands for the run's job id in the golden manifests.
const goldenJobID = "job-5e1f0a2b3c4d"

// The manifest the daemon writes for each export method is one hyper2kvm accepts in every field
// (checked by the stand-in's rules, h2kmanifest.Validate, on the files it names) and is the one in
// testdata/manifests/<method>.json, with this run's temporary folders, job id and clock replaced
// by fixed ones. Disk sizes and checksums come from qemu-img's VMDKs, which differ between its
// versions: Validate checks them against the files, and the golden keeps its own.
// `go test -run TestHandoffManifestGolden -update` writes the goldens from a run.
func TestHandoffManifestGolden(t *testing.T) {
	t.Parallel()
	r := newHORig(t, "2h")
	for _, method := range []string{"ova", "ovf", "vmdk"} {
		t.Run(method, func(t *testing.T) {
			id := r.handOff(method)
			path := filepath.Join(r.dir, handoff.ToBeProcessed, id+".json")
			if _, err := h2kmanifest.Validate(path); err != nil {
				t.Fatalf("hyper2kvm would fail the manifest: %v", err)
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			raw = []byte(strings.NewReplacer(r.base, "/exports", r.watch, "/var/lib/hyper2kvm/watch", r.out, "/var/lib/kvm/images", id, goldenJobID).Replace(string(raw)))
			var got handoff.Manifest
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			got.Source.ExportTimestamp, got.Metadata.CreatedAt = "2026-03-02T10:15:00Z", "2026-03-02T10:15:00Z"
			golden := filepath.Join("testdata", "manifests", method+".json")
			if *updateManifests {
				writeGolden(t, golden, got)
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			var wantM handoff.Manifest
			if err := json.Unmarshal(want, &wantM); err != nil {
				t.Fatal(err)
			}
			if len(wantM.Disks) == len(got.Disks) {
				for i := range got.Disks {
					got.Disks[i].Bytes, got.Disks[i].Checksum = wantM.Disks[i].Bytes, wantM.Disks[i].Checksum
				}
			}
			if gotRaw := marshalManifest(t, got); !bytes.Equal(gotRaw, want) {
				t.Errorf("the %s manifest differs from %s:\n%s", method, golden, gotRaw)
			}
		})
	}
}

func marshalManifest(t *testing.T, m handoff.Manifest) []byte {
	t.Helper()
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(raw, '\n')
}

func writeGolden(t *testing.T, path string, m handoff.Manifest) {
	t.Helper()
	if !regexp.MustCompile(`^testdata/manifests/[a-z]+\.json$`).MatchString(filepath.ToSlash(path)) {
		t.Fatalf("golden path %s", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, marshalManifest(t, m), 0o644); err != nil {
		t.Fatal(err)
	}
}
