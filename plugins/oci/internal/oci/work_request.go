package oci

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/oracle/oci-go-sdk/v65/workrequests"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

func workRequest(id string) workrequests.GetWorkRequestRequest {
	return workrequests.GetWorkRequestRequest{WorkRequestId: &id}
}

// failed says a work request ended without success.
func failed(status string) bool { return status == "FAILED" || status == "CANCELED" }

// awaitWorkRequest polls work request id until it succeeds, reporting its percentComplete
// as the progress of what it does. It fails with the work request's own errors when it
// fails, when its percentComplete has not moved for stall_timeout, or after export_timeout.
func (ex *export) awaitWorkRequest(ctx context.Context, id, phase, what string) error {
	start := time.Now()
	lastPct, lastMove := float32(-1), start
	for {
		resp, err := ex.c.work.GetWorkRequest(ctx, workRequest(id))
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%s: %w", what, ctx.Err())
			}
			return apiError(err, "read work request %s (%s)", id, what)
		}
		pct := deref(resp.PercentComplete)
		ex.r.Progress(provider.Progress{Phase: phase, Disk: 0, DiskName: ex.d.vm.Disks[0].Label, OperationID: id, Operation: what, Percent: float64(pct),
			Message: fmt.Sprintf("work request %s %s %.0f%% after %s", id, resp.Status, pct, time.Since(start).Round(time.Second))})
		status := string(resp.Status)
		switch {
		case status == "SUCCEEDED":
			return nil
		case failed(status):
			return fmt.Errorf("%s: work request %s %s: %s", what, id, status, ex.workRequestErrors(ctx, id))
		}
		if pct != lastPct {
			lastPct, lastMove = pct, time.Now()
		}
		if time.Since(lastMove) > ex.t.stall {
			return fmt.Errorf("%w: %s: work request %s stalled at %.0f%% for %s (stall_timeout)", provider.ErrUnavailable, what, id, pct, ex.t.stall)
		}
		if time.Since(start) > ex.t.exportTimeout {
			return fmt.Errorf("%w: %s: work request %s at %.0f%% after %s (export_timeout)", provider.ErrUnavailable, what, id, pct, ex.t.exportTimeout)
		}
		if err := sleep(ctx, ex.t.poll); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
}

// workRequestErrors is what OCI says went wrong in a work request.
func (ex *export) workRequestErrors(ctx context.Context, id string) string {
	resp, err := ex.c.work.ListWorkRequestErrors(ctx, workrequests.ListWorkRequestErrorsRequest{WorkRequestId: &id})
	if err != nil {
		return "its errors cannot be read: " + err.Error()
	}
	var msgs []string
	for _, e := range resp.Items {
		msgs = append(msgs, deref(e.Code)+": "+deref(e.Message))
	}
	if len(msgs) == 0 {
		return "no error reported"
	}
	return strings.Join(msgs, "; ")
}
