package hostfake

import (
	"context"
	"encoding/base64"
	"sort"

	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/psscript"
	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/wsmanfake"
)

// vmRow is one VM as list_vms.ps1 prints it.
type vmRow struct {
	ID                 string    `json:"Id"`
	Name               string    `json:"Name"`
	State              string    `json:"State"`
	ComputerName       string    `json:"ComputerName"`
	Generation         int       `json:"Generation"`
	SecureBoot         bool      `json:"SecureBoot"`
	SecureBootTemplate string    `json:"SecureBootTemplate"`
	ProcessorCount     int       `json:"ProcessorCount"`
	MemoryStartupBytes int64     `json:"MemoryStartupBytes"`
	DynamicMemory      bool      `json:"DynamicMemory"`
	MemoryMaximumBytes int64     `json:"MemoryMaximumBytes"`
	Notes              string    `json:"Notes"`
	Disks              []diskRow `json:"Disks"`
	NICs               []nicRow  `json:"NICs"`
	DVDs               []any     `json:"DVDs"`
}

type diskRow struct {
	Path               string `json:"Path"`
	ControllerType     string `json:"ControllerType"`
	ControllerNumber   int    `json:"ControllerNumber"`
	ControllerLocation int    `json:"ControllerLocation"`
	SizeBytes          int64  `json:"SizeBytes"`
	DiskNumber         *int   `json:"DiskNumber"`
}

type nicRow struct {
	Name       string `json:"Name"`
	MacAddress string `json:"MacAddress"`
	SwitchName string `json:"SwitchName"`
	VlanID     int    `json:"VlanId"`
}

func row(vm *VM) vmRow {
	r := vmRow{ID: vm.ID, Name: vm.Name, State: vm.State, ComputerName: vm.ComputerName, Generation: vm.Generation,
		SecureBoot: vm.SecureBoot, ProcessorCount: vm.CPUs, MemoryStartupBytes: vm.MemoryMB << 20, DynamicMemory: vm.Dynamic,
		MemoryMaximumBytes: vm.MemoryMB << 21, Notes: vm.Notes, Disks: []diskRow{}, NICs: []nicRow{}, DVDs: []any{}}
	if vm.SecureBoot {
		r.SecureBootTemplate = "MicrosoftUEFICertificateAuthority"
	}
	for _, d := range vm.Disks {
		size := d.SizeBytes
		if d.DiskNumber != nil {
			size = 0
		}
		r.Disks = append(r.Disks, diskRow{Path: d.Path, ControllerType: d.ControllerType, ControllerNumber: d.ControllerNumber, ControllerLocation: d.Location, SizeBytes: size, DiskNumber: d.DiskNumber})
	}
	for _, n := range vm.NICs {
		r.NICs = append(r.NICs, nicRow{Name: n.Name, MacAddress: n.MAC, SwitchName: n.Switch, VlanID: n.VLAN})
	}
	return r
}

func (h *Host) listVMs(_ context.Context, params []byte) wsmanfake.Result {
	in, bad := decode[struct {
		ID      string `json:"id"`
		Skip    int    `json:"skip"`
		First   int    `json:"first"`
		Cluster string `json:"cluster"`
	}](h, params)
	if bad != nil {
		return *bad
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if in.ID != "" {
		vm, found := h.vms[in.ID]
		if !found {
			return fail(psscript.ExitNotFound, "no virtual machine with id %s", in.ID)
		}
		return ok(map[string]any{"total": 1, "vms": []vmRow{row(vm)}})
	}
	all := make([]*VM, 0, len(h.vms))
	for _, vm := range h.vms {
		all = append(all, vm)
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Name != all[j].Name {
			return all[i].Name < all[j].Name
		}
		return all[i].ID < all[j].ID
	})
	rows := []vmRow{}
	for i := in.Skip; i < len(all) && i < in.Skip+in.First; i++ {
		rows = append(rows, row(all[i]))
	}
	return ok(map[string]any{"total": len(all), "vms": rows})
}

type vmAndName struct {
	VM   string `json:"vm"`
	Name string `json:"name"`
}

func (h *Host) createCheckpoint(_ context.Context, params []byte) wsmanfake.Result {
	in, bad := decode[vmAndName](h, params)
	if bad != nil {
		return *bad
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, found := h.localVM(in.VM); !found {
		return fail(psscript.ExitNotFound, "no virtual machine with id %s", in.VM)
	}
	if h.checkpoints[in.VM] == nil {
		h.checkpoints[in.VM] = map[string]bool{}
	}
	if !h.checkpoints[in.VM][in.Name] {
		h.made["checkpoint"]++
	}
	h.checkpoints[in.VM][in.Name] = true
	return ok(map[string]string{"id": in.VM + "/" + in.Name, "name": in.Name, "type": "Recovery"})
}

func (h *Host) removeCheckpoint(_ context.Context, params []byte) wsmanfake.Result {
	in, bad := decode[vmAndName](h, params)
	if bad != nil {
		return *bad
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	had := h.checkpoints[in.VM][in.Name]
	delete(h.checkpoints[in.VM], in.Name)
	return ok(map[string]bool{"removed": had})
}

func (h *Host) power(params []byte, state string) wsmanfake.Result {
	in, bad := decode[vmAndName](h, params)
	if bad != nil {
		return *bad
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	vm, found := h.localVM(in.VM)
	if state == "Off" {
		if !found {
			return fail(psscript.ExitNotFound, "no virtual machine with id %s", in.VM)
		}
		was := vm.State
		vm.State = "Off"
		return ok(map[string]string{"was": was, "state": vm.State})
	}
	started := found && (vm.State == "Off" || vm.State == "Saved")
	if started {
		vm.State = "Running"
	}
	return ok(map[string]bool{"started": started})
}

func (h *Host) stopVM(_ context.Context, params []byte) wsmanfake.Result {
	return h.power(params, "Off")
}
func (h *Host) startVM(_ context.Context, params []byte) wsmanfake.Result {
	return h.power(params, "Running")
}

type staging struct {
	File  string `json:"file"`
	Chunk string `json:"chunk"`
}

func (h *Host) stageChunk(_ context.Context, params []byte) wsmanfake.Result {
	in, bad := decode[staging](h, params)
	if bad != nil {
		return *bad
	}
	if !safeFolder(in.File) {
		return fail(psscript.ExitRefused, "refused: staging file name %s", in.File)
	}
	h.mu.Lock()
	h.staged[in.File] += in.Chunk
	n := len(h.staged[in.File])
	h.mu.Unlock()
	return ok(map[string]int{"staged": n})
}

func (h *Host) runStaged(ctx context.Context, params []byte) wsmanfake.Result {
	in, bad := decode[staging](h, params)
	if bad != nil {
		return *bad
	}
	h.mu.Lock()
	text, found := h.staged[in.File]
	delete(h.staged, in.File)
	h.mu.Unlock()
	if !found {
		return h.problem("run_staged of %s, which was never staged", in.File)
	}
	script, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return h.problem("staged script %s is not base64: %v", in.File, err)
	}
	return h.Run(ctx, "", string(script))
}
