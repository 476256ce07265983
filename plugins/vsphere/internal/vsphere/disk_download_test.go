package vsphere

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

// A convert-only download of something that is not a streamOptimized VMDK falls back to
// keeping the disk file, so nothing is lost.
func TestConvertOnlyFallsBackToTheFile(t *testing.T) {
	body := bytes.Repeat([]byte("not a vmdk "), 100_000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer srv.Close()
	u, _ := url.Parse(srv.URL + "/disk-0.vmdk")
	dir := t.TempDir()
	d := download{client: srv.Client(), url: u, path: filepath.Join(dir, "vm-disk0.vmdk"), chunk: 64 << 10, maxRetries: 1,
		estimate: int64(len(body)), progress: func(int64, int64) {},
		convertTo: "qcow2", convertPath: filepath.Join(dir, "vm-disk0.qcow2"), convertOnly: true}
	got, err := d.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.converted || got.size != int64(len(body)) || got.sha256 == "" {
		t.Fatalf("got %+v", got)
	}
	if b, err := os.ReadFile(d.path); err != nil || !bytes.Equal(b, body) {
		t.Fatalf("disk file: %d bytes, %v", len(b), err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.qcow2*")); len(left) != 0 {
		t.Errorf("failed conversion left %v", left)
	}
}
