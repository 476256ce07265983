package awsprovider

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// instanceType is what the provider needs of an EC2 instance type.
type instanceType struct {
	vcpus     int32
	memoryMB  int64
	nvme      bool  // EBS volumes appear as NVMe devices (Nitro)
	localDisk int64 // instance-store bytes the type comes with: never exported
}

// typeCache remembers DescribeInstanceTypes answers for the life of the configuration: a type's
// size never changes, and a listing of 10,000 instances uses a handful of types.
type typeCache struct {
	mu    sync.Mutex
	known map[string]instanceType // key: region + "/" + type
}

func newTypeCache() *typeCache { return &typeCache{known: map[string]instanceType{}} }

// lookup returns the types named, asking EC2 only about the ones not yet known. A type EC2 does
// not describe is left out; the VM then shows no CPU or memory figure rather than failing.
func (c *typeCache) lookup(ctx context.Context, rc *regionClients, names []types.InstanceType) (map[types.InstanceType]instanceType, error) {
	out := map[types.InstanceType]instanceType{}
	var missing []types.InstanceType
	c.mu.Lock()
	for _, n := range names {
		if t, ok := c.known[rc.region+"/"+string(n)]; ok {
			out[n] = t
		} else if _, asked := out[n]; !asked && !containsType(missing, n) {
			missing = append(missing, n)
		}
	}
	c.mu.Unlock()
	for len(missing) > 0 {
		batch := missing[:min(len(missing), 100)]
		missing = missing[len(batch):]
		pages := ec2.NewDescribeInstanceTypesPaginator(rc.ec2, &ec2.DescribeInstanceTypesInput{InstanceTypes: batch})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, awsError("describe instance types in "+rc.region, err)
			}
			c.mu.Lock()
			for _, it := range page.InstanceTypes {
				t := fromTypeInfo(it)
				c.known[rc.region+"/"+string(it.InstanceType)] = t
				out[it.InstanceType] = t
			}
			c.mu.Unlock()
		}
	}
	return out, nil
}

func fromTypeInfo(it types.InstanceTypeInfo) instanceType {
	var t instanceType
	if it.VCpuInfo != nil && it.VCpuInfo.DefaultVCpus != nil {
		t.vcpus = *it.VCpuInfo.DefaultVCpus
	}
	if it.MemoryInfo != nil && it.MemoryInfo.SizeInMiB != nil {
		t.memoryMB = *it.MemoryInfo.SizeInMiB
	}
	t.nvme = it.EbsInfo != nil && it.EbsInfo.NvmeSupport == types.EbsNvmeSupportRequired
	if it.InstanceStorageInfo != nil && it.InstanceStorageInfo.TotalSizeInGB != nil {
		t.localDisk = *it.InstanceStorageInfo.TotalSizeInGB << 30
	}
	return t
}

func containsType(list []types.InstanceType, t types.InstanceType) bool {
	for _, have := range list {
		if have == t {
			return true
		}
	}
	return false
}
