package winrmexec

import (
	"context"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/hostfake"
	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/psscript"
	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/wsmanfake"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

const vmID = "5f3c1f0e-8a7b-4c2d-9e10-0123456789ab"

type rig struct {
	host *hostfake.Host
	srv  *wsmanfake.Server
}

// start runs the WS-Management fake in front of a host with one VM; the test fails at its end
// on any script the host did not know or request the server could not read.
func start(t *testing.T, o wsmanfake.Options, fail func(string, []byte) *wsmanfake.Result) *rig {
	t.Helper()
	host := hostfake.New(hostfake.Options{ShareDir: t.TempDir(), Fail: fail})
	host.AddVM(hostfake.VM{ID: vmID, Name: "web-01", State: "Running", Generation: 2, CPUs: 2, MemoryMB: 1024})
	o.User, o.Password, o.Run = "admin", "s3cret", host.Run
	srv := wsmanfake.New(o)
	t.Cleanup(func() {
		srv.Close()
		for _, p := range append(host.Problems(), srv.Problems()...) {
			t.Errorf("fake: %s", p)
		}
	})
	return &rig{host: host, srv: srv}
}

func (r *rig) client(t *testing.T, o Options) *Client {
	t.Helper()
	o.Endpoint = r.srv.Endpoint()
	if o.User == "" {
		o.User, o.Password = "admin", "s3cret"
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type listAnswer struct {
	Total int `json:"total"`
	VMs   []struct {
		ID   string `json:"Id"`
		Name string `json:"Name"`
	} `json:"vms"`
}

// Output arriving in several Running replies before Done is put back together, and the shell
// is deleted after.
func TestRunCollectsOutputAcrossReceives(t *testing.T) {
	r := start(t, wsmanfake.Options{Piece: 16}, nil)
	var a listAnswer
	if err := r.client(t, Options{}).Run(context.Background(), psscript.ListVMs, map[string]any{"skip": 0, "first": 10}, &a); err != nil {
		t.Fatal(err)
	}
	if a.Total != 1 || len(a.VMs) != 1 || a.VMs[0].ID != vmID {
		t.Fatalf("answer %+v", a)
	}
	if r.srv.Count("Receive") < 3 || r.srv.Shells() != 0 || r.srv.Count("Delete") != 1 {
		t.Fatalf("%d receives, %d shells open, %d deletes: want several receives and the shell deleted", r.srv.Count("Receive"), r.srv.Shells(), r.srv.Count("Delete"))
	}
}

// A command that outlasts WS-Management's OperationTimeout is polled again until it ends.
func TestRunPollsAgainAfterOperationTimeout(t *testing.T) {
	r := start(t, wsmanfake.Options{ReceiveWait: 50 * time.Millisecond}, func(name string, _ []byte) *wsmanfake.Result {
		time.Sleep(300 * time.Millisecond)
		return nil
	})
	var a listAnswer
	if err := r.client(t, Options{}).Run(context.Background(), psscript.ListVMs, map[string]any{"first": 10}, &a); err != nil {
		t.Fatal(err)
	}
	if r.srv.Count("Receive") < 3 || a.Total != 1 {
		t.Fatalf("%d receives, answer %+v: want the timed-out receives retried", r.srv.Count("Receive"), a)
	}
}

// A cancelled context signals the command to stop and returns context.Canceled.
func TestRunCancelSignalsTheCommand(t *testing.T) {
	r := start(t, wsmanfake.Options{ReceiveWait: 50 * time.Millisecond}, func(string, []byte) *wsmanfake.Result {
		time.Sleep(2 * time.Second)
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := r.client(t, Options{}).Run(ctx, psscript.ListVMs, map[string]any{"first": 1}, nil)
	if !errors.Is(err, context.DeadlineExceeded) || r.srv.Count("Signal") == 0 {
		t.Fatalf("Run = %v with %d signals; want the deadline and a Signal", err, r.srv.Count("Signal"))
	}
}

// A script longer than the command-line limit is staged in pieces and run whole; sent in one
// piece it is refused by the host as Windows refuses it.
func TestLongScriptsAreStaged(t *testing.T) {
	r := start(t, wsmanfake.Options{}, nil)
	long := strings.Repeat("node", 5000) // a 20,000-character cluster name: ~150,000 encoded
	var a listAnswer
	if err := r.client(t, Options{}).Run(context.Background(), psscript.ListVMs, map[string]any{"first": 10, "cluster": long}, &a); err != nil {
		t.Fatal(err)
	}
	if a.Total != 1 || r.srv.Count("Command") < 10 {
		t.Fatalf("answer %+v after %d commands: want it staged in many pieces", a, r.srv.Count("Command"))
	}
	err := r.client(t, Options{MaxCommandLine: 1 << 20}).Run(context.Background(), psscript.ListVMs, map[string]any{"cluster": long}, nil)
	if !errors.Is(err, ErrCommandTooLong) {
		t.Fatalf("unstaged long script: %v, want ErrCommandTooLong", err)
	}
}

func TestRunErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inject func(string) *wsmanfake.Fault
		user   string
		script string
		params map[string]any
		want   error
		saying string
	}{
		{name: "wrong password", user: "admin:wrong", script: psscript.ListVMs, want: provider.ErrAuth, saying: "HTTP 401"},
		{name: "not found", script: psscript.ListVMs, params: map[string]any{"id": "00000000-0000-0000-0000-000000000000"}, want: provider.ErrNotFound, saying: "no virtual machine with id"},
		{name: "refused", script: psscript.RemoveExport, params: map[string]any{"root": `D:\HyperSDK\Export`, "folder": `..\Windows`}, want: provider.ErrInvalidArgument, saying: "export folder name"},
		{name: "SOAP fault", inject: func(a string) *wsmanfake.Fault {
			if a == "Create" {
				return &wsmanfake.Fault{Status: 500, Subcode: "w:QuotaLimit", Reason: "The WS-Management service cannot process the request. This user is allowed a maximum number of 5 concurrent shells."}
			}
			return nil
		}, script: psscript.ListVMs, saying: "maximum number of 5 concurrent shells"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := start(t, wsmanfake.Options{Inject: tc.inject}, nil)
			o := Options{}
			if u, p, ok := strings.Cut(tc.user, ":"); ok {
				o.User, o.Password = u, p
			}
			params := tc.params
			if params == nil {
				params = map[string]any{"first": 1}
			}
			err := r.client(t, o).Run(context.Background(), tc.script, params, nil)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.saying) {
				t.Fatalf("Run = %v, want %v saying %q", err, tc.want, tc.saying)
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "wrong") && tc.user != "" {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
}

// Over https the host's certificate is checked against the CA given; without it the
// connection is refused, and insecure skips the check.
func TestRunOverHTTPS(t *testing.T) {
	r := start(t, wsmanfake.Options{TLS: true}, nil)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.srv.Certificate().Raw})
	var a listAnswer
	if err := r.client(t, Options{CACert: ca}).Run(context.Background(), psscript.ListVMs, map[string]any{"first": 1}, &a); err != nil || a.Total != 1 {
		t.Fatalf("Run over https with the CA = %+v, %v", a, err)
	}
	if err := r.client(t, Options{}).Run(context.Background(), psscript.ListVMs, map[string]any{"first": 1}, nil); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Run over https without the CA = %v, want a certificate error", err)
	}
	if err := r.client(t, Options{Insecure: true}).Run(context.Background(), psscript.ListVMs, map[string]any{"first": 1}, nil); err != nil {
		t.Fatalf("Run over https, insecure = %v", err)
	}
}

// Every script renders, and its body is recognised by name: what the fake relies on.
func TestScriptsRenderAndParse(t *testing.T) {
	for _, name := range psscript.Names() {
		text, err := psscript.Render(name, map[string]string{"k": "v'; Remove-Item C:\\ #"})
		if err != nil {
			t.Fatal(err)
		}
		body, params, err := psscript.Parse(text)
		if err != nil || psscript.Identify(body) != name || string(params) != `{"k":"v'; Remove-Item C:\\ #"}` {
			t.Fatalf("%s: parsed as %q with %s, %v", name, psscript.Identify(body), params, err)
		}
		if len(commandLine(text)) > MaxCommandLine {
			t.Errorf("script %s alone is %d characters on the command line: staging is for parameters, keep scripts short", name, len(commandLine(text)))
		}
	}
}
