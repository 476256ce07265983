// Command hypersdk-oci-standin is an "OCI Compute instance" for tests outside the oci module
// (the daemon's end-to-end tests): it starts the Identity, Core, Work Requests and Object
// Storage stand-in (package ocifake), which verifies every request's signature, writes the
// API signing key it accepts to a file, serves one instance with one boot volume whose bytes
// it also writes to a file, and prints one JSON line on stdout — the endpoint, the tenancy's
// identifiers, the key file, the instance's OCID, the disk file. At state_url it serves
// /state: the custom images, objects and pre-authenticated requests that exist, the images
// made and exports started so far. It stops on SIGTERM, SIGINT or when its stdin closes.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/hypersdk/hypersdk/plugins/oci/internal/ocifake"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// endpoints is what the stand-in prints once it is ready.
type endpoints struct {
	Endpoint    string `json:"endpoint"`
	Tenancy     string `json:"tenancy"`
	User        string `json:"user"`
	Fingerprint string `json:"fingerprint"`
	Region      string `json:"region"`
	KeyFile     string `json:"key_file"`
	Namespace   string `json:"namespace"`
	Bucket      string `json:"bucket"`
	StateURL    string `json:"state_url"`
	VMID        string `json:"vm_id"`
	Image       string `json:"image"` // the boot volume's bytes
}

// state is what /state serves.
type state struct {
	Images        int      `json:"images"`
	PARs          int      `json:"pars"`
	Objects       []string `json:"objects"`
	ImagesCreated int      `json:"images_created"`
	Exports       int      `json:"exports"`
}

func main() {
	name := flag.String("name", "standin-1", "the instance's display name")
	mib := flag.Int("mib", 8, "the boot volume's size in MiB (1-1024), half of it data")
	export := flag.Duration("export-time", 2*time.Second, "how long an ExportImage work request runs")
	volume := flag.String("volume", "", "the name of an attached block volume (not exported: a custom image holds the boot volume only)")
	dir := flag.String("dir", "", "where files are written (default: a temporary directory, removed at exit)")
	flag.Parse()
	if err := run(*name, *mib, *export, *volume, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "hypersdk-oci-standin:", err)
		os.Exit(1)
	}
}

func run(name string, mib int, export time.Duration, volume, dir string) error {
	if mib < 1 || mib > 1024 {
		return fmt.Errorf("-mib %d: want 1-1024", mib)
	}
	var err error
	if dir == "" {
		if dir, err = os.MkdirTemp("", "hypersdk-oci-standin-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	tmp := filepath.Join(dir, "exports")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	c, err := ocifake.New(tmp)
	if err != nil {
		return err
	}
	defer c.Close()
	c.ExportTime = export
	keyFile := filepath.Join(dir, "oci_api_key.pem")
	if err := os.WriteFile(keyFile, []byte(c.PrivateKey), 0o600); err != nil {
		return fmt.Errorf("write the key: %w", err)
	}
	content := providertest.StandinDisk(mib, 21)
	img := filepath.Join(dir, name+".raw")
	if err := os.WriteFile(img, content, 0o644); err != nil {
		return fmt.Errorf("write the disk image: %w", err)
	}
	inst := ocifake.Instance{Name: name, FreeformTags: map[string]string{"role": "standin"}, Boot: content, BootGB: 1,
		VNICs: []ocifake.VNIC{{Name: "primary", MAC: "02:00:17:00:00:01", Subnet: "ocid1.subnet.oc1.iad.standin"}}}
	if volume != "" {
		inst.Volumes = []ocifake.Volume{{Name: volume, GB: 50}}
	}
	vm := c.AddInstance(inst)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /state", func(w http.ResponseWriter, _ *http.Request) {
		var s state
		s.Images, _, s.PARs = c.Counts()
		s.Objects = c.Objects()
		made := c.Made()
		s.ImagesCreated, s.Exports = made.ImagesCreated, made.Exports
		providertest.WriteJSON(w, s)
	})
	stateSrv := httptest.NewServer(mux)
	defer stateSrv.Close()
	return providertest.ServeStandin(endpoints{Endpoint: c.URL(), Tenancy: ocifake.Tenancy, User: ocifake.User, Fingerprint: ocifake.Fingerprint,
		Region: ocifake.Region, KeyFile: keyFile, Namespace: ocifake.Namespace, Bucket: ocifake.Bucket, StateURL: stateSrv.URL, VMID: vm, Image: img})
}
