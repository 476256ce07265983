package webhooks

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// Guard says which addresses deliveries may connect to. A webhook must not be a way to make the
// daemon reach what only its own host can: cloud metadata services (link-local
// 169.254.169.254, and the few elsewhere: metadataServices), local services on loopback, or
// "this host" addresses. Private networks stay
// reachable: that is where most receivers of an on-premises tool live.
//
// The check runs at dial time on the address actually connected to, after DNS, so a hostname
// that resolves (or rebinds) to a forbidden address is refused too; redirects are not followed,
// and deliveries never go through an HTTP(S)_PROXY, which would connect on the guard's behalf.
type Guard struct {
	// AllowLoopback lets deliveries reach 127.0.0.0/8 and ::1 (daemon.webhook_allow_loopback):
	// for a receiver on the daemon's own host, and for tests.
	AllowLoopback bool
}

// this network (0.0.0.0/8): connecting to it reaches the local host on Linux.
var thisNetwork = netip.MustParsePrefix("0.0.0.0/8")

// metadataServices are the cloud metadata and credential endpoints outside link-local, which
// would otherwise pass as private or public addresses. Most clouds (AWS, GCP, Azure IMDS, OCI,
// OpenStack, DigitalOcean) serve metadata on 169.254.169.254, refused as link-local.
var metadataServices = []netip.Prefix{
	netip.MustParsePrefix("fd00:ec2::254/128"),  // AWS instance metadata (IMDS) over IPv6, a ULA
	netip.MustParsePrefix("fd00:ec2::23/128"),   // AWS EKS Pod Identity Agent over IPv6
	netip.MustParsePrefix("fd20:ce::254/128"),   // Google Compute Engine metadata over IPv6
	netip.MustParsePrefix("100.100.100.200/32"), // Alibaba Cloud ECS metadata (shared address space)
	netip.MustParsePrefix("168.63.129.16/32"),   // Azure WireServer: the guest agent's certificates and settings
	netip.MustParsePrefix("192.0.0.192/32"),     // Oracle Cloud Classic and Cloud@Customer metadata
	netip.MustParsePrefix("fd00:42::42/128"),    // Scaleway metadata over IPv6
}

// isMetadataService reports whether ip is one of metadataServices.
func isMetadataService(ip netip.Addr) bool {
	for _, p := range metadataServices {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Check refuses an address deliveries may not connect to.
func (g Guard) Check(ip netip.Addr) error {
	ip = ip.Unmap()
	var why string
	switch {
	case ip.IsLoopback():
		if g.AllowLoopback {
			return nil
		}
		why = "a loopback address (set daemon.webhook_allow_loopback to allow the daemon's own host)"
	case ip.IsLinkLocalUnicast():
		why = "a link-local address (cloud metadata services live there)"
	case isMetadataService(ip):
		why = "a cloud metadata service"
	case ip.IsUnspecified() || thisNetwork.Contains(ip):
		why = "an unspecified or this-host address"
	case ip.IsMulticast() || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		why = "a multicast or broadcast address"
	default:
		return nil
	}
	return fmt.Errorf("webhook target %s is %s", ip, why)
}

// CheckURL refuses a URL whose host is a literal forbidden address; hostnames are checked when
// a delivery connects.
func (g Guard) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil {
		return g.Check(ip)
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
