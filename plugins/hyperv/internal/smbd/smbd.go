// Package smbd starts a real Samba smbd for the Hyper-V provider's tests, benchmark and
// stand-in: on a free loopback port, with its own smb.conf, state and share directories under
// a directory of the caller's, a read-only share "export" open to one user (smbtest) whose
// password is set in the server's own passdb. It needs root (smbd, useradd) and Debian's samba
// package (deploy/install-deps.sh --test installs it).
package smbd

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// User is the share's one user.
const User = "smbtest"

// Share is the share's name.
const Share = "export"

// Server is a running smbd.
type Server struct {
	Addr     string // 127.0.0.1:port
	Dir      string // the share's directory
	User     string
	Password string
	cmd      *exec.Cmd
	exited   chan struct{}
}

// Start starts smbd with everything under dir (which must exist), serving dir/share.
func Start(dir, password string) (*Server, error) {
	smbdPath, err := exec.LookPath("smbd")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/smbd"); serr != nil {
			return nil, fmt.Errorf("smbd not found (apt-get install samba): %w", err)
		}
		smbdPath = "/usr/sbin/smbd"
	}
	if err := ensureUser(); err != nil {
		return nil, err
	}
	if err := traversable(dir); err != nil {
		return nil, err
	}
	share := filepath.Join(dir, "share")
	for _, d := range []string{share, filepath.Join(dir, "log"), filepath.Join(dir, "private"), filepath.Join(dir, "lock"), filepath.Join(dir, "state"), filepath.Join(dir, "cache"), filepath.Join(dir, "pid"), filepath.Join(dir, "ncalrpc")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "smb.conf")
	text := fmt.Sprintf(`[global]
server role = standalone server
smb ports = %d
interfaces = 127.0.0.1
bind interfaces only = yes
disable netbios = yes
passdb backend = tdbsam:%[2]s/private/passdb.tdb
private dir = %[2]s/private
lock directory = %[2]s/lock
state directory = %[2]s/state
cache directory = %[2]s/cache
pid directory = %[2]s/pid
ncalrpc dir = %[2]s/ncalrpc
log file = %[2]s/log/log.%%m
server min protocol = SMB2_10
load printers = no
printcap name = /dev/null
disable spoolss = yes

[%[3]s]
path = %[4]s
read only = yes
valid users = %[5]s
`, port, dir, Share, share, User)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		return nil, err
	}
	pdb := exec.Command("pdbedit", "--configfile="+conf, "-a", "-u", User, "-t")
	pdb.Stdin = strings.NewReader(password + "\n" + password + "\n")
	if out, err := pdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pdbedit: %w: %s", err, out)
	}
	logf, err := os.Create(filepath.Join(dir, "log", "smbd.out"))
	if err != nil {
		return nil, err
	}
	// Not --no-process-group: smbd signals its whole process group when it stops, which would
	// then include the caller.
	cmd := exec.Command(smbdPath, "--foreground", "--debug-stdout", "--configfile="+conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start smbd: %w", err)
	}
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Dir: share, User: User, Password: password, cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(s.exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return s, nil
		}
		select {
		case <-s.exited:
			out, _ := os.ReadFile(filepath.Join(dir, "log", "smbd.out"))
			return nil, fmt.Errorf("smbd exited at start: %s", out)
		default:
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("smbd did not listen on %s within 10s", s.Addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop ends smbd (SIGTERM, then SIGKILL after 5 s).
func (s *Server) Stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// StartT starts smbd for a test, stopped at its end: it fails under CI=true without smbd or
// root, and skips elsewhere.
func StartT(t testing.TB) *Server {
	t.Helper()
	NeedSMBD(t)
	s, err := Start(t.TempDir(), "Hv-test-1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// NeedSMBD fails the test under CI=true when smbd or root is missing, and skips it elsewhere.
func NeedSMBD(t testing.TB) {
	t.Helper()
	_, err := exec.LookPath("smbd")
	_, serr := os.Stat("/usr/sbin/smbd")
	providertest.NeedPeer(t, err == nil || serr == nil, "smbd not found (apt-get install samba, or deploy/install-deps.sh --test)")
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("smbd tests need root")
		}
		t.Skip("smbd tests need root")
	}
}

// traversable lets the share's user reach dir: smbd reads files as that user, and temporary
// directories are private to their creator. Only directories under the temporary directory are
// opened up, nothing above it.
func traversable(dir string) error {
	tmp := filepath.Clean(os.TempDir())
	for d := filepath.Clean(dir); strings.HasPrefix(d, tmp+string(filepath.Separator)); d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return err
		}
		if err := os.Chmod(d, st.Mode().Perm()|0o011); err != nil {
			return fmt.Errorf("let %s reach %s: %w", User, d, err)
		}
	}
	return nil
}

func ensureUser() error {
	if err := exec.Command("id", User).Run(); err == nil {
		return nil
	}
	out, err := exec.Command("useradd", "-M", "-s", "/usr/sbin/nologin", User).CombinedOutput()
	if err != nil && !strings.Contains(string(out), "already exists") {
		return fmt.Errorf("useradd %s: %w: %s", User, err, out)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
