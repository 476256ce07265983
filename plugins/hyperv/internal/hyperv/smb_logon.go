package hyperv

import "strings"

// smbLogon is the user and domain of the SMB session. WinRM's NTLM takes "DOMAIN\user" as the
// user name, but the SMB client sends the name as it is given, which Windows refuses: without
// an explicit domain, a name of that form is split into the two.
func smbLogon(user, domain string) (string, string) {
	if domain != "" {
		return user, domain
	}
	if d, u, ok := strings.Cut(user, `\`); ok && d != "" && u != "" {
		return u, d
	}
	return user, domain
}
