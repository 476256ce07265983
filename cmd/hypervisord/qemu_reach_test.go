package main

import (
	"os"
	"path/filepath"
	"testing"
)

// The start-up check names the first directory libvirt's QEMU user could not search.
func TestQemuCannotSearch(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		modes []os.FileMode // of root, root/a, root/a/b
		want  string        // "" or the path below root it names
	}{
		{"all searchable", []os.FileMode{0o711, 0o755, 0o711}, ""},
		{"the output directory closed", []os.FileMode{0o711, 0o755, 0o750}, "a/b"},
		{"a parent closed", []os.FileMode{0o711, 0o700, 0o711}, "a"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			out := filepath.Join(root, "a", "b")
			if err := os.MkdirAll(out, 0o755); err != nil {
				t.Fatal(err)
			}
			for i, dir := range []string{root, filepath.Join(root, "a"), out} {
				if err := os.Chmod(dir, c.modes[i]); err != nil {
					t.Fatal(err)
				}
			}
			got, err := qemuCannotSearch(out)
			if err != nil {
				t.Fatal(err)
			}
			// Above root (the test's temporary folders) is not the test's: compare only below it.
			if rel, _ := filepath.Rel(root, got); got != "" && c.want == "" && filepath.IsLocal(rel) || c.want != "" && got != filepath.Join(root, c.want) {
				t.Errorf("qemuCannotSearch = %q, want %q", got, c.want)
			}
		})
	}
	if _, err := qemuCannotSearch(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing directory gave no error")
	}
}
