package azure

import (
	"context"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
)

// sizeCache answers a VM size's vCPUs and memory from the location's size list, fetched once
// per location: a listing of a thousand VMs costs a call per region, not per VM.
type sizeCache struct {
	client *armcompute.VirtualMachineSizesClient
	mu     sync.Mutex
	byLoc  map[string]map[string]vmSize
}

type vmSize struct {
	cores    int32
	memoryMB int64
}

func newSizeCache(c *armcompute.VirtualMachineSizesClient) *sizeCache {
	return &sizeCache{client: c, byLoc: map[string]map[string]vmSize{}}
}

// lookup returns the size's hardware; ok is false when the location does not list it (a size
// retired since) — the VM is still listed, with no vCPU or memory figure.
func (c *sizeCache) lookup(ctx context.Context, location, size string) (vmSize, bool, error) {
	loc := strings.ToLower(location)
	c.mu.Lock()
	m, have := c.byLoc[loc]
	c.mu.Unlock()
	if !have {
		m = map[string]vmSize{}
		pager := c.client.NewListPager(location, nil)
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				return vmSize{}, false, armError("list the VM sizes of "+location, err)
			}
			for _, s := range page.Value {
				if s == nil || s.Name == nil {
					continue
				}
				m[strings.ToLower(*s.Name)] = vmSize{cores: deref(s.NumberOfCores), memoryMB: int64(deref(s.MemoryInMB))}
			}
		}
		c.mu.Lock()
		c.byLoc[loc] = m
		c.mu.Unlock()
	}
	s, ok := m[strings.ToLower(size)]
	return s, ok, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
