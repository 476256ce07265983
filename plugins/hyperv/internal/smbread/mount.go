// Package smbread copies files off an SMB3 share (github.com/cloudsoda/go-smb2) the way the
// Hyper-V provider reads exported VHDX files: several ReadAt calls in flight on one signed
// session, each chunk written where it belongs in the local file, and a connection that drops
// mid-copy dialled again and the chunks it lost read again. Failures name their cause: the
// credentials, a share that does not exist or denies reading, a file that is not there.
package smbread

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strings"

	"github.com/cloudsoda/go-smb2"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Source is a share and how to reach it. Password is never logged or put in an error.
type Source struct {
	Addr     string // host:port (445 on Windows)
	Share    string // share name, e.g. hypersdk-export$
	User     string
	Password string
	Domain   string
}

func (s Source) String() string {
	host, _, _ := net.SplitHostPort(s.Addr)
	return `\\` + host + `\` + s.Share
}

// Mount is one session with the share mounted.
type Mount struct {
	conn  net.Conn
	sess  *smb2.Session
	Share *smb2.Share
}

// Dial connects, authenticates and mounts the share.
func (s Source) Dial(ctx context.Context) (*Mount, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("SMB %s: %w", s, ctx.Err())
	}
	if err != nil {
		return nil, fmt.Errorf("SMB %s at %s: %w: %v", s, s.Addr, provider.ErrUnavailable, err)
	}
	dialer := &smb2.Dialer{Initiator: &smb2.NTLMInitiator{User: s.User, Password: s.Password, Domain: s.Domain}}
	sess, err := dialer.DialConn(ctx, conn, s.Addr)
	if err != nil {
		conn.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("SMB %s: log on: %w", s, ctx.Err())
		}
		return nil, s.classify("log on", err)
	}
	share, err := sess.WithContext(ctx).Mount(s.Share)
	if err != nil {
		_ = sess.Logoff()
		conn.Close()
		return nil, s.classify("mount the share", err)
	}
	return &Mount{conn: conn, sess: sess, Share: share}, nil
}

// Close unmounts and logs off; the connection is closed whatever they answer.
func (m *Mount) Close() error {
	err := m.Share.Umount()
	if lerr := m.sess.Logoff(); err == nil {
		err = lerr
	}
	// Logoff may have closed the connection already.
	if cerr := m.conn.Close(); err == nil && !errors.Is(cerr, net.ErrClosed) {
		err = cerr
	}
	return err
}

// NT status codes the classification knows.
const (
	statusLogonFailure   = 0xC000006D
	statusAccessDenied   = 0xC0000022
	statusBadNetworkName = 0xC00000CC
)

// classify wraps an SMB error with the provider's sentinel and what to do about it.
func (s Source) classify(step string, err error) error {
	var re *smb2.ResponseError
	code := uint32(0)
	if errors.As(err, &re) {
		code = re.Code
	}
	switch {
	case code == statusLogonFailure:
		return fmt.Errorf("SMB %s: %s: %w: user %q refused (wrong password or unknown user)", s, step, provider.ErrAuth, s.User)
	case code == statusAccessDenied:
		return fmt.Errorf("SMB %s: %s: %w: user %q may not read it (give it read access: Grant-SmbShareAccess -AccessRight Read)", s, step, provider.ErrAuth, s.User)
	case code == statusBadNetworkName || strings.Contains(err.Error(), "Network Name Not Found"):
		return fmt.Errorf("SMB %s: %w: the share %q does not exist on the host (create it read-only over export_path: New-SmbShare -Name %s -Path <export_path> -ReadAccess <user>)", s, provider.ErrInvalidArgument, s.Share, s.Share)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("SMB %s: %s: %w: %v", s, step, provider.ErrNotFound, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("SMB %s: %s: %w", s, step, err)
	}
	return fmt.Errorf("SMB %s: %s: %w", s, step, err)
}
