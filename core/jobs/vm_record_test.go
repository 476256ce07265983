package jobs

import (
	"reflect"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// TestJobStoredWithGoFieldNamesStillReads: the previous version stored result.vm under Go
// field names ("ID", "CPUs", "CapacityBytes"); such a record reads back with its whole VM.
func TestJobStoredWithGoFieldNamesStillReads(t *testing.T) {
	t.Parallel()
	m, db := newStoreManager(t)
	old := `{"job_id":"job-old","status":"completed","kind":"export","created_at":"2025-01-02T03:04:05Z",` +
		`"result":{"artifacts":[],"ova":"/exports/web/web.ova","vm":{"ID":"vm-42","Name":"web","PowerState":"poweredOff",` +
		`"GuestOS":"ubuntu64Guest","CPUs":2,"MemoryMB":4096,"Firmware":"efi","SecureBoot":true,` +
		`"Disks":[{"Key":"2000","CapacityBytes":1073741824,"Controller":"scsi","ControllerModel":"pvscsi","Unit":1,"BootOrder":1}],` +
		`"NICs":[{"MAC":"00:50:56:aa:bb:cc","Network":"VM Network","AdapterType":"vmxnet3"}],"CDROMs":null,"Tags":null}}}`
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(store.BucketJobs).Put([]byte("job-old"), []byte(old))
	}); err != nil {
		t.Fatal(err)
	}
	j, err := m.Get("job-old")
	if err != nil {
		t.Fatal(err)
	}
	want := provider.VM{ID: "vm-42", Name: "web", PowerState: provider.PowerOff, GuestOS: "ubuntu64Guest", CPUs: 2,
		MemoryMB: 4096, Firmware: provider.FirmwareEFI, SecureBoot: true,
		Disks: []provider.Disk{{Key: "2000", CapacityBytes: 1 << 30, Controller: "scsi", ControllerModel: "pvscsi", Unit: 1, BootOrder: 1}},
		NICs:  []provider.NIC{{MAC: "00:50:56:aa:bb:cc", Network: "VM Network", AdapterType: "vmxnet3"}}}
	if j.Result == nil || !reflect.DeepEqual(j.Result.VM, want) || j.Result.OVA != "/exports/web/web.ova" {
		t.Fatalf("old record read as %+v, want VM %+v", j.Result, want)
	}
}
