package azure

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7/fake"
)

// Fast tables on armcompute's own fake servers: the Resource Manager answers are built in
// Go, served through the SDK's fake transport, and decoded by the real clients.

const fakeSub = "00000000-0000-0000-0000-0000000000fa"

func fakeID(rg, typ, name string) string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/%s/%s", fakeSub, rg, typ, name)
}

// fakeARM routes armcompute's calls to its fake servers, and the one call the plugin makes on
// a bare arm.Client (a NIC read; it carries no API name) to nics, by path.
type fakeARM struct {
	compute *fake.ServerFactoryTransport
	nics    map[string]string // NIC resource id → its JSON
	status  int               // when set, every NIC read answers it
	nicGets atomic.Int32
}

func (f *fakeARM) Do(req *http.Request) (*http.Response, error) {
	if _, ok := req.Context().Value(runtime.CtxAPINameKey{}).(string); ok {
		return f.compute.Do(req)
	}
	f.nicGets.Add(1)
	status, body := http.StatusOK, f.nics[req.URL.Path]
	if f.status != 0 {
		status, body = f.status, `{"error":{"code":"InternalError","message":"the stand-in fails, as asked"}}`
	} else if body == "" {
		status, body = http.StatusNotFound, `{"error":{"code":"NotFound","message":"no such network interface"}}`
	}
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}}, Request: req,
		Body: io.NopCloser(bytes.NewBufferString(body))}, nil
}

// fakeCloud is what the fake servers serve: VMs listed in pages, their disks, the sizes of
// each location, and NICs.
type fakeCloud struct {
	pages [][]*armcompute.VirtualMachine
	disks map[string]*armcompute.Disk // name → disk
	sizes []*armcompute.VirtualMachineSize
	nics  map[string]string
	// nicStatus, when set, is the status of every NIC read.
	nicStatus int
	// fail, when set, makes the named call (list, get, disk, sizes) answer this status.
	fail     map[string]int
	vmGets   atomic.Int32
	sizeList atomic.Int32
}

func (c *fakeCloud) servers() *fake.ServerFactory {
	failed := func(call string, e *azfake.ErrorResponder) bool {
		if st := c.fail[call]; st != 0 {
			e.SetResponseError(st, http.StatusText(st))
			return true
		}
		return false
	}
	vms := func() []*armcompute.VirtualMachine {
		var all []*armcompute.VirtualMachine
		for _, p := range c.pages {
			all = append(all, p...)
		}
		return all
	}
	return &fake.ServerFactory{
		VirtualMachinesServer: fake.VirtualMachinesServer{
			NewListAllPager: func(o *armcompute.VirtualMachinesClientListAllOptions) (resp azfake.PagerResponder[armcompute.VirtualMachinesClientListAllResponse]) {
				if st := c.fail["list"]; st != 0 {
					resp.AddResponseError(st, http.StatusText(st))
					return
				}
				if o == nil || deref(o.StatusOnly) != "true" {
					resp.AddResponseError(http.StatusBadRequest, "the listing must ask statusOnly=true for the power state")
					return
				}
				for _, p := range c.pages {
					resp.AddPage(http.StatusOK, armcompute.VirtualMachinesClientListAllResponse{VirtualMachineListResult: armcompute.VirtualMachineListResult{Value: p}}, nil)
				}
				return
			},
			Get: func(_ context.Context, rg, name string, o *armcompute.VirtualMachinesClientGetOptions) (resp azfake.Responder[armcompute.VirtualMachinesClientGetResponse], e azfake.ErrorResponder) {
				c.vmGets.Add(1)
				if failed("get", &e) {
					return
				}
				for _, vm := range vms() {
					if r, _ := arm.ParseResourceID(*vm.ID); strings.EqualFold(r.ResourceGroupName, rg) && *vm.Name == name {
						resp.SetResponse(http.StatusOK, armcompute.VirtualMachinesClientGetResponse{VirtualMachine: *vm}, nil)
						return
					}
				}
				e.SetResponseError(http.StatusNotFound, "ResourceNotFound")
				return
			},
		},
		DisksServer: fake.DisksServer{
			Get: func(_ context.Context, rg, name string, _ *armcompute.DisksClientGetOptions) (resp azfake.Responder[armcompute.DisksClientGetResponse], e azfake.ErrorResponder) {
				if failed("disk", &e) {
					return
				}
				if d := c.disks[name]; d != nil {
					resp.SetResponse(http.StatusOK, armcompute.DisksClientGetResponse{Disk: *d}, nil)
					return
				}
				e.SetResponseError(http.StatusNotFound, "ResourceNotFound")
				return
			},
		},
		VirtualMachineSizesServer: fake.VirtualMachineSizesServer{
			NewListPager: func(string, *armcompute.VirtualMachineSizesClientListOptions) (resp azfake.PagerResponder[armcompute.VirtualMachineSizesClientListResponse]) {
				c.sizeList.Add(1)
				if st := c.fail["sizes"]; st != 0 {
					resp.AddResponseError(st, http.StatusText(st))
					return
				}
				resp.AddPage(http.StatusOK, armcompute.VirtualMachineSizesClientListResponse{VirtualMachineSizeListResult: armcompute.VirtualMachineSizeListResult{Value: c.sizes}}, nil)
				return
			},
		},
	}
}

// provider is a configured Provider whose clients talk to the fake servers.
func (c *fakeCloud) provider(t *testing.T, change func(*Settings)) (*Provider, *fakeARM) {
	t.Helper()
	s := defaultSettings()
	s.SubscriptionID, s.MaxRetries = fakeSub, 0
	if change != nil {
		change(&s)
	}
	tu, err := s.validate()
	if err != nil {
		t.Fatal(err)
	}
	tr := &fakeARM{compute: fake.NewServerFactoryTransport(c.servers()), nics: c.nics, status: c.nicStatus}
	retry := retryOptions(s.MaxRetries)
	retry.RetryDelay = time.Millisecond
	cl, err := clientsFor(s.SubscriptionID, &azfake.TokenCredential{}, &arm.ClientOptions{ClientOptions: policy.ClientOptions{
		Transport: tr, Retry: retry}})
	if err != nil {
		t.Fatal(err)
	}
	p := New()
	p.use(s, tu, cl)
	return p, tr
}

// vmOf is a VM as Resource Manager describes it; change fills in the rest.
func vmOf(rg, name, location, size, power string, change func(*armcompute.VirtualMachineProperties)) *armcompute.VirtualMachine {
	pr := &armcompute.VirtualMachineProperties{
		HardwareProfile: &armcompute.HardwareProfile{VMSize: to.Ptr(armcompute.VirtualMachineSizeTypes(size))},
		InstanceView:    &armcompute.VirtualMachineInstanceView{},
		StorageProfile: &armcompute.StorageProfile{OSDisk: &armcompute.OSDisk{Name: to.Ptr(name + "-os"), OSType: to.Ptr(armcompute.OperatingSystemTypesLinux),
			DiskSizeGB: to.Ptr[int32](30), ManagedDisk: &armcompute.ManagedDiskParameters{ID: to.Ptr(fakeID(rg, "Microsoft.Compute/disks", name+"-os"))}}},
	}
	if power != "" {
		pr.InstanceView.Statuses = []*armcompute.InstanceViewStatus{{Code: to.Ptr("ProvisioningState/succeeded")}, {Code: to.Ptr("PowerState/" + power)}}
	}
	if change != nil {
		change(pr)
	}
	return &armcompute.VirtualMachine{ID: to.Ptr(fakeID(rg, "Microsoft.Compute/virtualMachines", name)), Name: to.Ptr(name), Location: to.Ptr(location), Properties: pr}
}

func diskOf(rg, name string, sizeBytes int64, sector int32) *armcompute.Disk {
	pr := &armcompute.DiskProperties{DiskSizeGB: to.Ptr(int32((sizeBytes + 1<<30 - 1) >> 30))}
	if sizeBytes%(1<<30) != 0 {
		pr.DiskSizeBytes = to.Ptr(sizeBytes)
	}
	if sector != 0 {
		pr.CreationData = &armcompute.CreationData{CreateOption: to.Ptr(armcompute.DiskCreateOptionEmpty), LogicalSectorSize: to.Ptr(sector)}
	}
	return &armcompute.Disk{ID: to.Ptr(fakeID(rg, "Microsoft.Compute/disks", name)), Name: to.Ptr(name), Properties: pr}
}

func sizeOf(name string, cores, memMB int32) *armcompute.VirtualMachineSize {
	return &armcompute.VirtualMachineSize{Name: to.Ptr(name), NumberOfCores: to.Ptr(cores), MemoryInMB: to.Ptr(memMB)}
}
