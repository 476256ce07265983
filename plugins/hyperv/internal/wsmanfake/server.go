// Package wsmanfake is a WS-Management server speaking the WinRM remote shell protocol the way
// a Windows host does — Create (a shell), Command, Receive (output in pieces with Running, then
// Done and the exit code; an OperationTimeout fault while a command has nothing to say),
// Signal, Delete, SOAP faults, 401 for bad credentials, cmd.exe's command-line limit — and
// hands each powershell.exe -EncodedCommand script it is sent, decoded, to a Runner. For the
// Hyper-V provider's tests and its stand-in; the Runner (package hostfake) plays the host.
package wsmanfake

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/encoding/unicode"
)

// MaxCommandLine is cmd.exe's limit; a longer Command is refused as Windows refuses it.
const MaxCommandLine = 8191

// Result is what a script did: its output streams and exit code.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Runner runs one decoded script of a shell; ctx is cancelled by a Signal.
type Runner func(ctx context.Context, shellID, script string) Result

// Fault is a SOAP fault to answer instead of the real reply.
type Fault struct {
	Status  int
	Subcode string // e.g. w:InternalError, w:TimedOut
	Reason  string
}

// Options configure the server.
type Options struct {
	User, Password string
	Run            Runner
	// ReceiveWait is how long a Receive waits for output before the OperationTimeout fault
	// (default 200ms; Windows waits the client's OperationTimeout).
	ReceiveWait time.Duration
	// Piece is the most stdout bytes sent in one Receive (default 4096): longer output comes
	// in several Running replies before Done.
	Piece int
	// TLS serves https with httptest's certificate (Server.Certificate).
	TLS bool
	// Inject, when it returns a fault, answers the request with it (action is the last path
	// element of the WS-Addressing action: Create, Command, Receive, Signal, Delete).
	Inject func(action string) *Fault
}

// Server is a running fake.
type Server struct {
	*httptest.Server
	o Options

	mu       sync.Mutex
	shells   map[string]map[string]*command
	counts   map[string]int
	problems []string
}

type command struct {
	cancel context.CancelFunc
	done   chan struct{}
	res    Result
	sent   int
	stderr bool
}

// New starts a server on a loopback port; Close stops it.
func New(o Options) *Server {
	if o.ReceiveWait <= 0 {
		o.ReceiveWait = 200 * time.Millisecond
	}
	if o.Piece <= 0 {
		o.Piece = 4096
	}
	s := &Server{o: o, shells: map[string]map[string]*command{}, counts: map[string]int{}}
	if o.TLS {
		s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	} else {
		s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	}
	return s
}

// URL of the WS-Management endpoint.
func (s *Server) Endpoint() string { return s.URL + "/wsman" }

// Count is how many requests of an action (Create, Command, Receive, Signal, Delete) came.
func (s *Server) Count(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[action]
}

// Shells is how many shells are open (created and not deleted).
func (s *Server) Shells() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.shells)
}

// Problems lists requests the server could not make sense of: a test fails on any.
func (s *Server) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.problems...)
}

func (s *Server) problem(format string, args ...any) {
	s.mu.Lock()
	s.problems = append(s.problems, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

type envelope struct {
	Header struct {
		Action    string `xml:"Action"`
		Selectors []struct {
			Name  string `xml:"Name,attr"`
			Value string `xml:",chardata"`
		} `xml:"SelectorSet>Selector"`
	} `xml:"Header"`
	Body struct {
		Command string `xml:"CommandLine>Command"`
		Receive struct {
			CommandID string `xml:"CommandId,attr"`
		} `xml:"Receive>DesiredStream"`
		Signal struct {
			CommandID string `xml:"CommandId,attr"`
		} `xml:"Signal"`
	} `xml:"Body"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || user != s.o.User || pass != s.o.Password {
		w.Header().Set("WWW-Authenticate", `Basic realm="WSMAN"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/wsman" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/soap+xml") {
		s.problem("%s %s with content type %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		http.Error(w, "not WS-Management", http.StatusBadRequest)
		return
	}
	raw, err := io.ReadAll(r.Body)
	var env envelope
	if err == nil {
		err = xml.Unmarshal(raw, &env)
	}
	if err != nil {
		s.problem("unreadable envelope: %v", err)
		s.fault(w, Fault{Status: 400, Subcode: "w:InvalidMessageInformationHeader", Reason: "unreadable envelope"})
		return
	}
	action := env.Header.Action[strings.LastIndex(env.Header.Action, "/")+1:]
	s.mu.Lock()
	s.counts[action]++
	s.mu.Unlock()
	if s.o.Inject != nil {
		if f := s.o.Inject(action); f != nil {
			s.fault(w, *f)
			return
		}
	}
	shellID := ""
	for _, sel := range env.Header.Selectors {
		if sel.Name == "ShellId" {
			shellID = sel.Value
		}
	}
	switch action {
	case "Create":
		s.create(w)
	case "Command":
		s.command(w, shellID, env.Body.Command)
	case "Receive":
		s.receive(w, r.Context(), shellID, env.Body.Receive.CommandID)
	case "Signal":
		s.signal(w, shellID, env.Body.Signal.CommandID)
	case "Delete":
		s.delete(w, shellID)
	default:
		s.problem("unknown action %q", env.Header.Action)
		s.fault(w, Fault{Status: 400, Subcode: "w:ActionNotSupported", Reason: "unknown action " + env.Header.Action})
	}
}

func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	h := strings.ToUpper(hex.EncodeToString(b[:]))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (s *Server) create(w http.ResponseWriter) {
	id := newID()
	s.mu.Lock()
	s.shells[id] = map[string]*command{}
	s.mu.Unlock()
	reply(w, "http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse", `<x:ResourceCreated><a:Address>`+s.Endpoint()+`</a:Address><a:ReferenceParameters><w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">`+id+`</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated><rsp:Shell><rsp:ShellId>`+id+`</rsp:ShellId></rsp:Shell>`)
}

var encodedRE = regexp.MustCompile(`^powershell\.exe(?: -NoProfile)?(?: -NonInteractive)? -EncodedCommand ([A-Za-z0-9+/=]+)$`)

func (s *Server) command(w http.ResponseWriter, shellID, line string) {
	s.mu.Lock()
	cmds, ok := s.shells[shellID]
	s.mu.Unlock()
	if !ok {
		s.problem("Command in unknown shell %q", shellID)
		s.fault(w, Fault{Status: 400, Subcode: "w:InvalidSelectors", Reason: "The request for the Windows Remote Shell with ShellId " + shellID + " failed because the shell was not found on the server."})
		return
	}
	line = strings.TrimSpace(line)
	if len(line) > MaxCommandLine {
		s.fault(w, Fault{Status: 500, Subcode: "w:InternalError", Reason: "The filename or extension is too long. "})
		return
	}
	script := ""
	if m := encodedRE.FindStringSubmatch(line); m != nil {
		script = decodeScript(m[1])
	}
	if script == "" {
		s.problem("command is not powershell.exe -EncodedCommand <UTF-16LE base64>: %.120q", line)
		s.fault(w, Fault{Status: 500, Subcode: "w:InternalError", Reason: "not a PowerShell encoded command"})
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &command{cancel: cancel, done: make(chan struct{})}
	id := newID()
	s.mu.Lock()
	cmds[id] = c
	s.mu.Unlock()
	go func() {
		defer close(c.done)
		c.res = s.o.Run(ctx, shellID, script)
	}()
	reply(w, "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandResponse", `<rsp:CommandResponse><rsp:CommandId>`+id+`</rsp:CommandId></rsp:CommandResponse>`)
}

func decodeScript(b64 string) string {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw)%2 != 0 {
		return ""
	}
	text, err := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder().Bytes(raw)
	if err != nil {
		return ""
	}
	return string(text)
}

func (s *Server) lookup(shellID, cmdID string) *command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shells[shellID][cmdID]
}

func (s *Server) receive(w http.ResponseWriter, ctx context.Context, shellID, cmdID string) {
	c := s.lookup(shellID, cmdID)
	if c == nil {
		s.problem("Receive for unknown command %q in shell %q", cmdID, shellID)
		s.fault(w, Fault{Status: 400, Subcode: "w:InvalidSelectors", Reason: "unknown command"})
		return
	}
	select {
	case <-c.done:
	case <-time.After(s.o.ReceiveWait):
		s.fault(w, Fault{Status: 500, Subcode: "w:TimedOut", Reason: "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  "})
		return
	case <-ctx.Done():
		return
	}
	s.mu.Lock()
	out := c.res.Stdout[c.sent:]
	if len(out) > s.o.Piece {
		out = out[:s.o.Piece]
	}
	c.sent += len(out)
	last := c.sent == len(c.res.Stdout)
	sendErr := last && !c.stderr
	if sendErr {
		c.stderr = true
	}
	s.mu.Unlock()
	var b strings.Builder
	b.WriteString(`<rsp:ReceiveResponse>`)
	if out != "" {
		fmt.Fprintf(&b, `<rsp:Stream Name="stdout" CommandId="%s">%s</rsp:Stream>`, cmdID, base64.StdEncoding.EncodeToString([]byte(out)))
	}
	if sendErr && c.res.Stderr != "" {
		fmt.Fprintf(&b, `<rsp:Stream Name="stderr" CommandId="%s">%s</rsp:Stream>`, cmdID, base64.StdEncoding.EncodeToString([]byte(c.res.Stderr)))
	}
	if last {
		fmt.Fprintf(&b, `<rsp:Stream Name="stdout" CommandId="%s" End="true"></rsp:Stream><rsp:CommandState CommandId="%s" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"><rsp:ExitCode>%d</rsp:ExitCode></rsp:CommandState>`, cmdID, cmdID, c.res.Code)
	} else {
		fmt.Fprintf(&b, `<rsp:CommandState CommandId="%s" State="http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running"></rsp:CommandState>`, cmdID)
	}
	b.WriteString(`</rsp:ReceiveResponse>`)
	reply(w, "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse", b.String())
}

func (s *Server) signal(w http.ResponseWriter, shellID, cmdID string) {
	if c := s.lookup(shellID, cmdID); c != nil {
		c.cancel()
	}
	reply(w, "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/SignalResponse", `<rsp:SignalResponse/>`)
}

func (s *Server) delete(w http.ResponseWriter, shellID string) {
	s.mu.Lock()
	cmds, ok := s.shells[shellID]
	delete(s.shells, shellID)
	s.mu.Unlock()
	if !ok {
		s.problem("Delete of unknown shell %q", shellID)
	}
	for _, c := range cmds {
		c.cancel()
	}
	reply(w, "http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse", "")
}

const envelopeHead = `<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"><s:Header><a:Action>%s</a:Action><a:MessageID>uuid:%s</a:MessageID><a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To></s:Header><s:Body>%s</s:Body></s:Envelope>`

func reply(w http.ResponseWriter, action, body string) {
	w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
	fmt.Fprintf(w, envelopeHead, action, newID(), body)
}

func (s *Server) fault(w http.ResponseWriter, f Fault) {
	w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
	w.WriteHeader(f.Status)
	var reason strings.Builder
	_ = xml.EscapeText(&reason, []byte(f.Reason))
	body := `<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>` + f.Subcode + `</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">` + reason.String() + `</s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858793" Machine="127.0.0.1"><f:Message>` + reason.String() + `</f:Message></f:WSManFault></s:Detail></s:Fault>`
	fmt.Fprintf(w, envelopeHead, "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", newID(), body)
}
