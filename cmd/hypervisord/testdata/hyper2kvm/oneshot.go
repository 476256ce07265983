package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// runOneShot is `--cmd local|ova|ovf`: flatten the boot disk into work/, fix it, convert it to
// --to-output. See main.go for the rules.
func runOneShot(a *args, lg *logger) int {
	ctx := context.Background()
	if err := oneShot(ctx, a, lg); err != nil {
		lg.Errorf("💥 %v", err)
		return 1
	}
	return 0
}

func oneShot(ctx context.Context, a *args, lg *logger) error {
	lg.Infof("hyper2kvm %s (stand-in): cmd=%s", version, a.cmd)
	outDir, err := filepath.Abs(a.outputDir)
	if err != nil {
		return err
	}
	work := a.workdir
	if work == "" {
		work = filepath.Join(outDir, "work")
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return fmt.Errorf("create workdir: %w", err)
	}
	src, err := sourceDisk(a, work, lg)
	if err != nil {
		return err
	}
	if !a.flatten {
		return fmt.Errorf("stand-in refusing to open %s read-write: without --flatten hyper2kvm fixes the source disk in place; pass --flatten", src)
	}
	stem := strings.TrimSuffix(filepath.Base(src), filepath.Ext(src))
	flat := filepath.Join(work, stem+".flat."+a.flattenFormat)
	lg.Infof("📦 Flattening %s → %s", src, flat)
	if err := convert(ctx, src, "", flat, a.flattenFormat, false); err != nil {
		return fmt.Errorf("flatten: %w", err)
	}
	if d := standinDelay(); d > 0 {
		lg.Debugf("stand-in delay %s", d)
		time.Sleep(d)
	}
	if err := fixDisk(ctx, lg, flat, a.flattenFormat); err != nil {
		return err
	}
	if a.toOutput == "" {
		lg.Infof("No --to-output: nothing converted; the fixed working image stays in %s", flat)
		return nil
	}
	out := a.toOutput
	if !filepath.IsAbs(out) {
		out = filepath.Join(outDir, out)
	}
	lg.Infof("🔄 Converting %s → %s (%s)", flat, out, a.outFormat)
	if err := convert(ctx, flat, a.flattenFormat, out, a.outFormat, a.compress); err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	i, err := info(ctx, out, a.outFormat)
	if err != nil {
		return err
	}
	lg.Infof("✅ Output: %s (%s, virtual size %d bytes)", out, i.Format, i.VirtualSize)
	return nil
}

// sourceDisk is the disk a one-shot run works on: the VMDK, or the OVA's/OVF's boot disk.
func sourceDisk(a *args, work string, lg *logger) (string, error) {
	need := func(flag, v string) (string, error) {
		if v == "" {
			return "", fmt.Errorf("--cmd %s needs %s", a.cmd, flag)
		}
		p, err := filepath.Abs(v)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s not found: %s", strings.TrimPrefix(flag, "--"), p)
		}
		return p, nil
	}
	switch a.cmd {
	case "local":
		return need("--vmdk", a.vmdk)
	case "ovf":
		p, err := need("--ovf", a.ovf)
		if err != nil {
			return "", err
		}
		return bootDiskOf(p, lg)
	default: // ova
		p, err := need("--ova", a.ova)
		if err != nil {
			return "", err
		}
		lg.Infof("📂 Extracting OVA %s into %s", p, work)
		desc, err := extractOVA(p, filepath.Join(work, "ova"))
		if err != nil {
			return "", err
		}
		return bootDiskOf(desc, lg)
	}
}

func bootDiskOf(ovfPath string, lg *logger) (string, error) {
	disks, err := readOVF(ovfPath)
	if err != nil {
		return "", err
	}
	for _, d := range disks[1:] {
		lg.Warnf("Disk %s (%s) is not the boot disk: not converted in this run", d.ID, d.Href)
	}
	return disks[0].Href, nil
}
