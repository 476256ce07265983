// Command hypersdk-gcp-standin is a "Compute Engine instance" for tests outside the gcp module
// (the daemon's end-to-end tests): it starts the Compute Engine and Cloud Build stand-in
// (package gcpfake) and fake-gcs-server with a staging bucket, serves one instance with one
// boot disk whose bytes it also writes to a file, and prints one JSON line on stdout — the
// endpoints, the instance's id, the disk file. At state_url it serves /state: the snapshots,
// images and running builds that exist, the builds made so far and the bucket's objects. It
// stops on SIGTERM, SIGINT or when its stdin closes.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/hypersdk/hypersdk/plugins/gcp/internal/gcpfake"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// endpoints is what the stand-in prints once it is ready.
type endpoints struct {
	Project            string `json:"project"`
	Bucket             string `json:"bucket"`
	ComputeEndpoint    string `json:"compute_endpoint"`
	CloudBuildEndpoint string `json:"cloudbuild_endpoint"`
	StorageEndpoint    string `json:"storage_endpoint"`
	StateURL           string `json:"state_url"`
	VMID               string `json:"vm_id"` // zone/name
	Image              string `json:"image"` // the boot disk's bytes
}

// state is what /state serves.
type state struct {
	Snapshots     int      `json:"snapshots"`
	Images        int      `json:"images"`
	RunningBuilds int      `json:"running_builds"`
	Builds        int      `json:"builds"`
	Objects       []string `json:"objects"`
}

func main() {
	name := flag.String("name", "standin-1", "the instance's name")
	zone := flag.String("zone", "us-central1-a", "the instance's zone")
	mib := flag.Int("mib", 8, "the boot disk's size in MiB (1-1024), half of it data")
	buildPolls := flag.Int("build-polls", 3, "polls of a build before it ends")
	dir := flag.String("dir", "", "where files are written (default: a temporary directory, removed at exit)")
	flag.Parse()
	if err := run(*name, *zone, *mib, *buildPolls, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "hypersdk-gcp-standin:", err)
		os.Exit(1)
	}
}

func run(name, zone string, mib, buildPolls int, dir string) error {
	if mib < 1 || mib > 1024 {
		return fmt.Errorf("-mib %d: want 1-1024", mib)
	}
	var err error
	if dir == "" {
		if dir, err = os.MkdirTemp("", "hypersdk-gcp-standin-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	tmp := filepath.Join(dir, "builder")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	c, err := gcpfake.New("standin-project", "standin-staging", tmp)
	if err != nil {
		return err
	}
	defer c.Close()
	c.BuildPolls = buildPolls
	content := providertest.StandinDisk(mib, 19)
	img := filepath.Join(dir, name+".raw")
	if err := os.WriteFile(img, content, 0o644); err != nil {
		return fmt.Errorf("write the disk image: %w", err)
	}
	c.AddInstance(gcpfake.Instance{Zone: zone, Name: name, Labels: map[string]string{"role": "standin"},
		Disks: []gcpfake.Disk{{Name: name, Boot: true, SizeGB: 1, Content: content}}})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /state", func(w http.ResponseWriter, _ *http.Request) {
		var s state
		s.Snapshots, s.Images, s.RunningBuilds = c.Counts()
		s.Builds = c.Builds()
		objs, _, err := c.GCS.ListObjectsWithOptions(c.Bucket, fakestorage.ListOptions{})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		s.Objects = []string{}
		for _, o := range objs {
			s.Objects = append(s.Objects, o.Name)
		}
		providertest.WriteJSON(w, s)
	})
	stateSrv := httptest.NewServer(mux)
	defer stateSrv.Close()
	return providertest.ServeStandin(endpoints{Project: c.Project, Bucket: c.Bucket, ComputeEndpoint: c.URL(), CloudBuildEndpoint: c.URL(),
		StorageEndpoint: c.StorageURL(), StateURL: stateSrv.URL, VMID: zone + "/" + name, Image: img})
}
