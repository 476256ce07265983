package oci

import (
	"context"
	"fmt"
	"strings"

	"github.com/oracle/oci-go-sdk/v65/core"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// instanceDetails is an instance with what GetVM and ExportVM need beyond it.
type instanceDetails struct {
	vm         provider.VM
	inst       core.Instance
	bootVolume string
	// volumes are the attached block volumes: not part of a custom image.
	volumes []blockVolume
}

type blockVolume struct {
	id, name, device string
	bytes            int64
}

// describe is what an export cannot take of the volume, for the log and the job.
func (v blockVolume) describe() string {
	s := v.name + " (" + v.id
	if v.device != "" {
		s += ", " + v.device
	}
	return fmt.Sprintf("%s, %d GiB)", s, v.bytes>>30)
}

// getInstance reads the instance id with its boot volume, attached block volumes and VNICs.
func (p *Provider) getInstance(ctx context.Context, id string) (instanceDetails, error) {
	c, s, _, err := p.configured()
	if err != nil {
		return instanceDetails{}, err
	}
	if !strings.HasPrefix(id, "ocid1.instance.") {
		return instanceDetails{}, fmt.Errorf("%w: %q is not an instance OCID (ocid1.instance.…)", provider.ErrNotFound, id)
	}
	resp, err := c.compute.GetInstance(ctx, core.GetInstanceRequest{InstanceId: &id})
	if err != nil {
		return instanceDetails{}, apiError(err, "read instance %s", id)
	}
	if gone(resp.LifecycleState) {
		return instanceDetails{}, fmt.Errorf("%w: instance %s is %s", provider.ErrNotFound, id, resp.LifecycleState)
	}
	d := instanceDetails{inst: resp.Instance, vm: instanceVM(resp.Instance, s.Region)}
	if err := d.readBootVolume(ctx, c); err != nil {
		return d, err
	}
	if err := d.readVolumes(ctx, c); err != nil {
		return d, err
	}
	if err := d.readVNICs(ctx, c); err != nil {
		return d, err
	}
	if img := d.inst.ImageId; img != nil {
		if ir, err := c.compute.GetImage(ctx, core.GetImageRequest{ImageId: img}); err == nil {
			d.vm.GuestOS = strings.TrimSpace(deref(ir.OperatingSystem) + " " + deref(ir.OperatingSystemVersion))
		}
	}
	return d, nil
}

func (d *instanceDetails) readBootVolume(ctx context.Context, c *clients) error {
	resp, err := c.compute.ListBootVolumeAttachments(ctx, core.ListBootVolumeAttachmentsRequest{
		AvailabilityDomain: d.inst.AvailabilityDomain, CompartmentId: d.inst.CompartmentId, InstanceId: d.inst.Id})
	if err != nil {
		return apiError(err, "list the boot volume attachments of %s", d.vm.ID)
	}
	for _, a := range resp.Items {
		if a.LifecycleState != core.BootVolumeAttachmentLifecycleStateAttached {
			continue
		}
		bv, err := c.blocks.GetBootVolume(ctx, core.GetBootVolumeRequest{BootVolumeId: a.BootVolumeId})
		if err != nil {
			return apiError(err, "read boot volume %s of %s", deref(a.BootVolumeId), d.vm.ID)
		}
		d.bootVolume = deref(bv.Id)
		d.vm.Disks = append(d.vm.Disks, provider.Disk{Key: d.bootVolume, Label: deref(bv.DisplayName), CapacityBytes: volumeBytes(bv.SizeInGBs, bv.SizeInMBs),
			Controller: "virtio", BootOrder: 1, Source: d.bootVolume})
		return nil
	}
	return nil
}

func (d *instanceDetails) readVolumes(ctx context.Context, c *clients) error {
	req := core.ListVolumeAttachmentsRequest{CompartmentId: d.inst.CompartmentId, InstanceId: d.inst.Id}
	for {
		resp, err := c.compute.ListVolumeAttachments(ctx, req)
		if err != nil {
			return apiError(err, "list the volume attachments of %s", d.vm.ID)
		}
		for _, a := range resp.Items {
			if a.GetLifecycleState() != core.VolumeAttachmentLifecycleStateAttached {
				continue
			}
			v, err := c.blocks.GetVolume(ctx, core.GetVolumeRequest{VolumeId: a.GetVolumeId()})
			if err != nil {
				return apiError(err, "read block volume %s of %s", deref(a.GetVolumeId()), d.vm.ID)
			}
			bv := blockVolume{id: deref(v.Id), name: deref(v.DisplayName), device: deref(a.GetDevice()), bytes: volumeBytes(v.SizeInGBs, v.SizeInMBs)}
			d.volumes = append(d.volumes, bv)
			d.vm.Disks = append(d.vm.Disks, provider.Disk{Key: bv.id, Label: bv.name, CapacityBytes: bv.bytes, Unit: int32(len(d.vm.Disks)), Source: bv.id})
		}
		if resp.OpcNextPage == nil {
			return nil
		}
		req.Page = resp.OpcNextPage
	}
}

func (d *instanceDetails) readVNICs(ctx context.Context, c *clients) error {
	resp, err := c.compute.ListVnicAttachments(ctx, core.ListVnicAttachmentsRequest{CompartmentId: d.inst.CompartmentId, InstanceId: d.inst.Id})
	if err != nil {
		return apiError(err, "list the VNIC attachments of %s", d.vm.ID)
	}
	for _, a := range resp.Items {
		if a.LifecycleState != core.VnicAttachmentLifecycleStateAttached || a.VnicId == nil {
			continue
		}
		v, err := c.network.GetVnic(ctx, core.GetVnicRequest{VnicId: a.VnicId})
		if err != nil {
			return apiError(err, "read VNIC %s of %s", *a.VnicId, d.vm.ID)
		}
		d.vm.NICs = append(d.vm.NICs, provider.NIC{Label: deref(v.DisplayName), MAC: strings.ToLower(deref(v.MacAddress)), Network: deref(v.SubnetId), AdapterType: "virtio"})
	}
	return nil
}

// volumeBytes is a volume's size from sizeInGBs, or sizeInMBs when that is all there is.
func volumeBytes(gb, mb *int64) int64 {
	if gb != nil {
		return *gb << 30
	}
	return deref(mb) << 20
}
