package smbread

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/smbd"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// vhdx writes a VHDX of virtual size mib MiB, made by qemu-img from a raw image with data in
// several places, into the share, and returns its name there.
func vhdx(t *testing.T, s *smbd.Server, mib int) string {
	t.Helper()
	qemu := providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils")
	raw := filepath.Join(t.TempDir(), "disk.raw")
	f, err := os.Create(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(int64(mib) << 20); err != nil {
		t.Fatal(err)
	}
	block := bytes.Repeat([]byte("hyper-v disk data "), 1<<16)
	for off := int64(0); off < int64(mib)<<20; off += 5 << 20 {
		if _, err := f.WriteAt(block, off); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	if out, err := exec.Command(qemu, "convert", "-f", "raw", "-O", "vhdx", raw, filepath.Join(s.Dir, "disk0.vhdx")).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img convert: %v\n%s", err, out)
	}
	return "disk0.vhdx"
}

func source(s *smbd.Server) Source {
	return Source{Addr: s.Addr, Share: smbd.Share, User: s.User, Password: s.Password}
}

func sameFile(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Fatalf("%s (%d bytes) differs from %s (%d bytes)", a, len(x), b, len(y))
	}
}

func TestCopy(t *testing.T) {
	s := smbd.StartT(t)
	name := vhdx(t, s, 24)
	dst := filepath.Join(t.TempDir(), "out.vhdx")
	var last atomic.Int64
	n, err := Copy(context.Background(), source(s), name, dst, Options{Workers: 4, Chunk: 1 << 20, Progress: func(done, total int64) { last.Store(done) }})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(filepath.Join(s.Dir, name)); st.Size() != n || last.Load() != n {
		t.Fatalf("copied %d bytes, progress ended at %d, the file has %d", n, last.Load(), st.Size())
	}
	sameFile(t, filepath.Join(s.Dir, name), dst)
}

func TestCopyErrors(t *testing.T) {
	s := smbd.StartT(t)
	name := vhdx(t, s, 4)
	for _, tc := range []struct {
		name   string
		src    func(Source) Source
		file   string
		want   error
		saying string
	}{
		{"wrong password", func(s Source) Source { s.Password = "wrong"; return s }, name, provider.ErrAuth, "wrong password"},
		{"missing file", func(s Source) Source { return s }, "nosuch.vhdx", provider.ErrNotFound, "nosuch.vhdx"},
		{"missing share", func(s Source) Source { s.Share = "nosuch"; return s }, name, provider.ErrInvalidArgument, `share "nosuch" does not exist`},
		{"nothing listening", func(s Source) Source { s.Addr = "127.0.0.1:1"; return s }, name, provider.ErrUnavailable, "127.0.0.1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Copy(context.Background(), tc.src(source(s)), tc.file, filepath.Join(t.TempDir(), "out"), Options{})
			if !errors.Is(err, tc.want) || !bytes.Contains([]byte(err.Error()), []byte(tc.saying)) {
				t.Fatalf("Copy = %v, want %v saying %q", err, tc.want, tc.saying)
			}
			if bytes.Contains([]byte(err.Error()), []byte(s.Password)) {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
}

// A connection dropped in the middle of the copy is dialled again and the copy completes.
func TestCopyResumesADroppedConnection(t *testing.T) {
	s := smbd.StartT(t)
	name := vhdx(t, s, 24)
	p := dropProxy(t, s.Addr, 6<<20)
	src := source(s)
	src.Addr = p.addr
	dst := filepath.Join(t.TempDir(), "out.vhdx")
	var reconnects atomic.Int32
	if _, err := Copy(context.Background(), src, name, dst, Options{Workers: 4, Chunk: 1 << 20, Reconnected: func(error) { reconnects.Add(1) }}); err != nil {
		t.Fatal(err)
	}
	if p.conns.Load() < 2 || reconnects.Load() == 0 {
		t.Fatalf("%d connections, %d reconnects: the proxy's drop was not noticed", p.conns.Load(), reconnects.Load())
	}
	sameFile(t, filepath.Join(s.Dir, name), dst)
}

// proxy forwards TCP to target and cuts its first connection after dropAfter bytes towards
// the client.
type proxy struct {
	addr  string
	conns atomic.Int32
}

func dropProxy(t *testing.T, target string, dropAfter int64) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: l.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			first := p.conns.Add(1) == 1
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			wg.Add(2)
			go func() { defer wg.Done(); _, _ = io.Copy(up, c); up.Close() }()
			go func() {
				defer wg.Done()
				if first {
					_, _ = io.CopyN(c, up, dropAfter)
				} else {
					_, _ = io.Copy(c, up)
				}
				c.Close()
				up.Close()
			}()
		}
	}()
	return p
}
