package gcp

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"
	"sync"

	"cloud.google.com/go/compute/apiv1/computepb"
)

// shape is a machine type's vCPUs and memory.
type shape struct {
	cpus     int32
	memoryMB int64
}

// machineTypes caches machine types per zone for a listing: thousands of instances share a
// handful of types, so each is fetched once.
type machineTypes struct {
	c       *clients
	project string
	mu      sync.Mutex
	seen    map[string]shape
}

func newMachineTypes(c *clients, project string) *machineTypes {
	return &machineTypes{c: c, project: project, seen: map[string]shape{}}
}

// get is the shape of the machine type URL an instance carries
// (…/zones/us-central1-a/machineTypes/n2-standard-4). Custom types (custom-4-16384,
// n2-custom-8-32768-ext) say their shape in their name and are not fetched.
func (m *machineTypes) get(ctx context.Context, zone, typeURL string) (shape, error) {
	name := path.Base(typeURL)
	if s, ok := customShape(name); ok {
		return s, nil
	}
	key := zone + "/" + name
	m.mu.Lock()
	s, ok := m.seen[key]
	m.mu.Unlock()
	if ok {
		return s, nil
	}
	mt, err := m.c.machineTypes.Get(ctx, &computepb.GetMachineTypeRequest{Project: m.project, Zone: zone, MachineType: name})
	if err != nil {
		return shape{}, apiError(err, "read machine type %s in %s", name, zone)
	}
	s = shape{cpus: mt.GetGuestCpus(), memoryMB: int64(mt.GetMemoryMb())}
	m.mu.Lock()
	m.seen[key] = s
	m.mu.Unlock()
	return s, nil
}

// customShape parses [family-]custom-<cpus>-<memoryMB>[-ext].
func customShape(name string) (shape, bool) {
	parts := strings.Split(strings.TrimSuffix(name, "-ext"), "-")
	for i, p := range parts {
		if p != "custom" || len(parts) != i+3 {
			continue
		}
		cpus, err1 := strconv.ParseInt(parts[i+1], 10, 32)
		mem, err2 := strconv.ParseInt(parts[i+2], 10, 64)
		if err1 != nil || err2 != nil || cpus <= 0 || mem <= 0 {
			return shape{}, false
		}
		return shape{cpus: int32(cpus), memoryMB: mem}, true
	}
	return shape{}, false
}

func (s shape) String() string { return fmt.Sprintf("%d vCPUs, %d MB", s.cpus, s.memoryMB) }
