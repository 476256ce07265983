package convert

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// Member is one file inside an OVA, located by byte range so it can be read in place.
type Member struct {
	Name   string
	Offset int64
	Size   int64
}

// maxMembers bounds how many entries an OVA may have; real ones have a handful.
const maxMembers = 10000

// IndexOVA lists an OVA's members without extracting anything. Only plain regular files with
// simple relative names are accepted: links, devices, absolute names and ".." are refused,
// since an archive is input from outside.
func IndexOVA(p string) ([]Member, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var members []Member
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read OVA %s: %w", p, err)
		}
		if len(members) >= maxMembers {
			return nil, fmt.Errorf("OVA %s has more than %d members", p, maxMembers)
		}
		if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeRegA {
			return nil, fmt.Errorf("OVA %s: member %q is not a regular file", p, h.Name)
		}
		name := h.Name
		if name == "" || path.IsAbs(name) || path.Clean(name) != name || name == ".." || strings.HasPrefix(name, "../") || strings.Contains(name, "\\") {
			return nil, fmt.Errorf("OVA %s: member name %q is not a plain relative path", p, h.Name)
		}
		off, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, err
		}
		members = append(members, Member{Name: name, Offset: off, Size: h.Size})
	}
	return members, nil
}

// ReadMember returns the bytes of a small member (a descriptor), refusing large ones.
func ReadMember(p string, m Member, limit int64) ([]byte, error) {
	if m.Size > limit {
		return nil, fmt.Errorf("OVA member %s is %d bytes, more than %d", m.Name, m.Size, limit)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, m.Size)
	if _, err := f.ReadAt(buf, m.Offset); err != nil {
		return nil, err
	}
	return buf, nil
}
