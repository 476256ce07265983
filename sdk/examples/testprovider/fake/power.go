package fake

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// powerOnTakes is how long the fake takes to power a VM back on, as a real platform does: long
// enough that a plugin cut off at once would leave the VM off.
const powerOnTakes = 1500 * time.Millisecond

// shutDownForExport "powers off" a VM for an export with shutdown_vm, and returns what powers
// it back on: the pattern of a real provider (vSphere's shutdown_vm), which defers the power-on
// so it runs however the export ends. With power_log set, each change is appended to that file
// (one line "off <vm>" or "on <vm>"), so a test sees from outside the process whether a VM was
// left powered off.
func (p *Provider) shutDownForExport(ctx context.Context, vmID string) (powerOn func(), err error) {
	p.mu.Lock()
	logPath := p.settings.PowerLog
	p.mu.Unlock()
	if err := appendPowerLog(logPath, "off", vmID); err != nil {
		return nil, fmt.Errorf("power off %s: %w", vmID, err)
	}
	provider.Logger(ctx).Info("VM powered off for the export", "vm", vmID)
	return func() {
		time.Sleep(powerOnTakes)
		if err := appendPowerLog(logPath, "on", vmID); err != nil {
			provider.Logger(ctx).Error("cannot power the VM back on", "vm", vmID, "error", err)
			return
		}
		provider.Logger(ctx).Info("VM powered back on", "vm", vmID)
	}, nil
}

func appendPowerLog(path, state, vmID string) error {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(f, "%s %s\n", state, vmID); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
