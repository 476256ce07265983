package armstandin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/azure/internal/azurite"
)

// Options configure a stand-in.
type Options struct {
	Subscription string
	// Token is the bearer token every call must carry.
	Token string
	// Blob is the Azurite that grants write their page blobs to and serve SAS URLs from.
	Blob *azurite.Azurite
	// PageSize is how many VMs one list page holds (default 2, so listings page).
	PageSize int
	// Polls is how many times an operation answers InProgress before it ends (default 2).
	Polls int
	// RetryAfter is the Retry-After header of 202s, in seconds (default 0).
	RetryAfter int
	// DataToken is the bearer token of a principal holding the Data Operator for Managed Disks
	// role: the grant blob of a disk with dataAccessAuthMode AzureActiveDirectory is read with
	// it only.
	DataToken string
}

// Server is a running stand-in.
type Server struct {
	opts Options
	srv  *httptest.Server

	mu        sync.Mutex
	vms       map[string]*VM
	order     []string // vm keys in the order they were added: the listing's order
	disks     map[string]*Disk
	snapshots map[string]*snapshot
	ops       map[string]*operation
	faults    map[string][]fault
	throttle  int
	calls     []string
	nextID    int
}

// fault is an answer a named operation gives instead of its own (see Fail).
type fault struct {
	status int
	code   string
}

// Start starts a stand-in for the test; it stops in t.Cleanup.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s := New(o)
	t.Cleanup(s.Close)
	return s
}

// New starts a stand-in; Close stops it. It is Start for programs that are not tests
// (cmd/hypersdk-azure-standin).
func New(o Options) *Server {
	if o.Subscription == "" {
		o.Subscription = "00000000-0000-0000-0000-000000000001"
	}
	if o.PageSize <= 0 {
		o.PageSize = 2
	}
	if o.Polls <= 0 {
		o.Polls = 2
	}
	s := &Server{opts: o, vms: map[string]*VM{}, disks: map[string]*Disk{}, snapshots: map[string]*snapshot{},
		ops: map[string]*operation{}, faults: map[string][]fault{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close stops the stand-in.
func (s *Server) Close() { s.srv.Close() }

// URL is the stand-in's endpoint, what armcompute takes as the Resource Manager endpoint.
func (s *Server) URL() string { return s.srv.URL }

// Subscription is the subscription id the stand-in serves.
func (s *Server) Subscription() string { return s.opts.Subscription }

// AddDisk adds a managed disk.
func (s *Server) AddDisk(d Disk) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.SectorSize == 0 {
		d.SectorSize = 512
	}
	if d.NetworkAccessPolicy == "" {
		d.NetworkAccessPolicy = "AllowAll"
	}
	s.disks[key(d.ResourceGroup, d.Name)] = &d
}

// AddVM adds a VM; its disks are added with AddDisk.
func (s *Server) AddVM(vm VM) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(vm.ResourceGroup, vm.Name)
	if _, ok := s.vms[k]; !ok {
		s.order = append(s.order, k)
	}
	s.vms[k] = &vm
}

// Power is a VM's power state code now (running, deallocated…).
func (s *Server) Power(rg, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if vm := s.vms[key(rg, name)]; vm != nil {
		return vm.Power
	}
	return ""
}

// HasSnapshot reports whether the snapshot exists.
func (s *Server) HasSnapshot(rg, name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshots[key(rg, name)] != nil
}

// HasGrant reports whether the snapshot exists with an open grant.
func (s *Server) HasGrant(rg, name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sn := s.snapshots[key(rg, name)]
	return sn != nil && sn.Grant != ""
}

// Snapshots lists the snapshots that exist, as resourceGroup/name.
func (s *Server) Snapshots() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, sn := range s.snapshots {
		out = append(out, sn.ResourceGroup+"/"+sn.Name)
	}
	return out
}

// Fail makes the next call of the named operation (beginGetAccess, endGetAccess, snapshotPut,
// snapshotDelete, deallocate, start, powerOff) fail with status and ARM error code; async
// makes it be accepted and then fail in its operation status.
func (s *Server) Fail(op string, status int, code string, async bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if async {
		op += ":async"
	}
	s.faults[op] = append(s.faults[op], fault{status: status, code: code})
}

// Throttle makes the next n calls answer 429 with Retry-After: 1, as a region does.
func (s *Server) Throttle(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle = n
}

// Calls lists the calls served so far, "METHOD path".
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

func (s *Server) takeFault(op string) (fault, bool) {
	f := s.faults[op]
	if len(f) == 0 {
		return fault{}, false
	}
	s.faults[op] = f[1:]
	return f[0], true
}

// armError is ARM's error body.
type armError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, status int, code, format string, args ...any) {
	writeJSON(w, status, map[string]any{"error": armError{Code: code, Message: fmt.Sprintf(format, args...)}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("x-ms-request-id", "standin")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, entraBlobPath+"/") {
		s.serveEntraBlob(w, r)
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, r.Method+" "+r.URL.Path)
	throttled := s.throttle > 0
	if throttled {
		s.throttle--
	}
	s.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+s.opts.Token {
		writeError(w, http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or invalid.")
		return
	}
	if throttled {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, "TooManyRequests", "The request is being throttled as the limit has been reached for operation type - Read_30Min.")
		return
	}
	if r.URL.Query().Get("api-version") == "" {
		writeError(w, http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
		return
	}
	seg := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	lower := make([]string, len(seg))
	for i := range seg {
		lower[i] = strings.ToLower(seg[i])
	}
	if len(seg) < 2 || lower[0] != "subscriptions" || !strings.EqualFold(seg[1], s.opts.Subscription) {
		writeError(w, http.StatusNotFound, "SubscriptionNotFound", "The subscription %q could not be found.", strings.Join(seg, "/"))
		return
	}
	rest, lrest := seg[2:], lower[2:]
	switch {
	case len(lrest) == 0 && r.Method == http.MethodGet:
		s.subscription(w)
	case match(lrest, "providers", "microsoft.compute", "virtualmachines") && r.Method == http.MethodGet:
		s.listVMs(w, r)
	case match(lrest, "providers", "microsoft.compute", "locations", "*", "vmsizes") && r.Method == http.MethodGet:
		s.listSizes(w)
	case match(lrest, "providers", "microsoft.compute", "locations", "*", "diskoperations", "*") && r.Method == http.MethodGet:
		s.pollOperation(w, r, rest[5])
	case len(lrest) >= 6 && lrest[0] == "resourcegroups" && lrest[2] == "providers":
		s.resource(w, r, rest[1], lrest[3], lrest[4], rest[5], lrest[6:])
	default:
		writeError(w, http.StatusNotFound, "NotFound", "no such route %s %s", r.Method, r.URL.Path)
	}
}

// resource serves /resourceGroups/{rg}/providers/{namespace}/{type}/{name}/{action…}.
func (s *Server) resource(w http.ResponseWriter, r *http.Request, rg, ns, typ, name string, action []string) {
	act := strings.Join(action, "/")
	switch {
	case ns == "microsoft.compute" && typ == "virtualmachines":
		s.vmResource(w, r, rg, name, act)
	case ns == "microsoft.compute" && typ == "disks" && act == "" && r.Method == http.MethodGet:
		s.getDisk(w, rg, name)
	case ns == "microsoft.compute" && typ == "snapshots":
		s.snapshotResource(w, r, rg, name, act)
	case ns == "microsoft.network" && typ == "networkinterfaces" && act == "" && r.Method == http.MethodGet:
		s.getNIC(w, rg, name)
	default:
		writeError(w, http.StatusNotFound, "NotFound", "no such route %s %s", r.Method, r.URL.Path)
	}
}

func match(seg []string, want ...string) bool {
	if len(seg) != len(want) {
		return false
	}
	for i := range want {
		if want[i] != "*" && seg[i] != want[i] {
			return false
		}
	}
	return true
}

func (s *Server) newID(prefix string) string {
	s.nextID++
	return prefix + strconv.Itoa(s.nextID)
}

func (s *Server) resourceID(rg, typ, name string) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/%s/%s", s.opts.Subscription, rg, typ, name)
}

func (s *Server) subscription(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, map[string]any{"id": "/subscriptions/" + s.opts.Subscription, "subscriptionId": s.opts.Subscription,
		"displayName": "hypersdk stand-in", "state": "Enabled"})
}
