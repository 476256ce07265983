package vsphere

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// conn is one logged-in vCenter session and, made on first use, its REST (tagging) session.
type conn struct {
	vim  *vim25.Client
	rest *rest.Client
}

// sessionPool holds connection_pool_size logged-in sessions, handed out one caller at a time and
// logged in again when vCenter has expired them.
type sessionPool struct {
	url      *url.URL
	settings Settings
	free     chan *conn
}

func newSessionPool(ctx context.Context, u *url.URL, s Settings) (*sessionPool, error) {
	p := &sessionPool{url: u, settings: s, free: make(chan *conn, s.ConnectionPoolSize)}
	// Log in once now so bad credentials fail Configure; the rest log in on first use.
	c, err := p.dial(ctx)
	if err != nil {
		return nil, err
	}
	p.free <- c
	for i := 1; i < s.ConnectionPoolSize; i++ {
		p.free <- nil
	}
	return p, nil
}

func (p *sessionPool) dial(ctx context.Context) (*conn, error) {
	sc := soap.NewClient(p.url, p.settings.Insecure)
	if p.settings.Thumbprint != "" {
		sc.SetThumbprint(p.url.Host, p.settings.Thumbprint)
	}
	if p.settings.CAFile != "" {
		if err := sc.SetRootCAs(p.settings.CAFile); err != nil {
			return nil, fmt.Errorf("%w: providers.vsphere.ca_file: %v", provider.ErrInvalidArgument, err)
		}
	}
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("connect to vCenter %s: %w: %v", p.url.Host, provider.ErrUnavailable, err)
	}
	c := &conn{vim: vc}
	if err := p.login(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

func (p *sessionPool) login(ctx context.Context, c *conn) error {
	user := url.UserPassword(p.settings.Username, p.settings.Password)
	if err := session.NewManager(c.vim).Login(ctx, user); err != nil {
		if isAuthFault(err) {
			return fmt.Errorf("log in to vCenter %s as %s: %w", p.url.Host, p.settings.Username, provider.ErrAuth)
		}
		return fmt.Errorf("log in to vCenter %s: %w: %v", p.url.Host, provider.ErrUnavailable, err)
	}
	c.rest = nil
	return nil
}

// do runs fn with a session from the pool; when vCenter says the session is gone, it logs in
// again and runs fn once more.
func (p *sessionPool) do(ctx context.Context, fn func(*conn) error) error {
	var c *conn
	select {
	case c = <-p.free:
	case <-ctx.Done():
		return ctx.Err()
	}
	return p.run(ctx, c, fn)
}

// doNow is do for a call that must not queue behind long ones (a release behind exports that
// keep their sessions for hours): when no pooled session frees up within wait, it logs in a
// session of its own for fn and logs it out after.
func (p *sessionPool) doNow(ctx context.Context, wait time.Duration, fn func(*conn) error) error {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case c := <-p.free:
		return p.run(ctx, c, fn)
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	c, err := p.dial(ctx)
	if err != nil {
		return err
	}
	defer func() {
		done, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := session.NewManager(c.vim).Logout(done); err != nil {
			provider.Logger(ctx).Warn("could not log out of an extra vCenter session; it expires by itself", "error", err)
		}
	}()
	return p.withLogin(ctx, c, fn)
}

// run calls fn with c, a pooled session (nil: not logged in yet), and hands it back to the pool.
func (p *sessionPool) run(ctx context.Context, c *conn, fn func(*conn) error) error {
	defer func() { p.free <- c }()
	if c == nil {
		var err error
		if c, err = p.dial(ctx); err != nil {
			return err
		}
	}
	return p.withLogin(ctx, c, fn)
}

// withLogin calls fn, and once more after logging in again when vCenter says the session is gone.
func (p *sessionPool) withLogin(ctx context.Context, c *conn, fn func(*conn) error) error {
	err := fn(c)
	if err != nil && isNotAuthenticated(err) {
		if lerr := p.login(ctx, c); lerr != nil {
			return lerr
		}
		err = fn(c)
	}
	return err
}

// restClient returns the session's REST client, logging it in on first use.
func (p *sessionPool) restClient(ctx context.Context, c *conn) (*rest.Client, error) {
	if c.rest != nil {
		return c.rest, nil
	}
	rc := rest.NewClient(c.vim)
	if err := rc.Login(ctx, url.UserPassword(p.settings.Username, p.settings.Password)); err != nil {
		return nil, fmt.Errorf("log in to the vCenter REST API: %w", err)
	}
	c.rest = rc
	return rc, nil
}

func (p *sessionPool) close(ctx context.Context) {
	for i := 0; i < cap(p.free); i++ {
		if c := <-p.free; c != nil {
			_ = session.NewManager(c.vim).Logout(ctx)
		}
	}
}

func isAuthFault(err error) bool {
	if soap.IsSoapFault(err) {
		_, ok := soap.ToSoapFault(err).VimFault().(types.InvalidLogin)
		return ok
	}
	return strings.Contains(err.Error(), "InvalidLogin") || strings.Contains(err.Error(), "incorrect user name or password")
}

func isNotAuthenticated(err error) bool {
	if soap.IsSoapFault(err) {
		_, ok := soap.ToSoapFault(err).VimFault().(types.NotAuthenticated)
		return ok
	}
	return strings.Contains(err.Error(), "NotAuthenticated")
}
