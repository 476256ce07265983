package hyperv

import (
	"context"
	"fmt"
	"strings"

	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/smbread"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// download reads each disk's exported VHDX over SMB into the job directory.
func (x *exportRun) download(ctx context.Context, files []exportFile) ([]provider.Artifact, error) {
	byName := map[string]exportFile{}
	for _, f := range files {
		key := strings.ToLower(f.Name)
		if _, dup := byName[key]; dup {
			return nil, fmt.Errorf("the export of VM %s holds two disk files named %s: the disks cannot be told apart", x.vm.Name, f.Name)
		}
		byName[key] = f
	}
	var arts []provider.Artifact
	for i, d := range x.row.Disks {
		base := d.Path[strings.LastIndexAny(d.Path, `\/`)+1:]
		f, ok := byName[strings.ToLower(base)]
		if !ok {
			return nil, fmt.Errorf("the export of VM %s has no file %s for disk %s (it wrote %d files)", x.vm.Name, base, diskKey(d), len(files))
		}
		format := provider.FormatVHDX
		if strings.HasSuffix(strings.ToLower(base), ".vhd") {
			format = provider.FormatVHD
		}
		name := fmt.Sprintf("disk-%d.%s", i, format)
		local, err := provider.SafeJoin(x.spec.Dir, name)
		if err != nil {
			return nil, err
		}
		progress := provider.Progress{Phase: provider.PhaseDownloading, Disk: i, DiskName: base}
		x.r.Progress(progress)
		log := provider.Logger(ctx)
		size, err := smbread.Copy(ctx, x.st.smb, f.Path, local, smbread.Options{
			Workers: x.st.settings.DownloadWorkers, Chunk: int64(x.st.settings.ChunkSizeMB) << 20, Retries: 5,
			Progress: func(done, total int64) {
				p := progress
				p.BytesDone, p.BytesTotal = done, total
				x.r.Progress(p)
			},
			Reconnected: func(err error) { log.Warn("SMB connection dropped; dialling again", "file", f.Path, "error", err) },
		})
		if err != nil {
			return nil, fmt.Errorf("read disk %d of VM %s (%s): %w", i, x.vm.Name, f.Path, err)
		}
		extents, err := provider.FileExtents(local)
		if err != nil {
			return nil, fmt.Errorf("extents of %s: %w", name, err)
		}
		arts = append(arts, provider.Artifact{Path: name, Kind: provider.KindDisk, Format: format, Size: size, Disk: i, Extents: extents, ExtentsKnown: true})
	}
	if len(arts) == 0 {
		return nil, fmt.Errorf("VM %s has no virtual hard disk to export", x.vm.Name)
	}
	return arts, nil
}
