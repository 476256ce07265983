package api

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// GET /parse-vmdk opens only a regular file under the roots: a named pipe (which would block
// the open forever), a directory or a link to either is a 400 naming path, answered at once.
func TestParseVMDKRefusesWhatIsNotARegularFile(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	fifo := filepath.Join(base, "fifo.vmdk")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("cannot make a FIFO here: %v", err)
	}
	if err := os.Symlink(fifo, filepath.Join(base, "link-to-fifo.vmdk")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(base, "dir.vmdk"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "junk.vmdk"), []byte("not a descriptor"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := testServer(t, Deps{FileRoots: []string{base}})
	cases := []struct {
		name, path string
		code       int
		errCode    string
		field      string
	}{
		{"a named pipe", "fifo.vmdk", 400, "invalid_field", "path"},
		{"a symlink to a named pipe", "link-to-fifo.vmdk", 400, "invalid_field", "path"},
		{"a directory", "dir.vmdk", 400, "invalid_field", "path"},
		{"a regular file that is no descriptor", "junk.vmdk", 400, "invalid_vmdk", "path"},
		{"a missing file", "none.vmdk", 404, "not_found", "path"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			type answer struct {
				code int
				body string
				err  ErrorDetail
			}
			done := make(chan answer, 1)
			go func() {
				code, body, e := send(t, h, testRequest{method: "GET", path: "/parse-vmdk?path=" + c.path})
				done <- answer{code, body, e}
			}()
			select {
			case a := <-done:
				if a.code != c.code || a.err.Code != c.errCode || a.err.Field != c.field {
					t.Errorf("GET /parse-vmdk?path=%s = %d %s, want %d %s naming %q", c.path, a.code, a.body, c.code, c.errCode, c.field)
				}
			case <-time.After(5 * time.Second):
				// Free the handler blocked in open(2) on the FIFO by becoming its writer.
				if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					w.Close()
				}
				t.Fatalf("GET /parse-vmdk?path=%s did not answer within 5s", c.path)
			}
		})
	}
}
