package hyperv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/psscript"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// exportRun is one attempt at exporting one VM.
type exportRun struct {
	st   *state
	spec provider.ExportSpec
	r    provider.Reporter
	row  vmRow
	vm   provider.VM
	tok  resumeToken
	name string // of the checkpoint and the export folder
	// holds made (or found from an earlier attempt), in the order they were recorded
	holds []provider.Hold
}

// ExportVM exports the VM from a production checkpoint: the host exports the checkpoint into a
// folder of the job's own under export_path, and the VHDX files are read from export_share over
// SMB3 into spec.Dir. The checkpoint, the folder and a VM shut down for shutdown_vm are holds,
// undone here on success; an attempt resumed from its token finds them again.
func (p *Provider) ExportVM(ctx context.Context, spec provider.ExportSpec, r provider.Reporter) (provider.ExportResult, error) {
	var res provider.ExportResult
	if err := spec.Validate(); err != nil {
		return res, err
	}
	st, err := p.configured()
	if err != nil {
		return res, err
	}
	row, err := st.row(ctx, spec.VMID)
	if err != nil {
		return res, err
	}
	if err := exportable(row); err != nil {
		return res, err
	}
	x := &exportRun{st: st, spec: spec, r: r, row: row, vm: row.vm(), tok: parseToken(spec.ResumeToken, strings.ToLower(row.ID))}
	x.name = x.tok.name(spec.JobID)
	if err := x.shutdown(ctx); err != nil {
		return res, x.onAnotherNode(err)
	}
	if err := x.checkpoint(ctx); err != nil {
		return res, x.onAnotherNode(err)
	}
	files, err := x.export(ctx)
	if err != nil {
		return res, err
	}
	arts, err := x.download(ctx, files)
	if err != nil {
		return res, err
	}
	x.undoAll(ctx)
	return provider.ExportResult{VM: x.vm, Artifacts: arts}, nil
}

// onAnotherNode explains a VM that the cluster's listing found but the host's own scripts do
// not: it runs on another node of the cluster, and exports run on host only.
func (x *exportRun) onAnotherNode(err error) error {
	if x.st.settings.Cluster == "" || !errors.Is(err, provider.ErrNotFound) {
		return err
	}
	return fmt.Errorf("%w: VM %s runs on node %s of cluster %s, and exports run on host %s only: add a provider instance whose host is %s (%v)",
		provider.ErrUnsupported, x.vm.Name, x.row.ComputerName, x.st.settings.Cluster, x.st.settings.Host, x.row.ComputerName, err)
}

// exportable refuses what Export-VMSnapshot cannot carry: pass-through disks.
func exportable(r vmRow) error {
	for _, d := range r.Disks {
		if d.DiskNumber != nil {
			return fmt.Errorf("%w: VM %s has a pass-through disk (physical disk %d at %s %s): Hyper-V cannot checkpoint or export it; detach it, or copy that disk another way and export the rest",
				provider.ErrUnsupported, r.Name, *d.DiskNumber, d.ControllerType, diskLocation(d))
		}
		if d.Path == "" {
			return fmt.Errorf("%w: VM %s: the disk at %s %s has no virtual hard disk file", provider.ErrUnsupported, r.Name, d.ControllerType, diskLocation(d))
		}
	}
	return nil
}

// record records a hold, then remembers it for undoAll.
func (x *exportRun) record(ctx context.Context, h provider.Hold) error {
	if err := x.r.Hold(ctx, h); err != nil {
		return fmt.Errorf("record the %s hold %s: %w", h.Kind, h.ID, err)
	}
	x.holds = append(x.holds, h)
	return nil
}

func (x *exportRun) save(ctx context.Context) error {
	if err := x.r.Checkpoint(ctx, x.tok.bytes()); err != nil {
		return fmt.Errorf("checkpoint the export of %s: %w", x.vm.Name, err)
	}
	return nil
}

func (x *exportRun) powerHold() provider.Hold {
	return x.st.hold(provider.HoldPower, "power-"+x.tok.Suffix, "VM "+x.vm.Name+" shut down for the export", holdData{VM: x.tok.VM})
}

// shutdown shuts the VM down for shutdown_vm (a hold: it is started again after).
func (x *exportRun) shutdown(ctx context.Context) error {
	if x.tok.PoweredOff {
		x.holds = append(x.holds, x.powerHold()) // the earlier attempt's, still held
		return nil
	}
	if !x.spec.Options.ShutdownVM || x.vm.PowerState == provider.PowerOff {
		return nil
	}
	if err := x.record(ctx, x.powerHold()); err != nil {
		return err
	}
	x.r.Progress(provider.Progress{Phase: provider.PhasePreparing, Message: "shutting down " + x.vm.Name})
	if err := x.st.winrm.Run(ctx, psscript.StopVM, checkpointParams{VM: x.tok.VM}, nil); err != nil {
		return fmt.Errorf("shut down VM %s: %w", x.vm.Name, err)
	}
	x.vm.PowerState = provider.PowerOff
	x.tok.PoweredOff = true
	return x.save(ctx)
}

func (x *exportRun) checkpoint(ctx context.Context) error {
	h := x.st.hold(provider.HoldSnapshot, "checkpoint-"+x.tok.Suffix, "production checkpoint "+x.name+" of VM "+x.vm.Name, holdData{VM: x.tok.VM, Checkpoint: x.name})
	if err := x.record(ctx, h); err != nil {
		return err
	}
	// The token names the checkpoint: saved before it is made, a retry after a crash during a
	// (minutes-long) production checkpoint finds it rather than making a second one.
	if err := x.save(ctx); err != nil {
		return err
	}
	op := provider.Progress{Phase: provider.PhaseSnapshotting, OperationID: x.name, Operation: "production checkpoint of " + x.vm.Name}
	x.r.Progress(op)
	if err := x.st.winrm.Run(ctx, psscript.CreateCheckpoint, checkpointParams{VM: x.tok.VM, Name: x.name}, nil); err != nil {
		return fmt.Errorf("production checkpoint of VM %s: %w", x.vm.Name, err)
	}
	op.Percent = 100
	x.r.Progress(op)
	return nil
}

// exportFile is one file export_status lists.
type exportFile struct {
	Path      string `json:"Path"`
	Name      string `json:"Name"`
	SizeBytes int64  `json:"SizeBytes"`
}

type exportStatus struct {
	State   string       `json:"state"`
	Percent float64      `json:"percent"`
	Error   string       `json:"error"`
	Files   []exportFile `json:"files"`
}

// export starts (or, resumed, finds) the host's export job into the job's folder and polls it
// until it completes; it returns the files it wrote.
func (x *exportRun) export(ctx context.Context) ([]exportFile, error) {
	root := x.st.settings.ExportPath
	h := x.st.hold(provider.HoldObject, "export-"+x.tok.Suffix, `export folder `+root+`\`+x.name, holdData{VM: x.tok.VM, Root: root, Folder: x.name})
	if err := x.record(ctx, h); err != nil {
		return nil, err
	}
	var started struct {
		Job string `json:"job"`
	}
	if err := x.st.winrm.Run(ctx, psscript.StartExport, exportParams{VM: x.tok.VM, Name: x.name, Root: root, Folder: x.name}, &started); err != nil {
		return nil, fmt.Errorf("start the export of VM %s into %s: %w", x.vm.Name, root, err)
	}
	x.tok.Job = started.Job
	if err := x.save(ctx); err != nil {
		return nil, err
	}
	op := provider.Progress{Phase: provider.PhaseExportingInCloud, OperationID: started.Job, Operation: "Hyper-V export of checkpoint " + x.name}
	for {
		var s exportStatus
		if err := x.st.winrm.Run(ctx, psscript.ExportStatus, exportParams{Root: root, Folder: x.name, Job: started.Job}, &s); err != nil {
			return nil, fmt.Errorf("poll the export of VM %s: %w", x.vm.Name, err)
		}
		op.Percent = s.Percent
		x.r.Progress(op)
		switch s.State {
		case "completed":
			return s.Files, nil
		case "failed":
			err := fmt.Errorf("the host's export of VM %s failed: %s", x.vm.Name, s.Error)
			// A failed export job stays failed, and its folder's marker names it to start_export:
			// the folder goes now, so a retry of this attempt exports again instead of finding it.
			if uerr := x.st.undo(ctx, provider.HoldObject, x.dataOf(h)); uerr != nil {
				return nil, fmt.Errorf("%w; its folder stays until the hold is released: %v", err, uerr)
			}
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("export of VM %s: %w", x.vm.Name, ctx.Err())
		case <-time.After(x.st.tuned.pollInterval):
		}
	}
}

// undoAll undoes the holds, last first, after a successful export; what fails stays held and
// the daemon releases it.
func (x *exportRun) undoAll(ctx context.Context) {
	log := provider.Logger(ctx)
	for i := len(x.holds) - 1; i >= 0; i-- {
		h := x.holds[i]
		if err := x.st.undo(ctx, h.Kind, x.dataOf(h)); err != nil {
			log.Warn("undo after the export; the daemon will release it", "hold", h.ID, "error", err)
			continue
		}
		if err := x.r.Released(ctx, h); err != nil {
			log.Warn("report a released hold", "hold", h.ID, "error", err)
		}
	}
}

func (x *exportRun) dataOf(h provider.Hold) holdData {
	var d holdData
	_ = json.Unmarshal(h.Data, &d) // made by st.hold: always valid
	return d
}
