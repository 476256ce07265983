package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/oci/internal/ocifake"
	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// killedMidExport is the plugin binary in a process of its own that is killed -9 at the
// first progress of its ExportImage work request: a crash with the image mid-export.
func killedMidExport(t *testing.T, bin string, c *ocifake.Cloud) *crashing {
	t.Helper()
	p, kill := plugin.LaunchKillable(t, bin)
	cr := &crashing{Provider: p}
	cr.kill = func() {
		kill()
		cr.mu.Lock()
		defer cr.mu.Unlock()
		cr.left[0], cr.left[1], _ = c.Counts()
	}
	return cr
}

type crashing struct {
	provider.Provider
	kill func()
	mu   sync.Mutex
	left [2]int
}

// leftAtKill is how many images and objects existed just after the plugin died.
func (c *crashing) leftAtKill() [2]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.left
}

func (c *crashing) ExportVM(ctx context.Context, spec provider.ExportSpec, r provider.Reporter) (provider.ExportResult, error) {
	return c.Provider.ExportVM(ctx, spec, &killMidExport{Reporter: r, kill: c.kill})
}

// killMidExport passes everything on and kills the plugin at the first progress of the
// image export's work request.
type killMidExport struct {
	provider.Reporter
	kill   func()
	mu     sync.Mutex
	killed bool
}

func (k *killMidExport) Progress(p provider.Progress) {
	k.Reporter.Progress(p)
	k.mu.Lock()
	defer k.mu.Unlock()
	if p.Phase == provider.PhaseExportingInCloud && p.OperationID != "" && !k.killed {
		k.killed = true
		k.kill()
	}
}

// existsIn says whether what a hold names is still there, asking the stand-in.
func existsIn(c *ocifake.Cloud) func(provider.Hold) (bool, error) {
	return func(h provider.Hold) (bool, error) {
		var d struct{ Name, Bucket, Object string }
		if err := json.Unmarshal(h.Data, &d); err != nil {
			return false, fmt.Errorf("hold %s: %v", h.ID, err)
		}
		switch h.Kind {
		case provider.HoldImage:
			return c.HasImageNamed(d.Name), nil
		case provider.HoldObject:
			return c.HasObject(d.Bucket, d.Object), nil
		case provider.HoldGrant:
			return c.HasPARNamed(d.Name), nil
		}
		return false, fmt.Errorf("unknown hold kind %s", h.Kind)
	}
}
