package oci

import (
	"context"
	"fmt"
	"time"

	"github.com/oracle/oci-go-sdk/v65/core"
	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

var _ provider.Releaser = (*Provider)(nil)

// Release undoes one of the holds ExportVM recorded, from its Data alone, so a plugin started
// after a crash releases what the dead one held: the image deleted (found by its name when
// the hold was recorded before OCI named it), the object deleted, the PAR deleted. An image
// still being created or exported cannot be deleted, and an object still being written
// would come back: Release waits up to release_wait for that work to end, then answers
// ErrUnavailable so the host tries again later. What is gone already is released.
func (p *Provider) Release(ctx context.Context, h provider.Hold) error {
	d, err := decodeHoldData(h)
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	c, _, t, err := p.configured()
	if err != nil {
		return err
	}
	if d.Config != c.configKey {
		return fmt.Errorf("%w: release %s %s: it was made in %s and this provider is configured for %s",
			provider.ErrInvalidArgument, h.Kind, h.ID, d.Config, c.configKey)
	}
	switch h.Kind {
	case provider.HoldImage:
		return releaseImage(ctx, c, t, d)
	case provider.HoldObject:
		if d.Image != "" {
			if _, err := imageIdle(ctx, c, t, d.Image); err != nil {
				return fmt.Errorf("release %s: %w", h.ID, err)
			}
		}
		_, err := c.objects.DeleteObject(ctx, objectstorage.DeleteObjectRequest{NamespaceName: &d.Namespace, BucketName: &d.Bucket, ObjectName: &d.Object})
		if err != nil && !isNotFound(err) {
			return apiError(err, "release: delete %s", h.ID)
		}
		return nil
	case provider.HoldGrant:
		return releasePAR(ctx, c, d)
	}
	return fmt.Errorf("release %s/%s: %w: oci makes only image, object and grant holds", h.Kind, h.ID, provider.ErrUnsupported)
}

// releaseImage deletes the hold's image, or every image of its name in its compartment when
// the hold was recorded before CreateImage answered.
func releaseImage(ctx context.Context, c *clients, t timing, d holdData) error {
	ids := []string{d.Image}
	if d.Image == "" {
		ids = nil
		req := core.ListImagesRequest{CompartmentId: &d.Compartment, DisplayName: &d.Name}
		for {
			resp, err := c.compute.ListImages(ctx, req)
			if err != nil {
				return apiError(err, "release: find image %s", d.Name)
			}
			for _, img := range resp.Items {
				ids = append(ids, deref(img.Id))
			}
			if resp.OpcNextPage == nil {
				break
			}
			req.Page = resp.OpcNextPage
		}
	}
	for _, id := range ids {
		exists, err := imageIdle(ctx, c, t, id)
		if err != nil {
			return fmt.Errorf("release image %s: %w", id, err)
		}
		if !exists {
			continue
		}
		if _, err := c.compute.DeleteImage(ctx, core.DeleteImageRequest{ImageId: &id}); err != nil && !isNotFound(err) {
			return apiError(err, "release: delete image %s", id)
		}
	}
	return nil
}

// imageIdle waits up to release_wait until image id is neither being created nor exported,
// and says whether it still exists.
func imageIdle(ctx context.Context, c *clients, t timing, id string) (bool, error) {
	deadline := time.Now().Add(t.releaseWait)
	for {
		img, err := c.compute.GetImage(ctx, core.GetImageRequest{ImageId: &id})
		if isNotFound(err) {
			return false, nil
		}
		if err != nil {
			return false, apiError(err, "read image %s", id)
		}
		switch img.LifecycleState {
		case core.ImageLifecycleStateDeleted:
			return false, nil
		case core.ImageLifecycleStateProvisioning, core.ImageLifecycleStateExporting, core.ImageLifecycleStateImporting:
		default:
			return true, nil
		}
		if time.Now().After(deadline) {
			return true, fmt.Errorf("%w: image %s is still %s after %s (release_wait)", provider.ErrUnavailable, id, img.LifecycleState, t.releaseWait)
		}
		if err := sleep(ctx, t.poll); err != nil {
			return true, err
		}
	}
}

// releasePAR deletes the hold's pre-authenticated request, or every one of its name on its
// object when the hold was recorded before OCI answered.
func releasePAR(ctx context.Context, c *clients, d holdData) error {
	ids := []string{d.PAR}
	if d.PAR == "" {
		ids = nil
		req := objectstorage.ListPreauthenticatedRequestsRequest{NamespaceName: &d.Namespace, BucketName: &d.Bucket, ObjectNamePrefix: &d.Object}
		for {
			resp, err := c.objects.ListPreauthenticatedRequests(ctx, req)
			if err != nil {
				return apiError(err, "release: find pre-authenticated request %s", d.Name)
			}
			for _, par := range resp.Items {
				if deref(par.Name) == d.Name {
					ids = append(ids, deref(par.Id))
				}
			}
			if resp.OpcNextPage == nil {
				break
			}
			req.Page = resp.OpcNextPage
		}
	}
	for _, id := range ids {
		_, err := c.objects.DeletePreauthenticatedRequest(ctx, objectstorage.DeletePreauthenticatedRequestRequest{NamespaceName: &d.Namespace, BucketName: &d.Bucket, ParId: &id})
		if err != nil && !isNotFound(err) {
			return apiError(err, "release: delete pre-authenticated request %s", id)
		}
	}
	return nil
}
