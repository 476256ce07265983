package ebsdirect

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// MakeVolume writes a sparse disk image of sizeGiB GiB into dir holding random bytes (from
// seed) in the given blocks, and returns it as a Volume.
func MakeVolume(dir, name string, sizeGiB int64, blocks []int32, seed uint64) (*Volume, error) {
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := f.Truncate(sizeGiB << 30); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, uint64(len(blocks))))
	buf := make([]byte, BlockSize)
	sorted := append([]int32(nil), blocks...)
	sort.Slice(sorted, func(a, b int) bool { return sorted[a] < sorted[b] })
	for _, idx := range sorted {
		if int64(idx) >= sizeGiB<<30/BlockSize {
			return nil, fmt.Errorf("block %d is beyond a %d GiB volume", idx, sizeGiB)
		}
		for i := 0; i < len(buf); i += 8 {
			v := rng.Uint64()
			for j := 0; j < 8; j++ {
				buf[i+j] = byte(v >> (8 * j))
			}
		}
		if _, err := f.WriteAt(buf, int64(idx)*BlockSize); err != nil {
			return nil, err
		}
	}
	return &Volume{Path: path, SizeGiB: sizeGiB, Blocks: sorted}, f.Close()
}

// Volumes maps EBS volume ids to their content, and snapshots to volumes through EC2 (moto):
// a snapshot that EC2 describes serves its volume's image; one EC2 does not know is 404.
type Volumes struct {
	EC2 *ec2.Client

	mu     sync.Mutex
	byID   map[string]*Volume
	listed map[string]string // snapshot → volume, learnt by a listing
}

// Add registers the content of a volume.
func (v *Volumes) Add(volumeID string, vol *Volume) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.byID == nil {
		v.byID = map[string]*Volume{}
	}
	v.byID[volumeID] = vol
}

// Resolve is a Server's Resolve. A listing asks EC2 whether the snapshot exists; a block read
// trusts what the listing that issued its token learnt (moto answers in tens of milliseconds,
// too slow to ask once per block).
func (v *Volumes) Resolve(snapshotID string, listing bool) (*Volume, error) {
	if !listing {
		v.mu.Lock()
		vol, ok := v.byID[v.listed[snapshotID]]
		v.mu.Unlock()
		if ok {
			return vol, nil
		}
	}
	out, err := v.EC2.DescribeSnapshots(context.Background(), &ec2.DescribeSnapshotsInput{SnapshotIds: []string{snapshotID}})
	if err != nil || len(out.Snapshots) == 0 {
		return nil, fmt.Errorf("%w: %s (%v)", ErrNoSnapshot, snapshotID, err)
	}
	volID := aws.ToString(out.Snapshots[0].VolumeId)
	v.mu.Lock()
	defer v.mu.Unlock()
	vol, ok := v.byID[volID]
	if v.listed == nil {
		v.listed = map[string]string{}
	}
	v.listed[snapshotID] = volID
	if !ok {
		return nil, errors.New("no image for volume " + volID)
	}
	return vol, nil
}
