// Package ocifake is a stand-in for the parts of Oracle Cloud Infrastructure the oci provider
// calls, for its tests (no OCI emulator exists): one httptest server speaking the documented
// REST wire format of Identity (availability domains, compartments), Core (instances, boot
// volume, volume and VNIC attachments, volumes, VNICs, images with CreateImage, ExportImage
// and DeleteImage), Work Requests (status with percentComplete, errors) and Object Storage
// (HEAD, ranged GET with If-Match, DELETE, pre-authenticated requests), driven by the real
// oci-go-sdk pointed at it. Every request must carry a valid draft-cavage signature made with
// the key the stand-in generated (Settings), checked with its public half; anything else is a
// 401 NotAuthenticated, as OCI answers. Work requests advance with time, not with polls, so
// an export goes on while its plugin is dead; an export writes the instance's boot volume as
// QCOW2 (qemu-img), VMDK or VHD.
package ocifake

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Identifiers of the stand-in's tenancy.
const (
	Tenancy     = "ocid1.tenancy.oc1..hypersdktest"
	User        = "ocid1.user.oc1..hypersdktest"
	Fingerprint = "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34"
	Region      = "us-ashburn-1"
	Namespace   = "hypersdkns"
	Bucket      = "hypersdk-staging"
)

// Instance is an instance to serve. ID is set by AddInstance when empty.
type Instance struct {
	ID, Compartment, AD, Name string
	State                     string // RUNNING when empty
	Shape                     string
	OCPUs, MemoryGB           float32
	UEFI, SecureBoot          bool
	FreeformTags              map[string]string
	DefinedTags               map[string]map[string]any
	// SourceImage is the image it was launched from (AddSourceImage).
	SourceImage string
	// Boot is the boot volume's content; BootGB its size as the API shows it.
	Boot    []byte
	BootGB  int64
	Volumes []Volume
	VNICs   []VNIC
	// ExportRefusal, when set, makes ExportImage of its images a 400 with this message, as OCI
	// answers for images of Platform or Marketplace images.
	ExportRefusal string
}

// Volume is an attached block volume.
type Volume struct {
	Name string
	GB   int64
}

// VNIC is an attached VNIC.
type VNIC struct{ Name, MAC, Subnet string }

// SourceImage is an image instances are launched from.
type SourceImage struct {
	ID, Name, OS, Version string
	CreateImageAllowed    bool
}

// Cloud is the stand-in.
type Cloud struct {
	// PrivateKey is the PEM of the API signing key the stand-in accepts.
	PrivateKey string
	srv        *httptest.Server
	tmp        string

	mu           sync.Mutex
	keys         map[string]*rsa.PublicKey
	compartments []compartment
	instances    []*Instance
	sources      map[string]SourceImage
	images       map[string]*image
	retry        map[string]retried // opc-retry-token → what it made
	work         map[string]*workRequest
	objects      map[string]*object // bucket/name
	pars         map[string]*par    // id
	seq          int

	// ImageTime and ExportTime are how long CreateImage and ExportImage work requests run.
	ImageTime, ExportTime time.Duration
	// ExportFails makes export work requests end FAILED with this message; StallAt makes them
	// stop at this percentComplete forever.
	ExportFails string
	StallAt     float32
	// StreamMBps, when set, caps each GET response's throughput (MB/s).
	StreamMBps float64
	// PageSize caps the instances of one ListInstances page (default 100).
	PageSize int
	made     Made
}

// Made counts what the provider asked for.
type Made struct{ ImagesCreated, Exports, RangedGets, Unauthorized int }

// Made says what the provider asked for so far.
func (c *Cloud) Made() Made {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.made
}

type compartment struct{ ID, Name string }

type retried struct{ image, workRequest string }

// New starts the stand-in with one compartment under the tenancy; tmp is where qemu-img
// writes. Close stops it.
func New(tmp string) (*Cloud, error) {
	key, pub, err := GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("generate the API signing key: %w", err)
	}
	c := &Cloud{PrivateKey: key, tmp: tmp, keys: map[string]*rsa.PublicKey{Tenancy + "/" + User + "/" + Fingerprint: pub},
		compartments: []compartment{{ID: "ocid1.compartment.oc1..apps", Name: "apps"}},
		sources:      map[string]SourceImage{}, images: map[string]*image{}, retry: map[string]retried{}, work: map[string]*workRequest{},
		objects: map[string]*object{}, pars: map[string]*par{}, ImageTime: 100 * time.Millisecond, ExportTime: 300 * time.Millisecond, PageSize: 100}
	c.srv = httptest.NewServer(c.routes())
	return c, nil
}

// Start is New for a test, stopped when it ends.
func Start(t testing.TB) *Cloud {
	t.Helper()
	c, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// Close stops the stand-in.
func (c *Cloud) Close() { c.srv.Close() }

// URL is the endpoint of every service.
func (c *Cloud) URL() string { return c.srv.URL }

// Settings are the provider settings that point it at the stand-in, signing with its key.
func (c *Cloud) Settings() map[string]any {
	return map[string]any{
		"tenancy": Tenancy, "user": User, "fingerprint": Fingerprint, "private_key": c.PrivateKey, "region": Region,
		"staging_namespace": Namespace, "staging_bucket": Bucket, "poll_interval": "10ms", "release_wait": "10s",
		"endpoint": c.URL(), "objectstorage_endpoint": c.URL(),
	}
}

// AddCompartment adds a compartment under the tenancy.
func (c *Cloud) AddCompartment(id, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.compartments = append(c.compartments, compartment{ID: id, Name: name})
}

// AddSourceImage serves an image instances are launched from.
func (c *Cloud) AddSourceImage(img SourceImage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sources[img.ID] = img
}

// AddInstance serves inst and returns its OCID.
func (c *Cloud) AddInstance(inst Instance) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if inst.ID == "" {
		inst.ID = c.newID("instance")
	}
	if inst.State == "" {
		inst.State = "RUNNING"
	}
	if inst.Compartment == "" {
		inst.Compartment = c.compartments[0].ID
	}
	if inst.AD == "" {
		inst.AD = "Uocm:US-ASHBURN-AD-1"
	}
	if inst.Shape == "" {
		inst.Shape = "VM.Standard.E4.Flex"
	}
	if inst.OCPUs == 0 {
		inst.OCPUs, inst.MemoryGB = 1, 16
	}
	if inst.BootGB == 0 {
		inst.BootGB = 50
	}
	c.instances = append(c.instances, &inst)
	return inst.ID
}

// newID is an OCID of kind; c.mu is held.
func (c *Cloud) newID(kind string) string {
	c.seq++
	return fmt.Sprintf("ocid1.%s.oc1.iad.hypersdk%06d", kind, c.seq)
}

// Counts says how many custom images and objects in the staging bucket exist and how many
// pre-authenticated requests.
func (c *Cloud) Counts() (images, objects, pars int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advance()
	return len(c.images), len(c.objects), len(c.pars)
}

// HasImageNamed says whether a custom image of that display name exists.
func (c *Cloud) HasImageNamed(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advance()
	for _, img := range c.images {
		if img.Name == name {
			return true
		}
	}
	return false
}

// HasObject says whether bucket holds object.
func (c *Cloud) HasObject(bucket, object string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advance()
	_, ok := c.objects[bucket+"/"+object]
	return ok
}

// HasPARNamed says whether a pre-authenticated request of that name exists.
func (c *Cloud) HasPARNamed(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.pars {
		if p.Name == name {
			return true
		}
	}
	return false
}

// Objects are the names of the staging bucket's objects.
func (c *Cloud) Objects() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advance()
	out := []string{}
	for k := range c.objects {
		out = append(out, k)
	}
	return out
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("opc-request-id", "fake-request")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// apiErr is OCI's error body.
func apiErr(w http.ResponseWriter, code int, errCode, msg string) {
	writeJSON(w, code, map[string]string{"code": errCode, "message": msg})
}

func notFound(w http.ResponseWriter, what string) {
	apiErr(w, http.StatusNotFound, "NotAuthorizedOrNotFound", what+" not found or not authorized")
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// RemoveObjects deletes every object of the staging bucket, as a lifecycle rule or a person
// might between two attempts of an export.
func (c *Cloud) RemoveObjects() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advance()
	clear(c.objects)
}
