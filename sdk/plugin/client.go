package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc/metadata"

	pb "github.com/hypersdk/hypersdk/sdk/internal/providerpb"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Client is a provider.Provider that lives in another process; the host gets one per plugin.
type Client struct {
	rpc pb.ProviderClient
}

var (
	_ provider.Provider        = (*Client)(nil)
	_ provider.PowerController = (*Client)(nil)
)

// outgoing carries the job id of ctx to the plugin.
func outgoing(ctx context.Context) context.Context {
	if id := provider.JobID(ctx); id != "" {
		return metadata.AppendToOutgoingContext(ctx, jobIDHeader, id)
	}
	return ctx
}

func (c *Client) Info(ctx context.Context) (provider.Info, error) {
	resp, err := c.rpc.Info(outgoing(ctx), &pb.InfoRequest{})
	if err != nil {
		return provider.Info{}, fromStatus(err)
	}
	return infoFromProto(resp), nil
}

func (c *Client) Configure(ctx context.Context, cfg provider.Config) error {
	_, err := c.rpc.Configure(outgoing(ctx), &pb.ConfigureRequest{SettingsJson: cfg.JSON()})
	return fromStatus(err)
}

func (c *Client) ListVMs(ctx context.Context, filter provider.Filter) ([]provider.VM, error) {
	stream, err := c.rpc.ListVMs(outgoing(ctx), &pb.ListVMsRequest{Filter: filterToProto(filter)})
	if err != nil {
		return nil, fromStatus(err)
	}
	var vms []provider.VM
	for {
		batch, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return vms, nil
		}
		if err != nil {
			return nil, fromStatus(err)
		}
		for _, v := range batch.GetVms() {
			vms = append(vms, vmFromProto(v))
		}
	}
}

func (c *Client) GetVM(ctx context.Context, id string) (provider.VM, error) {
	resp, err := c.rpc.GetVM(outgoing(ctx), &pb.GetVMRequest{Id: id})
	if err != nil {
		return provider.VM{}, fromStatus(err)
	}
	return vmFromProto(resp.GetVm()), nil
}

func (c *Client) ExportVM(ctx context.Context, spec provider.ExportSpec, report provider.Reporter) (provider.ExportResult, error) {
	stream, err := c.rpc.ExportVM(outgoing(ctx), specToProto(spec))
	if err != nil {
		return provider.ExportResult{}, fromStatus(err)
	}
	for {
		ev, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return provider.ExportResult{}, fmt.Errorf("export of %s ended without a result: %w", spec.VMID, provider.ErrUnavailable)
		}
		if err != nil {
			return provider.ExportResult{}, fromStatus(err)
		}
		switch e := ev.GetEvent().(type) {
		case *pb.ExportVMEvent_Progress:
			report.Progress(progressFromProto(e.Progress))
		case *pb.ExportVMEvent_Checkpoint:
			report.Checkpoint(e.Checkpoint.GetResumeToken())
		case *pb.ExportVMEvent_Result:
			return resultFromProto(e.Result), nil
		}
	}
}

func (c *Client) SetPowerState(ctx context.Context, id, state string) error {
	_, err := c.rpc.SetPowerState(outgoing(ctx), &pb.SetPowerStateRequest{Id: id, State: state})
	return fromStatus(err)
}
