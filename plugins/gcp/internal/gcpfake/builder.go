package gcpfake

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/fsouza/fake-gcs-server/fakestorage"
)

// runBuilder does what gce_vm_image_export documents: the image's disk to -destination_uri,
// as -format (qcow2 here, through qemu-img) or, without it, a tar.gz holding disk.raw.
func (c *Cloud) runBuilder(b *build) error {
	src, _ := b.arg("source_image")
	dest, _ := b.arg("destination_uri")
	format, _ := b.arg("format")
	disk, ok := c.images[src[strings.LastIndexByte(src, '/')+1:]]
	if !ok {
		return fmt.Errorf("source image %q not found", src)
	}
	bucket, object, ok := strings.Cut(strings.TrimPrefix(dest, "gs://"), "/")
	if !ok || !strings.HasPrefix(dest, "gs://") {
		return fmt.Errorf("destination_uri %q is not gs://bucket/object", dest)
	}
	content := c.disks[disk]
	var out []byte
	var err error
	switch format {
	case "":
		out, err = tarGzRaw(content)
	case "qcow2":
		out, err = qcow2Of(c.tmp, content)
	default:
		err = fmt.Errorf("the stand-in builder writes qcow2 or the raw tar.gz, not %q", format)
	}
	if err != nil {
		return err
	}
	b.logs = append(b.logs, fmt.Sprintf("[image-export.export-disk]: GCEExport: Exporting disk of size %dB to %s", len(content), dest))
	if c.SkipObject {
		return nil
	}
	c.GCS.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: bucket, Name: object}, Content: out})
	return nil
}

func tarGzRaw(content []byte) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: "disk.raw", Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(content); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// qcow2Of converts raw bytes to qcow2 with qemu-img, as the builder's worker does.
func qcow2Of(tmp string, content []byte) ([]byte, error) {
	dir, err := os.MkdirTemp(tmp, "qcow2-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir) // only the directory made here
	raw, q := filepath.Join(dir, "disk.raw"), filepath.Join(dir, "disk.qcow2")
	if err := os.WriteFile(raw, content, 0o644); err != nil {
		return nil, err
	}
	if out, err := exec.Command("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, q).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("qemu-img convert: %v: %s", err, out)
	}
	return os.ReadFile(q)
}

// writeLog writes the build's log where Cloud Build does: log-<id>.txt in the logs bucket.
func (c *Cloud) writeLog(b *build) {
	bucket, prefix, _ := strings.Cut(strings.TrimPrefix(b.logsBucket, "gs://"), "/")
	if bucket == "" {
		return
	}
	name := strings.TrimPrefix(prefix+"/log-"+b.id+".txt", "/")
	c.GCS.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: bucket, Name: name},
		Content: []byte(strings.Join(b.logs, "\n") + "\n")})
}
