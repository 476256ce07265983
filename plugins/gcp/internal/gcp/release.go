package gcp

import (
	"context"
	"errors"
	"fmt"
	"path"
	"time"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/api/iterator"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

var _ provider.Releaser = (*Provider)(nil)

// Release undoes one of the holds ExportVM recorded, from its Data alone, so a plugin started
// after a crash releases what the dead one held: a snapshot or image is deleted, a build is
// cancelled if it still runs and its log deleted, an object deleted, a stopped instance
// started. What is gone already (404) is released.
func (p *Provider) Release(ctx context.Context, h provider.Hold) error {
	d, err := decodeHoldData(h)
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	c, s, err := p.configured()
	if err != nil {
		return err
	}
	if d.Project != s.Project {
		return fmt.Errorf("%w: release %s %s: it was made in project %s and this provider is configured for %s",
			provider.ErrInvalidArgument, h.Kind, h.ID, d.Project, s.Project)
	}
	poll := p.timings().poll
	switch h.Kind {
	case provider.HoldSnapshot:
		return deleted(ctx, poll, "delete snapshot "+d.Name, func() (*compute.Operation, error) {
			return c.snapshots.Delete(ctx, &computepb.DeleteSnapshotRequest{Project: d.Project, Snapshot: d.Name})
		})
	case provider.HoldImage:
		return deleted(ctx, poll, "delete image "+d.Name, func() (*compute.Operation, error) {
			return c.images.Delete(ctx, &computepb.DeleteImageRequest{Project: d.Project, Image: d.Name})
		})
	case provider.HoldObject:
		err := c.storage.Bucket(d.Bucket).Object(d.Object).Delete(ctx)
		if err != nil && !isNotFound(err) {
			return apiError(err, "release: delete gs://%s/%s", d.Bucket, d.Object)
		}
		return nil
	case HoldBuild:
		return p.releaseBuild(ctx, c, h.ID, d)
	case provider.HoldPower:
		return p.releasePower(ctx, c, poll, d)
	}
	return fmt.Errorf("release %s/%s: %w: gcp makes only snapshot, image, object, build and power holds", h.Kind, h.ID, provider.ErrUnsupported)
}

// deleted runs a delete and waits for its operation; a resource already gone is deleted.
func deleted(ctx context.Context, poll time.Duration, what string, del func() (*compute.Operation, error)) error {
	op, err := del()
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return apiError(err, "release: %s", what)
	}
	err = waitOp(ctx, op, poll, what, nil)
	if errors.Is(err, provider.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	return nil
}

// releaseBuild cancels the build the hold names (found by its tag when the hold was recorded
// before Cloud Build named it) if it still runs, and deletes its log.
func (p *Provider) releaseBuild(ctx context.Context, c *clients, tag string, d holdData) error {
	ids := []string{d.Build}
	if d.Build == "" {
		ids = nil
		it := c.build.ListBuilds(ctx, &cloudbuildpb.ListBuildsRequest{ProjectId: d.Project, Filter: fmt.Sprintf("tags=%q", tag)})
		for {
			b, err := it.Next()
			if errors.Is(err, iterator.Done) {
				break
			}
			if err != nil {
				return apiError(err, "release: find the build tagged %s", tag)
			}
			ids = append(ids, b.GetId())
		}
	}
	for _, id := range ids {
		b, err := c.build.GetBuild(ctx, &cloudbuildpb.GetBuildRequest{ProjectId: d.Project, Id: id})
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return apiError(err, "release: read build %s", id)
		}
		if buildRunning(b.GetStatus()) {
			if _, err := c.build.CancelBuild(ctx, &cloudbuildpb.CancelBuildRequest{ProjectId: d.Project, Id: id}); err != nil && !isNotFound(err) {
				return apiError(err, "release: cancel build %s", id)
			}
			provider.Logger(ctx).Info("image export build cancelled: build hold released", "build", id)
		}
		if d.Bucket != "" {
			log := path.Join(d.Object, "log-"+id+".txt")
			if err := c.storage.Bucket(d.Bucket).Object(log).Delete(ctx); err != nil && !isNotFound(err) {
				return apiError(err, "release: delete the log gs://%s/%s of build %s", d.Bucket, log, id)
			}
		}
	}
	return nil
}
