package azure

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// holdData is the Data of this provider's holds: all Release needs, with nothing but its own
// configured clients, in a plugin process that may not be the one that made the hold.
type holdData struct {
	Subscription  string `json:"subscription"`
	ResourceGroup string `json:"resource_group"`
	// Snapshot names the snapshot of a snapshot or grant hold.
	Snapshot string `json:"snapshot,omitempty"`
	// VM names the VM of a power hold, and Mode how it was stopped (deallocate, power_off).
	VM   string `json:"vm,omitempty"`
	Mode string `json:"mode,omitempty"`
}

func (d holdData) encode() []byte {
	b, _ := json.Marshal(d) // strings only: cannot fail
	return b
}

func decodeHoldData(h provider.Hold) (holdData, error) {
	var d holdData
	if err := json.Unmarshal(h.Data, &d); err != nil {
		return d, fmt.Errorf("%w: hold %s/%s: its data is not this provider's: %v", provider.ErrInvalidArgument, h.Kind, h.ID, err)
	}
	if d.Subscription == "" || d.ResourceGroup == "" || (d.Snapshot == "" && d.VM == "") {
		return d, fmt.Errorf("%w: hold %s/%s names no snapshot or VM", provider.ErrInvalidArgument, h.Kind, h.ID)
	}
	return d, nil
}

func snapshotHold(sub, rg, snap, disk string) provider.Hold {
	return provider.Hold{Kind: provider.HoldSnapshot, ID: rg + "/" + snap,
		Description: fmt.Sprintf("incremental snapshot %s of disk %s; releasing deletes it", snap, disk),
		Data:        holdData{Subscription: sub, ResourceGroup: rg, Snapshot: snap}.encode()}
}

// grantHold shares its snapshot hold's id: the host tells holds apart by kind and id.
func grantHold(sub, rg, snap string) provider.Hold {
	return provider.Hold{Kind: provider.HoldGrant, ID: rg + "/" + snap,
		Description: fmt.Sprintf("read SAS granted on snapshot %s (it locks the snapshot); releasing revokes it", snap),
		Data:        holdData{Subscription: sub, ResourceGroup: rg, Snapshot: snap}.encode()}
}

func powerHold(sub, rg, vm, mode string) provider.Hold {
	return provider.Hold{Kind: provider.HoldPower, ID: rg + "/" + vm,
		Description: fmt.Sprintf("VM %s stopped (%s) for the export; releasing starts it", vm, mode),
		Data:        holdData{Subscription: sub, ResourceGroup: rg, VM: vm, Mode: mode}.encode()}
}

// snapshotName names an export's snapshot of one disk: the job, the disk and a nonce, within
// Azure's 80 characters of letters, digits, _ - and . for a snapshot name.
func snapshotName(job, diskKey string) string {
	nonce := make([]byte, 4)
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails (Go 1.24+)
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
				return r
			}
			return '-'
		}, s)
	}
	if job == "" {
		job = "export"
	}
	name := "hypersdk-" + clean(job)
	if len(name) > 50 {
		name = name[:50]
	}
	return name + "-" + clean(diskKey) + "-" + hex.EncodeToString(nonce)
}
