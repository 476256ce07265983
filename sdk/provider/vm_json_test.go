package provider

import (
	"encoding/json"
	"reflect"
	"testing"
)

var sampleVM = VM{
	ID: "vm-42", Name: "web 01", PowerState: PowerOn, Datacenter: "DC1", Folder: "/DC1/vm/prod",
	GuestOS: "ubuntu64Guest", CPUs: 4, MemoryMB: 8192, Firmware: FirmwareEFI, SecureBoot: true,
	Disks: []Disk{{Key: "2000", Label: "Hard disk 1", CapacityBytes: 1 << 34, Controller: "scsi",
		ControllerModel: "pvscsi", Unit: 0, BootOrder: 1, Source: "[ds1] web/web.vmdk"}},
	NICs:   []NIC{{Label: "Network adapter 1", MAC: "00:50:56:aa:bb:cc", Network: "VM Network", AdapterType: "vmxnet3"}},
	CDROMs: []CDROM{{Label: "CD/DVD drive 1", ISO: "[ds1] iso/u.iso", Connected: true}},
	Tags:   []string{"prod"},
}

// TestVMJSONShape pins the one JSON shape of a VM: the snake_case names /vms/info answered with.
func TestVMJSONShape(t *testing.T) {
	got, err := json.Marshal(sampleVM)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"vm-42","name":"web 01","power_state":"poweredOn","datacenter":"DC1","folder":"/DC1/vm/prod",` +
		`"guest_os":"ubuntu64Guest","cpus":4,"memory_mb":8192,"firmware":"efi","secure_boot":true,` +
		`"disks":[{"key":"2000","label":"Hard disk 1","capacity_bytes":17179869184,"controller":"scsi",` +
		`"controller_model":"pvscsi","unit":0,"boot_order":1,"source":"[ds1] web/web.vmdk"}],` +
		`"nics":[{"label":"Network adapter 1","mac":"00:50:56:aa:bb:cc","network":"VM Network","adapter_type":"vmxnet3"}],` +
		`"cdroms":[{"label":"CD/DVD drive 1","iso":"[ds1] iso/u.iso","connected":true}],"tags":["prod"]}`
	if string(got) != want {
		t.Fatalf("VM JSON:\n got %s\nwant %s", got, want)
	}
	var back VM
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, sampleVM) {
		t.Fatalf("round trip: got %+v, want %+v", back, sampleVM)
	}
}

// TestVMDecodesGoFieldNames: job records stored before VM had JSON names hold it under its Go
// field names; they still decode, every field of them.
func TestVMDecodesGoFieldNames(t *testing.T) {
	old := `{"ID":"vm-42","Name":"web 01","PowerState":"poweredOn","Datacenter":"DC1","Folder":"/DC1/vm/prod",` +
		`"GuestOS":"ubuntu64Guest","CPUs":4,"MemoryMB":8192,"Firmware":"efi","SecureBoot":true,` +
		`"Disks":[{"Key":"2000","Label":"Hard disk 1","CapacityBytes":17179869184,"Controller":"scsi",` +
		`"ControllerModel":"pvscsi","Unit":0,"BootOrder":1,"Source":"[ds1] web/web.vmdk"}],` +
		`"NICs":[{"Label":"Network adapter 1","MAC":"00:50:56:aa:bb:cc","Network":"VM Network","AdapterType":"vmxnet3"}],` +
		`"CDROMs":[{"Label":"CD/DVD drive 1","ISO":"[ds1] iso/u.iso","Connected":true}],"Tags":["prod"]}`
	var got VM
	if err := json.Unmarshal([]byte(old), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sampleVM) {
		t.Fatalf("old record: got %+v, want %+v", got, sampleVM)
	}
	var none VM
	if err := json.Unmarshal([]byte(`null`), &none); err != nil || !reflect.DeepEqual(none, VM{}) {
		t.Fatalf("null: got %+v, %v", none, err)
	}
}
