package oci

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/core"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// exportInCloud takes the instance to an object in the staging bucket: the custom image, its
// export, and then the image and the PAR deleted (the object is all the rest needs). It goes
// on from what the checkpoint names when that still exists.
func (ex *export) exportInCloud(ctx context.Context) error {
	log := provider.Logger(ctx)
	if ex.state.Image != "" {
		img, err := ex.c.compute.GetImage(ctx, core.GetImageRequest{ImageId: &ex.state.Image})
		if err != nil && !isNotFound(err) {
			return apiError(err, "read image %s of the checkpoint", ex.state.Image)
		}
		if err != nil || img.LifecycleState == core.ImageLifecycleStateDeleted {
			log.Info("starting over: the checkpoint's image is gone", "image", ex.state.Image)
			ex.state = resumeToken{VM: ex.spec.VMID, Name: newName(ex.spec.JobID)}
			ex.state.Object = ex.s.StagingPrefix + ex.state.Name + "." + strings.ToLower(ex.s.ExportFormat)
		}
	}
	if ex.state.Image == "" {
		if err := ex.createImage(ctx); err != nil {
			return err
		}
	}
	if err := ex.awaitImage(ctx); err != nil {
		return err
	}
	if ex.state.WorkRequest != "" {
		wr, err := ex.c.work.GetWorkRequest(ctx, workRequest(ex.state.WorkRequest))
		if err != nil && !isNotFound(err) {
			return apiError(err, "read work request %s of the checkpoint", ex.state.WorkRequest)
		}
		if err != nil || failed(string(wr.Status)) {
			log.Info("exporting again: the checkpoint's export failed or is gone", "work_request", ex.state.WorkRequest)
			if err := ex.update(ctx, func(t *resumeToken) { t.WorkRequest, t.ExportToken = "", "" }); err != nil {
				return err
			}
		}
	}
	if ex.state.WorkRequest == "" {
		if err := ex.startExport(ctx); err != nil {
			return err
		}
	}
	what := "export image " + ex.state.Image + " to " + objectURI(ex.s.StagingNamespace, ex.s.StagingBucket, ex.state.Object)
	if err := ex.awaitWorkRequest(ctx, ex.state.WorkRequest, provider.PhaseExportingInCloud, what); err != nil {
		return exportError(err, ex.state.Image)
	}
	holds := []provider.Hold{ex.imageHold()}
	if ex.state.PAR != "" || ex.s.UsePAR {
		holds = append([]provider.Hold{ex.parHold()}, holds...)
	}
	ex.releaseNow(ctx, holds...)
	return ex.update(ctx, func(t *resumeToken) { t.CloudDone, t.PARURI = true, "" })
}

// createImage makes the custom image of the instance: the retry token is checkpointed and the
// image held (by name) before CreateImage, and held again by OCID after.
func (ex *export) createImage(ctx context.Context) error {
	if ex.state.ImageToken == "" {
		if err := ex.update(ctx, func(t *resumeToken) { t.ImageToken = randomHex(16) }); err != nil {
			return err
		}
	}
	if err := ex.r.Hold(ctx, ex.imageHold()); err != nil {
		return fmt.Errorf("record the hold on image %s: %w", ex.state.Name, err)
	}
	resp, err := ex.c.compute.CreateImage(ctx, core.CreateImageRequest{OpcRetryToken: &ex.state.ImageToken, CreateImageDetails: core.CreateImageDetails{
		CompartmentId: ex.d.inst.CompartmentId, InstanceId: &ex.spec.VMID, DisplayName: &ex.state.Name,
		FreeformTags: map[string]string{"made-by": "hypersdk", "hypersdk-job": ex.spec.JobID}}})
	if err != nil {
		return apiError(err, "create a custom image of %s", ex.spec.VMID)
	}
	ex.state.Image = deref(resp.Id)
	if err := ex.r.Hold(ctx, ex.imageHold()); err != nil {
		return fmt.Errorf("record image %s on its hold: %w", ex.state.Image, err)
	}
	if err := ex.checkpoint(ctx); err != nil {
		return err
	}
	provider.Logger(ctx).Info("custom image being created", "image", ex.state.Image, "name", ex.state.Name, "work_request", deref(resp.OpcWorkRequestId))
	if wr := deref(resp.OpcWorkRequestId); wr != "" {
		return ex.awaitWorkRequest(ctx, wr, provider.PhaseSnapshotting, "create custom image "+ex.state.Name+" of "+ex.spec.VMID)
	}
	return nil
}

// awaitImage polls the image until it is AVAILABLE (or EXPORTING: a resumed export).
func (ex *export) awaitImage(ctx context.Context) error {
	deadline := time.Now().Add(ex.t.exportTimeout)
	for {
		img, err := ex.c.compute.GetImage(ctx, core.GetImageRequest{ImageId: &ex.state.Image})
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("image %s: %w", ex.state.Image, ctx.Err())
			}
			return apiError(err, "read image %s", ex.state.Image)
		}
		switch img.LifecycleState {
		case core.ImageLifecycleStateAvailable, core.ImageLifecycleStateExporting:
			return nil
		case core.ImageLifecycleStateDeleted, core.ImageLifecycleStateDisabled:
			return fmt.Errorf("image %s of %s is %s", ex.state.Image, ex.spec.VMID, img.LifecycleState)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: image %s still %s after %s (export_timeout)", provider.ErrUnavailable, ex.state.Image, img.LifecycleState, ex.t.exportTimeout)
		}
		if err := sleep(ctx, ex.t.poll); err != nil {
			return fmt.Errorf("image %s: %w", ex.state.Image, err)
		}
	}
}

// startExport holds the object (and the PAR it is written through), checkpoints the retry
// token and sends ExportImage.
func (ex *export) startExport(ctx context.Context) error {
	if ex.state.ExportToken == "" {
		if err := ex.update(ctx, func(t *resumeToken) { t.ExportToken = randomHex(16) }); err != nil {
			return err
		}
	}
	if err := ex.r.Hold(ctx, ex.objectHold()); err != nil {
		return fmt.Errorf("record the hold on %s: %w", objectURI(ex.s.StagingNamespace, ex.s.StagingBucket, ex.state.Object), err)
	}
	format := core.ExportImageDetailsExportFormatEnum(ex.s.ExportFormat)
	var details core.ExportImageDetails = core.ExportImageViaObjectStorageTupleDetails{
		NamespaceName: &ex.s.StagingNamespace, BucketName: &ex.s.StagingBucket, ObjectName: &ex.state.Object, ExportFormat: format}
	if ex.s.UsePAR {
		uri, err := ex.writePAR(ctx)
		if err != nil {
			return err
		}
		details = core.ExportImageViaObjectStorageUriDetails{DestinationUri: &uri, ExportFormat: format}
	}
	resp, err := ex.c.compute.ExportImage(ctx, core.ExportImageRequest{ImageId: &ex.state.Image, ExportImageDetails: details, OpcRetryToken: &ex.state.ExportToken})
	if err != nil {
		return exportError(apiError(err, "export image %s", ex.state.Image), ex.state.Image)
	}
	id := deref(resp.OpcWorkRequestId)
	if id == "" {
		return fmt.Errorf("export image %s: the answer names no work request", ex.state.Image)
	}
	provider.Logger(ctx).Info("image export started", "image", ex.state.Image, "work_request", id, "object", objectURI(ex.s.StagingNamespace, ex.s.StagingBucket, ex.state.Object))
	return ex.update(ctx, func(t *resumeToken) { t.WorkRequest = id })
}

// writePAR makes the pre-authenticated request ExportImage writes the object through, or
// returns the checkpoint's. PARs take no OpcRetryToken: the hold, recorded first by name,
// lets Release find and delete one whose create answer was lost.
func (ex *export) writePAR(ctx context.Context) (string, error) {
	if ex.state.PARURI != "" {
		return ex.state.PARURI, nil
	}
	if err := ex.r.Hold(ctx, ex.parHold()); err != nil {
		return "", fmt.Errorf("record the hold on pre-authenticated request %s: %w", ex.state.Name, err)
	}
	expires := common.SDKTime{Time: time.Now().Add(ex.t.parLifetime)}
	resp, err := ex.c.objects.CreatePreauthenticatedRequest(ctx, objectstorage.CreatePreauthenticatedRequestRequest{
		NamespaceName: &ex.s.StagingNamespace, BucketName: &ex.s.StagingBucket,
		CreatePreauthenticatedRequestDetails: objectstorage.CreatePreauthenticatedRequestDetails{Name: &ex.state.Name,
			AccessType: objectstorage.CreatePreauthenticatedRequestDetailsAccessTypeObjectwrite, ObjectName: &ex.state.Object, TimeExpires: &expires}})
	if err != nil {
		return "", apiError(err, "create a pre-authenticated request to write %s", ex.state.Object)
	}
	uri := deref(resp.FullPath)
	if uri == "" {
		uri = strings.TrimSuffix(ex.c.objects.Host, "/") + deref(resp.AccessUri)
	}
	ex.state.PAR = deref(resp.Id)
	if err := ex.r.Hold(ctx, ex.parHold()); err != nil {
		return "", fmt.Errorf("record pre-authenticated request %s on its hold: %w", ex.state.PAR, err)
	}
	return uri, ex.update(ctx, func(t *resumeToken) { t.PARURI = uri })
}

// exportError says plainly that OCI refuses to export an image of a Platform or Marketplace
// image, which it answers with a 400 or a failed work request.
func exportError(err error, image string) error {
	msg := strings.ToLower(err.Error())
	if strings.Contains(msg, "marketplace") || strings.Contains(msg, "platform image") {
		return fmt.Errorf("%w: OCI does not export image %s: images of Platform or Marketplace images cannot be exported (%v)", provider.ErrUnsupported, image, err)
	}
	return err
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
