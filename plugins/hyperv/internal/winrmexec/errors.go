package winrmexec

import (
	"errors"
	"fmt"
	"html"
	"regexp"
	"strings"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// What a script's exit code means, wrapped with the script's message.
var (
	errNotFound = fmt.Errorf("%w on the host", provider.ErrNotFound)
	errRefused  = fmt.Errorf("%w: refused by the host", provider.ErrInvalidArgument)
	errBusy     = fmt.Errorf("%w: the host is busy", provider.ErrUnavailable)
)

// ErrCommandTooLong is the host's refusal of a command line over its limit ("The filename or
// extension is too long"): a script that was not staged as it should have been.
var ErrCommandTooLong = errors.New("the command line exceeds the host's limit")

var (
	statusRE = regexp.MustCompile(`http (?:response )?error:? (\d{3})`)
	reasonRE = regexp.MustCompile(`(?s)<s:Reason>\s*<s:Text[^>]*>(.*?)</s:Text>`)
)

// transportError names what went wrong talking to the host: the credentials (HTTP 401), the
// command-line limit, another SOAP fault, or the connection.
func (c *Client) transportError(name, step string, err error) error {
	text := err.Error()
	where := fmt.Sprintf("script %s on %s: %s", name, c.endpoint, step)
	status := ""
	if m := statusRE.FindStringSubmatch(text); m != nil {
		status = m[1]
	}
	reason := ""
	var fe *FaultError
	if errors.As(err, &fe) {
		reason = fe.Reason
	} else if m := reasonRE.FindStringSubmatch(text); m != nil {
		reason = strings.TrimSpace(html.UnescapeString(m[1]))
	}
	switch {
	case status == "401":
		return fmt.Errorf("%s: %w: the host refused user %q (HTTP 401): check username, password and winrm_auth (basic needs AllowUnencrypted=false over https; ntlm for http)", where, provider.ErrAuth, c.user)
	case strings.Contains(reason, "filename or extension is too long"):
		return fmt.Errorf("%s: %w: %s", where, ErrCommandTooLong, reason)
	case reason != "":
		return fmt.Errorf("%s: WS-Management fault: %s", where, reason)
	case status != "":
		return fmt.Errorf("%s: HTTP %s", where, status)
	}
	return fmt.Errorf("%s: %w: %v", where, provider.ErrUnavailable, err)
}

var (
	clixmlErrorRE = regexp.MustCompile(`(?s)<S S="Error">(.*?)</S>`)
	clixmlEscRE   = regexp.MustCompile(`_x([0-9A-Fa-f]{4})_`)
)

// errorText is a script's stderr as a message: plain text as our scripts write it, or the
// error records of PowerShell's CLIXML stream when PowerShell itself failed.
func errorText(stderr []byte) string {
	s := string(stderr)
	if strings.HasPrefix(s, "#< CLIXML") {
		var parts []string
		for _, m := range clixmlErrorRE.FindAllStringSubmatch(s, -1) {
			parts = append(parts, html.UnescapeString(clixmlEscRE.ReplaceAllStringFunc(m[1], func(x string) string {
				var r rune
				fmt.Sscanf(x[2:6], "%04x", &r)
				return string(r)
			})))
		}
		s = strings.Join(parts, "")
	}
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "no message"
	}
	return s
}
