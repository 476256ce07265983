package pipeline

import (
	"context"
	"fmt"

	"github.com/hypersdk/hypersdk/core/logging"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// packageStep writes the manifest, the descriptor and (for ova) the archive.
type packageStep struct{ noCleanup }

func (packageStep) Run(_ context.Context, st *State) (int64, error) {
	name := st.Result.VM.Name
	if name == "" {
		name = st.Spec.VMIdentifier
	}
	if st.Spec.Options.Compress {
		st.Log.Info("compress: the exported disks are already compressed streamOptimized VMDKs; packaging them as they are")
	}
	pkg, err := PackageExport(st.ExportDir, provider.SafeName(name), st.Spec.ExportMethod, st.Result.VM, st.Verified)
	if err != nil {
		return 0, fmt.Errorf("package %s: %w", st.Spec.ExportMethod, err)
	}
	st.Result.OVA, st.Result.Manifest, st.Result.Artifacts = pkg.OVA, pkg.Manifest, artifactsOf(pkg.Files)
	st.Log.Info("export packaged", logging.Present("files", len(pkg.Files), "ova", pkg.OVA)...)
	var n int64
	for _, f := range pkg.Files {
		n += f.Size
	}
	return n, nil
}
