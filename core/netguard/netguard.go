// Package netguard says which addresses a connection the daemon makes on someone else's behalf
// may reach — today, webhook deliveries. It is pure address classification, with no I/O, so that
// the configuration check (core/config, hypervisord --check) and the delivery dialer
// (core/webhooks) refuse exactly the same addresses from one implementation.
//
// Refused: what only the daemon's own host can reach — cloud metadata services (link-local
// 169.254.169.254, and the few elsewhere: metadataServices), local services on loopback unless
// allowed, "this host" addresses, multicast and broadcast. Private networks stay reachable:
// that is where most receivers of an on-premises tool live.
package netguard

import (
	"fmt"
	"net/netip"
	"net/url"
)

// thisNetwork (0.0.0.0/8): connecting to it reaches the local host on Linux.
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

// Check refuses an address the daemon may not connect to for someone else. allowLoopback
// (daemon.webhook_allow_loopback) lets 127.0.0.0/8 and ::1 through.
func Check(ip netip.Addr, allowLoopback bool) error {
	ip = ip.Unmap()
	var why string
	switch {
	case ip.IsLoopback():
		if allowLoopback {
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
	return fmt.Errorf("%s is %s", ip, why)
}

// CheckURL refuses a URL whose host is a literal address Check refuses. A hostname passes: what
// it resolves to can only be known, and is checked, when a connection is made.
func CheckURL(raw string, allowLoopback bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil {
		return Check(ip, allowLoopback)
	}
	return nil
}

func isMetadataService(ip netip.Addr) bool {
	for _, p := range metadataServices {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
