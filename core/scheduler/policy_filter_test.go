package scheduler

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/sdk/examples/testprovider/fake"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// upgraded is the test provider with the filters its Info declares changeable, as after a
// plugin upgrade that stopped honouring one.
type upgraded struct {
	*fake.Provider
	mu      sync.Mutex
	filters []string
}

func (u *upgraded) Info(ctx context.Context) (provider.Info, error) {
	info, err := u.Provider.Info(ctx)
	u.mu.Lock()
	defer u.mu.Unlock()
	info.Filters = u.filters
	return info, err
}

func (u *upgraded) honour(filters ...string) { u.mu.Lock(); u.filters = filters; u.mu.Unlock() }

type oneProvider struct {
	name string
	p    provider.Provider
}

func (o oneProvider) Provider(name string) (provider.Provider, error) {
	if name != o.name {
		return nil, fmt.Errorf("no provider %q", name)
	}
	return o.p, nil
}

// A policy whose filter its provider no longer honours fails its run and submits nothing,
// instead of backing up every VM the unfiltered listing returns.
func TestPolicyRunRefusesAFilterTheProviderStoppedHonouring(t *testing.T) {
	t.Parallel()
	prov := &upgraded{Provider: fake.New()}
	if err := prov.Configure(context.Background(), provider.Config{}); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fj := &fakeJobs{}
	s := New(st, fj, oneProvider{"tp", prov}, events.NewBus(), t.TempDir(), "tp", &fakeClock{now: time.Now()}, hclog.NewNullLogger())

	p, err := s.CreatePolicy(Policy{Name: "by-folder", Schedule: "@daily", VMFilter: VMFilter{Folder: "/DC1/vm/none-here"}})
	if err != nil {
		t.Fatalf("CreatePolicy with a filter the provider honours: %v", err)
	}
	prov.honour(provider.FilterDatacenter, provider.FilterTags)
	ids, err := s.RunPolicy(context.Background(), p.ID)
	var fe *provider.FilterError
	if !errors.As(err, &fe) || fe.Field != provider.FilterFolder || len(ids) != 0 || fj.count() != 0 {
		t.Fatalf("RunPolicy = %v, %v (%d submitted); want a refusal of vm_filter.folder and nothing submitted", ids, err, fj.count())
	}
	got, _ := s.GetPolicy(p.ID)
	if !strings.Contains(got.LastError, "vm_filter.folder: is not supported by provider tp") {
		t.Errorf("last_error = %q, want it to say why", got.LastError)
	}
	_, err = s.CreatePolicy(Policy{Name: "by-folder-2", Schedule: "@daily", VMFilter: VMFilter{Folder: "/DC1/vm"}})
	var jfe *jobs.FieldError
	if !errors.As(err, &jfe) || jfe.Field != "vm_filter.folder" {
		t.Errorf("CreatePolicy now = %v, want a 400 on vm_filter.folder", err)
	}
}
