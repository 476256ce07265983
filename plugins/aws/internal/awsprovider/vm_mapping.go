package awsprovider

import (
	"context"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// describeBatch holds what the instances of one page need besides themselves: their types
// (cached) and their volumes' sizes (one DescribeVolumes per 200 instances).
type describeBatch struct {
	types   map[types.InstanceType]instanceType
	volumes map[string]types.Volume
}

func (st state) describeBatch(ctx context.Context, rc *regionClients, insts []types.Instance) (describeBatch, error) {
	var names []types.InstanceType
	var ids []string
	for _, in := range insts {
		names = append(names, in.InstanceType)
		ids = append(ids, aws.ToString(in.InstanceId))
	}
	b := describeBatch{volumes: map[string]types.Volume{}}
	var err error
	if b.types, err = st.types.lookup(ctx, rc, names); err != nil {
		return b, err
	}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 200)]
		ids = ids[len(chunk):]
		pages := ec2.NewDescribeVolumesPaginator(rc.ec2, &ec2.DescribeVolumesInput{
			Filters: []types.Filter{{Name: aws.String("attachment.instance-id"), Values: chunk}}})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return b, awsError("describe the volumes of "+rc.region+" instances", err)
			}
			for _, v := range page.Volumes {
				b.volumes[aws.ToString(v.VolumeId)] = v
			}
		}
	}
	return b, nil
}

// toVM maps an instance to the contract's VM: the Name tag (or the id) as its name, the region
// as its datacenter and the availability zone as its folder, CPUs and memory from its type,
// its EBS volumes with the root volume first in boot order, its network interfaces, its tags.
func toVM(region string, in types.Instance, b describeBatch) provider.VM {
	id := aws.ToString(in.InstanceId)
	vm := provider.VM{ID: id, Name: id, Datacenter: region, GuestOS: aws.ToString(in.PlatformDetails),
		Firmware: firmware(in), Disks: []provider.Disk{}, NICs: []provider.NIC{}, CDROMs: []provider.CDROM{}, Tags: []string{}}
	if in.State != nil {
		vm.PowerState = powerState(in.State.Name)
	} else {
		vm.PowerState = provider.PowerOff
	}
	if in.Placement != nil {
		vm.Folder = aws.ToString(in.Placement.AvailabilityZone)
	}
	for _, t := range in.Tags {
		k, v := aws.ToString(t.Key), aws.ToString(t.Value)
		if k == "Name" && v != "" {
			vm.Name = v
		}
		if v == "" {
			vm.Tags = append(vm.Tags, k)
		} else {
			vm.Tags = append(vm.Tags, k+"="+v)
		}
	}
	sort.Strings(vm.Tags)
	it := b.types[in.InstanceType]
	vm.CPUs, vm.MemoryMB = it.vcpus, it.memoryMB
	if in.CpuOptions != nil && in.CpuOptions.CoreCount != nil && in.CpuOptions.ThreadsPerCore != nil {
		vm.CPUs = *in.CpuOptions.CoreCount * *in.CpuOptions.ThreadsPerCore
	}
	controller := ""
	if it.nvme {
		controller = "nvme"
	}
	root := rootMapping(in)
	for i, m := range in.BlockDeviceMappings {
		if m.Ebs == nil {
			continue
		}
		volID := aws.ToString(m.Ebs.VolumeId)
		d := provider.Disk{Key: volID, Label: aws.ToString(m.DeviceName), Controller: controller, Source: "ebs:" + volID}
		if v, ok := b.volumes[volID]; ok {
			d.CapacityBytes = int64(aws.ToInt32(v.Size)) << 30
		}
		if i == root {
			d.BootOrder = 1
			vm.Disks = append([]provider.Disk{d}, vm.Disks...)
		} else {
			vm.Disks = append(vm.Disks, d)
		}
	}
	for i := range vm.Disks {
		vm.Disks[i].Unit = int32(i)
	}
	enis := append([]types.InstanceNetworkInterface(nil), in.NetworkInterfaces...)
	sort.SliceStable(enis, func(a, b int) bool { return deviceIndex(enis[a]) < deviceIndex(enis[b]) })
	for _, n := range enis {
		nic := provider.NIC{Label: aws.ToString(n.NetworkInterfaceId), MAC: aws.ToString(n.MacAddress),
			Network: strings.Trim(aws.ToString(n.VpcId)+"/"+aws.ToString(n.SubnetId), "/")}
		if aws.ToBool(in.EnaSupport) {
			nic.AdapterType = "ena"
		}
		vm.NICs = append(vm.NICs, nic)
	}
	return vm
}

func deviceIndex(n types.InstanceNetworkInterface) int32 {
	if n.Attachment == nil {
		return 0
	}
	return aws.ToInt32(n.Attachment.DeviceIndex)
}

// firmware is the boot mode the instance runs with: uefi is EFI, legacy-bios is BIOS; an
// instance that does not say is BIOS on x86 and EFI on Arm, as EC2 boots them.
func firmware(in types.Instance) string {
	mode := string(in.CurrentInstanceBootMode)
	if mode == "" {
		mode = string(in.BootMode)
	}
	switch {
	case mode == string(types.BootModeValuesUefi):
		return provider.FirmwareEFI
	case mode == string(types.BootModeValuesLegacyBios):
		return provider.FirmwareBIOS
	case in.Architecture == types.ArchitectureValuesArm64 || in.Architecture == types.ArchitectureValuesArm64Mac:
		return provider.FirmwareEFI
	}
	return provider.FirmwareBIOS
}

// rootMapping is the index of the root volume among the block device mappings: the one named
// by RootDeviceName (/dev/sda1 and /dev/xvda name the same device), else the first EBS one.
func rootMapping(in types.Instance) int {
	want := aws.ToString(in.RootDeviceName)
	first := -1
	for i, m := range in.BlockDeviceMappings {
		if m.Ebs == nil {
			continue
		}
		if first < 0 {
			first = i
		}
		if name := aws.ToString(m.DeviceName); name == want || deviceAlias(name) == deviceAlias(want) {
			return i
		}
	}
	return first
}

// deviceAlias reduces a Linux device name to its disk in Xen naming: /dev/sda1 → xvda.
func deviceAlias(name string) string {
	n := strings.TrimPrefix(name, "/dev/")
	n = strings.TrimRight(n, "0123456789")
	if strings.HasPrefix(n, "sd") {
		n = "xvd" + n[2:]
	}
	return n
}
