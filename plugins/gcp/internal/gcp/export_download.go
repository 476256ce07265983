package gcp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

const (
	defaultChunk = 16 << 20
	minChunk     = 1 << 20
)

// download reads disk i's object into the job directory and makes its artifact: the qcow2 as
// it is, or disk.raw unpacked sparsely from the builder's tar.gz, with its extents.
func (ex *export) download(ctx context.Context, i int) (provider.Artifact, error) {
	st := ex.disk(i)
	obj := ex.c.storage.Bucket(ex.s.StagingBucket).Object(st.Object)
	attrs, err := obj.Attrs(ctx)
	if isNotFound(err) {
		return provider.Artifact{}, fmt.Errorf("image export build %s succeeded but gs://%s/%s does not exist: %w", st.Build, ex.s.StagingBucket, st.Object, provider.ErrNotFound)
	}
	if err != nil {
		return provider.Artifact{}, apiError(err, "read gs://%s/%s", ex.s.StagingBucket, st.Object)
	}
	name := fmt.Sprintf("disk-%d.qcow2", i)
	if st.Format == "" {
		name = fmt.Sprintf("disk-%d.raw.tar.gz", i)
	}
	local, err := provider.SafeJoin(ex.spec.Dir, name)
	if err != nil {
		return provider.Artifact{}, err
	}
	from := st.Done
	if st.Size != attrs.Size || !fileAtLeast(local, from) {
		from = 0
	}
	if err := ex.update(ctx, i, func(d *diskState) { d.Size, d.Done = attrs.Size, from }); err != nil {
		return provider.Artifact{}, err
	}
	chunk := ex.spec.ChunkSize
	if chunk <= 0 {
		chunk = defaultChunk
	}
	chunk = max(chunk, minChunk)
	d := &rangeDownload{
		obj: obj, path: local, size: attrs.Size, chunk: chunk, workers: ex.s.DownloadWorkers, retries: max(ex.spec.MaxRetries, 3), from: from,
		progress: func(done int64) {
			ex.r.Progress(provider.Progress{Phase: provider.PhaseDownloading, Disk: i, DiskName: ex.diskName(i), BytesDone: done, BytesTotal: attrs.Size})
		},
		mark: func(ctx context.Context, prefix int64) error {
			return ex.update(ctx, i, func(d *diskState) { d.Done = prefix })
		},
		markEvery: markEvery,
	}
	ex.r.Progress(provider.Progress{Phase: provider.PhaseDownloading, Disk: i, DiskName: ex.diskName(i), BytesDone: from, BytesTotal: attrs.Size,
		Message: fmt.Sprintf("reading gs://%s/%s with %d parallel ranged reads", ex.s.StagingBucket, st.Object, ex.s.DownloadWorkers)})
	if err := d.run(ctx); err != nil {
		return provider.Artifact{}, err
	}
	sum, crc, err := fileSums(local)
	if err != nil {
		return provider.Artifact{}, err
	}
	if attrs.CRC32C != 0 && crc != attrs.CRC32C {
		return provider.Artifact{}, fmt.Errorf("gs://%s/%s: the downloaded file's CRC32C %08x is not the object's %08x", ex.s.StagingBucket, st.Object, crc, attrs.CRC32C)
	}
	if st.Format != "" {
		return provider.Artifact{Path: name, Kind: provider.KindDisk, Format: provider.FormatQCOW2, Size: attrs.Size, SHA256: sum, Disk: i}, nil
	}
	return ex.unpackRaw(ctx, i, local)
}

// unpackRaw turns the builder's tar.gz into disk-<i>.raw with its extents.
func (ex *export) unpackRaw(ctx context.Context, i int, archive string) (provider.Artifact, error) {
	name := fmt.Sprintf("disk-%d.raw", i)
	dst, err := provider.SafeJoin(ex.spec.Dir, name)
	if err != nil {
		return provider.Artifact{}, err
	}
	size, err := extractRaw(ctx, archive, dst, func(done, total int64) {
		ex.r.Progress(provider.Progress{Phase: provider.PhaseConverting, Disk: i, DiskName: ex.diskName(i), BytesDone: done, BytesTotal: total, Message: "unpacking disk.raw"})
	})
	if err != nil {
		return provider.Artifact{}, fmt.Errorf("unpack disk %d: %w", i, err)
	}
	removeQuietly(ctx, archive)
	extents, err := provider.FileExtents(dst)
	if err != nil {
		return provider.Artifact{}, fmt.Errorf("extents of %s: %w", name, err)
	}
	return provider.Artifact{Path: name, Kind: provider.KindDisk, Format: provider.FormatRaw, Size: size, Disk: i, Extents: extents, ExtentsKnown: true}, nil
}

// fileSums reads a file once for its SHA-256 (the artifact's) and CRC32C (the object's).
func fileSums(path string) (string, uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	c := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	if _, err := io.Copy(io.MultiWriter(h, c), f); err != nil {
		return "", 0, fmt.Errorf("checksum %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), c.Sum32(), nil
}

func fileAtLeast(path string, n int64) bool {
	st, err := os.Stat(path)
	return err == nil && st.Size() >= n
}
