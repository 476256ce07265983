package diskconv

import (
	"context"
	"path/filepath"
	"testing"
)

// FuzzConverter feeds arbitrary bytes as a download would: whatever they are, the converter
// must end with an image or an error, never a panic or a hang. The corpus in testdata/fuzz
// starts from VMware-style streams and their mutations.
func FuzzConverter(f *testing.F) {
	disk := make([]byte, 1<<20)
	for i := 70000; i < 90000; i++ {
		disk[i] = byte(i * 31)
	}
	stream := trueStream(disk, 8)
	f.Add(stream)
	f.Add(stream[:len(stream)/2])
	f.Add(trueStream(make([]byte, 4096), 8))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := New(context.Background(), filepath.Join(t.TempDir(), "out.qcow2"), QCOW2)
		if err != nil {
			t.Fatal(err)
		}
		c.Write(b)
		c.Close()
	})
}
