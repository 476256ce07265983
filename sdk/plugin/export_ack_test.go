package plugin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// holdingProvider records a hold and a checkpoint across the wire before it "creates" anything,
// and stops when the host does not acknowledge them.
type holdingProvider struct {
	provider.UnsupportedPower
	token   []byte
	created chan string // what it went on to create after each acknowledgement
}

func (holdingProvider) Info(context.Context) (provider.Info, error) {
	return provider.Info{Name: "holding", Version: "1"}, nil
}
func (holdingProvider) Configure(context.Context, provider.Config) error { return nil }
func (holdingProvider) ListVMs(context.Context, provider.Filter) ([]provider.VM, error) {
	return nil, nil
}
func (holdingProvider) GetVM(context.Context, string) (provider.VM, error) {
	return provider.VM{}, provider.ErrNotFound
}

func (p holdingProvider) ExportVM(ctx context.Context, spec provider.ExportSpec, r provider.Reporter) (provider.ExportResult, error) {
	snap := provider.Hold{Kind: provider.HoldSnapshot, ID: "snap-1", Description: "snapshot of " + spec.VMID, Data: []byte(`{"region":"r1"}`)}
	if err := r.Hold(ctx, snap); err != nil {
		return provider.ExportResult{}, fmt.Errorf("record snapshot: %w", err)
	}
	p.created <- "snapshot"
	if err := r.Checkpoint(ctx, p.token); err != nil {
		return provider.ExportResult{}, fmt.Errorf("checkpoint: %w", err)
	}
	p.created <- "checkpoint"
	if err := r.Released(ctx, snap); err != nil {
		return provider.ExportResult{}, fmt.Errorf("released: %w", err)
	}
	return provider.ExportResult{VM: provider.VM{ID: spec.VMID}}, nil
}

func (p holdingProvider) Release(context.Context, provider.Hold) error { return nil }

func TestHoldsAndCheckpointsWaitForTheHost(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		refuse      error
		token       []byte
		wantCreated []string
		wantErr     string
		wantHeld    int
	}{
		{name: "acknowledged", token: []byte("offsets"), wantCreated: []string{"snapshot", "checkpoint"}, wantHeld: 0},
		{name: "hold refused", refuse: errors.New("store is read-only"), token: []byte("x"), wantErr: "store is read-only"},
		{name: "checkpoint too large", token: make([]byte, provider.MaxCheckpointBytes+1), wantCreated: []string{"snapshot"}, wantErr: "larger than", wantHeld: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			created := make(chan string, 4)
			p := ConnectInProcess(t, holdingProvider{token: c.token, created: created})
			rec := &providertest.Recorder{Refuse: c.refuse}
			_, err := p.ExportVM(context.Background(), provider.ExportSpec{VMID: "vm-1", Method: provider.MethodRaw, Dir: t.TempDir()}, rec)
			close(created)
			var got []string
			for s := range created {
				got = append(got, s)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.wantCreated) {
				t.Errorf("created %v, want %v", got, c.wantCreated)
			}
			if (err == nil) != (c.wantErr == "") || (err != nil && !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("ExportVM = %v, want error containing %q", err, c.wantErr)
			}
			if n := len(rec.Holds()); n != c.wantHeld {
				t.Errorf("%d holds left recorded, want %d", n, c.wantHeld)
			}
			if c.wantErr == "" && string(rec.LastCheckpoint()) != string(c.token) {
				t.Errorf("checkpoint stored %q, want %q", rec.LastCheckpoint(), c.token)
			}
		})
	}
}

func TestReleaseCrossesTheWire(t *testing.T) {
	t.Parallel()
	p := ConnectInProcess(t, holdingProvider{})
	r, ok := p.(provider.Releaser)
	if !ok {
		t.Fatal("the plugin client is not a provider.Releaser")
	}
	if err := r.Release(context.Background(), provider.Hold{Kind: provider.HoldSnapshot, ID: "snap-1"}); err != nil {
		t.Fatalf("Release: %v", err)
	}
}
