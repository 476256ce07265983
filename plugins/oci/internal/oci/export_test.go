package oci

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/plugins/oci/internal/ocifake"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

func exportSpec(t *testing.T, vm string) provider.ExportSpec {
	return provider.ExportSpec{JobID: "job-1", VMID: vm, Method: provider.MethodQCOW2, Dir: t.TempDir(), ChunkSize: 1 << 20}
}

// sameDisk checks that the exported qcow2 holds the instance's boot volume, byte for byte.
func sameDisk(t *testing.T, qcow2 string, want []byte) {
	t.Helper()
	raw := filepath.Join(t.TempDir(), "want.raw")
	if err := os.WriteFile(raw, want, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("qemu-img", "compare", "-f", "raw", "-F", "qcow2", raw, qcow2).CombinedOutput(); err != nil {
		t.Fatalf("the exported disk is not the boot volume: %v %s", err, out)
	}
}

// A successful export, with and without a PAR: the qcow2 artifact is the boot volume, read
// with ranged GETs; the work request's percentComplete is the progress; the block volume not
// exported is named; the image, the PAR and the object are deleted and their holds released.
func TestExportSucceeds(t *testing.T) {
	t.Parallel()
	providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils")
	for _, usePAR := range []bool{false, true} {
		t.Run(map[bool]string{false: "bucket by name", true: "through a PAR"}[usePAR], func(t *testing.T) {
			t.Parallel()
			c, x := startCloud(t)
			p := configured(t, c, map[string]any{"use_par": usePAR, "download_workers": 3})
			spec := exportSpec(t, x.web)
			rec := &providertest.Recorder{}
			res, err := p.ExportVM(context.Background(), spec, rec)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Artifacts) != 1 || res.Artifacts[0].Format != provider.FormatQCOW2 || len(res.VM.Disks) != 1 {
				t.Fatalf("result = %+v", res)
			}
			if len(res.NotExported) != 1 || res.NotExported[0].Disk.Label != "web-1-data" || res.NotExported[0].Reason == "" {
				t.Errorf("the result's not-exported disks = %+v, want the block volume web-1-data with a reason", res.NotExported)
			}
			sameDisk(t, filepath.Join(spec.Dir, res.Artifacts[0].Path), diskBytes(4, 3))
			var percents []float64
			named := false
			for _, ev := range rec.Events() {
				if ev.Phase == provider.PhaseExportingInCloud && ev.OperationID != "" {
					percents = append(percents, ev.Percent)
				}
				named = named || strings.Contains(ev.Message, "web-1-data")
			}
			if len(percents) < 2 || percents[len(percents)-1] != 100 {
				t.Errorf("work request progress = %v, want it to reach 100", percents)
			}
			if !named {
				t.Error("no progress message names the block volume web-1-data that was not exported")
			}
			if c.Made().RangedGets < 2 {
				t.Errorf("%d ranged GETs, want one per MiB", c.Made().RangedGets)
			}
			if left := rec.Holds(); len(left) > 0 {
				t.Errorf("holds left: %+v", left)
			}
			if images, objects, pars := c.Counts(); images+objects+pars > 0 || c.Made().ImagesCreated != 1 || c.Made().Exports != 1 {
				t.Errorf("left %d images, %d objects, %d PARs; made %d images, %d exports", images, objects, pars, c.Made().ImagesCreated, c.Made().Exports)
			}
		})
	}
}

// What cannot be exported is refused before anything is made, with a message that says why.
func TestExportRefusals(t *testing.T) {
	t.Parallel()
	c, x := startCloud(t)
	c.AddSourceImage(ocifake.SourceImage{ID: "ocid1.image.oc1.iad.market", Name: "Vendor-Appliance", OS: "Linux", CreateImageAllowed: false})
	market := c.AddInstance(ocifake.Instance{Name: "appliance-1", SourceImage: "ocid1.image.oc1.iad.market", Boot: diskBytes(1, 1)})
	platform := c.AddInstance(ocifake.Instance{Name: "win-1", Boot: diskBytes(1, 2),
		ExportRefusal: "Image export is not supported for images created from Platform images or Marketplace images"})
	strict := configured(t, c, map[string]any{"require_all_disks": true})
	lax := configured(t, c, nil)
	cases := []struct {
		name string
		p    *Provider
		vm   string
		want string
	}{
		{"block volume with require_all_disks", strict, x.web, "web-1-data"},
		{"Marketplace source image", lax, market, "Marketplace"},
		{"Platform image refused by ExportImage", lax, platform, "Platform or Marketplace"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &providertest.Recorder{}
			_, err := tc.p.ExportVM(context.Background(), exportSpec(t, tc.vm), rec)
			if !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ExportVM = %v, want ErrUnsupported saying %q", err, tc.want)
			}
			for _, h := range rec.Holds() {
				if err := tc.p.Release(context.Background(), h); err != nil {
					t.Errorf("Release(%s): %v", h.ID, err)
				}
			}
		})
	}
	if images, objects, _ := c.Counts(); images+objects > 0 || c.Made().Exports != 0 {
		t.Errorf("refused exports left %d images, %d objects, made %d exports", images, objects, c.Made().Exports)
	}
}

// A work request that fails fails the export with its errors; one that stalls fails it as
// unavailable after stall_timeout. Both leave holds that Release undoes.
func TestExportWorkRequestFailsOrStalls(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		setup func(*ocifake.Cloud)
		want  string
		is    error
	}{
		{"fails", func(c *ocifake.Cloud) { c.ExportFails = "the bucket is full" }, "the bucket is full", nil},
		{"stalls", func(c *ocifake.Cloud) { c.StallAt = 37 }, "stalled at 37%", provider.ErrUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, x := startCloud(t)
			tc.setup(c)
			c.ExportTime = 200 * time.Millisecond
			p := configured(t, c, map[string]any{"stall_timeout": "300ms", "release_wait": "0s"})
			rec := &providertest.Recorder{}
			_, err := p.ExportVM(context.Background(), exportSpec(t, x.worker), rec)
			if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Fatalf("ExportVM = %v, want an error saying %q", err, tc.want)
			}
			if tc.name == "stalls" {
				// An image still exporting cannot be deleted yet: Release says so and is retried.
				var img provider.Hold
				for _, h := range rec.Holds() {
					if h.Kind == provider.HoldImage {
						img = h
					}
				}
				if err := p.Release(context.Background(), img); !errors.Is(err, provider.ErrUnavailable) {
					t.Fatalf("Release of the image mid-export = %v, want ErrUnavailable", err)
				}
				c.Unstall()
			}
			for _, h := range rec.Holds() {
				for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
					err := p.Release(context.Background(), h)
					if err == nil {
						break
					}
					if !errors.Is(err, provider.ErrUnavailable) || time.Now().After(deadline) {
						t.Fatalf("Release(%s %s): %v", h.Kind, h.ID, err)
					}
				}
			}
			if images, objects, _ := c.Counts(); images+objects > 0 {
				t.Errorf("left %d images, %d objects", images, objects)
			}
		})
	}
}

// An export stopped mid-work-request resumes from its checkpoint on the same image and work
// request; one whose host lost the image's OCID (a crash right after CreateImage) sends
// CreateImage again with the checkpointed OpcRetryToken and gets the same image back.
func TestExportResumes(t *testing.T) {
	t.Parallel()
	providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils")
	t.Run("mid work request", func(t *testing.T) {
		t.Parallel()
		c, x := startCloud(t)
		p := configured(t, c, nil)
		ctx, cancel := context.WithCancel(context.Background())
		first := &providertest.Recorder{OnProgress: func(ev provider.Progress) {
			if ev.Phase == provider.PhaseExportingInCloud {
				cancel()
			}
		}}
		spec := exportSpec(t, x.worker)
		if _, err := p.ExportVM(ctx, spec, first); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled export = %v", err)
		}
		spec.ResumeToken = first.LastCheckpoint()
		second := &providertest.Recorder{}
		res, err := p.ExportVM(context.Background(), spec, second)
		if err != nil {
			t.Fatal(err)
		}
		sameDisk(t, filepath.Join(spec.Dir, res.Artifacts[0].Path), diskBytes(6, 9))
		if c.Made().ImagesCreated != 1 || c.Made().Exports != 1 {
			t.Errorf("%d images and %d exports made; want the first attempt's, resumed", c.Made().ImagesCreated, c.Made().Exports)
		}
	})
	t.Run("staged object gone", func(t *testing.T) {
		t.Parallel()
		c, x := startCloud(t)
		p := configured(t, c, nil)
		ctx, cancel := context.WithCancel(context.Background())
		first := &providertest.Recorder{OnProgress: func(ev provider.Progress) {
			if ev.Phase == provider.PhaseDownloading {
				cancel()
			}
		}}
		spec := exportSpec(t, x.worker)
		if _, err := p.ExportVM(ctx, spec, first); !errors.Is(err, context.Canceled) {
			t.Fatalf("export cancelled while downloading = %v", err)
		}
		c.RemoveObjects()
		spec.ResumeToken = first.LastCheckpoint()
		res, err := p.ExportVM(context.Background(), spec, &providertest.Recorder{})
		if err != nil {
			t.Fatalf("resumed export whose staged object is gone = %v; want it exported again", err)
		}
		sameDisk(t, filepath.Join(spec.Dir, res.Artifacts[0].Path), diskBytes(6, 9))
		if c.Made().ImagesCreated != 2 || c.Made().Exports != 2 {
			t.Errorf("%d images and %d exports made; want a second of each", c.Made().ImagesCreated, c.Made().Exports)
		}
		if images, objects, _ := c.Counts(); images+objects > 0 {
			t.Errorf("left %d images, %d objects", images, objects)
		}
	})
	t.Run("create answer lost", func(t *testing.T) {
		t.Parallel()
		c, x := startCloud(t)
		p := configured(t, c, nil)
		first := &loseImageID{Recorder: &providertest.Recorder{}}
		spec := exportSpec(t, x.worker)
		if _, err := p.ExportVM(context.Background(), spec, first); err == nil || c.Made().ImagesCreated != 1 {
			t.Fatalf("export = %v with %d images made; want it stopped after CreateImage", err, c.Made().ImagesCreated)
		}
		spec.ResumeToken = first.LastCheckpoint()
		if _, err := p.ExportVM(context.Background(), spec, &providertest.Recorder{}); err != nil {
			t.Fatal(err)
		}
		if c.Made().ImagesCreated != 1 {
			t.Errorf("%d images made; the retry token should have returned the first", c.Made().ImagesCreated)
		}
		if images, objects, _ := c.Counts(); images+objects > 0 {
			t.Errorf("left %d images, %d objects", images, objects)
		}
	})
}

// loseImageID refuses to record the image's OCID on its hold: the export stops right after
// CreateImage answered, as a crash there would.
type loseImageID struct {
	*providertest.Recorder
	mu sync.Mutex
}

func (l *loseImageID) Hold(ctx context.Context, h provider.Hold) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h.Kind == provider.HoldImage && strings.Contains(string(h.Data), `"image":"ocid1.image`) {
		return errors.New("the host is gone")
	}
	return l.Recorder.Hold(ctx, h)
}
