package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/convert"
	"github.com/hypersdk/hypersdk/core/domainxml"
	"github.com/hypersdk/hypersdk/core/handoff"
	"github.com/hypersdk/hypersdk/core/kvm"
	"github.com/hypersdk/hypersdk/core/metrics"
	"github.com/hypersdk/hypersdk/sdk/diskfile"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// KVMConfig is what the conversion, import and hand-off stages need from the daemon config.
type KVMConfig struct {
	QemuImg       string
	OutputDir     string // hyper2kvm.output_dir: where converted disks go
	DefaultFormat string
	Compression   bool
	Libvirt       kvm.Config
	DomainType    string // kvm or qemu
	NVRAMDir      string
	Network       string // default libvirt network
	Firmware      domainxml.Firmware
	WatchDir      string        // hyper2kvm.watch_dir
	PollInterval  time.Duration // hyper2kvm.poll_interval: how often a hand-off's answer is looked for
	Hyper2KVM     string        // hyper2kvm.path when that executable exists, else ""
	Systemctl     string        // empty when not installed
	Version       string
}

// importedEarlier finds out whether an earlier attempt of this job defined the VM already (it
// was interrupted after libvirt took the domain): the UUID the import chose is recorded before
// it defines. Then the disks in out are the domain's — not to be converted again — and the job
// takes up the result as it was.
func (m *Manager) importedEarlier(ctx context.Context, j *Job, name, out string, log hclog.Logger) (bool, error) {
	if j.Result.DomainUUID == "" {
		return false, nil
	}
	def, found, err := kvm.LookupUUID(ctx, m.kvm.Libvirt, j.Result.DomainUUID)
	if err != nil {
		return false, fmt.Errorf("look for the domain an earlier attempt defined: %w", err)
	}
	if !found {
		j.Result.DomainUUID = "" // that attempt stopped before libvirt took it
		return false, nil
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return false, fmt.Errorf("read the disks of domain %s: %w", def.Name, err)
	}
	j.Result.Converted = nil
	for _, e := range entries {
		switch path := filepath.Join(out, e.Name()); {
		case e.Name() == name+".xml":
			j.Result.DomainXML = path
		case e.Name() != claimFile:
			j.Result.Converted = append(j.Result.Converted, path)
		}
	}
	j.Result.Domain = def.Name
	log.Info("an earlier attempt of this job defined the VM already; keeping it", "domain", def.Name, "uuid", def.UUID)
	if err := releaseOutputDir(out); err != nil {
		log.Warn("cannot drop the job's claim on its output directory", "output_dir", out, "error", err)
	}
	return true, nil
}

// exportSource is the file conversion reads: the OVA, the OVF, or the single VMDK.
func exportSource(j *Job) string {
	if j.Result.OVA != "" {
		return j.Result.OVA
	}
	for _, a := range j.Result.Artifacts {
		if a.Kind == provider.KindDescriptor {
			return a.Path
		}
	}
	for _, a := range j.Result.Artifacts {
		if a.Kind == provider.KindDisk {
			return a.Path
		}
	}
	return ""
}

// convertExport converts every disk of the export at source into outDir, with progress.
func (m *Manager) convertExport(ctx context.Context, j *Job, source, outDir, format string, compress bool, log hclog.Logger) error {
	if m.kvm.QemuImg == "" {
		return fmt.Errorf("%w: qemu-img is not installed (apt-get install qemu-utils)", provider.ErrUnsupported)
	}
	exp, err := m.loadExport(ctx, j, source)
	if err != nil {
		return err
	}
	if err := m.claimOutputDir(j, outDir); err != nil {
		return err
	}
	if j.Result == nil {
		j.Result = &Result{}
	}
	// The provider's picture of the VM (MACs, networks, firmware from its API) beats what a
	// descriptor or a bare disk says; a conversion job of a file has only the latter.
	if len(j.Result.VM.Disks) != len(exp.Disks) {
		j.Result.VM = exp.VM
	}
	j.Result.Converted = nil
	r := m.liveRun(j.ID)
	base := provider.SafeName(j.Result.VM.Name)
	// Disks convert in parallel, one qemu-img per core: each is mostly single-threaded.
	outputs := make([]string, len(exp.Disks))
	errs := make([]error, len(exp.Disks))
	sem := make(chan struct{}, max(runtime.NumCPU(), 1))
	var wg sync.WaitGroup
	for i, src := range exp.Disks {
		out := filepath.Join(outDir, fmt.Sprintf("%s-disk%d.%s", base, i, format))
		total := j.Result.VM.Disks[i].CapacityBytes
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if j.Result.VM.Disks[i].CapacityBytes > 0 && m.adoptStreamed(ctx, j, i, src, format, total, out, log) {
				outputs[i] = out
				m.reportConverted(r, i, out, total)
				return
			}
			if src.Path == "" {
				errs[i] = fmt.Errorf("the provider kept neither the disk nor a usable converted image of it")
				return
			}
			log.Info("converting disk", "disk", i, "source", source, "output", out, "format", format)
			errs[i] = convert.Convert(ctx, m.kvm.QemuImg, src, out, convert.Options{Format: format, Compress: compress}, func(pct float64) {
				if r != nil {
					r.tracker.update(provider.Progress{Phase: StageConverting, Disk: 1000 + i, DiskName: filepath.Base(out),
						BytesDone: int64(pct / 100 * float64(total)), BytesTotal: total}, nowFunc())
				}
			})
			if errs[i] == nil {
				outputs[i] = out
				metrics.BytesConverted.Add(float64(total))
			}
		}()
	}
	wg.Wait()
	dropStreamed(j, log)
	for i, out := range outputs {
		if out != "" {
			j.Result.Converted = append(j.Result.Converted, out)
		}
		if errs[i] != nil && err == nil {
			err = fmt.Errorf("convert disk %d: %w", i, errs[i])
		}
	}
	if err != nil {
		return err
	}
	log.Info("conversion finished", "disks", len(j.Result.Converted), "output_dir", outDir)
	return nil
}

// reportConverted marks disk i converted in the job's progress and metrics.
func (m *Manager) reportConverted(r *run, i int, out string, total int64) {
	if r != nil {
		r.tracker.update(provider.Progress{Phase: StageConverting, Disk: 1000 + i, DiskName: filepath.Base(out), BytesDone: total, BytesTotal: total}, nowFunc())
	}
	metrics.BytesConverted.Add(float64(total))
}

// importVM writes the domain XML beside the converted disks and defines the VM in libvirt.
func (m *Manager) importVM(ctx context.Context, j *Job, o ImportOptions, outDir string, log hclog.Logger) error {
	vm := j.Result.VM
	name := provider.SafeName(vm.Name)
	disks := make([]domainxml.Disk, len(j.Result.Converted))
	for i, p := range j.Result.Converted {
		disks[i] = domainxml.Disk{Path: p, Format: strings.TrimPrefix(filepath.Ext(p), ".")}
	}
	network := o.Network
	if network == "" {
		network = m.kvm.Network
	}
	dom, err := domainxml.Build(vm, domainxml.Options{
		Name: name, DomainType: m.kvm.DomainType, MemoryMB: o.MemoryMB, VCPUs: o.VCPUs, Network: network,
		Disks: disks, NVRAMPath: filepath.Join(m.kvm.NVRAMDir, name+"_VARS.fd"), Firmware: m.kvm.Firmware,
	})
	if err != nil {
		return fmt.Errorf("%w: %v", provider.ErrInvalidArgument, err)
	}
	// The domain's UUID is chosen and recorded before libvirt hears of it, so a retry after a
	// crash recognises the domain as this job's own. The XML goes beside the disks first: once
	// the domain exists, nothing may fail and take its disks with a cleanup.
	dom.UUID = newUUID()
	if _, err := m.update(j.ID, func(rec *Job) error {
		if rec.Result != nil {
			rec.Result.DomainUUID = dom.UUID
		}
		return nil
	}); err != nil {
		return fmt.Errorf("record the domain's UUID: %w", err)
	}
	j.Result.DomainUUID = dom.UUID
	xml, err := dom.Marshal()
	if err != nil {
		return err
	}
	xmlPath := filepath.Join(outDir, name+".xml")
	if err := diskfile.WriteFile(xmlPath, []byte(xml+"\n"), 0o644); err != nil {
		return fmt.Errorf("write the domain XML: %w", err)
	}
	def, err := kvm.Define(ctx, m.kvm.Libvirt, dom, o.Autostart)
	if errors.Is(err, kvm.ErrExists) {
		return fmt.Errorf("define %s in libvirt: %w: %w", name, ErrConflict, err)
	}
	if errors.Is(err, kvm.ErrNoNetwork) {
		// Retrying cannot fix a name clash or a missing network: fail the job at once.
		return fmt.Errorf("define %s in libvirt: %w: %v", name, provider.ErrInvalidArgument, err)
	}
	if err != nil {
		return fmt.Errorf("define %s in libvirt: %w", name, err)
	}
	j.Result.DomainXML = xmlPath
	j.Result.Domain, j.Result.DomainUUID = def.Name, def.UUID
	log.Info("VM defined in libvirt", "domain", def.Name, "uuid", def.UUID, "autostart", def.Autostart, "domain_xml", xmlPath)
	return nil
}

// handOff writes the hyper2kvm manifest for this export into the instance's watch directory.
func (m *Manager) handOff(ctx context.Context, j *Job, log hclog.Logger) error {
	instance := j.Spec.Hyper2KVM.Instance
	if instance == "" {
		instance = j.Spec.Provider
	}
	state := handoff.ServiceState(ctx, m.kvm.Systemctl, instance)
	path, err := handoff.Write(m.kvm.WatchDir, instance, handoff.Manifest{
		JobID: j.ID, VMName: j.Result.VM.Name, Provider: j.Spec.Provider, Source: exportSource(j),
		ExportDir: j.ExportDir, Format: m.kvm.DefaultFormat, Compression: m.kvm.Compression,
		OutputDir: m.kvm.OutputDir, VM: j.Result.VM, Disks: manifestDisks(j), Producer: "hypervisord " + m.kvm.Version,
	})
	if err != nil {
		return fmt.Errorf("hand off to hyper2kvm@%s: %w", instance, err)
	}
	j.Result.Handoff, j.Result.HandoffService, j.Result.HandoffStatus = path, state, handoffWaiting
	if state != handoff.Active {
		log.Warn("hyper2kvm daemon is not active; the manifest waits in its watch directory", "service", handoff.Unit(instance), "state", state, "manifest", path)
	} else {
		log.Info("export handed to hyper2kvm", "service", handoff.Unit(instance), "manifest", path)
	}
	return nil
}

func manifestDisks(j *Job) []handoff.Disk {
	var out []handoff.Disk
	for _, a := range j.Result.Artifacts {
		out = append(out, handoff.Disk{Path: a.Path, Format: a.Format, Size: a.Size, SHA256: a.SHA256})
	}
	return out
}
