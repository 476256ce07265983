package diskconv

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// extent is a run of pseudo-random bytes written into a test disk.
type extent struct{ off, len int64 }

// makeStream writes a raw image of size bytes holding data at the given extents and has
// qemu-img turn it into a streamOptimized VMDK, as vCenter's export would serve it.
func makeStream(t testing.TB, qemuImg string, size int64, data []extent) (raw, vmdk string) {
	t.Helper()
	dir := t.TempDir()
	raw, vmdk = filepath.Join(dir, "src.raw"), filepath.Join(dir, "src.vmdk")
	f, err := os.Create(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	for i, e := range data {
		b := make([]byte, e.len)
		seed := sha256.Sum256([]byte(fmt.Sprint(i, e)))
		rand.NewChaCha8(seed).Read(b)
		if _, err := f.WriteAt(b, e.off); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	if out, err := exec.Command(qemuImg, "convert", "-q", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, vmdk).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img: %v %s", err, out)
	}
	return raw, vmdk
}

// feed writes the file to the converter in chunks of pseudo-random sizes, as a network would.
func feed(t *testing.T, c *Converter, path string, seed uint64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	for len(b) > 0 {
		n := min(len(b), 1+rng.IntN(3<<20))
		c.Write(b[:n])
		b = b[n:]
	}
}

// convertAndCompare converts vmdk through a Converter fed in network-sized pieces and checks
// the image with qemu-img: whole (check, for qcow2) and equal to raw (compare). It returns the
// image's path.
func convertAndCompare(t *testing.T, qemuImg, vmdk, raw, format string, seed uint64) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out."+format)
	c, err := New(context.Background(), out, format)
	if err != nil {
		t.Fatal(err)
	}
	feed(t, c, vmdk, seed)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if format == QCOW2 {
		if msg, err := exec.Command(qemuImg, "check", out).CombinedOutput(); err != nil {
			t.Fatalf("qemu-img check: %v\n%s", err, msg)
		}
	}
	if msg, err := exec.Command(qemuImg, "compare", "-q", "-f", "raw", "-F", format, raw, out).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img compare: %v %s", err, msg)
	}
	return out
}

func TestConverterMatchesTheSourceDisk(t *testing.T) {
	t.Parallel()
	qemuImg := providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils")
	const mib = 1 << 20
	tests := []struct {
		name string
		size int64
		data []extent
	}{
		{"empty disk", 64 * mib, nil},
		{"data spread over the disk", 256 * mib, []extent{{0, mib}, {5*mib + 4096, 3 * mib}, {100 * mib, 512}, {255 * mib, mib}}},
		{"dense run crossing an L2 table (512 MiB)", 1100 * mib, []extent{{510 * mib, 4 * mib}, {1099 * mib, mib}}},
		{"size not a multiple of the grain", 10*mib + 3*512, []extent{{10 * mib, 3 * 512}}},
	}
	for i, tt := range tests {
		for _, format := range []string{QCOW2, Raw} {
			t.Run(tt.name+"/"+format, func(t *testing.T) {
				t.Parallel()
				raw, vmdk := makeStream(t, qemuImg, tt.size, tt.data)
				convertAndCompare(t, qemuImg, vmdk, raw, format, uint64(i))
			})
		}
	}
}

// TestConverterDecodesVMwareStreams feeds streams laid out as vCenter serves them, with grains
// smaller and larger than a qcow2 cluster; qemu-img first confirms each fixture is the disk.
func TestConverterDecodesVMwareStreams(t *testing.T) {
	t.Parallel()
	qemuImg := providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils")
	const mib = 1 << 20
	tests := []struct {
		name         string
		size         int64
		data         []extent
		grainSectors int
	}{
		{"4 KiB grains", 3 * mib, []extent{{4096, 70000}, {2 * mib, 5000}}, 8},
		{"64 KiB grains", 8 * mib, []extent{{0, 65536}, {7 * mib, mib}}, 128},
		{"1 MiB grains", 9 * mib, []extent{{mib + 512, 3 * mib}}, 2048},
		{"empty", mib, nil, 128},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw, _ := makeStream(t, qemuImg, tt.size, tt.data)
			b, err := os.ReadFile(raw)
			if err != nil {
				t.Fatal(err)
			}
			vmdk := filepath.Join(t.TempDir(), "vmware.vmdk")
			if err := os.WriteFile(vmdk, trueStream(b, tt.grainSectors), 0o644); err != nil {
				t.Fatal(err)
			}
			if msg, err := exec.Command(qemuImg, "compare", "-q", raw, vmdk).CombinedOutput(); err != nil {
				t.Fatalf("fixture: qemu-img compare: %v %s", err, msg)
			}
			out := convertAndCompare(t, qemuImg, vmdk, raw, QCOW2, uint64(i))
			// Without its end-of-stream marker the same stream is not whole.
			cut, _ := os.ReadFile(vmdk)
			c, _ := New(context.Background(), out, QCOW2)
			c.Write(cut[:len(cut)-sector])
			if err := c.Close(); err == nil {
				t.Fatal("a stream without its end-of-stream marker converted without error")
			}
		})
	}
}

func TestConverterRejectsWhatIsNotAWholeStream(t *testing.T) {
	t.Parallel()
	qemuImg := providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils")
	_, vmdk := makeStream(t, qemuImg, 8<<20, []extent{{0, 4 << 20}})
	stream, err := os.ReadFile(vmdk)
	if err != nil {
		t.Fatal(err)
	}
	flat := filepath.Join(t.TempDir(), "flat.vmdk")
	if out, err := exec.Command(qemuImg, "create", "-q", "-f", "vmdk", flat, "8M").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img: %v %s", err, out)
	}
	sparse, _ := os.ReadFile(flat)
	corrupt := append([]byte(nil), stream...)
	for i := 70 * 1024; i < 80*1024; i++ { // inside the first grain's deflate data
		corrupt[i] ^= 0x5a
	}
	tests := []struct {
		name  string
		input []byte
		want  string
	}{
		{"nothing at all", nil, "read VMDK header"},
		{"text", []byte(strings.Repeat("not a disk\n", 100)), "not a streamOptimized VMDK"},
		{"monolithicSparse VMDK", sparse, "not a streamOptimized VMDK"},
		{"cut in the middle", stream[:len(stream)/2], "unexpected EOF"},
		{"cut before the end-of-stream marker", stream[:len(stream)-512], "unexpected EOF"},
		{"corrupt grain", corrupt, "grain at byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out.qcow2")
			c, err := New(context.Background(), out, QCOW2)
			if err != nil {
				t.Fatal(err)
			}
			c.Write(tt.input)
			err = c.Close()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Close() = %v, want an error containing %q", err, tt.want)
			}
			if _, serr := os.Stat(out); !os.IsNotExist(serr) {
				t.Errorf("a failed conversion left %s behind", out)
			}
		})
	}
}
