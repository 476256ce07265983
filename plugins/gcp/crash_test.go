package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/gcp/internal/gcpfake"
	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// killedMidBuild is the plugin binary in a process of its own that is killed -9 as soon as its
// export reports the progress of the build it holds: a crash with the snapshot, the image and
// a running build left behind.
func killedMidBuild(t *testing.T, bin string, c *gcpfake.Cloud) *crashing {
	t.Helper()
	p, kill := plugin.LaunchKillable(t, bin)
	cr := &crashing{Provider: p}
	cr.kill = func() {
		kill()
		cr.mu.Lock()
		defer cr.mu.Unlock()
		cr.left[0], cr.left[1], cr.left[2] = c.Counts()
	}
	return cr
}

// leftAtKill is how many snapshots, images and running builds existed when the plugin died.
func (c *crashing) leftAtKill() [3]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.left
}

type crashing struct {
	provider.Provider
	kill func()
	mu   sync.Mutex
	left [3]int
}

func (c *crashing) ExportVM(ctx context.Context, spec provider.ExportSpec, r provider.Reporter) (provider.ExportResult, error) {
	return c.Provider.ExportVM(ctx, spec, &killMidBuild{Reporter: r, kill: c.kill})
}

// killMidBuild passes everything on and kills the plugin at the first progress event of the
// build it holds.
type killMidBuild struct {
	provider.Reporter
	kill          func()
	mu            sync.Mutex
	build, killed bool
}

func (k *killMidBuild) Hold(ctx context.Context, h provider.Hold) error {
	err := k.Reporter.Hold(ctx, h)
	if h.Kind == "build" {
		k.mu.Lock()
		k.build = true
		k.mu.Unlock()
	}
	return err
}

func (k *killMidBuild) Progress(p provider.Progress) {
	k.Reporter.Progress(p)
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.build && p.OperationID != "" && !k.killed { // the build's own progress: it exists
		k.killed = true
		k.kill()
	}
}

// existsIn says whether what a hold names is still there, asking the stand-in and
// fake-gcs-server.
func existsIn(c *gcpfake.Cloud) func(provider.Hold) (bool, error) {
	return func(h provider.Hold) (bool, error) {
		if h.Kind != provider.HoldObject {
			return c.Has(h.Kind, h.ID), nil
		}
		var d struct{ Bucket, Object string }
		if err := json.Unmarshal(h.Data, &d); err != nil || d.Object == "" {
			return false, fmt.Errorf("object hold %s names no object: %v", h.ID, err)
		}
		_, err := c.GCS.GetObject(d.Bucket, d.Object)
		return err == nil, nil
	}
}
