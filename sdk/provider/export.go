package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Export methods of /jobs/submit. ova, ovf and vmdk are the seed's: an OVF package of VMDK disks,
// which the host completes (descriptor, conversion to VMDK) when the provider writes other
// formats. raw and qcow2 keep the disks as images, with no OVF: what a KVM-bound user wants.
const (
	MethodOVA   = "ova"
	MethodOVF   = "ovf"
	MethodVMDK  = "vmdk"
	MethodRaw   = "raw"
	MethodQCOW2 = "qcow2"
)

// Methods lists every export method, in the order the API shows them. Treat it as read-only;
// ValidMethod and MethodNames answer from it.
var Methods = []string{MethodOVA, MethodOVF, MethodVMDK, MethodRaw, MethodQCOW2}

// ValidMethod reports whether m is one of Methods.
func ValidMethod(m string) bool { return slices.Contains(Methods, m) }

// MethodNames is Methods for an error message: "ova, ovf, vmdk, raw or qcow2".
func MethodNames() string {
	return strings.Join(Methods[:len(Methods)-1], ", ") + " or " + Methods[len(Methods)-1]
}

// Disk image formats an artifact can be in.
const (
	FormatRaw        = "raw"
	FormatQCOW2      = "qcow2"
	FormatVHD        = "vhd"
	FormatVHDX       = "vhdx"
	FormatVMDK       = "vmdk"
	FormatVMDKStream = "vmdk-stream"
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

// Phases of an export, reported in Progress.Phase. A cloud export spends most of its time in
// the platform (snapshotting, exporting-in-cloud) before a byte is downloaded.
const (
	PhasePreparing        = "preparing"
	PhaseSnapshotting     = "snapshotting"
	PhaseExportingInCloud = "exporting-in-cloud"
	PhaseDownloading      = "downloading"
	PhaseConverting       = "converting"
	PhaseFinishing        = "finishing"
)

// Progress is one progress event. Disk is the zero-based index of the disk being written;
// BytesDone/BytesTotal count that disk's bytes, so the host can sum a job's total.
//
// Work the platform does on its own (a snapshot, an export task, an image build) has no bytes
// here: the provider names the operation (OperationID, Operation) and passes on the percentage
// the platform reports (Percent, 0–100), and the host shows and times it as the job's progress.
type Progress struct {
	Phase       string
	Disk        int
	DiskName    string
	BytesDone   int64
	BytesTotal  int64
	Message     string
	OperationID string
	Operation   string
	Percent     float64
}

// Reporter receives an export's progress and what it must not lose. Progress is cheap and safe
// to call often, from many goroutines. Hold, Released and Checkpoint return once the host has
// committed them to its store; an error means it has not, and the provider must not go on
// (do not create what the hold was for; the checkpoint cannot be relied on).
type Reporter interface {
	Progress(p Progress)
	// Checkpoint records a resume token (at most MaxCheckpointBytes), handed back in the next
	// attempt's ExportSpec.ResumeToken. It is never shown in the API or logs.
	Checkpoint(ctx context.Context, token []byte) error
	// Hold records something about to be created outside the job directory.
	Hold(ctx context.Context, h Hold) error
	// Released says the provider undid a hold itself (the snapshot it deleted when done), so
	// the host need not release it.
	Released(ctx context.Context, h Hold) error
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
// stays inside Dir and verifies its content: against SHA256 (the whole file), or, when
// ExtentsKnown, against Extents — see Extent.
type Artifact struct {
	Path   string
	Kind   string
	Format string // one of the Format constants, or ovf, ova, mf for the package's other files
	Size   int64
	SHA256 string
	Disk   int // index into VM.Disks for KindDisk
	// Extents lists where the file holds data, in order, without overlap, each with the
	// SHA-256 of its bytes; everything outside them reads as zeros. A 2 TB disk holding 50 GB
	// is verified by reading 50 GB. With ExtentsKnown and no extents the file is all zeros.
	Extents      []Extent
	ExtentsKnown bool
}

// Extent is one run of data in a sparse artifact.
type Extent struct {
	Offset int64
	Length int64
	SHA256 string
}

// ExportResult is what an export produced, and the VM as it was exported.
type ExportResult struct {
	VM        VM
	Artifacts []Artifact
	// NotExported are disks of the VM the export left out on purpose (a cloud image that holds
	// the boot volume only), each with the reason. They are not in VM.Disks; the daemon logs
	// them and lists them in the job's result, so a user sees what did not come along.
	NotExported []NotExportedDisk
}

// NotExportedDisk is a disk of the VM that an export left out, and why.
type NotExportedDisk struct {
	Disk   Disk   `json:"disk"`
	Reason string `json:"reason"`
}

// Validate checks what every provider relies on before it writes a byte: a VM id, a known
// method, and an export directory that is absolute, clean and already exists.
func (s ExportSpec) Validate() error {
	if s.VMID == "" {
		return fmt.Errorf("%w: export spec has no VM id", ErrInvalidArgument)
	}
	if !ValidMethod(s.Method) {
		return fmt.Errorf("%w: export method %q is not %s", ErrInvalidArgument, s.Method, MethodNames())
	}
	if !filepath.IsAbs(s.Dir) || filepath.Clean(s.Dir) != s.Dir {
		return fmt.Errorf("%w: export directory %q must be an absolute, clean path", ErrInvalidArgument, s.Dir)
	}
	if st, err := os.Stat(s.Dir); err != nil || !st.IsDir() {
		return fmt.Errorf("%w: export directory %q does not exist", ErrInvalidArgument, s.Dir)
	}
	return nil
}
