package winrmexec

import (
	"html"
	"regexp"
	"strings"

	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

// FaultError is a SOAP fault the host answered: masterzen/winrm hands a fault's body on as if
// it were the reply (its status check does not reach the caller), so faultAware catches it.
type FaultError struct {
	Subcode string
	Reason  string
}

func (e *FaultError) Error() string { return "WS-Management fault " + e.Subcode + ": " + e.Reason }

// faultAware wraps a transport and turns a fault body into a *FaultError. The reason of a
// timed-out Receive names OperationTimeout, which the library takes as "poll again".
type faultAware struct{ inner winrm.Transporter }

func (f faultAware) Transport(e *winrm.Endpoint) error { return f.inner.Transport(e) }

var (
	faultRE   = regexp.MustCompile(`(?s)<(?:\w+:)?Fault\b.*?<(?:\w+:)?Reason>\s*<(?:\w+:)?Text[^>]*>(.*?)</`)
	subcodeRE = regexp.MustCompile(`(?s)<(?:\w+:)?Subcode>\s*<(?:\w+:)?Value>(.*?)</`)
)

func (f faultAware) Post(c *winrm.Client, m *soap.SoapMessage) (string, error) {
	body, err := f.inner.Post(c, m)
	if err != nil || !strings.Contains(body, "Fault") {
		return body, err
	}
	r := faultRE.FindStringSubmatch(body)
	if r == nil {
		return body, nil
	}
	fe := &FaultError{Reason: strings.TrimSpace(html.UnescapeString(r[1]))}
	if s := subcodeRE.FindStringSubmatch(body); s != nil {
		fe.Subcode = s[1]
	}
	return "", fe
}
