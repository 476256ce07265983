// Package winrmexec runs the Hyper-V provider's PowerShell scripts (package psscript) on a host
// over WinRM with github.com/masterzen/winrm, and turns what comes back — JSON on stdout, an
// exit code, a SOAP fault, an HTTP status — into a decoded answer or an error wrapping the
// provider's sentinels. For the provider only.
//
// Every script goes as powershell.exe -EncodedCommand, whose command line cmd.exe caps at 8191
// characters. A script that would not fit is cut into pieces that stage_chunk appends to a
// file in the host's temporary folder, each a command of its own in the same WinRM shell, and
// run_staged then runs it: no script fails on the limit, however long its parameters. Scripts
// carry no credentials; the password authenticates the WinRM session (HTTP) and is never on a
// command line or in a log.
package winrmexec

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/masterzen/winrm"
	"golang.org/x/text/encoding/unicode"

	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/psscript"
)

// MaxCommandLine is cmd.exe's limit on a command line, in characters.
const MaxCommandLine = 8191

// Options say where and how to reach the host.
type Options struct {
	// Endpoint is the WinRM URL, http(s)://host:port/wsman.
	Endpoint string
	User     string
	Password string
	// Auth is basic or ntlm. NTLM over http encrypts the messages (winrm.NewEncryption).
	Auth     string
	Insecure bool
	CACert   []byte
	// OperationTimeout is WS-Management's wait for output per Receive (default 60s); a command
	// running longer is polled again, so it bounds one request, not a script.
	OperationTimeout time.Duration
	// MaxCommandLine overrides MaxCommandLine (tests make it small to exercise staging).
	MaxCommandLine int
}

// Client runs scripts on one host.
type Client struct {
	c        *winrm.Client
	endpoint string
	user     string
	maxLine  int
}

// New builds a client; it does not connect.
func New(o Options) (*Client, error) {
	u, err := url.Parse(o.Endpoint)
	if err != nil || u.Hostname() == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("winrm endpoint %q is not an http(s) URL", o.Endpoint)
	}
	port := 5985
	if u.Scheme == "https" {
		port = 5986
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("winrm endpoint %q: port: %w", o.Endpoint, err)
		}
	}
	timeout := o.OperationTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	// The HTTP wait must outlast WS-Management's own, or every idle Receive fails on our side.
	ep := winrm.NewEndpoint(u.Hostname(), port, u.Scheme == "https", o.Insecure, o.CACert, nil, nil, timeout+30*time.Second)
	params := winrm.NewParameters(fmt.Sprintf("PT%dS", int(timeout.Seconds())), "en-US", 153600)
	switch o.Auth {
	case "", "basic":
		params.TransportDecorator = func() winrm.Transporter { return faultAware{inner: winrm.NewClientWithDial(nil)} }
	case "ntlm":
		params.TransportDecorator = func() winrm.Transporter {
			enc, err := winrm.NewEncryption("ntlm")
			if err != nil {
				panic(err) // "ntlm" is a protocol NewEncryption knows
			}
			return faultAware{inner: enc}
		}
	default:
		return nil, fmt.Errorf("winrm auth must be basic or ntlm, got %q", o.Auth)
	}
	c, err := winrm.NewClientWithParameters(ep, o.User, o.Password, params)
	if err != nil {
		return nil, fmt.Errorf("winrm client for %s: %w", o.Endpoint, err)
	}
	max := o.MaxCommandLine
	if max <= 0 {
		max = MaxCommandLine
	}
	return &Client{c: c, endpoint: o.Endpoint, user: o.User, maxLine: max}, nil
}

// Run runs the named script with params and decodes its JSON answer into out (nil: ignored).
func (c *Client) Run(ctx context.Context, name string, params, out any) error {
	text, err := psscript.Render(name, params)
	if err != nil {
		return err
	}
	shell, err := c.c.CreateShell()
	if err != nil {
		return c.transportError(name, "open a shell", err)
	}
	defer func() { _ = shell.Close() }() // the host drops idle shells itself
	line := commandLine(text)
	if len(line) > c.maxLine {
		if line, err = c.stage(ctx, shell, name, text); err != nil {
			return err
		}
	}
	res, err := c.execute(ctx, shell, name, line)
	if err != nil {
		return err
	}
	if err := res.err(name); err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(bytes.TrimSpace(res.stdout), out); err != nil {
		return fmt.Errorf("script %s on %s: its answer is not the JSON expected: %w (%.200q)", name, c.endpoint, err, res.stdout)
	}
	return nil
}

// stage sends text in pieces to a file on the host and returns the command line that runs it.
func (c *Client) stage(ctx context.Context, shell *winrm.Shell, name, text string) (string, error) {
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", fmt.Errorf("staging file name: %w", err)
	}
	file := "hypersdk-stage-" + hex.EncodeToString(id[:]) + ".b64"
	payload := base64.StdEncoding.EncodeToString([]byte(text))
	for len(payload) > 0 {
		n, line, err := c.fit(payload, file)
		if err != nil {
			return "", fmt.Errorf("script %s: %w", name, err)
		}
		res, err := c.execute(ctx, shell, name+" (staging)", line)
		if err != nil {
			return "", err
		}
		if err := res.err(psscript.StageChunk); err != nil {
			return "", fmt.Errorf("stage script %s on the host: %w", name, err)
		}
		payload = payload[n:]
	}
	run, err := psscript.Render(psscript.RunStaged, map[string]string{"file": file})
	if err != nil {
		return "", err
	}
	return commandLine(run), nil
}

// fit returns the longest prefix of payload whose stage_chunk command line fits the limit.
func (c *Client) fit(payload, file string) (int, string, error) {
	n := len(payload)
	for n > 0 {
		text, err := psscript.Render(psscript.StageChunk, map[string]string{"file": file, "chunk": payload[:n]})
		if err != nil {
			return 0, "", err
		}
		line := commandLine(text)
		if len(line) <= c.maxLine {
			return n, line, nil
		}
		// Shrink in proportion (the fixed part of the line makes this land a little over, and
		// the loop shrinks again).
		n = n*c.maxLine/len(line) - 1
	}
	return 0, "", fmt.Errorf("the command-line limit of %d characters leaves no room for a staged piece", c.maxLine)
}

// result is what one command left.
type result struct {
	stdout, stderr []byte
	code           int
	endpoint       string
}

func (r result) err(name string) error {
	if r.code == 0 {
		return nil
	}
	msg := errorText(r.stderr)
	switch r.code {
	case psscript.ExitNotFound:
		return fmt.Errorf("script %s on %s: %w: %s", name, r.endpoint, errNotFound, msg)
	case psscript.ExitRefused:
		return fmt.Errorf("script %s on %s: %w: %s", name, r.endpoint, errRefused, msg)
	case psscript.ExitBusy:
		return fmt.Errorf("script %s on %s: %w: %s", name, r.endpoint, errBusy, msg)
	}
	return fmt.Errorf("script %s on %s failed (exit code %d): %s", name, r.endpoint, r.code, msg)
}

// execute runs one command line in shell and collects its output.
func (c *Client) execute(ctx context.Context, shell *winrm.Shell, name, line string) (result, error) {
	cmd, err := shell.ExecuteWithContext(ctx, line)
	if err != nil {
		return result{}, c.transportError(name, "start the command", err)
	}
	var stdout, stderr bytes.Buffer
	var outErr, errErr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _, outErr = io.Copy(&stdout, cmd.Stdout) }()
	go func() { defer wg.Done(); _, errErr = io.Copy(&stderr, cmd.Stderr) }()
	cmd.Wait()
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return result{}, fmt.Errorf("script %s on %s: %w", name, c.endpoint, err)
	}
	if outErr == nil {
		outErr = errErr
	}
	if outErr != nil {
		return result{}, c.transportError(name, "read its output", outErr)
	}
	return result{stdout: stdout.Bytes(), stderr: stderr.Bytes(), code: cmd.ExitCode(), endpoint: c.endpoint}, nil
}

// commandLine is the cmd.exe line that runs a PowerShell script text.
func commandLine(text string) string {
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().String(text)
	if err != nil {
		panic(err) // any Go string encodes to UTF-16
	}
	return "powershell.exe -NoProfile -NonInteractive -EncodedCommand " + base64.StdEncoding.EncodeToString([]byte(utf16))
}
