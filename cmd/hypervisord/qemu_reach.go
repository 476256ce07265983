package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// qemuCannotSearch names the first directory at or above dir that other users may not
// search, or "" when there is none. libvirt runs QEMU as its own user (libvirt-qemu on Debian),
// which opens an imported VM's disks under hyper2kvm.output_dir: a directory it cannot search
// lets the daemon import the VM and then fails its start with "Permission denied".
func qemuCannotSearch(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return "", fmt.Errorf("check %s: %w", d, err)
		}
		if st.Mode().Perm()&0o001 == 0 {
			return d, nil
		}
		if d == filepath.Dir(d) {
			return "", nil
		}
	}
}
