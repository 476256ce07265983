package ovf

import (
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

var webVM = provider.VM{
	ID: "web-01", Name: "web-01", GuestOS: "rhel9_64Guest", CPUs: 4, MemoryMB: 8192,
	Firmware: provider.FirmwareEFI, SecureBoot: true, PowerState: provider.PowerOff,
	Disks: []provider.Disk{
		{Key: "x", Label: "Hard disk 1", CapacityBytes: 10 << 30, Controller: "scsi", ControllerModel: "pvscsi", Unit: 0, BootOrder: 1},
		{Key: "y", Label: "Hard disk 2", CapacityBytes: 2 << 30, Controller: "sata", Unit: 1},
	},
	NICs: []provider.NIC{
		{Label: "Network adapter 1", MAC: "00:50:56:01:02:03", Network: "VM Network", AdapterType: "vmxnet3"},
		{Label: "Network adapter 2", MAC: "00:50:56:01:02:04", Network: "Backup & DR", AdapterType: "e1000e"},
	},
	CDROMs: []provider.CDROM{{Label: "CD/DVD drive 1", Connected: true}},
}

var webFiles = []DiskFile{
	{Disk: 0, Href: "web-01-disk0.vmdk", Size: 1234, Format: FormatStreamOptimized},
	{Disk: 1, Href: "web-01-disk1.vmdk", Size: 99, Format: FormatStreamOptimized},
}

func TestWriteMatchesGolden(t *testing.T) {
	t.Parallel()
	got, err := Write(webVM, webFiles)
	if err != nil {
		t.Fatal(err)
	}
	golden := "testdata/web-01.ovf"
	if *update {
		os.WriteFile(golden, got, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(got) != string(want) {
		t.Errorf("descriptor differs from %s:\n%s", golden, got)
	}
}

func TestWriteThenParseKeepsTheVM(t *testing.T) {
	t.Parallel()
	raw, err := Write(webVM, webFiles)
	if err != nil {
		t.Fatal(err)
	}
	vm, files, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := webVM
	want.Disks = append([]provider.Disk(nil), webVM.Disks...)
	for i := range want.Disks {
		want.Disks[i].Key = vm.Disks[i].Key // item instance ids are the writer's own
		want.Disks[i].Source = webFiles[i].Href
	}
	if !reflect.DeepEqual(vm, want) {
		t.Errorf("round trip\n got %+v\nwant %+v", vm, want)
	}
	if !reflect.DeepEqual(files, webFiles) {
		t.Errorf("files = %+v, want %+v", files, webFiles)
	}
}

func TestParseRefusesHostileDescriptors(t *testing.T) {
	t.Parallel()
	good, _ := Write(webVM, webFiles)
	cases := map[string]string{
		"traversal":    strings.Replace(string(good), `ovf:href="web-01-disk0.vmdk"`, `ovf:href="../../etc/passwd"`, 1),
		"absolute":     strings.Replace(string(good), `ovf:href="web-01-disk0.vmdk"`, `ovf:href="/etc/passwd"`, 1),
		"url":          strings.Replace(string(good), `ovf:href="web-01-disk0.vmdk"`, `ovf:href="http://evil/x"`, 1),
		"truncated":    string(good[:len(good)/2]),
		"not xml":      "\x00\x01binary junk",
		"wrong root":   `<Other/>`,
		"unknown disk": strings.Replace(string(good), "ovf:/disk/vmdisk1", "ovf:/disk/nope", 1),
		"bad capacity": strings.Replace(string(good), `ovf:capacity="10737418240"`, `ovf:capacity="lots"`, 1),
		"oversized":    strings.Repeat(" ", MaxDescriptorBytes+1),
	}
	for name, doc := range cases {
		if _, _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("%s: Parse accepted it", name)
		}
	}
}

func FuzzParse(f *testing.F) {
	good, _ := Write(webVM, webFiles)
	f.Add(good)
	f.Add([]byte(`<Envelope><VirtualSystem/></Envelope>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		vm, files, err := Parse(data)
		if err != nil {
			return
		}
		for _, file := range files {
			if checkHref(file.Href) != nil {
				t.Fatalf("accepted unsafe href %q", file.Href)
			}
		}
		_ = vm
	})
}
