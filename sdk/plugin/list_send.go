package plugin

import (
	"fmt"

	"google.golang.org/grpc"

	pb "github.com/hypersdk/hypersdk/sdk/internal/providerpb"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// pageSender sends ListVMs pages of at most listBatch VMs. Each is encoded at once, since the
// provider may reuse its VMs when its page call returns, and then sent from a goroutine of its
// own: gRPC marshals and queues one page while the provider makes the next. Two encoders take
// turns, so a page being sent is never written over; one send is in flight at a time, as a
// stream requires.
type pageSender struct {
	stream   grpc.ServerStreamingServer[pb.ListVMsResponse]
	encs     [2]pageEncoder
	turn     int
	inFlight chan error // the result of the send in flight, nil when none is
	sent     int        // VMs handed to gRPC so far, for error messages
}

func newPageSender(stream grpc.ServerStreamingServer[pb.ListVMsResponse]) *pageSender {
	return &pageSender{stream: stream}
}

// send encodes vms and starts sending them, after the previous send succeeded.
func (s *pageSender) send(vms []provider.VM) error {
	for start := 0; start < len(vms); start += listBatch {
		msg := s.encs[s.turn].encode(vms[start:min(start+listBatch, len(vms))])
		if err := s.wait(); err != nil {
			return err
		}
		s.turn ^= 1
		done := make(chan error, 1)
		first, last := s.sent, s.sent+min(listBatch, len(vms)-start)-1
		go func() {
			if err := s.stream.Send(msg); err != nil {
				done <- fmt.Errorf("send VMs %d–%d: %w", first, last, err)
				return
			}
			done <- nil
		}()
		s.inFlight, s.sent = done, last+1
	}
	return nil
}

// wait returns when no send is in flight, with the last one's error.
func (s *pageSender) wait() error {
	if s.inFlight == nil {
		return nil
	}
	err := <-s.inFlight
	s.inFlight = nil
	return err
}
