package gcp

import (
	"context"
	"fmt"
	"os"
	"time"

	"cloud.google.com/go/cloudbuild/apiv1/v2/cloudbuildpb"
	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// markEvery is how often a download checkpoints how far it got.
const markEvery = 2 * time.Second

// exportDisk takes disk i from its snapshot to an artifact in the job directory.
func (ex *export) exportDisk(ctx context.Context, i int) (provider.Artifact, error) {
	if !ex.disk(i).resumed {
		if err := ex.image(ctx, i); err != nil {
			return provider.Artifact{}, err
		}
		if err := ex.startBuild(ctx, i); err != nil {
			return provider.Artifact{}, err
		}
	}
	st := ex.disk(i)
	if !st.CloudDone {
		if err := ex.awaitBuild(ctx, i, st); err != nil {
			return provider.Artifact{}, err
		}
		// The object is all the rest needs: the snapshot, the image and the build go now,
		// not after a download of hours.
		ex.releaseNow(ctx, ex.buildHoldOf(st, st.Build), imageHold(ex.s.Project, st.Image, st.Snapshot), snapshotHold(ex.s.Project, st.Snapshot, ex.diskName(i)))
		if err := ex.update(ctx, i, func(d *diskState) { d.CloudDone = true }); err != nil {
			return provider.Artifact{}, err
		}
	}
	a, err := ex.download(ctx, i)
	if err != nil {
		return provider.Artifact{}, err
	}
	ex.releaseNow(ctx, objectHold(ex.s.Project, ex.s.StagingBucket, ex.disk(i).Object))
	return a, nil
}

// image makes the image the builder exports, from disk i's snapshot.
func (ex *export) image(ctx context.Context, i int) error {
	st := ex.disk(i)
	name := ex.names.image(i)
	if err := ex.r.Hold(ctx, imageHold(ex.s.Project, name, st.Snapshot)); err != nil {
		return fmt.Errorf("record the hold on image %s: %w", name, err)
	}
	what := "create image of snapshot " + st.Snapshot
	src := "projects/" + ex.s.Project + "/global/snapshots/" + st.Snapshot
	op, err := ex.c.images.Insert(ctx, &computepb.InsertImageRequest{Project: ex.s.Project,
		ImageResource: &computepb.Image{Name: &name, SourceSnapshot: &src, Labels: ex.labels()}})
	if err != nil {
		return apiError(err, "%s", what)
	}
	if err := waitOp(ctx, op, ex.t.poll, what, ex.cloudProgress(provider.PhaseExportingInCloud, i, op.Name(), what)); err != nil {
		return err
	}
	return ex.update(ctx, i, func(d *diskState) { d.Image = name })
}

// exportBuildOf is disk i's build: where it writes and logs.
func (ex *export) exportBuildOf(st diskState) exportBuild {
	return exportBuild{tag: st.Tag, object: st.Object, logPrefix: ex.s.StagingPrefix + "logs"}
}

func (ex *export) buildHoldOf(st diskState, id string) provider.Hold {
	b := ex.exportBuildOf(st)
	return buildHold(ex.s.Project, b.tag, id, ex.s.StagingBucket, b.logPrefix)
}

// startBuild holds the object the build will write and the build itself, then submits it.
func (ex *export) startBuild(ctx context.Context, i int) error {
	ext := "tar.gz"
	if ex.format != "" {
		ext = ex.format
	}
	tag := ex.names.tag(i)
	object := fmt.Sprintf("%s%s/disk-%d.%s", ex.s.StagingPrefix, ex.names.base, i, ext)
	if err := ex.update(ctx, i, func(d *diskState) { d.Tag, d.Object, d.Format = tag, object, ex.format }); err != nil {
		return err
	}
	// The object hold comes first, so the host, releasing newest first, cancels the build
	// before it deletes what the build writes.
	if err := ex.r.Hold(ctx, objectHold(ex.s.Project, ex.s.StagingBucket, object)); err != nil {
		return fmt.Errorf("record the hold on gs://%s/%s: %w", ex.s.StagingBucket, object, err)
	}
	st := ex.disk(i)
	if err := ex.r.Hold(ctx, ex.buildHoldOf(st, "")); err != nil {
		return fmt.Errorf("record the hold on the export build of disk %d: %w", i, err)
	}
	// Creating the build and recording its id are one step a cancel does not cut in two: a
	// build the cloud started is known, and a cancelled export cancels it itself (a cancel
	// that landed while the create was on the wire left it to the hold's release before).
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), buildStartWait)
	defer cancel()
	req := ex.exportBuildOf(st).request(ex.s, ex.t, ex.zone, st.Image, ex.format)
	op, err := ex.c.build.CreateBuild(sctx, &cloudbuildpb.CreateBuildRequest{ProjectId: ex.s.Project, Build: req})
	if err != nil {
		return createBuildError(err, ex.s.Project)
	}
	md, err := op.Metadata()
	if err != nil || md.GetBuild().GetId() == "" {
		return fmt.Errorf("create the image export build of disk %d: the operation %s names no build (%v)", i, op.Name(), err)
	}
	id := md.GetBuild().GetId()
	if err := ex.r.Hold(sctx, ex.buildHoldOf(st, id)); err != nil {
		return fmt.Errorf("record build %s on its hold: %w", id, err)
	}
	provider.Logger(ctx).Info("image export build started", "build", id, "disk", i, "object", "gs://"+ex.s.StagingBucket+"/"+object)
	if err := ex.update(sctx, i, func(d *diskState) { d.Build = id }); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ex.cancelBuild(ctx, id)
	}
	return nil
}

// buildStartWait bounds creating a build and recording it once the export is cancelled.
const buildStartWait = 2 * time.Minute

// awaitBuild polls the build until it ends, passing its state on as progress. A cancelled
// export cancels the build at once rather than leave it to the release of its hold.
func (ex *export) awaitBuild(ctx context.Context, i int, st diskState) error {
	what := "image export build of disk " + ex.diskName(i)
	started := time.Now()
	for {
		b, err := ex.c.build.GetBuild(ctx, &cloudbuildpb.GetBuildRequest{ProjectId: ex.s.Project, Id: st.Build})
		if err != nil {
			if ctx.Err() != nil {
				return ex.cancelBuild(ctx, st.Build)
			}
			return apiError(err, "read build %s", st.Build)
		}
		percent := 0.0
		if b.GetStatus() == cloudbuildpb.Build_SUCCESS {
			percent = 100 // Cloud Build reports states, not percentages
		}
		ex.r.Progress(provider.Progress{Phase: provider.PhaseExportingInCloud, Disk: i, DiskName: ex.diskName(i), OperationID: st.Build,
			Operation: what, Percent: percent, Message: fmt.Sprintf("build %s %s for %s", st.Build, b.GetStatus(), time.Since(started).Round(time.Second))})
		switch {
		case b.GetStatus() == cloudbuildpb.Build_SUCCESS:
			return nil
		case !buildRunning(b.GetStatus()):
			eb := ex.exportBuildOf(st)
			return buildFailure(b, ex.t.buildTimeout, ex.p.lastLogLine(ctx, ex.c, ex.s.StagingBucket, eb.logObject(st.Build)))
		}
		select {
		case <-ctx.Done():
			return ex.cancelBuild(ctx, st.Build)
		case <-time.After(ex.t.poll):
		}
	}
}

// cancelBuild cancels a build of an export that was cancelled and returns the cancellation.
func (ex *export) cancelBuild(ctx context.Context, id string) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, err := ex.c.build.CancelBuild(cctx, &cloudbuildpb.CancelBuildRequest{ProjectId: ex.s.Project, Id: id}); err != nil && !isNotFound(err) {
		provider.Logger(ctx).Warn("cannot cancel the build of a cancelled export; its hold's release will", "build", id, "error", err)
	}
	return fmt.Errorf("image export build %s: %w", id, ctx.Err())
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

// resume takes over the disks of an earlier attempt whose build still runs or succeeded with
// its object still there; the others start over.
func (ex *export) resume(ctx context.Context, tok resumeToken) {
	log := provider.Logger(ctx)
	for i, st := range tok.Disks {
		if st.Build == "" || st.Object == "" || st.Format != ex.format {
			continue
		}
		if !st.CloudDone {
			b, err := ex.c.build.GetBuild(ctx, &cloudbuildpb.GetBuildRequest{ProjectId: ex.s.Project, Id: st.Build})
			if err != nil || (!buildRunning(b.GetStatus()) && b.GetStatus() != cloudbuildpb.Build_SUCCESS) {
				log.Info("disk starts over: its earlier build is gone or failed", "disk", i, "build", st.Build, "error", err)
				continue
			}
		} else if _, err := ex.c.storage.Bucket(ex.s.StagingBucket).Object(st.Object).Attrs(ctx); err != nil {
			log.Info("disk starts over: its exported object is gone", "disk", i, "object", st.Object, "error", err)
			continue
		}
		st.resumed = true
		ex.state.Disks[i] = st
		log.Info("disk resumed from the checkpoint", "disk", i, "build", st.Build, "cloud_done", st.CloudDone, "bytes_done", st.Done)
	}
}

// removeQuietly removes a file the export wrote and no longer needs.
func removeQuietly(ctx context.Context, path string) {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		provider.Logger(ctx).Warn("cannot remove a temporary file", "path", path, "error", err)
	}
}
