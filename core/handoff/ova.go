package handoff

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hypersdk/hypersdk/sdk/diskfile"
	"github.com/hypersdk/hypersdk/sdk/ovf"
)

// An OVA cannot be handed over as it is: the manifest's disks must be files hyper2kvm's loader
// can open and hash, and a disk inside a tar is not one. ExtractOVA unpacks the archive into a
// folder of the export (an OVF package: descriptor, .mf and disks), and the manifest names those.

// ExtractDir is where the OVA of job jobID is unpacked for hyper2kvm: <export dir>/hyper2kvm-<job
// id>, a name of its own so a later export into the same folder never overwrites the files a
// queued manifest names.
func ExtractDir(exportDir, jobID string) string {
	return filepath.Join(exportDir, "hyper2kvm-"+jobID)
}

// maxOVAEntries bounds the members read from an archive; a VM's package has a handful.
const maxOVAEntries = 1024

// Extracted is an OVA unpacked for hyper2kvm.
type Extracted struct {
	Descriptor string     // the .ovf
	Disks      []DiskFile // each checked against the archive's .mf
}

// ExtractOVA unpacks the OVA at path into dir (replacing what a cut-off earlier run left there)
// and returns its descriptor and disks. The archive is hashed as it is read and must match
// wantSHA256 — the checksum the export step verified — and every disk must match the SHA-256 the
// archive's .mf gives it, so the files hyper2kvm gets are the ones hypervisord verified.
func ExtractOVA(path, wantSHA256, dir string) (Extracted, error) {
	if err := os.RemoveAll(dir); err != nil {
		return Extracted{}, fmt.Errorf("extract OVA for hyper2kvm: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Extracted{}, fmt.Errorf("extract OVA for hyper2kvm: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return Extracted{}, fmt.Errorf("extract OVA for hyper2kvm: %w", err)
	}
	defer f.Close()
	whole := sha256.New()
	stream := io.TeeReader(bufio.NewReaderSize(f, 1<<20), whole)
	tr := tar.NewReader(stream)
	files := map[string]member{}
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Extracted{}, fmt.Errorf("extract OVA %s: %w", path, err)
		}
		if n >= maxOVAEntries {
			return Extracted{}, fmt.Errorf("extract OVA %s: more than %d members", path, maxOVAEntries)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		name := hdr.Name
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
			return Extracted{}, fmt.Errorf("extract OVA %s: member %q is not a plain file name", path, name)
		}
		m, err := extractMember(tr, filepath.Join(dir, name))
		if err != nil {
			return Extracted{}, fmt.Errorf("extract %s from OVA %s: %w", name, path, err)
		}
		files[name] = m
	}
	if _, err := io.Copy(io.Discard, stream); err != nil { // the padding after the last member
		return Extracted{}, fmt.Errorf("extract OVA %s: %w", path, err)
	}
	if got := hex.EncodeToString(whole.Sum(nil)); wantSHA256 != "" && got != wantSHA256 {
		return Extracted{}, fmt.Errorf("OVA %s has SHA-256 %s, not the %s verified when it was written", path, got, wantSHA256)
	}
	out, err := describe(dir, files)
	if err != nil {
		return Extracted{}, fmt.Errorf("OVA %s: %w", path, err)
	}
	if err := diskfile.SyncDir(dir); err != nil {
		return Extracted{}, err
	}
	return out, nil
}

// member is one file unpacked from the archive.
type member struct {
	path   string
	size   int64
	sha256 string
}

func extractMember(r io.Reader, path string) (member, error) {
	part := path + ".part"
	w, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return member{}, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), r)
	if err == nil {
		err = w.Sync()
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(part, path)
	}
	if err != nil {
		os.Remove(part)
		return member{}, err
	}
	return member{path: path, size: n, sha256: hex.EncodeToString(h.Sum(nil))}, nil
}

// describe finds the descriptor among the unpacked files, maps its file references to the VM's
// disks and checks each disk against the .mf.
func describe(dir string, files map[string]member) (Extracted, error) {
	var desc, mf *member
	for name, m := range files {
		m := m
		switch strings.ToLower(filepath.Ext(name)) {
		case ".ovf":
			if desc != nil {
				return Extracted{}, fmt.Errorf("more than one OVF descriptor")
			}
			desc = &m
		case ".mf":
			mf = &m
		}
	}
	if desc == nil {
		return Extracted{}, fmt.Errorf("no OVF descriptor")
	}
	raw, err := os.ReadFile(desc.path)
	if err != nil {
		return Extracted{}, err
	}
	_, refs, err := ovf.Parse(raw)
	if err != nil {
		return Extracted{}, err
	}
	sums := map[string]string{}
	if mf != nil {
		if sums, err = readMF(mf.path); err != nil {
			return Extracted{}, err
		}
	}
	out := Extracted{Descriptor: desc.path}
	for _, ref := range refs {
		m, ok := files[ref.Href]
		if !ok {
			return Extracted{}, fmt.Errorf("disk %d's file %s is not in the archive", ref.Disk, ref.Href)
		}
		if want, listed := sums[ref.Href]; listed && want != m.sha256 {
			return Extracted{}, fmt.Errorf("%s has SHA-256 %s; the package's manifest says %s", ref.Href, m.sha256, want)
		}
		format := "vmdk"
		if !strings.Contains(ref.Format, "vmdk") && !strings.EqualFold(filepath.Ext(ref.Href), ".vmdk") {
			format = strings.TrimPrefix(strings.ToLower(filepath.Ext(ref.Href)), ".")
		}
		out.Disks = append(out.Disks, DiskFile{Disk: ref.Disk, Path: m.path, Format: format, Size: m.size, SHA256: m.sha256})
	}
	if len(out.Disks) == 0 {
		return Extracted{}, fmt.Errorf("the descriptor names no disk file")
	}
	return out, nil
}

// readMF reads an OVF manifest's "SHA256(name)= hex" lines; lines of other digests are skipped.
func readMF(path string) (map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sums := map[string]string{}
	for _, line := range bytes.Split(raw, []byte("\n")) {
		s := strings.TrimSpace(string(line))
		if !strings.HasPrefix(s, "SHA256(") {
			continue
		}
		name, sum, ok := strings.Cut(strings.TrimPrefix(s, "SHA256("), ")=")
		if !ok {
			return nil, fmt.Errorf("%s: malformed line %q", filepath.Base(path), s)
		}
		sums[name] = strings.ToLower(strings.TrimSpace(sum))
	}
	return sums, nil
}
