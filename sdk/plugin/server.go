package plugin

import (
	"context"
	"fmt"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	pb "github.com/hypersdk/hypersdk/sdk/internal/providerpb"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// jobIDHeader carries provider.JobID across the wire as gRPC metadata.
const jobIDHeader = "hypersdk-job-id"

// listBatch is how many VMs go in one ListVMs message.
const listBatch = 500

// server adapts a provider.Provider to the generated gRPC service, inside the plugin process.
type server struct {
	pb.UnimplementedProviderServer
	impl  provider.Provider
	calls *inflight
}

var _ pb.ProviderServer = (*server)(nil)

// callContext restores the job id and gives the call a logger tagged with it.
func callContext(ctx context.Context) context.Context {
	logger := hclog.Default()
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if ids := md.Get(jobIDHeader); len(ids) > 0 && ids[0] != "" {
			ctx = provider.WithJobID(ctx, ids[0])
			logger = logger.With("job_id", ids[0])
		}
	}
	return provider.WithLogger(ctx, logger)
}

func (s *server) Info(ctx context.Context, _ *pb.InfoRequest) (*pb.InfoResponse, error) {
	info, err := s.impl.Info(callContext(ctx))
	if err != nil {
		return nil, toStatus(err)
	}
	return infoToProto(info), nil
}

func (s *server) Configure(ctx context.Context, req *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	if err := s.impl.Configure(callContext(ctx), provider.ConfigFromJSON(req.GetSettingsJson())); err != nil {
		return nil, toStatus(err)
	}
	return &pb.ConfigureResponse{}, nil
}

// ListVMs streams the provider's VMs in pages of at most listBatch (pageSender). A
// provider.VMPager's pages are sent as it yields them, so the host decodes one while the
// provider fetches the next; any other provider's list is split once it is complete.
func (s *server) ListVMs(req *pb.ListVMsRequest, stream grpc.ServerStreamingServer[pb.ListVMsResponse]) error {
	ctx, f := callContext(stream.Context()), filterFromProto(req.GetFilter())
	out := newPageSender(stream)
	var err error
	if pager, ok := s.impl.(provider.VMPager); ok {
		// The host's cancel stops the paging here too, for a provider that does not watch ctx.
		err = pager.ListVMPages(ctx, f, func(page []provider.VM) error {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("list VMs: %w", err)
			}
			return out.send(page)
		})
	} else {
		var vms []provider.VM
		if vms, err = s.impl.ListVMs(ctx, f); err == nil {
			err = out.send(vms)
		}
	}
	// The handler may not return while a send is in flight; the provider's error comes first.
	if sendErr := out.wait(); err == nil {
		err = sendErr
	}
	return toStatus(err)
}

func (s *server) GetVM(ctx context.Context, req *pb.GetVMRequest) (*pb.GetVMResponse, error) {
	vm, err := s.impl.GetVM(callContext(ctx), req.GetId())
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.GetVMResponse{Vm: vmToProto(vm)}, nil
}

func (s *server) SetPowerState(ctx context.Context, req *pb.SetPowerStateRequest) (*pb.SetPowerStateResponse, error) {
	pc, ok := s.impl.(provider.PowerController)
	if !ok {
		pc = provider.UnsupportedPower{}
	}
	ctx, end := s.calls.begin(ctx)
	defer end()
	if err := pc.SetPowerState(callContext(ctx), req.GetId(), req.GetState()); err != nil {
		return nil, toStatus(err)
	}
	return &pb.SetPowerStateResponse{}, nil
}

func (s *server) Release(ctx context.Context, req *pb.ReleaseRequest) (*pb.ReleaseResponse, error) {
	r, ok := s.impl.(provider.Releaser)
	if !ok {
		return nil, toStatus(fmt.Errorf("release: %w: the provider records no holds", provider.ErrUnsupported))
	}
	ctx, end := s.calls.begin(ctx)
	defer end()
	if err := r.Release(callContext(ctx), holdFromProto(req.GetHold())); err != nil {
		return nil, toStatus(err)
	}
	return &pb.ReleaseResponse{}, nil
}
