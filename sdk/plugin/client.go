package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	pb "github.com/hypersdk/hypersdk/sdk/internal/providerpb"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Client is a provider.Provider that lives in another process; the host gets one per plugin.
type Client struct {
	rpc  pb.ProviderClient
	conn grpc.ClientConnInterface // for ListVMs, which decodes its pages itself
}

func newClient(conn grpc.ClientConnInterface) *Client {
	return &Client{rpc: pb.NewProviderClient(conn), conn: conn}
}

var (
	_ provider.Provider        = (*Client)(nil)
	_ provider.PowerController = (*Client)(nil)
	_ provider.Releaser        = (*Client)(nil)
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

// ListVMs decodes each page as it arrives, straight from the wire (see listCodec), while the
// plugin encodes the next, and joins the pages once at the end.
func (c *Client) ListVMs(ctx context.Context, filter provider.Filter) ([]provider.VM, error) {
	stream, err := c.conn.NewStream(outgoing(ctx), listVMsDesc, pb.Provider_ListVMs_FullMethodName, grpc.ForceCodecV2(listCodec{}))
	if err != nil {
		return nil, fromStatus(err)
	}
	if err := stream.SendMsg(&pb.ListVMsRequest{Filter: filterToProto(filter)}); err != nil {
		return nil, c.listError(stream, err)
	}
	if err := stream.CloseSend(); err != nil {
		return nil, fromStatus(err)
	}
	var pages [][]provider.VM
	for {
		var page listPage
		err := stream.RecvMsg(&page)
		if errors.Is(err, io.EOF) {
			return slices.Concat(pages...), nil
		}
		if err != nil {
			return nil, fromStatus(err)
		}
		vms, err := decodePage(page.raw)
		if err != nil {
			return nil, fmt.Errorf("list VMs: %w", err)
		}
		pages = append(pages, vms)
	}
}

// listError is the status a ListVMs stream ended with, which a failed SendMsg does not carry.
func (c *Client) listError(stream grpc.ClientStream, sendErr error) error {
	if err := stream.RecvMsg(&listPage{}); err != nil && !errors.Is(err, io.EOF) {
		return fromStatus(err)
	}
	return fromStatus(sendErr)
}

// listVMsDesc is the generated description of the ListVMs stream.
var listVMsDesc = func() *grpc.StreamDesc {
	for i, s := range pb.Provider_ServiceDesc.Streams {
		if s.StreamName == "ListVMs" {
			return &pb.Provider_ServiceDesc.Streams[i]
		}
	}
	panic("plugin: the generated service has no ListVMs stream")
}()

func (c *Client) GetVM(ctx context.Context, id string) (provider.VM, error) {
	resp, err := c.rpc.GetVM(outgoing(ctx), &pb.GetVMRequest{Id: id})
	if err != nil {
		return provider.VM{}, fromStatus(err)
	}
	return vmFromProto(resp.GetVm()), nil
}

// cancelGrace is how long a cancelled export is given to unwind in the plugin (a VM powered
// back on, a lease aborted) before the host stops listening. Until then the host keeps
// acknowledging what it reports, and returns only once the plugin's export has stopped, so
// nothing the export records while it unwinds is missed and no release of its holds races it.
const cancelGrace = time.Minute

func (c *Client) ExportVM(ctx context.Context, spec provider.ExportSpec, report provider.Reporter) (provider.ExportResult, error) {
	// The stream does not end with ctx: a cancel is sent in-band, and the stream is cut only
	// after cancelGrace.
	streamCtx, cut := context.WithCancel(context.WithoutCancel(outgoing(ctx)))
	defer cut() // ends the stream on every return
	stream, err := c.rpc.ExportVM(streamCtx)
	if err != nil {
		return provider.ExportResult{}, fromStatus(err)
	}
	var sendMu sync.Mutex // a stream's sends must not run concurrently
	send := func(in *pb.ExportVMInput) error {
		sendMu.Lock()
		defer sendMu.Unlock()
		return stream.Send(in)
	}
	if err := send(&pb.ExportVMInput{Input: &pb.ExportVMInput_Request{Request: specToProto(spec)}}); err != nil {
		return provider.ExportResult{}, c.streamError(stream, err)
	}
	var grace *time.Timer
	stopWatch := context.AfterFunc(ctx, func() {
		reason := "cancelled"
		if cause := context.Cause(ctx); cause != nil {
			reason = cause.Error()
		}
		_ = send(&pb.ExportVMInput{Input: &pb.ExportVMInput_Cancel{Cancel: &pb.Cancel{Reason: reason}}}) // a broken stream ends the loop below anyway
		sendMu.Lock()
		grace = time.AfterFunc(cancelGrace, cut)
		sendMu.Unlock()
	})
	defer func() {
		stopWatch()
		sendMu.Lock()
		if grace != nil {
			grace.Stop()
		}
		sendMu.Unlock()
	}()
	// What the export records is stored even while it unwinds from a cancel.
	storeCtx := context.WithoutCancel(ctx)
	for {
		ev, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return provider.ExportResult{}, fmt.Errorf("export of %s ended without a result: %w", spec.VMID, provider.ErrUnavailable)
		}
		if err != nil {
			return provider.ExportResult{}, fromStatus(err)
		}
		var stored error
		switch e := ev.GetEvent().(type) {
		case *pb.ExportVMEvent_Progress:
			report.Progress(progressFromProto(e.Progress))
			continue
		case *pb.ExportVMEvent_Result:
			return resultFromProto(e.Result), nil
		case *pb.ExportVMEvent_Checkpoint:
			stored = report.Checkpoint(storeCtx, e.Checkpoint.GetResumeToken())
		case *pb.ExportVMEvent_Hold:
			stored = report.Hold(storeCtx, holdFromProto(e.Hold))
		case *pb.ExportVMEvent_Released:
			stored = report.Released(storeCtx, holdFromProto(e.Released))
		default:
			continue
		}
		ack := &pb.Ack{Seq: ev.GetSeq()}
		if stored != nil {
			ack.Error = stored.Error()
		}
		if err := send(&pb.ExportVMInput{Input: &pb.ExportVMInput_Ack{Ack: ack}}); err != nil {
			return provider.ExportResult{}, c.streamError(stream, err)
		}
	}
}

// streamError is the reason a send on the export stream failed: the status the plugin ended
// the stream with, which a failed Send does not carry.
func (c *Client) streamError(stream grpc.BidiStreamingClient[pb.ExportVMInput, pb.ExportVMEvent], sendErr error) error {
	for {
		if _, err := stream.Recv(); err != nil {
			if errors.Is(err, io.EOF) {
				return fromStatus(sendErr)
			}
			return fromStatus(err)
		}
	}
}

func (c *Client) Release(ctx context.Context, h provider.Hold) error {
	_, err := c.rpc.Release(outgoing(ctx), &pb.ReleaseRequest{Hold: holdToProto(h)})
	return fromStatus(err)
}

func (c *Client) SetPowerState(ctx context.Context, id, state string) error {
	_, err := c.rpc.SetPowerState(outgoing(ctx), &pb.SetPowerStateRequest{Id: id, State: state})
	return fromStatus(err)
}
