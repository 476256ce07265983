package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/core/config"
	"github.com/hypersdk/hypersdk/core/logging"
	"github.com/hypersdk/hypersdk/core/store"
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

// The daemon's own folders never block QEMU: with the database, output_dir and base_path under
// one new parent (the demo's ./var), output_dir is made first, so the parent is searchable and
// nothing is warned; a parent that already exists closed is warned about.
func TestWorkDirsLetQEMUReachImportedDisks(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		varExists  os.FileMode // mode of an existing ./var, 0 when the daemon makes it
		wantWarned bool
	}{
		{"a new var", 0, false},
		{"an existing searchable var", 0o711, false},
		{"an existing closed var", 0o750, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			if err := os.Chmod(root, 0o711); err != nil {
				t.Fatal(err)
			}
			varDir := filepath.Join(root, "var")
			if c.varExists != 0 {
				if err := os.Mkdir(varDir, c.varExists); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(varDir, c.varExists); err != nil { // past the umask
					t.Fatal(err)
				}
			}
			var cfg config.Config
			cfg.Hyper2KVM.OutputDir = filepath.Join(varDir, "kvm", "images")
			cfg.Export.BasePath = filepath.Join(varDir, "exports")
			var logged bytes.Buffer
			if err := makeWorkDirs(cfg, logging.New("test", "info", "json", &logged)); err != nil {
				t.Fatal(err)
			}
			db, err := store.Open(filepath.Join(varDir, "hypersdk.db"))
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			closed, err := qemuCannotSearch(cfg.Hyper2KVM.OutputDir)
			if err != nil {
				t.Fatal(err)
			}
			if rel, _ := filepath.Rel(root, closed); closed != "" && filepath.IsLocal(rel) != c.wantWarned {
				t.Errorf("first folder QEMU cannot search: %q", closed)
			}
			if warned := strings.Contains(logged.String(), `"not_searchable":"`+varDir+`"`); warned != c.wantWarned {
				t.Errorf("warned %v, want %v; log: %s", warned, c.wantWarned, logged.String())
			}
			for _, dir := range []string{cfg.Hyper2KVM.OutputDir, cfg.Export.BasePath} {
				if _, err := os.Stat(dir); err != nil {
					t.Error(err)
				}
			}
		})
	}
}
