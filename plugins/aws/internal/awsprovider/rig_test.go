package awsprovider

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hypersdk/hypersdk/plugins/aws/internal/ebsdirect"
	"github.com/hypersdk/hypersdk/plugins/aws/internal/motoserver"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// rig is moto for EC2 plus our EBS direct server, serving disk images the test wrote for one
// instance's volumes.
type rig struct {
	moto     *motoserver.Server
	ebs      *ebsdirect.Server
	instance motoserver.Made
	images   []*ebsdirect.Volume
	settings map[string]any
}

// newRig makes an instance with a 1 GiB root volume and a 1 GiB data volume, each holding
// data in the blocks given.
func newRig(t *testing.T, root, data []int32) *rig {
	t.Helper()
	moto := motoserver.Shared(t)
	made := moto.Run(t, motoserver.Instance{Name: "app-1", VolumesGiB: []int32{1, 1}, Tags: map[string]string{"env": "test"}})[0]
	vols := &ebsdirect.Volumes{EC2: moto.EC2}
	dir := t.TempDir()
	var images []*ebsdirect.Volume
	for i, blocks := range [][]int32{root, data} {
		img, err := ebsdirect.MakeVolume(dir, made.Volumes[i]+".img", 1, blocks, uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		vols.Add(made.Volumes[i], img)
		images = append(images, img)
	}
	srv := ebsdirect.New(vols.Resolve)
	t.Cleanup(srv.Close)
	s := moto.Settings(srv.URL)
	s["download_workers"] = 8
	return &rig{moto: moto, ebs: srv, instance: made, images: images, settings: s}
}

// spread is n block indexes spread over a 1 GiB volume, the first and the last included.
func spread(n int) []int32 {
	const blocks = 1 << 30 / ebsdirect.BlockSize
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(i * (blocks - 1) / (n - 1))
	}
	return out
}

// ourSnapshots lists the snapshots in the account carrying the provider's hold tag.
func (r *rig) ourSnapshots(t *testing.T) []string {
	t.Helper()
	out, err := r.moto.EC2.DescribeSnapshots(context.Background(), &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"},
		Filters: []types.Filter{{Name: aws.String("tag-key"), Values: []string{tagHold}}, {Name: aws.String("volume-id"), Values: r.instance.Volumes}}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range out.Snapshots {
		ids = append(ids, aws.ToString(s.SnapshotId))
	}
	return ids
}

// exists tells the holds suite whether what a hold names exists in moto.
func (r *rig) exists(h provider.Hold) (bool, error) {
	d, err := decodeHoldData(h)
	if err != nil {
		return false, err
	}
	if h.Kind == provider.HoldPower {
		out, err := r.moto.EC2.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{InstanceIds: []string{d.Instance}})
		if err != nil {
			return false, err
		}
		return out.Reservations[0].Instances[0].State.Name != types.InstanceStateNameRunning, nil
	}
	out, err := r.moto.EC2.DescribeSnapshots(context.Background(), &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"},
		Filters: []types.Filter{{Name: aws.String("tag:" + tagHold), Values: []string{d.Tag}}}})
	if err != nil {
		return false, err
	}
	return len(out.Snapshots) > 0, nil
}

// sameBlocks compares an exported disk with its source image at every written block. With
// the extents holding exactly those blocks' bytes and zeros everywhere else (checked by
// VerifyFileExtents), the two are identical byte for byte, without reading GiBs of holes.
func sameBlocks(t *testing.T, got string, want *ebsdirect.Volume) {
	t.Helper()
	a, err := os.Open(got)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := os.Open(want.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	bufA, bufB := make([]byte, ebsdirect.BlockSize), make([]byte, ebsdirect.BlockSize)
	for _, idx := range want.Blocks {
		off := int64(idx) * ebsdirect.BlockSize
		if _, err := a.ReadAt(bufA, off); err != nil {
			t.Fatalf("read block %d of %s: %v", idx, filepath.Base(got), err)
		}
		if _, err := b.ReadAt(bufB, off); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(bufA, bufB) {
			t.Fatalf("block %d of %s differs from the source", idx, filepath.Base(got))
		}
	}
}
