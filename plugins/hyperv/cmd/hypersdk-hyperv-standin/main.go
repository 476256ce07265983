// Command hypersdk-hyperv-standin is a "Hyper-V host" for tests outside the hyperv module (the
// daemon's end-to-end tests): a real Samba smbd serving the export share (behind a proxy that
// can limit its rate and counts what it sends), the WS-Management fake in front of the host
// model, and a running generation 2 VM whose one disk is a VHDX made by qemu-img from a raw
// image written into -dir. It prints one JSON line on stdout — the settings for the plugin, the
// VM, the image — and serves, at control_url, /state (checkpoints, export folders, scripts the
// host ran, checkpoints and export jobs made, SMB bytes sent, problems). It stops (and stops
// smbd) on SIGTERM, SIGINT or when its stdin closes. It needs root, smbd and qemu-img.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/standin"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// endpoints is what the stand-in prints once it is ready.
type endpoints struct {
	Settings   map[string]any `json:"settings"` // the providers.hyperv section
	ControlURL string         `json:"control_url"`
	VMID       string         `json:"vm_id"`
	VMName     string         `json:"vm_name"`
	Image      string         `json:"image"` // the disk's raw bytes
	SizeBytes  int64          `json:"size_bytes"`
}

// state is what /state serves.
type state struct {
	Checkpoints []string       `json:"checkpoints"`
	Folders     []string       `json:"folders"`
	Scripts     []string       `json:"scripts"`
	Made        map[string]int `json:"made"` // checkpoints and export jobs made anew
	SMBBytes    int64          `json:"smb_bytes"`
	Problems    []string       `json:"problems"`
}

func main() {
	name := flag.String("name", "web-01", "the VM's name")
	diskMB := flag.Int("disk-mb", 16, "virtual size of the VM's disk in MiB (1-4096)")
	rate := flag.Int64("smb-rate", 0, "bytes a second the share sends at most (0: no limit)")
	dir := flag.String("dir", "", "where smbd, the share and the disk live (default: a temporary directory, removed at exit)")
	flag.Parse()
	if err := run(*name, *diskMB, *rate, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "hypersdk-hyperv-standin:", err)
		os.Exit(1)
	}
}

func run(name string, diskMB int, rate int64, dir string) error {
	if diskMB < 1 || diskMB > 4096 {
		return fmt.Errorf("-disk-mb %d: want 1-4096", diskMB)
	}
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "hypersdk-hyperv-standin-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	s, err := standin.Start(standin.Options{Dir: dir, Name: name, DiskMiB: diskMB, SMBRate: rate})
	if err != nil {
		return err
	}
	defer s.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /state", func(w http.ResponseWriter, _ *http.Request) {
		st := state{Checkpoints: s.Host.Checkpoints(standin.VMID), Folders: s.Host.Folders(), Scripts: s.Host.Ran(), Made: s.Host.Made(), SMBBytes: s.SMBBytes(),
			Problems: append(s.Host.Problems(), s.WSMan.Problems()...)}
		providertest.WriteJSON(w, st)
	})
	control := httptest.NewServer(mux)
	defer control.Close()
	return providertest.ServeStandin(endpoints{Settings: s.Settings(), ControlURL: control.URL, VMID: standin.VMID, VMName: name,
		Image: s.Raw, SizeBytes: int64(diskMB) << 20})
}
