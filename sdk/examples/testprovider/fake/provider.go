// Package fake is the test provider's implementation: a deterministic inventory of VMs whose
// disks are generated on export, with VMs that panic, hang or exit the process when touched.
package fake

import (
	"context"
	"fmt"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Settings is the providers.testprovider section.
type Settings struct {
	VMCount       int    `json:"vm_count"`
	DiskSizeBytes int64  `json:"disk_size_bytes"`
	ChunkDelay    string `json:"chunk_delay"` // pause after each 64 KiB written, e.g. "5ms"
	ListDelay     string `json:"list_delay"`  // pause before ListVMs answers
	Faults        bool   `json:"faults"`      // also serve vm-panic, vm-hang and vm-exit
	APIToken      string `json:"api_token"`   // a stand-in credential: accepted, never logged
	PowerLog      string `json:"power_log"`   // file where shutdown_vm's power changes are appended
	// Cloud mode (cloud.go): with CloudState set, an export first makes a snapshot and a
	// grant in that state file, as holds, the way a cloud provider does.
	CloudState   string `json:"cloud_state"`
	FailRelease  bool   `json:"fail_release"`   // every release of a hold fails with ErrUnavailable
	DieMidExport bool   `json:"die_mid_export"` // the process exits once its holds exist, before the download ends
	SparseDisk   bool   `json:"sparse_disk"`    // disks written sparsely, reported with their extents (sparse.go)
	// A guest's disks (guest_disks.go): the boot disk marked as one an operating system was
	// installed on, and disks of data beside it.
	BootSector bool `json:"boot_sector"`
	DataDisks  int  `json:"data_disks"`
}

// Provider is the fake provider.
type Provider struct {
	provider.UnsupportedPower
	mu         sync.Mutex
	settings   Settings
	chunkDelay time.Duration
	listDelay  time.Duration
}

var _ provider.Provider = (*Provider)(nil)

// New returns an unconfigured fake provider with three VMs of 1 MiB disks.
func New() *Provider {
	return &Provider{settings: Settings{VMCount: 3, DiskSizeBytes: 1 << 20}}
}

func (p *Provider) Info(context.Context) (provider.Info, error) {
	// It writes raw disks: the other methods are completed by the host.
	caps := []provider.Capability{provider.CapExportRaw, provider.CapShutdownVM}
	if p.cloudPath() != "" {
		caps = append(caps, provider.CapHolds)
	}
	return provider.Info{
		Name: "testprovider", Version: "1.0.0",
		Description:  "fake VMs with generated disks, for tests and as an SDK example",
		Capabilities: caps,
		Config:       schema,
	}, nil
}

func (p *Provider) Configure(ctx context.Context, cfg provider.Config) error {
	s := Settings{VMCount: 3, DiskSizeBytes: 1 << 20}
	if err := cfg.Decode(&s); err != nil {
		return err
	}
	if s.VMCount < 0 || s.DiskSizeBytes <= 0 {
		return fmt.Errorf("%w: vm_count must be >= 0 and disk_size_bytes > 0", provider.ErrInvalidArgument)
	}
	if s.DataDisks < 0 || s.DataDisks > maxDataDisks {
		return fmt.Errorf("%w: data_disks must be 0-%d, got %d", provider.ErrInvalidArgument, maxDataDisks, s.DataDisks)
	}
	chunk, err := parseDelay("chunk_delay", s.ChunkDelay)
	if err != nil {
		return err
	}
	list, err := parseDelay("list_delay", s.ListDelay)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.settings, p.chunkDelay, p.listDelay = s, chunk, list
	p.mu.Unlock()
	provider.Logger(ctx).Info("configured", "vm_count", s.VMCount, "disk_size_bytes", s.DiskSizeBytes)
	return nil
}

func parseDelay(key, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %v", provider.ErrInvalidArgument, key, err)
	}
	return d, nil
}

// inventory builds the VMs from the settings, by id (GetVM and ExportVM look one up).
func (p *Provider) inventory() map[string]provider.VM {
	p.mu.Lock()
	s := p.settings
	p.mu.Unlock()
	vms := map[string]provider.VM{}
	for i := 1; i <= s.VMCount; i++ {
		vm := numberedVM(i, s)
		vms[vm.ID] = vm
	}
	if s.Faults {
		for _, id := range faultIDs {
			vms[id] = fakeVM(id, provider.PowerOff, "DC1", []string{"fault"}, s)
		}
	}
	return vms
}

// faultIDs are the VMs that misbehave when touched, in id order.
var faultIDs = []string{"vm-exit", "vm-hang", "vm-panic"}

// numberedVM is VM i of the inventory: vm-00i, with every third one off.
func numberedVM(i int, s Settings) provider.VM {
	state, tags := provider.PowerOn, []string{"production"}
	if i%3 == 0 {
		state, tags = provider.PowerOff, []string{"test"}
	}
	return fakeVM(fmt.Sprintf("vm-%03d", i), state, "DC1", tags, s)
}

func fakeVM(id, state, dc string, tags []string, s Settings) provider.VM {
	diskSize := s.DiskSizeBytes
	vm := provider.VM{
		ID: id, Name: id, PowerState: state, Datacenter: dc, Folder: "/" + dc + "/vm",
		GuestOS: "debian12_64Guest", CPUs: 2, MemoryMB: 2048, Firmware: provider.FirmwareBIOS,
		Disks: []provider.Disk{{Key: "2000", Label: "Hard disk 1", CapacityBytes: diskSize, Controller: "scsi",
			ControllerModel: "pvscsi", BootOrder: 1, Source: "[datastore1] " + id + "/" + id + ".vmdk"}},
		NICs:   []provider.NIC{{Label: "Network adapter 1", MAC: macFor(id), Network: "VM Network", AdapterType: "vmxnet3"}},
		CDROMs: []provider.CDROM{{Label: "CD/DVD drive 1", ISO: "[datastore1] iso/debian.iso", Connected: true}},
		Tags:   tags,
	}
	vm.Disks = append(vm.Disks, dataDisks(id, s.DataDisks, diskSize)...)
	return vm
}

func macFor(id string) string {
	var h byte
	for _, c := range []byte(id) {
		h = h*31 + c
	}
	return fmt.Sprintf("00:50:56:00:%02x:%02x", h, len(id))
}

// ListVMs collects ListVMPages (list_pages.go).
func (p *Provider) ListVMs(ctx context.Context, f provider.Filter) ([]provider.VM, error) {
	return provider.CollectVMPages(ctx, p, f)
}

func matches(vm provider.VM, f provider.Filter) bool {
	if f.Datacenter != "" && f.Datacenter != vm.Datacenter {
		return false
	}
	if f.PowerState != "" && f.PowerState != vm.PowerState {
		return false
	}
	if f.Folder != "" && !strings.HasPrefix(vm.Folder, f.Folder) {
		return false
	}
	if f.NamePattern != "" {
		if ok, _ := path.Match(f.NamePattern, vm.Name); !ok {
			return false
		}
	}
	return provider.MatchTags(vm.Tags, f.Tags)
}

func (p *Provider) GetVM(ctx context.Context, id string) (provider.VM, error) {
	p.misbehave(ctx, id)
	vm, ok := p.inventory()[id]
	if !ok {
		return provider.VM{}, fmt.Errorf("vm %q: %w", id, provider.ErrNotFound)
	}
	return vm, nil
}

// misbehave does what the fault VMs are for. vm-hang ignores the context on purpose: it is how a
// wedged provider looks to the host.
func (p *Provider) misbehave(ctx context.Context, id string) {
	switch id {
	case "vm-panic":
		panic("testprovider: vm-panic touched")
	case "vm-exit":
		provider.Logger(ctx).Error("vm-exit touched, exiting")
		os.Exit(3)
	case "vm-hang":
		provider.Logger(ctx).Warn("vm-hang touched, hanging")
		select {}
	}
}
