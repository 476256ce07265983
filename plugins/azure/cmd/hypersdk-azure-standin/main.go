// Command hypersdk-azure-standin is an "Azure VM" for tests outside the azure module (the
// daemon's end-to-end tests): it starts Azurite's blob service and the ARM stand-in (package
// armstandin) in front of it, with one running VM whose managed OS disk holds data in every
// other MiB, and writes that disk's raw image into -dir. Grants' SAS reads go through a proxy
// that adds -latency to every ranged read and counts them. It prints one JSON line on stdout —
// the endpoints, the VM, the image — and serves, at control_url, /state (the snapshots and the
// open grants that exist) and /reads (ranged blob reads so far). It stops (and stops Azurite)
// on SIGTERM, SIGINT or when its stdin closes.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hypersdk/hypersdk/plugins/azure/internal/armstandin"
	"github.com/hypersdk/hypersdk/plugins/azure/internal/azurite"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// Token is the bearer token the ARM stand-in takes.
const Token = "standin-token"

// endpoints is what the stand-in prints once it is ready.
type endpoints struct {
	SubscriptionID          string `json:"subscription_id"`
	ResourceManagerEndpoint string `json:"resource_manager_endpoint"`
	AccessToken             string `json:"access_token"`
	ControlURL              string `json:"control_url"` // serves /state and /reads
	VMID                    string `json:"vm_id"`       // resourceGroup/name
	VMName                  string `json:"vm_name"`
	Disk                    string `json:"disk"`
	Image                   string `json:"image"` // the OS disk's raw bytes
	SizeBytes               int64  `json:"size_bytes"`
}

// state is what /state serves: resourceGroup/name of each snapshot, and of each with an open grant.
type state struct {
	Snapshots []string `json:"snapshots"`
	Grants    []string `json:"grants"`
}

// reads is what /reads serves: ranged GETs of grant blobs, and the bytes they asked for.
type reads struct {
	Gets  int64 `json:"gets"`
	Bytes int64 `json:"bytes"`
}

func main() {
	name := flag.String("name", "azvm-1", "the VM's name (its resource group is rg-standin)")
	diskMB := flag.Int("disk-mb", 64, "size of the VM's OS disk in MiB; every other MiB holds data (2-4096)")
	latency := flag.Duration("latency", 0, "added to every ranged read of a grant's blob")
	dir := flag.String("dir", "", "where the disk image is written (default: a temporary directory, removed at exit)")
	bin := flag.String("azurite", "", "the azurite-blob command (default: on PATH or under bin/tools/azurite)")
	flag.Parse()
	if err := run(*name, *diskMB, *latency, *dir, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "hypersdk-azure-standin:", err)
		os.Exit(1)
	}
}

func run(name string, diskMB int, latency time.Duration, dir, bin string) error {
	if diskMB < 2 || diskMB > 4096 {
		return fmt.Errorf("-disk-mb %d: want 2-4096", diskMB)
	}
	if bin == "" {
		if bin = azurite.Binary(); bin == "" {
			return fmt.Errorf("azurite-blob not found (deploy/install-deps.sh --test installs it under bin/tools/azurite)")
		}
	}
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "hypersdk-azure-standin-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	az, stopAzurite, err := azurite.Launch(bin, dir)
	if err != nil {
		return err
	}
	defer stopAzurite()
	proxy, counted, err := slowReads(az, latency)
	if err != nil {
		return err
	}
	defer proxy.Close()

	const rg = "rg-standin"
	size := int64(diskMB) << 20
	data := diskData(size)
	image := filepath.Join(dir, name+"-os.img")
	if err := writeImage(image, size, data); err != nil {
		return fmt.Errorf("write the disk image: %w", err)
	}
	arm := armstandin.New(armstandin.Options{Token: Token, Blob: &azurite.Azurite{URL: proxy.URL + "/" + azurite.Account}})
	defer arm.Close()
	disk := name + "-os"
	arm.AddDisk(armstandin.Disk{ResourceGroup: rg, Name: disk, Location: "westeurope", SizeBytes: size, Data: data})
	arm.AddVM(armstandin.VM{ResourceGroup: rg, Name: name, Location: "westeurope", Size: "Standard_B2s", Power: "running", OSType: "Linux",
		OSDisk: disk, NICs: []armstandin.NIC{{Name: name + "-nic", MAC: "00-0D-3A-12-34-56", VNet: "vnet-standin", Subnet: "default"}}})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /state", func(w http.ResponseWriter, _ *http.Request) {
		st := state{Snapshots: []string{}, Grants: []string{}}
		for _, sn := range arm.Snapshots() {
			st.Snapshots = append(st.Snapshots, sn)
			if g, n, _ := strings.Cut(sn, "/"); arm.HasGrant(g, n) {
				st.Grants = append(st.Grants, sn)
			}
		}
		providertest.WriteJSON(w, st)
	})
	mux.HandleFunc("GET /reads", func(w http.ResponseWriter, _ *http.Request) {
		providertest.WriteJSON(w, reads{Gets: counted.gets.Load(), Bytes: counted.bytes.Load()})
	})
	control := httptest.NewServer(mux)
	defer control.Close()
	return providertest.ServeStandin(endpoints{SubscriptionID: arm.Subscription(), ResourceManagerEndpoint: arm.URL(), AccessToken: Token,
		ControlURL: control.URL, VMID: rg + "/" + name, VMName: name, Disk: disk, Image: image, SizeBytes: size})
}

// counter counts ranged reads.
type counter struct{ gets, bytes atomic.Int64 }

// slowReads is a reverse proxy in front of Azurite that delays and counts every ranged GET.
func slowReads(az *azurite.Azurite, latency time.Duration) (*httptest.Server, *counter, error) {
	u, err := url.Parse(az.URL)
	if err != nil {
		return nil, nil, err
	}
	u.Path = ""
	rp := httputil.NewSingleHostReverseProxy(u)
	c := &counter{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rng := r.Header.Get("x-ms-range")
		if rng == "" {
			rng = r.Header.Get("Range")
		}
		if r.Method == http.MethodGet && rng != "" {
			var from, to int64
			if _, err := fmt.Sscanf(strings.TrimPrefix(rng, "bytes="), "%d-%d", &from, &to); err == nil {
				c.bytes.Add(to - from + 1)
			}
			c.gets.Add(1)
			time.Sleep(latency)
		}
		rp.ServeHTTP(w, r)
	}))
	return srv, c, nil
}

// diskData is a disk of size bytes holding pseudo-random non-zero bytes in every other MiB
// (the first included) and in its last 32 KiB; the rest are holes.
func diskData(size int64) map[int64][]byte {
	r := rand.New(rand.NewPCG(18, uint64(size)))
	fill := func(n int64) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.UintN(255) + 1)
		}
		return b
	}
	data := map[int64][]byte{}
	for off := int64(0); off+1<<20 <= size-32<<10; off += 2 << 20 {
		data[off] = fill(1 << 20)
	}
	data[size-32<<10] = fill(32 << 10)
	return data
}

// writeImage writes the disk's raw image, sparse.
func writeImage(path string, size int64, data map[int64][]byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	for off, b := range data {
		if _, err := f.WriteAt(b, off); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
