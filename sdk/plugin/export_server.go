package plugin

import (
	"context"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc"

	pb "github.com/hypersdk/hypersdk/sdk/internal/providerpb"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// exportStream is the plugin's side of one ExportVM conversation.
type exportStream = grpc.BidiStreamingServer[pb.ExportVMInput, pb.ExportVMEvent]

// ExportVM reads the request, runs the export and answers with its result. Events that must
// not be lost (holds, checkpoints) wait for the host's acknowledgement, read here as well.
func (s *server) ExportVM(stream exportStream) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	req := first.GetRequest()
	if req == nil {
		return toStatus(fmt.Errorf("%w: the first message of an export must be its request", provider.ErrInvalidArgument))
	}
	spec := specFromProto(req)
	if err := spec.Validate(); err != nil {
		return toStatus(err)
	}
	ctx, end := s.calls.begin(stream.Context())
	defer end()
	ctx, lost := context.WithCancelCause(ctx)
	defer lost(nil)
	rep := &streamReporter{stream: stream, lastSent: map[int]time.Time{}, lost: lost, waiting: map[uint64]chan error{}, hostGone: make(chan struct{})}
	go rep.readAcks()
	result, err := s.impl.ExportVM(callContext(ctx), spec, rep)
	if err != nil {
		return toStatus(err)
	}
	return rep.send(&pb.ExportVMEvent{Event: &pb.ExportVMEvent_Result{Result: resultToProto(result)}})
}

// progressInterval is the least time between two progress messages of one disk; events in
// between are dropped (the next one carries the newer total), phase changes and completions never.
const progressInterval = 100 * time.Millisecond

// errHostGone is what a provider waiting for an acknowledgement gets once the host stopped
// answering: what it asked to be stored was not, so it must not go on.
var errHostGone = fmt.Errorf("%w: the host stopped answering before acknowledging", provider.ErrUnavailable)

// streamReporter sends a provider's events over the export stream. Providers may report from
// many goroutines at once, so sends are serialised.
type streamReporter struct {
	mu        sync.Mutex
	stream    exportStream
	lastSent  map[int]time.Time
	lastPhase string
	lost      context.CancelCauseFunc // ends the export when the host can no longer hear it
	seq       uint64
	waiting   map[uint64]chan error // acknowledgements awaited, by seq
	hostGone  chan struct{}         // closed when the host's side of the stream ends
}

// send delivers one event; one the host cannot receive ends the export, since what it would
// report (a hold above all) would be lost.
func (r *streamReporter) send(ev *pb.ExportVMEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sendLocked(ev)
}

func (r *streamReporter) sendLocked(ev *pb.ExportVMEvent) error {
	if err := r.stream.Send(ev); err != nil {
		err = fmt.Errorf("the host stopped listening: %w", err)
		r.lost(err)
		return err
	}
	return nil
}

// readAcks hands each acknowledgement to the call waiting for it until the host's side ends.
func (r *streamReporter) readAcks() {
	defer close(r.hostGone)
	for {
		in, err := r.stream.Recv()
		if err != nil {
			return
		}
		if c := in.GetCancel(); c != nil {
			// The host stays on the stream to hear how the export unwinds.
			r.lost(fmt.Errorf("%w: cancelled by the host: %s", context.Canceled, c.GetReason()))
			continue
		}
		ack := in.GetAck()
		if ack == nil {
			continue
		}
		r.mu.Lock()
		ch, ok := r.waiting[ack.GetSeq()]
		delete(r.waiting, ack.GetSeq())
		r.mu.Unlock()
		if !ok {
			continue
		}
		if msg := ack.GetError(); msg != "" {
			ch <- fmt.Errorf("%w: the host could not store it: %s", provider.ErrUnavailable, msg)
		} else {
			ch <- nil
		}
	}
}

// acknowledged sends ev and waits until the host has stored it.
func (r *streamReporter) acknowledged(ctx context.Context, ev *pb.ExportVMEvent) error {
	ch := make(chan error, 1)
	r.mu.Lock()
	r.seq++
	ev.Seq = r.seq
	r.waiting[ev.Seq] = ch
	err := r.sendLocked(ev)
	if err != nil {
		delete(r.waiting, ev.Seq)
	}
	r.mu.Unlock()
	if err != nil {
		return err
	}
	select {
	case err := <-ch:
		return err
	case <-r.hostGone:
		select { // the last acknowledgement may have raced the end of the stream
		case err := <-ch:
			return err
		default:
			return errHostGone
		}
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (r *streamReporter) Progress(p provider.Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	done := p.BytesTotal > 0 && p.BytesDone >= p.BytesTotal
	if p.Phase == r.lastPhase && !done && now.Sub(r.lastSent[p.Disk]) < progressInterval {
		return
	}
	r.lastSent[p.Disk], r.lastPhase = now, p.Phase
	_ = r.sendLocked(&pb.ExportVMEvent{Event: &pb.ExportVMEvent_Progress{Progress: progressToProto(p)}}) // a lost host ends the export
}

func (r *streamReporter) Checkpoint(ctx context.Context, token []byte) error {
	if len(token) > provider.MaxCheckpointBytes {
		return fmt.Errorf("%w: checkpoint of %d bytes is larger than %d", provider.ErrInvalidArgument, len(token), provider.MaxCheckpointBytes)
	}
	return r.acknowledged(ctx, &pb.ExportVMEvent{Event: &pb.ExportVMEvent_Checkpoint{Checkpoint: &pb.Checkpoint{ResumeToken: token}}})
}

func (r *streamReporter) Hold(ctx context.Context, h provider.Hold) error {
	if err := h.Validate(); err != nil {
		return err
	}
	return r.acknowledged(ctx, &pb.ExportVMEvent{Event: &pb.ExportVMEvent_Hold{Hold: holdToProto(h)}})
}

func (r *streamReporter) Released(ctx context.Context, h provider.Hold) error {
	if h.ID == "" {
		return fmt.Errorf("%w: released hold has no id", provider.ErrInvalidArgument)
	}
	return r.acknowledged(ctx, &pb.ExportVMEvent{Event: &pb.ExportVMEvent_Released{Released: holdToProto(h)}})
}
