package hyperv

import "testing"

func TestSMBLogon(t *testing.T) {
	tests := []struct {
		user, domain, wantUser, wantDomain string
	}{
		{`EXAMPLE\svc-hypersdk`, "", "svc-hypersdk", "EXAMPLE"},
		{`EXAMPLE\svc-hypersdk`, "OTHER", `EXAMPLE\svc-hypersdk`, "OTHER"},
		{"svc-hypersdk", "EXAMPLE", "svc-hypersdk", "EXAMPLE"},
		{"svc@example.com", "", "svc@example.com", ""},
		{"administrator", "", "administrator", ""},
		{`\administrator`, "", `\administrator`, ""},
	}
	for _, tt := range tests {
		u, d := smbLogon(tt.user, tt.domain)
		if u != tt.wantUser || d != tt.wantDomain {
			t.Errorf("smbLogon(%q, %q) = %q, %q; want %q, %q", tt.user, tt.domain, u, d, tt.wantUser, tt.wantDomain)
		}
	}
}
