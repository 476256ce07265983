package vsphere

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vmware/govmomi/vim25/methods"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// holdData is the Data of this provider's holds: all Release needs, with nothing but its own
// configured connection, in a plugin process that may not be the one that made the hold.
type holdData struct {
	// VCenter is the instance UUID of the vCenter the hold was made on (empty for ESXi): a
	// provider now connected elsewhere refuses to touch a VM that merely shares the moref.
	VCenter string `json:"vcenter,omitempty"`
	VM      string `json:"vm"` // VirtualMachine managed object id, vm-123
	// Lease is the HttpNfcLease managed object id, once vCenter has made the lease.
	Lease string `json:"lease,omitempty"`
	// ShutdownAt is when the export asked the guest to shut down (recorded just before it
	// asks), and ShutdownBy until when the guest may still be going down: shutdown_timeout
	// later, plus shutdownGrace. Both are vCenter's clock, as is the VM's boot time Release
	// compares them with. Until ShutdownBy, Release waits for a VM that is still on and has not
	// been powered on since ShutdownAt, rather than call the hold released while the guest
	// powers it off. Both are zero on the hold of a VM found off already and on holds recorded
	// before they existed.
	ShutdownAt time.Time `json:"shutdown_at,omitzero"`
	ShutdownBy time.Time `json:"shutdown_by,omitzero"`
}

// shutdownGrace is added to shutdown_timeout in a power hold's ShutdownBy: the export records
// the hold, then asks the guest, then polls for shutdown_timeout before powering the VM off, and
// a guest it stopped watching (a cancel, a crash) gets that slack on top. A guest still on after
// it refused the shutdown.
const shutdownGrace = 2 * time.Minute

// powerHold is the hold on a VM about to be powered off for the export. Its ID is the VM's:
// one export powers a VM off once, and an attempt recording it again replaces it. timeout is
// vCenter's time now (asked) and shutdown_timeout for a VM whose guest is about to be asked to
// shut down; a zero time for a VM found off already.
func powerHold(c *conn, vmID, name string, asked time.Time, timeout time.Duration) provider.Hold {
	d := holdData{VCenter: vcenterID(c), VM: vmID}
	if !asked.IsZero() {
		d.ShutdownAt = asked.UTC()
		d.ShutdownBy = d.ShutdownAt.Add(timeout + shutdownGrace)
	}
	return provider.Hold{
		Kind:        provider.HoldPower,
		ID:          vmID,
		Description: fmt.Sprintf("VM %s (%s) powered off for the export; releasing powers it on", name, vmID),
		Data:        d.encode(),
	}
}

// leaseHold is the hold on the NFC export lease about to be opened on a VM. Its ID is new for
// every lease, so a retry's lease never replaces an earlier one that is still to be aborted.
func leaseHold(c *conn, vmID, name string) provider.Hold {
	nonce := make([]byte, 6)
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails (Go 1.24+)
	return provider.Hold{
		Kind:        provider.HoldLease,
		ID:          vmID + "/" + hex.EncodeToString(nonce),
		Description: fmt.Sprintf("NFC export lease on VM %s (%s); releasing aborts it", name, vmID),
		Data:        holdData{VCenter: vcenterID(c), VM: vmID}.encode(),
	}
}

// withLease is h once vCenter has named its lease.
func withLease(h provider.Hold, lease string) (provider.Hold, error) {
	d, err := decodeHoldData(h)
	if err != nil {
		return h, err
	}
	d.Lease = lease
	h.Data = d.encode()
	return h, nil
}

func (d holdData) encode() []byte {
	b, _ := json.Marshal(d) // strings and times of this century: cannot fail
	return b
}

func decodeHoldData(h provider.Hold) (holdData, error) {
	var d holdData
	if err := json.Unmarshal(h.Data, &d); err != nil {
		return d, fmt.Errorf("%w: hold %s/%s: its data is not this provider's: %v", provider.ErrInvalidArgument, h.Kind, h.ID, err)
	}
	if d.VM == "" {
		return d, fmt.Errorf("%w: hold %s/%s names no VM", provider.ErrInvalidArgument, h.Kind, h.ID)
	}
	return d, nil
}

// vcenterTime is the time on vCenter's clock, which also stamps a VM's boot time.
func vcenterTime(ctx context.Context, c *conn) (time.Time, error) {
	t, err := methods.GetCurrentTime(ctx, c.vim)
	if err != nil {
		return time.Time{}, fmt.Errorf("read vCenter's time: %w", err)
	}
	return *t, nil
}

// vcenterID is the instance UUID of the vCenter c is logged in to; empty for ESXi.
func vcenterID(c *conn) string {
	return c.vim.ServiceContent.About.InstanceUuid
}

// sameVCenter refuses a hold made on another vCenter than the one c is logged in to.
func (d holdData) sameVCenter(c *conn, h provider.Hold) error {
	if here := vcenterID(c); d.VCenter != "" && here != "" && d.VCenter != here {
		return fmt.Errorf("%w: hold %s/%s was made on vCenter %s, and this provider is connected to vCenter %s: release it with the provider instance that made it",
			provider.ErrInvalidArgument, h.Kind, h.ID, d.VCenter, here)
	}
	return nil
}
