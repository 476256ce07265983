package webhooks

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/hypersdk/hypersdk/core/netguard"
)

// Guard says which addresses deliveries may connect to: those core/netguard allows. A webhook
// must not be a way to make the daemon reach what only its own host can (cloud metadata
// services, local services on loopback, "this host" addresses); private networks stay reachable.
//
// The check runs at dial time on the address actually connected to, after DNS, so a hostname
// that resolves (or rebinds) to a forbidden address is refused too; redirects are not followed,
// and deliveries never go through an HTTP(S)_PROXY, which would connect on the guard's behalf.
type Guard struct {
	// AllowLoopback lets deliveries reach 127.0.0.0/8 and ::1 (daemon.webhook_allow_loopback):
	// for a receiver on the daemon's own host, and for tests.
	AllowLoopback bool
}

// Check refuses an address deliveries may not connect to.
func (g Guard) Check(ip netip.Addr) error {
	if err := netguard.Check(ip, g.AllowLoopback); err != nil {
		return fmt.Errorf("webhook target %w", err)
	}
	return nil
}

// CheckURL refuses a URL whose host is a literal forbidden address; hostnames are checked when
// a delivery connects.
func (g Guard) CheckURL(raw string) error {
	if err := netguard.CheckURL(raw, g.AllowLoopback); err != nil {
		return fmt.Errorf("webhook target %w", err)
	}
	return nil
}

// control is the dialer's last word before connecting: address is the resolved ip:port.
func (g Guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook target %q: %w", address, err)
	}
	return g.Check(ap.Addr())
}

// errRedirect is why a redirect answer fails a delivery.
var errRedirect = fmt.Errorf("redirects are not followed: a webhook URL must answer 2xx itself")

// Client is the HTTP client deliveries use: every connection checked, no redirect, no proxy.
func (g Guard) Client(timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: g.control}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = dialer.DialContext
	return &http.Client{
		Timeout:       timeout,
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return errRedirect },
	}
}
