// Package vcsim is a vCenter for tests and demos: govmomi's simulator, extended with the
// methods hypervisord needs that it lacks (VirtualMachine.ExportVm, OvfManager.CreateDescriptor)
// and serving real disk bytes — a streamOptimized VMDK per VM disk, made by qemu-img from
// generated content — over an NFC endpoint that honours Range requests and can be told to fail.
// The vSphere provider embeds it (providers.vsphere.simulator: true) and cmd/hypersdk-vcsim
// serves it as a standalone binary.
package vcsim

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator" // tagging REST API
	"github.com/vmware/govmomi/vim25/types"

	"github.com/hypersdk/hypersdk/sdk/tempdir"
)

// Options shape the simulated inventory.
type Options struct {
	VMs       int    // VMs in the one datacenter, DC0
	DiskBytes int64  // capacity of each VM's disk
	Dir       string // where datastores and disks live; a temporary directory when empty
	// NamePrefix renames the VMs <prefix>001, <prefix>002… (e.g. "test-vm-", the names of the
	// user workflow document's integration script); empty keeps the simulator's DC0_C0_RP0_VM0….
	NamePrefix string
	// DisksPerVM gives every VM this many disks (default 1), each of DiskBytes.
	DisksPerVM int
	// DataKiBPerMiB is how many KiB at the start of every MiB of each disk hold pseudo-random
	// data, the rest staying zero and sparse: 64 when 0 (the simulator's sparse disks, 1/16
	// full); 768 makes the dense disks of the export benchmark (3/4 full); 1024 fills them.
	DataKiBPerMiB int
}

// Faults make the NFC endpoint misbehave the way real vCenters and networks do.
type Faults struct {
	DropAfterBytes     int64 // close the connection once, after this many body bytes of one download
	IgnoreRange        bool  // answer ranged GETs with 200 and the whole file
	ServiceUnavailable int   // answer the next N downloads with 503
	ExpireLease        bool  // answer downloads with 404, as for an expired lease
	// GuestShutdown is how long a guest asked to shut down (ShutdownGuest) takes to power off;
	// negative: it never does, as a guest that ignores the request. Zero: at once (the stock
	// simulator).
	GuestShutdown time.Duration
}

// Simulator is a running vCenter simulator.
type Simulator struct {
	model  *simulator.Model
	server *simulator.Server
	tmpDir string

	mu     sync.Mutex
	faults Faults
	leases map[string]map[string]string // lease id → file name → local path
	gets   int                          // disk download requests served
	disks  map[string][]diskImage       // VM name → its disks
	nextID int
	// guestShutdowns counts the slow guests' ShutdownGuest calls; timers power them off.
	guestShutdowns int
	timers         []*time.Timer
}

// Start builds the inventory, writes the disks and starts serving on 127.0.0.1.
func Start(ctx context.Context, opts Options) (*Simulator, error) {
	if opts.VMs < 1 || opts.DiskBytes < 1<<20 {
		return nil, fmt.Errorf("vcsim: need at least 1 VM and 1 MiB disks, got %d VMs of %d bytes", opts.VMs, opts.DiskBytes)
	}
	if opts.DataKiBPerMiB == 0 {
		opts.DataKiBPerMiB = 64
	}
	if opts.DataKiBPerMiB < 0 || opts.DataKiBPerMiB > 1024 {
		return nil, fmt.Errorf("vcsim: data per MiB of disk must be 1 to 1024 KiB, got %d", opts.DataKiBPerMiB)
	}
	tempdir.Sweep("govcsim-", "hypersdk-vcsim-") // what simulators killed with -9 left
	s := &Simulator{leases: map[string]map[string]string{}, disks: map[string][]diskImage{}}
	m := simulator.VPX()
	m.Host, m.Cluster, m.ClusterHost, m.Machine = 0, 1, 1, opts.VMs
	if err := m.Create(); err != nil {
		return nil, fmt.Errorf("vcsim: create model: %w", err)
	}
	s.model = m
	if err := tempdir.Claim(modelHome(m)); err != nil {
		s.Close()
		return nil, fmt.Errorf("vcsim: %w", err)
	}
	m.Service.RegisterEndpoints = true
	m.Service.Listen = &url.URL{Host: "127.0.0.1:0"}
	m.Service.HandleFunc(nfcPath, s.serveNFC)
	s.extend()
	s.rename(opts.NamePrefix)
	s.server = m.Service.NewServer()
	if err := s.addDisks(ctx, opts.DisksPerVM-1); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.writeDisks(ctx, opts); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.tagVMs(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// URL is the SDK endpoint, without credentials.
func (s *Simulator) URL() *url.URL {
	u := *s.server.URL
	u.User = nil
	return &u
}

// Username and Password log in to the simulator.
func (s *Simulator) Username() string { return simulator.DefaultLogin.Username() }

// Password is the simulator's password.
func (s *Simulator) Password() string {
	p, _ := simulator.DefaultLogin.Password()
	return p
}

// SetFaults replaces the faults in force.
func (s *Simulator) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// Downloads counts the disk download requests served so far.
func (s *Simulator) Downloads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets
}

// VMNames lists the simulated VMs.
func (s *Simulator) VMNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for n := range s.disks {
		names = append(names, n)
	}
	return names
}

// RawDisk returns the path of the raw image a VM's disk was made from, to compare exports with.
func (s *Simulator) RawDisk(vmName string, disk int) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.disks[vmName]
	if disk < 0 || disk >= len(d) {
		return "", fmt.Errorf("vcsim: vm %q has no disk %d", vmName, disk)
	}
	return d[disk].raw, nil
}

// Close stops the server and removes the simulator's files.
func (s *Simulator) Close() {
	s.stopGuests()
	if s.server != nil {
		s.server.Close()
	}
	if s.model != nil {
		s.model.Remove()
	}
	s.removeDisks()
}

// modelHome is the temporary directory govmomi made for the model's datastores.
func modelHome(m *simulator.Model) string {
	for _, o := range m.Map().OptionManager().Setting {
		if v := o.GetOptionValue(); v.Key == "vcsim.home" {
			if home, ok := v.Value.(string); ok {
				return home
			}
		}
	}
	return ""
}

// rename gives the VMs numbered names in their original name order.
func (s *Simulator) rename(prefix string) {
	if prefix == "" {
		return
	}
	var vms []*simulator.VirtualMachine
	for _, obj := range s.model.Map().All("VirtualMachine") {
		vms = append(vms, obj.(*simulator.VirtualMachine))
	}
	sort.Slice(vms, func(i, j int) bool { return vms[i].Name < vms[j].Name })
	for i, vm := range vms {
		name := fmt.Sprintf("%s%03d", prefix, i+1)
		vm.Name, vm.Config.Name, vm.Summary.Config.Name = name, name, name
	}
}

func (s *Simulator) vmRef(name string) (types.ManagedObjectReference, bool) {
	for _, obj := range s.model.Map().All("VirtualMachine") {
		if vm, ok := obj.(*simulator.VirtualMachine); ok && vm.Name == name {
			return vm.Self, true
		}
	}
	return types.ManagedObjectReference{}, false
}
