// Command hypersdk-vcsim serves the vCenter simulator that hypervisord's tests use — with
// ExportVm, CreateDescriptor and real disk bytes — so the daemon and govc can be pointed at it
// outside tests. It prints the SDK URL and credentials, then serves until interrupted.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/hypersdk/hypersdk/plugins/vsphere/internal/vcsim"
)

func main() {
	vms := flag.Int("vms", 4, "number of VMs")
	diskMB := flag.Int64("disk-mb", 64, "capacity of each VM disk in MiB")
	disks := flag.Int("disks", 1, "disks per VM")
	dataKiB := flag.Int("data-kib-per-mib", 64, "KiB of random data at the start of every MiB of each disk (64: sparse; 768: dense, as in the export benchmark)")
	prefix := flag.String("name-prefix", "", "name the VMs <prefix>001… (default: DC0_C0_RP0_VM0…)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sim, err := vcsim.Start(ctx, vcsim.Options{VMs: *vms, DiskBytes: *diskMB << 20, DisksPerVM: *disks, NamePrefix: *prefix, DataKiBPerMiB: *dataKiB})
	if err != nil {
		fmt.Fprintln(os.Stderr, "hypersdk-vcsim:", err)
		os.Exit(1)
	}
	defer sim.Close()
	fmt.Printf("url: %s\nusername: %s\npassword: %s\n", sim.URL(), sim.Username(), sim.Password())
	os.Stdout.Sync()
	<-ctx.Done()
}
