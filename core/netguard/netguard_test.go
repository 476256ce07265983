package netguard

import (
	"net/netip"
	"testing"
)

func TestCheckRefusesWhatOnlyTheHostCanReach(t *testing.T) {
	t.Parallel()
	cases := []struct {
		addr                     string
		refused, refusedIfLoopOK bool
	}{
		{"127.0.0.1", true, false},
		{"127.8.9.10", true, false},
		{"::1", true, false},
		{"::ffff:127.0.0.1", true, false},
		{"169.254.169.254", true, true},
		{"::ffff:169.254.169.254", true, true},
		{"fe80::1", true, true},
		{"0.0.0.0", true, true},
		{"0.1.2.3", true, true},
		{"::", true, true},
		{"224.0.0.1", true, true},
		{"ff02::1", true, true},
		{"255.255.255.255", true, true},
		{"fd00:ec2::254", true, true},   // AWS IMDS over IPv6: a ULA, not link-local
		{"fd00:ec2::23", true, true},    // AWS EKS Pod Identity Agent over IPv6
		{"fd20:ce::254", true, true},    // GCP metadata over IPv6
		{"100.100.100.200", true, true}, // Alibaba Cloud metadata
		{"::ffff:100.100.100.200", true, true},
		{"168.63.129.16", true, true}, // Azure WireServer
		{"192.0.0.192", true, true},   // Oracle Cloud Classic metadata
		{"fd00:42::42", true, true},   // Scaleway metadata over IPv6
		{"fd00:ec2::253", false, false},
		{"100.100.100.201", false, false},
		{"10.1.2.3", false, false},
		{"192.168.1.10", false, false},
		{"203.0.113.7", false, false},
		{"2001:db8::1", false, false},
	}
	for _, c := range cases {
		ip := netip.MustParseAddr(c.addr)
		if err := Check(ip, false); (err != nil) != c.refused {
			t.Errorf("%s: Check = %v, want refused %v", c.addr, err, c.refused)
		}
		if err := Check(ip, true); (err != nil) != c.refusedIfLoopOK {
			t.Errorf("%s with loopback allowed: Check = %v, want refused %v", c.addr, err, c.refusedIfLoopOK)
		}
	}
}

func TestCheckURLLooksAtLiteralAddressesOnly(t *testing.T) {
	t.Parallel()
	cases := []struct {
		url           string
		allowLoopback bool
		refused       bool
	}{
		{"http://127.0.0.1:9/x", false, true},
		{"http://[::1]:9/x", false, true},
		{"http://127.0.0.1:9/x", true, false},
		{"http://169.254.169.254/latest", true, true},
		{"http://[::ffff:169.254.169.254]/latest", false, true},
		{"http://[fd00:ec2::254]/latest/meta-data/", true, true},
		{"http://100.100.100.200/latest/meta-data/", true, true},
		{"http://0.0.0.0:8080/", false, true},
		{"https://hooks.example.com/x", false, false}, // resolved and checked when a delivery connects
		{"http://localhost:9/x", false, false},        // likewise
	}
	for _, c := range cases {
		if err := CheckURL(c.url, c.allowLoopback); (err != nil) != c.refused {
			t.Errorf("CheckURL(%s, %v) = %v, want refused %v", c.url, c.allowLoopback, err, c.refused)
		}
	}
}
