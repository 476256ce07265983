// Package hostfake plays a Hyper-V host behind the WS-Management fake (package wsmanfake): it
// recognises each script the provider sends by its body (package psscript) — a script it does
// not know is a problem the tests fail on, so the provider and this fake cannot drift — and
// answers from a model of virtual machines, checkpoints and export jobs. An export job copies
// the VM's VHDX files into the export folder under a local directory, the one a real Samba
// smbd serves as the export share. For the provider's tests, its benchmark and its stand-in.
package hostfake

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/psscript"
	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/wsmanfake"
)

// VM is a virtual machine of the model, in Hyper-V's own terms.
type VM struct {
	ID, Name     string
	State        string // Running, Off, Saved, Paused
	ComputerName string
	Generation   int
	SecureBoot   bool
	CPUs         int
	MemoryMB     int64
	Dynamic      bool
	Notes        string
	Disks        []Disk
	NICs         []NIC
}

// Disk is a virtual hard disk drive. File is the local file holding its VHDX bytes; a
// pass-through disk has DiskNumber set and no File.
type Disk struct {
	Path             string // as the host names it: C:\VMs\vm1\disk0.vhdx
	File             string
	ControllerType   string // SCSI or IDE
	ControllerNumber int
	Location         int
	SizeBytes        int64
	DiskNumber       *int
}

// NIC is a network adapter.
type NIC struct {
	Name, MAC, Switch string
	VLAN              int
}

// Options configure the host.
type Options struct {
	// Root is the export root as the host names it (D:\HyperSDK\Export); ShareDir is the local
	// directory standing for it, which smbd serves.
	Root, ShareDir string
	// ExportTime is how long an export job runs before it completes (its percent grows).
	ExportTime time.Duration
	// Fail, when it returns a result, answers the script with it instead (name is the
	// script's name, params its raw JSON).
	Fail func(name string, params []byte) *wsmanfake.Result
}

// Host is the model.
type Host struct {
	o Options

	mu          sync.Mutex
	vms         map[string]*VM
	checkpoints map[string]map[string]bool // vm id -> names
	jobs        map[string]*exportJob
	staged      map[string]string // file -> text
	ran         []string
	made        map[string]int // checkpoints and export jobs made (not found again)
	texts       []string       // every script text received, staged pieces included
	problems    []string
	seq         int
}

// New returns a host with no VMs.
func New(o Options) *Host {
	if o.Root == "" {
		o.Root = `D:\HyperSDK\Export`
	}
	return &Host{o: o, made: map[string]int{}, vms: map[string]*VM{}, checkpoints: map[string]map[string]bool{}, jobs: map[string]*exportJob{}, staged: map[string]string{}}
}

// AddVM adds (or replaces) a VM.
func (h *Host) AddVM(vm VM) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if vm.ComputerName == "" {
		vm.ComputerName = localName
	}
	h.vms[vm.ID] = &vm
}

// VM returns a copy of a VM of the model.
func (h *Host) VM(id string) (VM, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	vm, ok := h.vms[id]
	if !ok {
		return VM{}, false
	}
	return *vm, true
}

// Checkpoints lists a VM's checkpoints.
func (h *Host) Checkpoints(vmID string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var names []string
	for n := range h.checkpoints[vmID] {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Made counts what the host made anew: "checkpoint" and "export" (an export job started); a
// script that found its checkpoint or export job from an earlier call made nothing.
func (h *Host) Made() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return map[string]int{"checkpoint": h.made["checkpoint"], "export": h.made["export"]}
}

// Ran lists the scripts run, by name, in order (a staged script once, by its own name).
func (h *Host) Ran() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.ran...)
}

// Texts lists the text of every script received, in order.
func (h *Host) Texts() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.texts...)
}

// Problems lists scripts the host did not know or could not read: a test fails on any.
func (h *Host) Problems() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.problems...)
}

// Run is the wsmanfake.Runner of the host.
func (h *Host) Run(ctx context.Context, _ string, script string) wsmanfake.Result {
	h.mu.Lock()
	h.texts = append(h.texts, script)
	h.mu.Unlock()
	body, params, err := psscript.Parse(script)
	if err != nil {
		return h.problem("%v", err)
	}
	name := psscript.Identify(body)
	if name == "" {
		return h.problem("unknown script (no fixture answers it): %.300q", body)
	}
	h.mu.Lock()
	if name != psscript.StageChunk && name != psscript.RunStaged {
		h.ran = append(h.ran, name)
	}
	h.mu.Unlock()
	if h.o.Fail != nil {
		if r := h.o.Fail(name, params); r != nil {
			return *r
		}
	}
	handle, ok := handlers[name]
	if !ok {
		return h.problem("script %s has no fixture in hostfake", name)
	}
	return handle(h, ctx, params)
}

func (h *Host) problem(format string, args ...any) wsmanfake.Result {
	msg := fmt.Sprintf(format, args...)
	h.mu.Lock()
	h.problems = append(h.problems, msg)
	h.mu.Unlock()
	return wsmanfake.Result{Code: 1, Stderr: "hostfake: " + msg}
}

// handlers answer each script (set in init: run_staged runs scripts through them); init
// checks every script has one.
var handlers map[string]func(*Host, context.Context, []byte) wsmanfake.Result

func init() {
	handlers = map[string]func(*Host, context.Context, []byte) wsmanfake.Result{
		psscript.ListVMs:          (*Host).listVMs,
		psscript.CreateCheckpoint: (*Host).createCheckpoint,
		psscript.RemoveCheckpoint: (*Host).removeCheckpoint,
		psscript.StartExport:      (*Host).startExport,
		psscript.ExportStatus:     (*Host).exportStatus,
		psscript.RemoveExport:     (*Host).removeExport,
		psscript.StopVM:           (*Host).stopVM,
		psscript.StartVM:          (*Host).startVM,
		psscript.StageChunk:       (*Host).stageChunk,
		psscript.RunStaged:        (*Host).runStaged,
	}
	for _, n := range psscript.Names() {
		if _, ok := handlers[n]; !ok {
			panic("hostfake: script " + n + " has no fixture")
		}
	}
}

func ok(v any) wsmanfake.Result {
	raw, err := json.Marshal(v)
	if err != nil {
		return wsmanfake.Result{Code: 1, Stderr: err.Error()}
	}
	return wsmanfake.Result{Stdout: string(raw) + "\r\n"}
}

func fail(code int, format string, args ...any) wsmanfake.Result {
	return wsmanfake.Result{Code: code, Stderr: fmt.Sprintf(format, args...) + "\r\n"}
}

func decode[T any](h *Host, params []byte) (T, *wsmanfake.Result) {
	var v T
	if err := json.Unmarshal(params, &v); err != nil {
		r := h.problem("parameters %s: %v", params, err)
		return v, &r
	}
	return v, nil
}

// safeFolder is what the scripts accept as an export folder or a staging file name.
func safeFolder(name string) bool {
	if !strings.HasPrefix(name, "hypersdk-") || path.Base(name) != name {
		return false
	}
	for _, r := range name {
		if !(r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// localName is the host's own computer name: a VM with another ComputerName runs on another
// node of its cluster, which only list_vms (Get-VM -ComputerName over the cluster's nodes)
// sees; the other scripts run Get-VM on this host alone, as the real ones do.
const localName = "HV01"

// localVM is the VM with that id on this host itself (h.mu held).
func (h *Host) localVM(id string) (*VM, bool) {
	vm, found := h.vms[id]
	if !found || !strings.EqualFold(vm.ComputerName, localName) {
		return nil, false
	}
	return vm, true
}
