// Command hypersdk-aws-standin is an "EC2 instance" for tests outside the aws module (the
// daemon's end-to-end tests): it starts moto_server for EC2, makes one instance there with a
// 1 GiB root volume whose blocks it writes into a disk image, and serves that image through
// the EBS direct test server (package ebsdirect) for the instance's snapshots. It prints one
// JSON line on stdout — the endpoints, the instance, the image — and serves, at counts_url,
// /counts (the EBS direct requests) and /snapshots (the ids of the snapshots of the instance's volume; moto keeps its image's own). It stops (and stops moto) on SIGTERM, SIGINT or when its
// stdin closes.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hypersdk/hypersdk/plugins/aws/internal/ebsdirect"
	"github.com/hypersdk/hypersdk/plugins/aws/internal/motoserver"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// endpoints is what the stand-in prints once it is ready.
type endpoints struct {
	Region      string `json:"region"`
	EC2Endpoint string `json:"ec2_endpoint"`
	EBSEndpoint string `json:"ebs_endpoint"`
	CountsURL   string `json:"counts_url"` // serves /counts and /snapshots
	InstanceID  string `json:"instance_id"`
	VolumeID    string `json:"volume_id"`
	Image       string `json:"image"`
	Blocks      int    `json:"blocks"`
}

// counts is what counts_url serves: GetSnapshotBlock requests per "snapshot/index", in all,
// and ListSnapshotBlocks requests.
type counts struct {
	Gets  map[string]int `json:"gets"`
	All   int            `json:"all"`
	Lists int            `json:"lists"`
}

func main() {
	name := flag.String("name", "standin-1", "the instance's Name tag")
	blocks := flag.Int("blocks", 64, "blocks of 512 KiB holding data in the 1 GiB root volume, spread over it (2-2048)")
	latency := flag.Duration("latency", 0, "added to every EBS direct request")
	dir := flag.String("dir", "", "where the disk image is written (default: a temporary directory, removed at exit)")
	moto := flag.String("moto", "moto_server", "the moto_server command")
	flag.Parse()
	if err := run(*name, *blocks, *latency, *dir, *moto); err != nil {
		fmt.Fprintln(os.Stderr, "hypersdk-aws-standin:", err)
		os.Exit(1)
	}
}

func run(name string, nblocks int, latency time.Duration, dir, moto string) error {
	const perGiB = 1 << 30 / ebsdirect.BlockSize
	if nblocks < 2 || nblocks > perGiB {
		return fmt.Errorf("-blocks %d: want 2-%d", nblocks, perGiB)
	}
	bin, err := exec.LookPath(moto)
	if err != nil {
		return fmt.Errorf("moto_server (pip install 'moto[server]'): %w", err)
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "hypersdk-aws-standin-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	srv, stopMoto, err := motoserver.Launch(bin)
	if err != nil {
		return err
	}
	defer stopMoto()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	made, err := srv.RunInstances(ctx, motoserver.Instance{Name: name, VolumesGiB: []int32{1}})
	cancel()
	if err != nil {
		return err
	}
	idx := make([]int32, nblocks)
	for i := range idx {
		idx[i] = int32(i * (perGiB - 1) / (nblocks - 1))
	}
	img, err := ebsdirect.MakeVolume(dir, made[0].Volumes[0]+".img", 1, idx, 1)
	if err != nil {
		return fmt.Errorf("write the disk image: %w", err)
	}
	vols := &ebsdirect.Volumes{EC2: srv.EC2}
	vols.Add(made[0].Volumes[0], img)
	ebs := ebsdirect.New(vols.Resolve)
	defer ebs.Close()
	ebs.SetFaults(ebsdirect.Faults{Latency: latency})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /counts", func(w http.ResponseWriter, _ *http.Request) {
		_, all := ebs.Gets("", 0)
		providertest.WriteJSON(w, counts{Gets: ebs.AllGets(), All: all, Lists: ebs.Lists()})
	})
	mux.HandleFunc("GET /snapshots", func(w http.ResponseWriter, r *http.Request) {
		out, err := srv.EC2.DescribeSnapshots(r.Context(), &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"},
			Filters: []types.Filter{{Name: aws.String("volume-id"), Values: made[0].Volumes}}})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		ids := []string{}
		for _, s := range out.Snapshots {
			ids = append(ids, aws.ToString(s.SnapshotId))
		}
		providertest.WriteJSON(w, ids)
	})
	countsSrv := httptest.NewServer(mux)
	defer countsSrv.Close()
	return providertest.ServeStandin(endpoints{Region: motoserver.Region, EC2Endpoint: srv.URL, EBSEndpoint: ebs.URL, CountsURL: countsSrv.URL,
		InstanceID: made[0].ID, VolumeID: made[0].Volumes[0], Image: img.Path, Blocks: nblocks})
}
