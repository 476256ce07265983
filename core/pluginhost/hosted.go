package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// callTimeout bounds calls other than ExportVM, so a hung plugin fails the request instead of
// holding it forever; exports are bounded by the job's own timeout.
const callTimeout = 2 * time.Minute

// exitGrace is how long to wait, after a call failed, for the plugin process to be seen dead;
// the connection breaks a moment before the process is reaped.
const exitGrace = 300 * time.Millisecond

// hosted is the provider.Provider the rest of the daemon uses: every call goes to the current
// plugin process, and failures are named after the plugin and classified (ErrPluginExited when
// the process died under the call).
type hosted struct {
	in *instance
}

var (
	_ provider.Provider        = hosted{}
	_ provider.PowerController = hosted{}
	_ provider.Releaser        = hosted{}
)

func (h hosted) call(ctx context.Context, op string, bounded bool, fn func(context.Context, provider.Provider) error) error {
	if bounded {
		if _, has := ctx.Deadline(); !has {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, callTimeout)
			defer cancel()
		}
	}
	p, client, err := h.in.current(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err = fn(ctx, p)
	if err == nil {
		return nil
	}
	if ctx.Err() == nil && !isProviderVerdict(err) {
		deadline := time.Now().Add(exitGrace)
		for !client.Exited() && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if client.Exited() {
			h.in.notifyExited()
			return fmt.Errorf("provider %s: %s: %w (%v)", h.in.name, op, provider.ErrPluginExited, err)
		}
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return fmt.Errorf("provider %s: %s: plugin did not answer in time: %w", h.in.name, op, err)
	}
	return fmt.Errorf("provider %s: %s: %w", h.in.name, op, err)
}

// isProviderVerdict reports errors the provider itself returned on purpose.
func isProviderVerdict(err error) bool {
	for _, s := range []error{provider.ErrNotFound, provider.ErrInvalidArgument, provider.ErrAuth, provider.ErrUnsupported, provider.ErrNotConfigured} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// Info answers from what the plugin said when it last became ready (refreshed at each restart),
// so a request that checks a capability or a filter does not cost a round trip, nor fail while
// the plugin restarts.
func (h hosted) Info(ctx context.Context) (info provider.Info, err error) {
	if info, ok := h.in.cachedInfo(); ok {
		return info, nil
	}
	err = h.call(ctx, "info", true, func(ctx context.Context, p provider.Provider) (e error) {
		info, e = p.Info(ctx)
		return e
	})
	return info, err
}

func (h hosted) Configure(ctx context.Context, cfg provider.Config) error {
	return h.call(ctx, "configure", true, func(ctx context.Context, p provider.Provider) error { return p.Configure(ctx, cfg) })
}

func (h hosted) ListVMs(ctx context.Context, f provider.Filter) (vms []provider.VM, err error) {
	err = h.call(ctx, "list VMs", true, func(ctx context.Context, p provider.Provider) (e error) {
		vms, e = p.ListVMs(ctx, f)
		return e
	})
	return vms, err
}

func (h hosted) GetVM(ctx context.Context, id string) (vm provider.VM, err error) {
	err = h.call(ctx, "get VM "+id, true, func(ctx context.Context, p provider.Provider) (e error) {
		vm, e = p.GetVM(ctx, id)
		return e
	})
	return vm, err
}

func (h hosted) ExportVM(ctx context.Context, spec provider.ExportSpec, r provider.Reporter) (res provider.ExportResult, err error) {
	err = h.call(ctx, "export VM "+spec.VMID, false, func(ctx context.Context, p provider.Provider) (e error) {
		res, e = p.ExportVM(ctx, spec, r)
		return e
	})
	return res, err
}

func (h hosted) SetPowerState(ctx context.Context, id, state string) error {
	return h.call(ctx, "set power state of "+id, true, func(ctx context.Context, p provider.Provider) error {
		pc, ok := p.(provider.PowerController)
		if !ok {
			return fmt.Errorf("set power state: %w", provider.ErrUnsupported)
		}
		return pc.SetPowerState(ctx, id, state)
	})
}

func (h hosted) Release(ctx context.Context, hold provider.Hold) error {
	return h.call(ctx, "release "+hold.Kind+" "+hold.ID, true, func(ctx context.Context, p provider.Provider) error {
		r, ok := p.(provider.Releaser)
		if !ok {
			return fmt.Errorf("release: %w", provider.ErrUnsupported)
		}
		return r.Release(ctx, hold)
	})
}
