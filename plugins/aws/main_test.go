package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hypersdk/hypersdk/plugins/aws/internal/ebsdirect"
	"github.com/hypersdk/hypersdk/plugins/aws/internal/motoserver"
	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// The built plugin binary passes the conformance and holds suites against moto and the EBS
// direct server; a second binary killed -9 in the middle of an export leaves snapshots that the
// first, a process that never saw them, releases.
func TestBinaryConformance(t *testing.T) {
	moto := motoserver.Start(t)
	made := moto.Run(t, motoserver.Instance{Name: "bin-1", VolumesGiB: []int32{1, 1}})[0]
	vols := &ebsdirect.Volumes{EC2: moto.EC2}
	for i, id := range made.Volumes {
		img, err := ebsdirect.MakeVolume(t.TempDir(), id+".img", 1, []int32{0, 1, 2, 3, 500, 1000, 2047}[i*3:], uint64(i+7))
		if err != nil {
			t.Fatal(err)
		}
		vols.Add(id, img)
	}
	srv := ebsdirect.New(vols.Resolve)
	t.Cleanup(srv.Close)
	srv.SetFaults(ebsdirect.Faults{Latency: 5 * time.Millisecond})
	settings := moto.Settings(srv.URL)
	settings["download_workers"] = 2

	bin := buildPlugin(t)
	p := plugin.Launch(t, bin)
	providertest.Run(t, p, providertest.Suite{Settings: settings, ExportVMID: made.ID, Method: provider.MethodRaw})
	providertest.RunHolds(t, p, providertest.HoldsSuite{Settings: settings, ExportVMID: made.ID,
		Crashing: killedAfterSnapshots(t, bin), CrashSettings: settings,
		Exists: func(h provider.Hold) (bool, error) {
			// The hold's data names the snapshots' hypersdk:hold tag.
			var d struct{ Tag string }
			if err := json.Unmarshal(h.Data, &d); err != nil || d.Tag == "" {
				return false, fmt.Errorf("hold %s names no tag: %v", h.ID, err)
			}
			out, err := moto.EC2.DescribeSnapshots(context.Background(), &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"},
				Filters: []types.Filter{{Name: aws.String("tag:hypersdk:hold"), Values: []string{d.Tag}}}})
			if err != nil {
				return false, err
			}
			return len(out.Snapshots) > 0, nil
		}})
}

func buildPlugin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hypersdk-provider-aws")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// killedAfterSnapshots is the plugin binary in a process of its own that is killed -9 as soon
// as its export has recorded its snapshot hold with the snapshot ids (the second recording):
// a crash with snapshots made.
func killedAfterSnapshots(t *testing.T, bin string) provider.Provider {
	t.Helper()
	p, kill := plugin.LaunchKillable(t, bin)
	return &crashing{Provider: p, kill: kill}
}

type crashing struct {
	provider.Provider
	kill func()
}

func (c *crashing) ExportVM(ctx context.Context, spec provider.ExportSpec, r provider.Reporter) (provider.ExportResult, error) {
	return c.Provider.ExportVM(ctx, spec, &killOnHold{Reporter: r, kill: c.kill})
}

type killOnHold struct {
	provider.Reporter
	kill  func()
	mu    sync.Mutex
	holds int
}

func (k *killOnHold) Hold(ctx context.Context, h provider.Hold) error {
	err := k.Reporter.Hold(ctx, h)
	k.mu.Lock()
	k.holds++
	n := k.holds
	k.mu.Unlock()
	if n == 2 {
		k.kill()
	}
	return err
}
