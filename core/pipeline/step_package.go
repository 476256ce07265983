package pipeline

import (
	"context"
	"fmt"

	"github.com/hypersdk/hypersdk/core/logging"
	"github.com/hypersdk/hypersdk/sdk/diskfile"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// packageStep delivers what the method promises. It first completes the provider's disks into
// the method's format (completeDisks); then, for ova, ovf and vmdk, it writes the manifest, the
// descriptor and (for ova) the archive; raw and qcow2 deliver the images alone.
type packageStep struct{ noCleanup }

func (packageStep) Run(ctx context.Context, st *State) (int64, error) {
	name := st.Result.VM.Name
	if name == "" {
		name = st.Spec.VMIdentifier
	}
	method := st.Spec.ExportMethod
	if st.Spec.Options.Compress && !IsImageMethod(method) {
		st.Log.Info("compress: the package's disks are streamOptimized VMDKs, compressed already; packaging them as they are")
	}
	files, err := completeDisks(ctx, st, provider.SafeName(name))
	if err != nil {
		return 0, fmt.Errorf("package %s: %w", method, err)
	}
	pkg := Package{Files: files}
	if IsImageMethod(method) {
		err = diskfile.SyncDir(st.ExportDir) // the names of the images and of what was removed
	} else {
		pkg, err = PackageExport(st.ExportDir, provider.SafeName(name), method, st.Result.VM, files)
	}
	if err != nil {
		return 0, fmt.Errorf("package %s: %w", method, err)
	}
	st.Result.OVA, st.Result.Manifest, st.Result.Artifacts = pkg.OVA, pkg.Manifest, artifactsOf(pkg.Files)
	st.Log.Info("export packaged", logging.Present("method", method, "files", len(pkg.Files), "ova", pkg.OVA)...)
	var n int64
	for _, f := range pkg.Files {
		n += f.Size
	}
	return n, nil
}
