package oci

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

const (
	defaultChunk = 32 << 20
	minChunk     = 1 << 20
	maxChunk     = 64 << 20
)

// download reads the exported object into the job directory: HEAD for its size and ETag,
// then parallel ranged GETs with If-Match, so a replaced object fails rather than mixes.
func (ex *export) download(ctx context.Context) (provider.Artifact, error) {
	ns, bucket, object := ex.s.StagingNamespace, ex.s.StagingBucket, ex.state.Object
	uri := objectURI(ns, bucket, object)
	head, err := ex.c.objects.HeadObject(ctx, objectstorage.HeadObjectRequest{NamespaceName: &ns, BucketName: &bucket, ObjectName: &object})
	if isNotFound(err) {
		return provider.Artifact{}, fmt.Errorf("the export of image %s succeeded but %s does not exist: %w", ex.state.Image, uri, provider.ErrNotFound)
	}
	if err != nil {
		return provider.Artifact{}, apiError(err, "HEAD %s", uri)
	}
	size, etag := deref(head.ContentLength), head.ETag
	name := "disk-0." + strings.ToLower(ex.s.ExportFormat)
	local, err := provider.SafeJoin(ex.spec.Dir, name)
	if err != nil {
		return provider.Artifact{}, err
	}
	chunk := ex.spec.ChunkSize
	if chunk <= 0 {
		chunk = defaultChunk
	}
	chunk = min(max(chunk, minChunk), maxChunk)
	diskName := ex.d.vm.Disks[0].Label
	d := &RangeDownload{
		Get: func(ctx context.Context, off, n int64) (io.ReadCloser, error) {
			return ex.c.getRange(ctx, ns, bucket, object, deref(etag), off, n)
		},
		Path: local, Size: size, Chunk: chunk, Workers: ex.s.DownloadWorkers, Retries: max(ex.spec.MaxRetries, 3),
		Progress: func(done int64) {
			ex.r.Progress(provider.Progress{Phase: provider.PhaseDownloading, Disk: 0, DiskName: diskName, BytesDone: done, BytesTotal: size})
		},
	}
	ex.r.Progress(provider.Progress{Phase: provider.PhaseDownloading, Disk: 0, DiskName: diskName, BytesTotal: size,
		Message: fmt.Sprintf("reading %s with %d parallel ranged GETs", uri, ex.s.DownloadWorkers)})
	if err := d.Run(ctx); err != nil {
		return provider.Artifact{}, fmt.Errorf("download %s: %w", uri, err)
	}
	sum, md5sum, err := fileSums(local)
	if err != nil {
		return provider.Artifact{}, err
	}
	if want := deref(head.ContentMd5); want != "" && want != md5sum {
		return provider.Artifact{}, fmt.Errorf("%s: the downloaded file's MD5 %s is not the object's %s", uri, md5sum, want)
	}
	return provider.Artifact{Path: name, Kind: provider.KindDisk, Format: ex.s.artifactFormat(), Size: size, SHA256: sum, Disk: 0}, nil
}

// fileSums reads a file once for its SHA-256 (the artifact's, hex) and MD5 (the object's
// Content-MD5, base64).
func fileSums(path string) (string, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	h, m := sha256.New(), md5.New()
	if _, err := io.Copy(io.MultiWriter(h, m), f); err != nil {
		return "", "", fmt.Errorf("checksum %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}
