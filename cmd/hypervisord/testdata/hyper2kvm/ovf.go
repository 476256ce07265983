package main

import (
	"archive/tar"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ovfDisk is one disk an OVF descriptor lists, in DiskSection order (the first is the boot disk).
type ovfDisk struct {
	ID, Href string
}

// envelope is the part of an OVF descriptor the stand-in reads; tags match whatever their namespace.
type envelope struct {
	Files []struct {
		ID   string `xml:"id,attr"`
		Href string `xml:"href,attr"`
	} `xml:"References>File"`
	Disks []struct {
		DiskID  string `xml:"diskId,attr"`
		FileRef string `xml:"fileRef,attr"`
	} `xml:"DiskSection>Disk"`
}

// readOVF lists the disk files of an OVF descriptor, as paths beside it.
func readOVF(path string) ([]ovfDisk, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var env envelope
	if err := xml.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("parse OVF %s: %w", path, err)
	}
	hrefs := map[string]string{}
	for _, f := range env.Files {
		hrefs[f.ID] = f.Href
	}
	var disks []ovfDisk
	for _, d := range env.Disks {
		href, ok := hrefs[d.FileRef]
		if !ok {
			return nil, fmt.Errorf("OVF %s: disk %s refers to file %q, which References does not list", path, d.DiskID, d.FileRef)
		}
		if strings.Contains(href, "://") || filepath.IsAbs(href) || strings.Contains(href, "..") {
			return nil, fmt.Errorf("OVF %s: disk file %q is not a file beside the descriptor", path, href)
		}
		p := filepath.Join(filepath.Dir(path), href)
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("OVF %s: disk %s: %w", path, d.DiskID, err)
		}
		disks = append(disks, ovfDisk{ID: d.DiskID, Href: p})
	}
	if len(disks) == 0 {
		return nil, fmt.Errorf("OVF %s lists no disks", path)
	}
	return disks, nil
}

// extractOVA unpacks an OVA (a tar) into dir and returns the descriptor's path.
func extractOVA(path, dir string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tr := tar.NewReader(f)
	descriptor := ""
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("read OVA %s: %w", path, err)
		}
		name := filepath.Base(h.Name)
		if h.Typeflag != tar.TypeReg || name != h.Name {
			return "", fmt.Errorf("OVA %s: unexpected member %q", path, h.Name)
		}
		out, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return "", err
		}
		_, err = io.Copy(out, tr)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", fmt.Errorf("extract %s from %s: %w", name, path, err)
		}
		if strings.HasSuffix(strings.ToLower(name), ".ovf") && descriptor == "" {
			descriptor = filepath.Join(dir, name)
		}
	}
	if descriptor == "" {
		return "", fmt.Errorf("OVA %s holds no .ovf descriptor", path)
	}
	return descriptor, nil
}
