package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hypersdk/hypersdk/core/domainxml"
	"github.com/hypersdk/hypersdk/core/kvm"
	"github.com/hypersdk/hypersdk/sdk/diskfile"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// importStep defines the converted VM in libvirt (unless an interrupted attempt did).
type importStep struct{ noCleanup }

func (importStep) Run(ctx context.Context, st *State) (int64, error) {
	_, out, _, _, err := conversionOf(st)
	if err != nil {
		return 0, err
	}
	if st.Result.Domain == "" {
		// A daemon that died mid-import resumes here: the domain it may have defined is known
		// by the UUID recorded before define, and must be kept, not defined again.
		done, err := importedEarlier(ctx, st, provider.SafeName(st.Result.VM.Name), out)
		if err != nil {
			return 0, err
		}
		if !done {
			if err := importVM(ctx, st, *st.Spec.Import, out); err != nil {
				return 0, err
			}
		}
	}
	releaseLogged(st, out)
	return 0, nil
}

// importedEarlier finds out whether an earlier attempt of this job defined the VM already (it
// was interrupted after libvirt took the domain): the UUID the import chose is recorded before
// it defines. Then the disks in out are the domain's — not to be converted again — and the job
// takes up the result as it was.
func importedEarlier(ctx context.Context, st *State, name, out string) (bool, error) {
	if st.Result.DomainUUID == "" {
		return false, nil
	}
	def, found, err := kvm.LookupUUID(ctx, st.Env.KVM.Libvirt, st.Result.DomainUUID)
	if err != nil {
		return false, fmt.Errorf("look for the domain an earlier attempt defined: %w", err)
	}
	if !found {
		st.Result.DomainUUID = "" // that attempt stopped before libvirt took it
		return false, nil
	}
	files, err := outputFiles(out)
	if err != nil {
		return false, fmt.Errorf("read the disks of domain %s: %w", def.Name, err)
	}
	st.Result.Converted = nil
	for _, path := range files {
		if filepath.Base(path) == name+".xml" {
			st.Result.DomainXML = path
		} else {
			st.Result.Converted = append(st.Result.Converted, path)
		}
	}
	st.Result.Domain = def.Name
	st.Log.Info("an earlier attempt of this job defined the VM already; keeping it", "domain", def.Name, "uuid", def.UUID)
	releaseLogged(st, out)
	return true, nil
}

// importVM writes the domain XML beside the converted disks and defines the VM in libvirt.
func importVM(ctx context.Context, st *State, o ImportOptions, outDir string) error {
	vm := st.Result.VM
	name := provider.SafeName(vm.Name)
	disks := make([]domainxml.Disk, len(st.Result.Converted))
	for i, p := range st.Result.Converted {
		disks[i] = domainxml.Disk{Path: p, Format: strings.TrimPrefix(filepath.Ext(p), ".")}
	}
	network := o.Network
	if network == "" {
		network = st.Env.KVM.Network
	}
	dom, err := domainxml.Build(vm, domainxml.Options{
		Name: name, DomainType: st.Env.KVM.DomainType, MemoryMB: o.MemoryMB, VCPUs: o.VCPUs, Network: network,
		Disks: disks, NVRAMPath: filepath.Join(st.Env.KVM.NVRAMDir, name+"_VARS.fd"), Firmware: st.Env.KVM.Firmware,
	})
	if err != nil {
		return fmt.Errorf("%w: %v", provider.ErrInvalidArgument, err)
	}
	// The domain's UUID is chosen and recorded before libvirt hears of it, so a retry after a
	// crash recognises the domain as this job's own. The XML goes beside the disks first: once
	// the domain exists, nothing may fail and take its disks with a cleanup.
	dom.UUID = kvm.NewUUID()
	st.Result.DomainUUID = dom.UUID
	if err := st.Save(); err != nil {
		return fmt.Errorf("record the domain's UUID: %w", err)
	}
	xml, err := dom.Marshal()
	if err != nil {
		return err
	}
	xmlPath := filepath.Join(outDir, name+".xml")
	if err := diskfile.WriteFile(xmlPath, []byte(xml+"\n"), 0o644); err != nil {
		return fmt.Errorf("write the domain XML: %w", err)
	}
	def, err := kvm.Define(ctx, st.Env.KVM.Libvirt, dom, o.Autostart)
	if errors.Is(err, kvm.ErrExists) {
		return fmt.Errorf("define %s in libvirt: %w: %w", name, ErrConflict, err)
	}
	if errors.Is(err, kvm.ErrNoNetwork) {
		// Retrying cannot fix a missing network: fail the job at once.
		return fmt.Errorf("define %s in libvirt: %w: %v", name, provider.ErrInvalidArgument, err)
	}
	if err != nil {
		return fmt.Errorf("define %s in libvirt: %w", name, err)
	}
	st.Result.DomainXML = xmlPath
	st.Result.Domain, st.Result.DomainUUID = def.Name, def.UUID
	st.Log.Info("VM defined in libvirt", "domain", def.Name, "uuid", def.UUID, "autostart", def.Autostart, "domain_xml", xmlPath)
	return nil
}
