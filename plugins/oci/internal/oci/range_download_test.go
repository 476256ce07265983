package oci

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/hypersdk/hypersdk/plugins/oci/internal/ocifake"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Signed ranged GETs with If-Match read an object exactly (sizes that do and do not divide
// into chunks); an object replaced mid-download fails the download with ErrObjectChanged
// rather than mixing two objects, and a missing one likewise.
func TestRangeDownload(t *testing.T) {
	t.Parallel()
	c := ocifake.Start(t)
	p := configured(t, c, nil)
	cl, s, _, err := p.configured()
	if err != nil {
		t.Fatal(err)
	}
	ns, bucket := s.StagingNamespace, s.StagingBucket
	cases := []struct {
		name, object string
		size         int
		replace      bool
		missing      bool
		want         error
	}{
		{"whole chunks", "a.qcow2", 4 << 20, false, false, nil},
		{"a short last chunk", "b.qcow2", 3<<20 + 12345, false, false, nil},
		{"replaced mid-download", "c.qcow2", 8 << 20, true, false, ErrObjectChanged},
		{"missing", "d.qcow2", 1 << 20, false, true, ErrObjectChanged},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := diskBytes(tc.size>>20+1, byte(tc.size))[:tc.size]
			etag := ""
			if !tc.missing {
				c.PutObject(tc.object, data)
				head, err := cl.objects.HeadObject(context.Background(), objectstorage.HeadObjectRequest{NamespaceName: &ns, BucketName: &bucket, ObjectName: &tc.object})
				if err != nil || deref(head.ContentLength) != int64(tc.size) {
					t.Fatalf("HEAD = %v, %v", head.ContentLength, err)
				}
				etag = deref(head.ETag)
			}
			var once sync.Once
			d := &RangeDownload{Path: filepath.Join(t.TempDir(), "disk"), Size: int64(tc.size), Chunk: 1 << 20, Workers: 2, Retries: 3,
				Get: func(ctx context.Context, off, n int64) (io.ReadCloser, error) {
					return cl.getRange(ctx, ns, bucket, tc.object, etag, off, n)
				},
				Progress: func(int64) {
					if tc.replace {
						once.Do(func() { c.PutObject(tc.object, []byte("another object")) })
					}
				}}
			err := d.Run(context.Background())
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("Run = %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(d.Path)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("the file differs from the object (%v)", err)
			}
		})
	}
}

// Info declares the method the configured export format writes natively.
func TestInfoFollowsExportFormat(t *testing.T) {
	t.Parallel()
	c := ocifake.Start(t)
	for format, want := range map[string]provider.Capability{"QCOW2": provider.CapExportQCOW2, "vmdk": provider.CapExportVMDK} {
		info, err := configured(t, c, map[string]any{"export_format": format}).Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		has := map[provider.Capability]bool{}
		for _, cp := range info.Capabilities {
			has[cp] = true
		}
		if !has[want] || has[provider.CapExportQCOW2] && has[provider.CapExportVMDK] {
			t.Errorf("export_format %s: capabilities %v, want %s alone of the two", format, info.Capabilities, want)
		}
	}
}
