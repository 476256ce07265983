package provider

import (
	"fmt"
	"os"
	"path/filepath"
)

// Export methods of the seed's /jobs/submit.
const (
	MethodOVA  = "ova"
	MethodOVF  = "ovf"
	MethodVMDK = "vmdk"
)

// ExportSpec says what to export and where. Dir is owned by the job: the provider writes only
// inside it, and bulk data goes to files there, never through the plugin connection.
type ExportSpec struct {
	JobID   string
	VMID    string
	Method  string
	Dir     string
	Options ExportOptions
	// ChunkSize (bytes per request) and MaxRetries come from the daemon's export section.
	ChunkSize  int64
	MaxRetries int
	// ResumeToken is the last Checkpoint the provider reported for this job, if any: an export
	// task id, a lease, per-disk offsets — whatever lets it continue instead of starting over.
	ResumeToken []byte
	// ConvertTo is the image format ("qcow2" or "raw") the daemon converts the disks to after
	// the export, or "". A provider that can write that image while it downloads (package
	// diskconv does it for streamOptimized VMDKs) reports it as a KindConvertedDisk artifact
	// beside the disk, and the daemon skips its own conversion of that disk. Ignoring it is
	// always correct.
	ConvertTo string
	// ConvertOnly, with ConvertTo, says the daemon keeps only the converted images: a provider
	// that converts a disk while downloading it may skip writing the disk file (and reports
	// only the converted-disk artifact); a disk it cannot convert it writes as usual.
	ConvertOnly bool
}

// ExportOptions are the seed's options{shutdown_vm, remove_cdrom, compress}.
type ExportOptions struct {
	ShutdownVM  bool
	RemoveCDROM bool
	Compress    bool
}

// Phases of an export, reported in Progress.Phase.
const (
	PhasePreparing   = "preparing"
	PhaseDownloading = "downloading"
	PhaseFinishing   = "finishing"
)

// Progress is one progress event. Disk is the zero-based index of the disk being written;
// BytesDone/BytesTotal count that disk's bytes, so the host can sum a job's total.
type Progress struct {
	Phase      string
	Disk       int
	DiskName   string
	BytesDone  int64
	BytesTotal int64
	Message    string
}

// Reporter receives an export's progress. Both methods are cheap and safe to call often.
type Reporter interface {
	Progress(p Progress)
	// Checkpoint records a resume token; the host persists it before the next event.
	Checkpoint(token []byte)
}

// Artifact kinds.
const (
	KindDisk       = "disk"
	KindDescriptor = "descriptor"
	KindManifest   = "manifest"
	KindArchive    = "archive"
	// KindConvertedDisk is disk Disk already in ExportSpec.ConvertTo's format. It is not part
	// of the export's package (manifest, OVA); the daemon checks it and moves it into place.
	KindConvertedDisk = "converted-disk"
)

// Artifact is one file the export wrote. Path is relative to ExportSpec.Dir; the host checks it
// stays inside Dir and re-hashes the file against SHA256.
type Artifact struct {
	Path   string
	Kind   string
	Format string // vmdk, vmdk-stream, raw, qcow2, vhd, vhdx, ovf, ova
	Size   int64
	SHA256 string
	Disk   int // index into VM.Disks for KindDisk
}

// ExportResult is what an export produced, and the VM as it was exported.
type ExportResult struct {
	VM        VM
	Artifacts []Artifact
}

// Validate checks what every provider relies on before it writes a byte: a VM id, a known
// method, and an export directory that is absolute, clean and already exists.
func (s ExportSpec) Validate() error {
	if s.VMID == "" {
		return fmt.Errorf("%w: export spec has no VM id", ErrInvalidArgument)
	}
	switch s.Method {
	case MethodOVA, MethodOVF, MethodVMDK:
	default:
		return fmt.Errorf("%w: export method %q is not ova, ovf or vmdk", ErrInvalidArgument, s.Method)
	}
	if !filepath.IsAbs(s.Dir) || filepath.Clean(s.Dir) != s.Dir {
		return fmt.Errorf("%w: export directory %q must be an absolute, clean path", ErrInvalidArgument, s.Dir)
	}
	if st, err := os.Stat(s.Dir); err != nil || !st.IsDir() {
		return fmt.Errorf("%w: export directory %q does not exist", ErrInvalidArgument, s.Dir)
	}
	return nil
}
