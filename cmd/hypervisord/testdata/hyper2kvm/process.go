package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hypersdk/hypersdk/cmd/hypervisord/internal/h2kmanifest"
)

// process is _process_manifest: move to processing/, validate, run the stages, file the result.
func (w *workflow) process(path string) {
	start := time.Now()
	ppath, err := w.moveToProcessing(path)
	if err != nil {
		w.lg.Errorf("Failed to move to processing: %v", err)
		w.lg.Errorf("❌ Manifest failed: %s - %v", stem(path), err)
		return
	}
	jobID := stem(ppath)
	report, err := w.pipeline(ppath, jobID)
	if err != nil {
		w.lg.Errorf("❌ Manifest failed: %s - %v", jobID, err)
		errDoc := errorDoc{JobID: jobID, OriginalName: filepath.Base(ppath), FailedAt: isoNow(),
			Error: err.Error(), Exception: traceback(err), Status: "failed"}
		if ferr := w.finish(ppath, w.bad, ".error.json", errDoc); ferr != nil {
			w.lg.Errorf("Failed to move to failed directory: %v", ferr)
			return
		}
		w.lg.Infof("📝 Error details saved: %s.error.json", filepath.Base(ppath))
		return
	}
	w.lg.Infof("✅ Manifest completed: %s (%.1fs)", jobID, time.Since(start).Seconds())
	if err := w.finish(ppath, w.processed, ".report.json", report); err != nil {
		w.lg.Errorf("Failed to move to processed: %v", err)
		return
	}
	w.lg.Infof("📝 Report saved: %s.report.json", filepath.Base(ppath))
}

// pipeline loads and runs one manifest, returning the report the daemon files beside it.
func (w *workflow) pipeline(ppath, jobID string) (any, error) {
	doc, err := h2kmanifest.Decode(ppath)
	if err != nil {
		return nil, err
	}
	w.lg.Infof("🔄 Processing manifest: %s", jobID)
	dated := filepath.Join(w.output, time.Now().Format("2006-01-02"), jobID)
	if err := os.MkdirAll(dated, 0o755); err != nil {
		return nil, err
	}
	if d := standinDelay(); d > 0 {
		w.lg.Debugf("stand-in delay %s", d)
		time.Sleep(d)
	}
	m, err := h2kmanifest.ValidateDoc(ppath, doc)
	if err != nil {
		return nil, err
	}
	w.lg.Infof("Processing manifest: %s (%s) → %s", jobID, m.SourceType, dated)
	out := m.OutputDir
	if out == "" {
		out = dated
	}
	rep, err := runStages(context.Background(), w.lg, m, out)
	if err != nil {
		return nil, err
	}
	if os.Getenv("HYPER2KVM_STANDIN_REPORT") == "minimal" {
		return map[string]any{"manifest": jobID, "status": "completed", "completed_at": isoNow()}, nil
	}
	if err := writeJSON(filepath.Join(dated, "report.json"), rep); err != nil {
		return nil, err
	}
	return rep, nil
}

// runStages runs the enabled stages in hyper2kvm's order and builds ManifestReporter's report.
func runStages(ctx context.Context, lg *logger, m *h2kmanifest.Manifest, out string) (map[string]any, error) {
	start := time.Now()
	src, _ := m.Doc["source"].(map[string]any)
	stages := map[string]any{
		"load_manifest": stage(true, map[string]any{
			"manifest_path": m.Path, "manifest_version": m.Doc["manifest_version"],
			"source_provider": src["provider"], "source_vm_id": src["vm_id"], "source_vm_name": src["vm_name"],
			"disks_count": len(m.Disks),
		}),
	}
	if m.StageEnabled("inspect") {
		var found []map[string]any
		for _, d := range m.Disks {
			i, err := info(ctx, d.LocalPath, d.SourceFormat)
			if err != nil {
				return nil, fmt.Errorf("inspect disk %s: %w", d.ID, err)
			}
			found = append(found, map[string]any{"disk_id": d.ID, "format": i.Format, "virtual_size": i.VirtualSize})
		}
		stages["inspect"] = stage(true, map[string]any{"disks": found})
	}
	if m.StageEnabled("fix") {
		boot := m.BootDisk()
		if err := fixDisk(ctx, lg, boot.LocalPath, boot.SourceFormat); err != nil {
			return nil, err
		}
		stages["fix"] = stage(true, map[string]any{"disk_id": boot.ID})
	}
	var artifacts []map[string]any
	compress, _ := m.StageOption("convert", "compress").(bool)
	if m.StageEnabled("convert") {
		var converted []map[string]any
		for _, d := range m.Disks {
			dst := filepath.Join(out, d.ID+"."+m.OutputFormat)
			lg.Infof("🔄 Converting disk %s: %s → %s", d.ID, d.LocalPath, dst)
			if err := convert(ctx, d.LocalPath, d.SourceFormat, dst, m.OutputFormat, compress); err != nil {
				return nil, fmt.Errorf("convert disk %s: %w", d.ID, err)
			}
			st, err := os.Stat(dst)
			if err != nil {
				return nil, err
			}
			converted = append(converted, map[string]any{"disk_id": d.ID, "output_path": dst, "output_format": m.OutputFormat,
				"output_size_bytes": st.Size(), "output_size_human": human(st.Size()), "boot_order_hint": d.BootOrderHint})
			artifacts = append(artifacts, map[string]any{"type": "converted_disk", "path": dst, "disk_id": d.ID,
				"format": m.OutputFormat, "size_bytes": st.Size(), "size_human": human(st.Size()),
				"boot_order_hint": d.BootOrderHint, "compressed": compress})
		}
		stages["convert"] = stage(true, map[string]any{"converted_disks": converted, "compressed": compress})
	}
	if m.StageEnabled("validate") {
		for _, a := range artifacts {
			if _, err := qemuImg(ctx, "check", "-f", m.OutputFormat, a["path"].(string)); err != nil && m.OutputFormat == "qcow2" {
				return nil, fmt.Errorf("validate %s: %w", a["path"], err)
			}
		}
		stages["validate"] = stage(true, map[string]any{"checked": len(artifacts)})
	}
	if artifacts == nil {
		artifacts = []map[string]any{}
	}
	return map[string]any{
		"version":   "1.0",
		"timestamp": isoNow(),
		"pipeline":  map[string]any{"success": true, "duration_seconds": float64(time.Since(start).Milliseconds()) / 1000, "stages": stages},
		"artifacts": artifacts,
		"warnings":  []any{},
		"errors":    []any{},
		"input_manifest": map[string]any{"path": m.Path, "manifest_version": m.Doc["manifest_version"],
			"source_provider": src["provider"], "source_vm_id": src["vm_id"], "source_vm_name": src["vm_name"]},
		"hyper2kvm_version": version,
		"summary": map[string]any{"total_stages": len(stages), "successful_stages": len(stages), "failed_stages": 0,
			"total_warnings": 0, "total_errors": 0, "total_artifacts": len(artifacts),
			"input_disks": len(m.Disks), "output_disks": len(artifacts)},
	}, nil
}

func stage(ok bool, result map[string]any) map[string]any {
	return map[string]any{"success": ok, "result": result}
}

func stem(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}
