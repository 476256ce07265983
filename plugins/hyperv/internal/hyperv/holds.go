package hyperv

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/psscript"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// holdData is the note each hold keeps for Release: the host it was made on, and what to undo.
type holdData struct {
	Host       string `json:"host"`
	VM         string `json:"vm"`
	Checkpoint string `json:"checkpoint,omitempty"`
	Root       string `json:"root,omitempty"`
	Folder     string `json:"folder,omitempty"`
}

func (st *state) hold(kind, id, desc string, d holdData) provider.Hold {
	d.Host = strings.ToLower(st.settings.Host)
	raw, err := json.Marshal(d)
	if err != nil {
		panic(err) // strings only
	}
	return provider.Hold{Kind: kind, ID: id, Description: desc, Data: raw}
}

// Release undoes a hold: removes the export folder (stopping its export job first), removes
// the checkpoint, or starts the VM again. Each is idempotent: gone or running already is done.
// A hold recorded against another host is refused.
func (p *Provider) Release(ctx context.Context, h provider.Hold) error {
	st, err := p.configured()
	if err != nil {
		return err
	}
	var d holdData
	if err := json.Unmarshal(h.Data, &d); err != nil || d.VM == "" {
		return fmt.Errorf("%w: hold %s/%s has no Hyper-V data", provider.ErrInvalidArgument, h.Kind, h.ID)
	}
	if d.Host != strings.ToLower(st.settings.Host) {
		return fmt.Errorf("%w: hold %s/%s was made on host %s, this instance manages %s", provider.ErrInvalidArgument, h.Kind, h.ID, d.Host, st.settings.Host)
	}
	return st.undo(ctx, h.Kind, d)
}

func (st *state) undo(ctx context.Context, kind string, d holdData) error {
	switch kind {
	case provider.HoldObject:
		if err := st.winrm.Run(ctx, psscript.RemoveExport, exportParams{Root: d.Root, Folder: d.Folder}, nil); err != nil {
			return fmt.Errorf("remove export folder %s: %w", d.Folder, err)
		}
	case provider.HoldSnapshot:
		if err := st.winrm.Run(ctx, psscript.RemoveCheckpoint, checkpointParams{VM: d.VM, Name: d.Checkpoint}, nil); err != nil {
			return fmt.Errorf("remove checkpoint %s of VM %s: %w", d.Checkpoint, d.VM, err)
		}
	case provider.HoldPower:
		if err := st.winrm.Run(ctx, psscript.StartVM, checkpointParams{VM: d.VM}, nil); err != nil {
			return fmt.Errorf("start VM %s again: %w", d.VM, err)
		}
	default:
		return fmt.Errorf("%w: Hyper-V makes no hold of kind %s", provider.ErrUnsupported, kind)
	}
	return nil
}

// checkpointParams are the parameters of the checkpoint and power scripts.
type checkpointParams struct {
	VM   string `json:"vm"`
	Name string `json:"name,omitempty"`
}

// exportParams are the parameters of the export scripts.
type exportParams struct {
	VM     string `json:"vm,omitempty"`
	Name   string `json:"name,omitempty"`
	Root   string `json:"root"`
	Folder string `json:"folder"`
	Job    string `json:"job,omitempty"`
}
