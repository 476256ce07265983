package pipeline

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/hypersdk/hypersdk/core/metrics"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// HoldKeeper is told when a job's export runs (core/jobs implements it), so that no release of
// the job's holds (at start-up, after a crash) runs while its export does.
type HoldKeeper interface {
	// ExportStarting waits until no release of the job's holds is in flight.
	ExportStarting(ctx context.Context, jobID string) error
	// ExportEnded lets releases run again.
	ExportEnded(jobID string)
}

// exportStep has the provider write the VM's disks into the job's directory, within
// export.job_timeout counted from when an export slot is free.
type exportStep struct{ noCleanup }

func (exportStep) Run(ctx context.Context, st *State) (int64, error) {
	p, err := st.Env.Providers.Provider(st.Spec.Provider)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(st.ExportDir, 0o750); err != nil {
		return 0, fmt.Errorf("create export directory: %w", err)
	}
	// A release still trying the holds of an interrupted attempt is waited for before an export
	// slot is taken, so it keeps no other job waiting.
	if h := st.Env.Holds; h != nil {
		if err := h.ExportStarting(ctx, st.JobID); err != nil {
			return 0, err
		}
		defer h.ExportEnded(st.JobID)
	}
	// The source's budget first: a job waiting for its vCenter or account does not hold one of
	// this node's export slots meanwhile.
	if b := st.Env.Budgets; b != nil {
		release, err := b.Acquire(ctx, st.Spec.Provider, st.JobID)
		if err != nil {
			return 0, fmt.Errorf("wait for an export slot of %s (export.source_budgets): %w", st.Spec.Provider, err)
		}
		defer release()
	}
	select {
	case st.Env.ExportSlots <- struct{}{}:
	case <-ctx.Done():
		return 0, context.Cause(ctx)
	}
	var release sync.Once
	freeSlot := func() { release.Do(func() { <-st.Env.ExportSlots }) }
	defer freeSlot()
	var res provider.ExportResult
	started := time.Now()
	err = bounded(ctx, st.Env.ExportTimeout, ErrExportTimeout, func(ctx context.Context) error {
		convertTo := streamFormat(st)
		res, err = p.ExportVM(provider.WithJobID(ctx, st.JobID), provider.ExportSpec{
			JobID: st.JobID, VMID: st.Spec.VMIdentifier, Method: st.Spec.ExportMethod, Dir: st.ExportDir,
			Options:   provider.ExportOptions{ShutdownVM: st.Spec.Options.ShutdownVM, RemoveCDROM: st.Spec.Options.RemoveCDROM, Compress: st.Spec.Options.Compress},
			ChunkSize: st.Env.ChunkSize, MaxRetries: st.Env.MaxRetries, ResumeToken: st.ResumeToken,
			ConvertTo: convertTo, ConvertOnly: convertTo != "" && (!st.Spec.Hyper2KVM.Keep() || IsImageMethod(st.Spec.ExportMethod)),
		}, st.Reporter)
		return err
	})
	freeSlot()
	if err != nil {
		return 0, fmt.Errorf("export %s from %s: %w", st.Spec.VMIdentifier, st.Spec.Provider, err)
	}
	var exported int64
	for _, a := range res.Artifacts {
		if a.Kind == provider.KindDisk {
			exported += a.Size
		}
	}
	metrics.BytesExported.WithLabelValues(st.Spec.Provider).Add(float64(exported))
	if took := time.Since(started).Seconds(); took > 0 {
		metrics.ExportThroughput.WithLabelValues(st.Spec.Provider).Set(float64(exported) / took)
	}
	st.Exported, st.Verified = res.Artifacts, nil
	st.Result = &Result{VM: res.VM, NotExported: res.NotExported}
	for _, n := range res.NotExported {
		st.Log.Warn("a disk of the VM was not exported", "disk", n.Disk.Key, "label", n.Disk.Label, "capacity_bytes", n.Disk.CapacityBytes, "reason", n.Reason)
	}
	return exported, nil
}

// streamFormat is the format a provider is asked to decode the disks into while it downloads
// them (ExportSpec.ConvertTo): a raw or qcow2 export's own (only the images are kept, so
// ConvertOnly), or the conversion stage's output format when that stage will run — where a
// provider's decoder makes exactly what the daemon would (no compressed qcow2 clusters).
func streamFormat(st *State) string {
	if st.Kind != KindExport || st.Env.KVM.QemuImg == "" {
		return ""
	}
	if IsImageMethod(st.Spec.ExportMethod) {
		if st.Spec.Options.Compress {
			return ""
		}
		return st.Spec.ExportMethod
	}
	if !st.Planned(StepConvert) || st.Env.KVM.Compression {
		return ""
	}
	return conversionFormat(st)
}
