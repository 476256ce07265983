package gcp

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/hypersdk/hypersdk/plugins/gcp/internal/gcpfake"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// countingRecorder is a Recorder that counts Hold calls by kind (first recordings only).
type countingRecorder struct {
	providertest.Recorder
	mu    sync.Mutex
	kinds map[string]map[string]bool
}

func (r *countingRecorder) Hold(ctx context.Context, h provider.Hold) error {
	r.mu.Lock()
	if r.kinds == nil {
		r.kinds = map[string]map[string]bool{}
	}
	if r.kinds[h.Kind] == nil {
		r.kinds[h.Kind] = map[string]bool{}
	}
	r.kinds[h.Kind][h.ID] = true
	r.mu.Unlock()
	return r.Recorder.Hold(ctx, h)
}

func (r *countingRecorder) count(kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.kinds[kind])
}

func exportSpec(t *testing.T, method string) provider.ExportSpec {
	return provider.ExportSpec{JobID: "job-" + t.Name(), VMID: zoneA + "/web-1", Method: method, Dir: t.TempDir(), ChunkSize: 1 << 20}
}

// leftInCloud fails the test if a snapshot, image, running build or object is left.
func leftInCloud(t *testing.T, c *gcpfake.Cloud) {
	t.Helper()
	snaps, images, running := c.Counts()
	objs, _, err := c.GCS.ListObjectsWithOptions(bucket, fakestorage.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if snaps+images+running+len(objs) > 0 {
		names := []string{}
		for _, o := range objs {
			names = append(names, o.Name)
		}
		t.Errorf("left in the project: %d snapshots, %d images, %d running builds, objects %v", snaps, images, running, names)
	}
}

// A raw export is each disk's bytes, boot disk first, written sparsely with extents; the
// progress names the cloud operations; nothing is left in the project or the bucket.
func TestExportRawIsTheDisks(t *testing.T) {
	c := startCloud(t)
	p := configured(t, c, nil)
	r := &providertest.Recorder{}
	spec := exportSpec(t, provider.MethodRaw)
	res, err := p.ExportVM(context.Background(), spec, r)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{diskBytes(4, 3), diskBytes(3, 11)}
	if len(res.Artifacts) != 2 {
		t.Fatalf("artifacts = %+v", res.Artifacts)
	}
	for i, a := range res.Artifacts {
		got, err := os.ReadFile(filepath.Join(spec.Dir, a.Path))
		if err != nil || !bytes.Equal(got, want[i]) || a.Format != provider.FormatRaw || a.Disk != i || !a.ExtentsKnown {
			t.Errorf("disk %d: %s, %d bytes (%v), format %s, extents known %v; want the disk's %d bytes", i, a.Path, len(got), err, a.Format, a.ExtentsKnown, len(want[i]))
		}
		if err := provider.VerifyFileExtents(filepath.Join(spec.Dir, a.Path), a); err != nil || len(a.Extents) == 0 {
			t.Errorf("disk %d extents %v: %v", i, a.Extents, err)
		}
	}
	phases := map[string]bool{}
	for _, e := range r.Events() {
		phases[e.Phase] = true
		if e.Phase == provider.PhaseExportingInCloud && e.OperationID == "" {
			t.Errorf("cloud progress without an operation id: %+v", e)
		}
	}
	for _, ph := range []string{provider.PhaseSnapshotting, provider.PhaseExportingInCloud, provider.PhaseDownloading, provider.PhaseConverting} {
		if !phases[ph] {
			t.Errorf("no %s progress; saw %v", ph, phases)
		}
	}
	if left := r.Holds(); len(left) > 0 {
		t.Errorf("holds left to the host: %+v", left)
	}
	if entries, _ := os.ReadDir(spec.Dir); len(entries) != 2 {
		t.Errorf("job directory holds %d files, want the 2 disks (the tar.gz removed)", len(entries))
	}
	leftInCloud(t, c)
}

// A qcow2 export is the builder's qcow2; converted back to raw it is the disk.
func TestExportQCOW2ConvertsToTheDisk(t *testing.T) {
	qemu := providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils; make test installs it")
	c := startCloud(t)
	p := configured(t, c, map[string]any{"download_workers": 3})
	spec := exportSpec(t, provider.MethodQCOW2)
	res, err := p.ExportVM(context.Background(), spec, &providertest.Recorder{})
	if err != nil {
		t.Fatal(err)
	}
	a := res.Artifacts[0]
	raw := filepath.Join(t.TempDir(), "boot.raw")
	if out, err := exec.Command(qemu, "convert", "-f", "qcow2", "-O", "raw", filepath.Join(spec.Dir, a.Path), raw).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img convert %s: %v: %s", a.Path, err, out)
	}
	got, _ := os.ReadFile(raw)
	if a.Format != provider.FormatQCOW2 || !bytes.Equal(got, diskBytes(4, 3)) {
		t.Errorf("boot disk artifact %s (%s) converts to %d bytes unlike the disk", a.Path, a.Format, len(got))
	}
	leftInCloud(t, c)
}

// Failures in the cloud are errors saying what went wrong, and what they leave is released.
func TestExportFailures(t *testing.T) {
	for _, tc := range []struct {
		name     string
		set      func(*gcpfake.Cloud)
		sentinel error
		says     []string
	}{
		{"build FAILURE", func(c *gcpfake.Cloud) { c.BuildOutcome = "FAILURE" }, provider.ErrAuth,
			[]string{"FAILURE", "roles/compute.admin", "last log line", "Required 'compute.disks.create' permission"}},
		{"build TIMEOUT", func(c *gcpfake.Cloud) { c.BuildOutcome = "TIMEOUT" }, nil,
			[]string{"TIMEOUT", "build_timeout", "workflow timed out"}},
		{"CreateBuild PERMISSION_DENIED", func(c *gcpfake.Cloud) { c.DenyBuild = true }, provider.ErrAuth,
			[]string{"PERMISSION_DENIED", "roles/cloudbuild.builds.editor"}},
		{"image operation error", func(c *gcpfake.Cloud) { c.ImageError = "QUOTA_EXCEEDED" }, nil,
			[]string{"QUOTA_EXCEEDED"}},
		{"object missing after SUCCESS", func(c *gcpfake.Cloud) { c.SkipObject = true }, provider.ErrNotFound,
			[]string{"succeeded but gs://" + bucket}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := startCloud(t)
			tc.set(c)
			p := configured(t, c, nil)
			r := &providertest.Recorder{}
			_, err := p.ExportVM(context.Background(), exportSpec(t, provider.MethodRaw), r)
			if err == nil || (tc.sentinel != nil && !errors.Is(err, tc.sentinel)) {
				t.Fatalf("ExportVM = %v; want an error wrapping %v", err, tc.sentinel)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			for _, h := range r.Holds() {
				if err := p.Release(context.Background(), h); err != nil {
					t.Errorf("Release(%s %s): %v", h.Kind, h.ID, err)
				}
			}
			leftInCloud(t, c)
		})
	}
}

// shutdown_vm stops the instance for the snapshots and starts it again before the download.
func TestExportShutdownVMStopsAndStarts(t *testing.T) {
	c := startCloud(t)
	p := configured(t, c, nil)
	var mu sync.Mutex
	var states []string
	r := &providertest.Recorder{OnProgress: func(pr provider.Progress) {
		if pr.Phase == provider.PhaseSnapshotting || pr.Phase == provider.PhaseDownloading {
			mu.Lock()
			states = append(states, pr.Phase+":"+c.Status(zoneA, "web-1"))
			mu.Unlock()
		}
	}}
	spec := exportSpec(t, provider.MethodRaw)
	spec.Options.ShutdownVM = true
	if _, err := p.ExportVM(context.Background(), spec, r); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	joined := strings.Join(states, " ")
	mu.Unlock()
	if !strings.Contains(joined, "snapshotting:TERMINATED") || strings.Contains(joined, "downloading:TERMINATED") || c.Status(zoneA, "web-1") != "RUNNING" {
		t.Errorf("instance states %s, now %s; want stopped while snapshotting, running before the download", joined, c.Status(zoneA, "web-1"))
	}
	if len(r.Holds()) > 0 {
		t.Errorf("holds left: %+v", r.Holds())
	}
}

// A power hold left by a crash starts the instance again when released; twice is fine.
func TestReleasePowerStartsTheInstance(t *testing.T) {
	c := startCloud(t)
	p := configured(t, c, nil)
	h := powerHold(project, "europe-west1-b", "db-1")
	for i := 0; i < 2; i++ {
		if err := p.Release(context.Background(), h); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.Status("europe-west1-b", "db-1"); got != "RUNNING" {
		t.Errorf("db-1 is %s after the release, want RUNNING", got)
	}
	if err := p.Release(context.Background(), powerHold("other-project", "europe-west1-b", "db-1")); !errors.Is(err, provider.ErrInvalidArgument) {
		t.Errorf("a hold of another project: %v, want ErrInvalidArgument", err)
	}
}

// The object shrinking under the download (truncated, replaced) fails the export clearly.
func TestExportTruncatedObject(t *testing.T) {
	c := startCloud(t)
	p := configured(t, c, map[string]any{"download_workers": 1})
	var once sync.Once
	r := &providertest.Recorder{OnProgress: func(pr provider.Progress) {
		if pr.Phase != provider.PhaseDownloading {
			return
		}
		once.Do(func() {
			objs, _, _ := c.GCS.ListObjectsWithOptions(bucket, fakestorage.ListOptions{Prefix: "hypersdk/hypersdk-"})
			for _, o := range objs {
				if strings.HasSuffix(o.Name, ".tar.gz") {
					c.GCS.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: bucket, Name: o.Name}, Content: []byte("short")})
				}
			}
		})
	}}
	_, err := p.ExportVM(context.Background(), exportSpec(t, provider.MethodRaw), r)
	if err == nil || !strings.Contains(err.Error(), "changed during the download") {
		t.Fatalf("ExportVM = %v; want the object's change named", err)
	}
}

// An export cancelled mid-download resumes from its checkpoint: disks whose build succeeded
// are not snapshotted again, and the result is the disks.
func TestExportResumesFromCheckpoint(t *testing.T) {
	c := startCloud(t)
	p := configured(t, c, map[string]any{"download_workers": 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := &providertest.Recorder{OnProgress: func(pr provider.Progress) {
		if pr.Phase == provider.PhaseDownloading && pr.BytesDone > 0 {
			cancel()
		}
	}}
	spec := exportSpec(t, provider.MethodRaw)
	if _, err := p.ExportVM(ctx, spec, first); !errors.Is(err, context.Canceled) {
		t.Fatalf("first attempt = %v, want cancelled", err)
	}
	spec.ResumeToken = first.LastCheckpoint()
	again := &countingRecorder{}
	res, err := p.ExportVM(context.Background(), spec, again)
	if err != nil {
		t.Fatal(err)
	}
	if n := again.count(provider.HoldSnapshot); n >= 2 {
		t.Errorf("the resumed export took %d snapshots again; want fewer than the 2 disks", n)
	}
	got, _ := os.ReadFile(filepath.Join(spec.Dir, res.Artifacts[0].Path))
	if !bytes.Equal(got, diskBytes(4, 3)) {
		t.Errorf("resumed boot disk differs from the disk")
	}
	for _, h := range append(first.Holds(), again.Holds()...) {
		if err := p.Release(context.Background(), h); err != nil {
			t.Errorf("Release(%s %s): %v", h.Kind, h.ID, err)
		}
	}
	leftInCloud(t, c)
}

// A job cancelled mid-build cancels the build at once, before any hold is released; the
// snapshot, image and object stay held for the host to release.
func TestCancelledExportCancelsItsBuild(t *testing.T) {
	c := startCloud(t)
	c.BuildPolls = 1000
	p := configured(t, c, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var running int // counted once, by the first disk's build to report it works
	var counted sync.Once
	rec := &providertest.Recorder{OnProgress: func(pr provider.Progress) {
		if pr.Phase == provider.PhaseExportingInCloud && strings.HasPrefix(pr.Message, "build ") && strings.Contains(pr.Message, "WORKING") {
			counted.Do(func() {
				_, _, running = c.Counts()
				cancel()
			})
		}
	}}
	if _, err := p.ExportVM(ctx, exportSpec(t, provider.MethodRaw), rec); !errors.Is(err, context.Canceled) {
		t.Fatalf("export cancelled mid-build = %v", err)
	}
	snaps, images, after := c.Counts()
	if running == 0 || after != 0 {
		t.Fatalf("%d builds running when cancelled, %d after; want them cancelled by the export itself", running, after)
	}
	if snaps == 0 || images == 0 {
		t.Fatalf("%d snapshots, %d images after the cancel: they are the host's to release", snaps, images)
	}
	for _, h := range rec.Holds() {
		if err := p.Release(context.Background(), h); err != nil {
			t.Errorf("Release(%s %s): %v", h.Kind, h.ID, err)
		}
	}
	leftInCloud(t, c)
}
