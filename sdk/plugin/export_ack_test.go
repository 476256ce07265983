package plugin

import (
	"bytes"
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
	token    []byte
	created  chan string        // what it went on to create after each acknowledgement
	released chan provider.Hold // what Release received
	refuse   error              // what Release answers
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

func (p holdingProvider) Release(_ context.Context, h provider.Hold) error {
	if p.released != nil {
		p.released <- h
	}
	return p.refuse
}

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

// TestReleaseCrossesTheWire checks that the provider receives the hold the host releases, every
// field of it, and that its answer comes back as the same sentinel.
func TestReleaseCrossesTheWire(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		hold   provider.Hold
		refuse error
	}{
		{"every field", provider.Hold{Kind: provider.HoldGrant, ID: "grant-7", Description: "SAS grant on disk-2", Data: []byte(`{"disk":"disk-2","region":"westeurope"}`)}, nil},
		{"no description or data", provider.Hold{Kind: provider.HoldSnapshot, ID: "snap-1"}, nil},
		{"binary data", provider.Hold{Kind: provider.HoldOther, ID: "x", Data: []byte{0, 1, 0xff, '\n'}}, nil},
		{"refused", provider.Hold{Kind: provider.HoldPower, ID: "vm-3"}, provider.ErrAuth},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			released := make(chan provider.Hold, 1)
			p := ConnectInProcess(t, holdingProvider{released: released, refuse: c.refuse})
			r, ok := p.(provider.Releaser)
			if !ok {
				t.Fatal("the plugin client is not a provider.Releaser")
			}
			err := r.Release(context.Background(), c.hold)
			if c.refuse == nil && err != nil || c.refuse != nil && !errors.Is(err, c.refuse) {
				t.Fatalf("Release = %v, want %v", err, c.refuse)
			}
			select {
			case got := <-released:
				if got.Kind != c.hold.Kind || got.ID != c.hold.ID || got.Description != c.hold.Description || !bytes.Equal(got.Data, c.hold.Data) {
					t.Errorf("the provider released %+v, the host sent %+v", got, c.hold)
				}
			default:
				t.Fatal("Release returned without the provider's Release being called")
			}
		})
	}
}
