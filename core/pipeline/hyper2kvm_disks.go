package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hypersdk/hypersdk/core/convert"
	"github.com/hypersdk/hypersdk/sdk/diskfile"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// exportDisks finds every disk of the export, in disk order: the OVA's members or the OVF's
// files as its descriptor lists them, and otherwise (a vmdk export, or one not packaged because
// it is not kept) the disk files the job's result lists, each inspected as Convert would.
func exportDisks(ctx context.Context, st *State) (convert.Export, error) {
	if src := exportSource(st); st.Result.OVA != "" || strings.EqualFold(filepath.Ext(src), ".ovf") {
		exp, err := convert.LoadExport(ctx, st.Env.KVM.QemuImg, src)
		if err != nil {
			return exp, fmt.Errorf("read export %s: %w", src, err)
		}
		return exp, nil
	}
	exp := convert.Export{VM: st.Result.VM, Disks: make([]convert.Source, len(st.Result.VM.Disks))}
	for _, a := range st.Result.Artifacts {
		if a.Kind == provider.KindDisk && a.Disk >= 0 && a.Disk < len(exp.Disks) {
			exp.Disks[a.Disk] = convert.Source{Path: a.Path, Format: qemuDriver(a.Format), Name: filepath.Base(a.Path)}
		}
	}
	for i, src := range exp.Disks {
		if src.Path == "" {
			return exp, fmt.Errorf("the export holds no file for disk %d of %s", i, st.Result.VM.Name)
		}
		if _, err := convert.Inspect(ctx, st.Env.KVM.QemuImg, src); err != nil {
			return exp, fmt.Errorf("disk %d of the export: %w", i, err)
		}
	}
	return exp, nil
}

// hyper2kvmInput is how hyper2kvm reads the boot disk of exp. An export of one disk goes as it
// is: the OVA (--cmd ova) or OVF (--cmd ovf), so hyper2kvm reads the descriptor as well, or the
// disk file (--cmd local). A VM with data disks cannot go as an OVA or OVF — hyper2kvm would
// run its fixer on every disk, and it cannot open one without an operating system — so its
// boot disk goes alone (--cmd local), copied out of the OVA into scratch first when it is a
// member of one.
func hyper2kvmInput(ctx context.Context, exp convert.Export, boot int, source, scratch string) (op, input string, err error) {
	src := exp.Disks[boot]
	switch {
	case len(exp.Disks) == 1 && src.Size > 0:
		return h2kOVA, src.Path, nil
	case len(exp.Disks) == 1 && strings.EqualFold(filepath.Ext(source), ".ovf"):
		return h2kOVF, source, nil
	case src.Size == 0:
		return h2kLocal, src.Path, nil
	}
	out := filepath.Join(scratch, filepath.Base(src.Name))
	if err := extractMember(ctx, src, out); err != nil {
		return "", "", fmt.Errorf("copy disk %d out of %s for hyper2kvm: %w", boot, src.Path, err)
	}
	return h2kLocal, out, nil
}

// extractMember copies the byte range of an OVA member to out, a new file.
func extractMember(ctx context.Context, src convert.Source, out string) error {
	in, err := os.Open(src.Path)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, ctxReader{ctx, io.NewSectionReader(in, src.Offset, src.Size)}); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return diskfile.SyncDir(filepath.Dir(out))
}

// ctxReader stops a copy once its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, context.Cause(c.ctx)
	}
	return c.r.Read(p)
}
