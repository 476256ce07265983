package oci

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/oracle/oci-go-sdk/v65/core"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// export is one ExportVM call.
type export struct {
	p    *Provider
	c    *clients
	s    Settings
	t    timing
	spec provider.ExportSpec
	r    provider.Reporter
	d    instanceDetails

	state resumeToken
}

// ExportVM exports the instance's boot volume: a custom image of the instance (CreateImage),
// ExportImage of it to the staging bucket (through a pre-authenticated request with use_par),
// both followed through their work requests, then the image and the PAR deleted, the object
// read with parallel ranged GETs and deleted. Each thing is a hold recorded before it is made,
// and each create carries an OpcRetryToken checkpointed before it is sent. Attached block
// volumes are not in a custom image: they are named in the log, the progress and the result's
// NotExported, or refused with require_all_disks.
func (p *Provider) ExportVM(ctx context.Context, spec provider.ExportSpec, r provider.Reporter) (provider.ExportResult, error) {
	if err := spec.Validate(); err != nil {
		return provider.ExportResult{}, err
	}
	c, s, t, err := p.configured()
	if err != nil {
		return provider.ExportResult{}, err
	}
	d, err := p.getInstance(ctx, spec.VMID)
	if err != nil {
		return provider.ExportResult{}, err
	}
	ex := &export{p: p, c: c, s: s, t: t, spec: spec, r: r, d: d}
	if err := ex.check(ctx); err != nil {
		return provider.ExportResult{}, err
	}
	if tok, ok := decodeToken(spec.ResumeToken, spec.VMID); ok {
		ex.state = tok
		provider.Logger(ctx).Info("resuming from the checkpoint", "image", tok.Image, "work_request", tok.WorkRequest, "cloud_done", tok.CloudDone)
	} else {
		ex.state = ex.freshToken()
	}
	r.Progress(provider.Progress{Phase: provider.PhasePreparing, Message: "exporting the boot volume of " + spec.VMID + ex.volumesNote()})
	if !ex.state.CloudDone {
		if err := ex.exportInCloud(ctx); err != nil {
			return provider.ExportResult{}, err
		}
	}
	art, err := ex.download(ctx)
	if errors.Is(err, provider.ErrNotFound) && ex.state.CloudDone {
		// A resumed attempt whose staged object is gone (deleted, or expired by a lifecycle
		// rule) cannot download it again, and its image is already deleted: export anew.
		provider.Logger(ctx).Warn("the staged object of the earlier attempt is gone; exporting the instance again", "object", ex.state.Object, "error", err)
		if err := ex.update(ctx, func(t *resumeToken) { *t = ex.freshToken() }); err != nil {
			return provider.ExportResult{}, err
		}
		if err := ex.exportInCloud(ctx); err != nil {
			return provider.ExportResult{}, err
		}
		art, err = ex.download(ctx)
	}
	if err != nil {
		return provider.ExportResult{}, err
	}
	ex.releaseNow(ctx, ex.objectHold())
	vm := d.vm
	vm.Disks = vm.Disks[:1] // the boot volume: the only disk exported
	var left []provider.NotExportedDisk
	for _, disk := range d.vm.Disks[1:] {
		left = append(left, provider.NotExportedDisk{Disk: disk, Reason: "an attached block volume: an OCI custom image holds the boot volume only"})
	}
	return provider.ExportResult{VM: vm, Artifacts: []provider.Artifact{art}, NotExported: left}, nil
}

// check refuses what cannot be exported before anything is made: an instance without a boot
// volume, one launched from an image that allows no images of its instances (Marketplace and
// licensed images), block volumes with require_all_disks.
func (ex *export) check(ctx context.Context) error {
	if ex.d.bootVolume == "" {
		return fmt.Errorf("%w: instance %s has no attached boot volume to export", provider.ErrUnsupported, ex.spec.VMID)
	}
	if img := ex.d.inst.ImageId; img != nil {
		resp, err := ex.c.compute.GetImage(ctx, core.GetImageRequest{ImageId: img})
		switch {
		case err == nil && resp.CreateImageAllowed != nil && !*resp.CreateImageAllowed:
			return fmt.Errorf("%w: instance %s was launched from image %q (%s), which allows no custom images of its instances: OCI cannot export Marketplace or platform-licensed images",
				provider.ErrUnsupported, ex.spec.VMID, deref(resp.DisplayName), *img)
		case err != nil && !isNotFound(err): // a deleted source image says nothing
			return apiError(err, "read the source image %s of %s", *img, ex.spec.VMID)
		}
	}
	if len(ex.d.volumes) > 0 {
		names := ex.volumeNames()
		if ex.s.RequireAllDisks {
			return fmt.Errorf("%w: instance %s has attached block volumes a custom image does not hold: %s (providers.oci.require_all_disks is true)",
				provider.ErrUnsupported, ex.spec.VMID, names)
		}
		provider.Logger(ctx).Warn("attached block volumes are not exported: a custom image holds the boot volume only", "vm", ex.spec.VMID, "volumes", names)
	}
	return nil
}

func (ex *export) volumeNames() string {
	var out []string
	for _, v := range ex.d.volumes {
		out = append(out, v.describe())
	}
	return strings.Join(out, ", ")
}

// volumesNote is what the job's progress says of the volumes not exported.
func (ex *export) volumesNote() string {
	if len(ex.d.volumes) == 0 {
		return ""
	}
	return "; not exported (block volumes are not in a custom image): " + ex.volumeNames()
}

// releaseNow deletes what holds name, now that the export no longer needs it, and tells the
// host. What cannot be deleted stays held: the host releases it when the job ends.
func (ex *export) releaseNow(ctx context.Context, holds ...provider.Hold) {
	log := provider.Logger(ctx)
	for _, h := range holds {
		if err := ex.p.Release(ctx, h); err != nil {
			log.Warn("cannot delete what the export made; the host will release it", "kind", h.Kind, "id", h.ID, "error", err)
			continue
		}
		if err := ex.r.Released(ctx, h); err != nil {
			log.Warn("the host did not record a release; it will release the hold again", "kind", h.Kind, "id", h.ID, "error", err)
		}
	}
}

func (ex *export) imageHold() provider.Hold {
	return imageHold(ex.c.configKey, deref(ex.d.inst.CompartmentId), ex.state.Name, ex.state.Image, ex.spec.VMID)
}

func (ex *export) objectHold() provider.Hold {
	return objectHold(ex.c.configKey, ex.s.StagingNamespace, ex.s.StagingBucket, ex.state.Object, ex.state.Image)
}

func (ex *export) parHold() provider.Hold {
	return parHold(ex.c.configKey, ex.s.StagingNamespace, ex.s.StagingBucket, ex.state.Object, ex.state.Name, ex.state.PAR)
}

// freshToken is the state of an export that has made nothing yet: a new name for the image
// and the staged object.
func (ex *export) freshToken() resumeToken {
	t := resumeToken{VM: ex.spec.VMID, Name: newName(ex.spec.JobID)}
	t.Object = ex.s.StagingPrefix + t.Name + "." + strings.ToLower(ex.s.ExportFormat)
	return t
}
