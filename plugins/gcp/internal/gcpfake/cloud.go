// Package gcpfake is a stand-in for the parts of Google Cloud the gcp provider calls, for its
// tests (Compute Engine and Cloud Build cannot run outside Google): an httptest server speaking
// the documented REST wire format of Compute Engine (instances, machine types, disks'
// createSnapshot, snapshots, images, zone and global operations polled until DONE) and of Cloud
// Build (builds create/get/cancel/list as long-running operations), driven by the real Go
// client libraries pointed at it. Cloud Storage is the real fake-gcs-server, in process; the
// fake builder writes what the image-export builder documents writing there: the disk as qcow2
// (-format=qcow2, made with qemu-img) or a tar.gz holding disk.raw, and its log.
package gcpfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
)

// Instance is an instance to serve, with its disks' bytes.
type Instance struct {
	Zone, Name  string
	Status      string // RUNNING when empty
	MachineType string // n2-standard-4 when empty
	Labels      map[string]string
	SecureBoot  bool
	Disks       []Disk
}

// Disk is an attached persistent disk: its name, whether it boots and what it holds. SizeGB
// is its capacity as the API shows it; Content is what an export of it yields.
type Disk struct {
	Name    string
	Boot    bool
	SizeGB  int64
	Content []byte
}

// Cloud is the stand-in.
type Cloud struct {
	Project string
	Bucket  string
	GCS     *fakestorage.Server
	srv     *httptest.Server
	tmp     string

	mu        sync.Mutex
	instances map[string]*Instance // zone/name
	disks     map[string][]byte    // zone/name of the disk
	snapshots map[string]string    // name → disk key
	images    map[string]string    // name → disk key
	ops       map[string]*operation
	builds    map[string]*build
	seq       int

	// OpPolls is how many polls an operation stays RUNNING; BuildPolls how many GetBuild
	// calls a build takes to end (first QUEUED, then WORKING).
	OpPolls, BuildPolls int
	// BuildOutcome makes builds end FAILURE or TIMEOUT; DenyBuild refuses CreateBuild with
	// 403 PERMISSION_DENIED; ImageError makes image operations end with that error code.
	BuildOutcome string
	DenyBuild    bool
	ImageError   string
	// PageSize, when set, caps the instances of one aggregated-list page.
	PageSize int
	// SkipObject makes a successful build write no object (a builder that lied).
	SkipObject bool
}

// Start starts the stand-in and fake-gcs-server with the staging bucket, both stopped when the
// test ends.
func Start(t testing.TB, project, bucket string) *Cloud {
	t.Helper()
	c, err := New(project, bucket, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// New starts the stand-in and fake-gcs-server with the staging bucket, outside a test (the
// hypersdk-gcp-standin command); tmp is where the fake builder writes its files. Close stops
// both.
func New(project, bucket, tmp string) (*Cloud, error) {
	gcs, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", PublicHost: "127.0.0.1", NoListener: false})
	if err != nil {
		return nil, fmt.Errorf("start fake-gcs-server: %w", err)
	}
	gcs.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket})
	c := &Cloud{Project: project, Bucket: bucket, GCS: gcs, instances: map[string]*Instance{}, disks: map[string][]byte{},
		snapshots: map[string]string{}, images: map[string]string{}, ops: map[string]*operation{}, builds: map[string]*build{},
		OpPolls: 1, BuildPolls: 3, tmp: tmp}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	return c, nil
}

// Close stops the stand-in and fake-gcs-server.
func (c *Cloud) Close() {
	c.srv.Close()
	c.GCS.Stop()
}

// URL is the Compute Engine and Cloud Build endpoint.
func (c *Cloud) URL() string { return c.srv.URL }

// StorageURL is the Cloud Storage JSON API endpoint.
func (c *Cloud) StorageURL() string { return c.GCS.URL() + "/storage/v1/" }

// Settings are the provider settings that point it at the stand-in.
func (c *Cloud) Settings() map[string]any {
	return map[string]any{
		"project": c.Project, "staging_bucket": c.Bucket, "anonymous": true, "poll_interval": "10ms",
		"compute_endpoint": c.URL(), "cloudbuild_endpoint": c.URL(), "storage_endpoint": c.StorageURL(),
	}
}

// AddInstance serves inst.
func (c *Cloud) AddInstance(inst Instance) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if inst.Status == "" {
		inst.Status = "RUNNING"
	}
	if inst.MachineType == "" {
		inst.MachineType = "n2-standard-4"
	}
	c.instances[inst.Zone+"/"+inst.Name] = &inst
	for _, d := range inst.Disks {
		c.disks[inst.Zone+"/"+d.Name] = d.Content
	}
}

// Status is an instance's status now.
func (c *Cloud) Status(zone, name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := c.instances[zone+"/"+name]; i != nil {
		return i.Status
	}
	return ""
}

// Has says whether a snapshot, an image or a build still running exists under name (a build is
// named by its tag).
func (c *Cloud) Has(kind, name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch kind {
	case "snapshot":
		_, ok := c.snapshots[name]
		return ok
	case "image":
		_, ok := c.images[name]
		return ok
	case "build":
		for _, b := range c.builds {
			if b.hasTag(name) && b.running() {
				return true
			}
		}
	}
	return false
}

// Counts says how many snapshots, images and running builds exist.
func (c *Cloud) Counts() (snapshots, images, running int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range c.builds {
		if b.running() {
			running++
		}
	}
	return len(c.snapshots), len(c.images), running
}

func (c *Cloud) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/compute/v1/projects/"+c.Project+"/"):
		c.serveCompute(w, r, strings.Split(strings.TrimPrefix(r.URL.Path, "/compute/v1/projects/"+c.Project+"/"), "/"))
	case strings.HasPrefix(r.URL.Path, "/v1/projects/"+c.Project+"/builds"):
		c.serveBuilds(w, r, strings.TrimPrefix(r.URL.Path, "/v1/projects/"+c.Project+"/builds"))
	default:
		apiErr(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("no such path %s %s", r.Method, r.URL.Path))
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// apiErr is Google's JSON error body.
func apiErr(w http.ResponseWriter, code int, status, msg string) {
	writeJSON(w, code, map[string]any{"error": map[string]any{"code": code, "message": msg, "status": status,
		"errors": []map[string]any{{"message": msg, "domain": "global", "reason": strings.ToLower(status)}}}})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Builds says how many builds were made.
func (c *Cloud) Builds() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.builds)
}
