package plugin

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// codeOf pairs each sentinel with the gRPC code that carries it.
var codeOf = []struct {
	sentinel error
	code     codes.Code
}{
	{provider.ErrNotFound, codes.NotFound},
	{provider.ErrUnsupported, codes.Unimplemented},
	{provider.ErrAuth, codes.Unauthenticated},
	{provider.ErrInvalidArgument, codes.InvalidArgument},
	{provider.ErrNotConfigured, codes.FailedPrecondition},
	{provider.ErrUnavailable, codes.Unavailable},
	{context.Canceled, codes.Canceled},
	{context.DeadlineExceeded, codes.DeadlineExceeded},
}

// toStatus turns a provider's error into a gRPC status, keeping its full message.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	for _, m := range codeOf {
		if errors.Is(err, m.sentinel) {
			return status.Error(m.code, err.Error())
		}
	}
	return status.Error(codes.Unknown, err.Error())
}

// remoteError is an error that came back from a plugin: its message as the plugin wrote it, and
// the sentinel it carried, so errors.Is works on the host.
type remoteError struct {
	msg      string
	sentinel error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.sentinel }

// fromStatus turns a gRPC error back into an error wrapping the matching sentinel.
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	for _, m := range codeOf {
		if st.Code() == m.code {
			return &remoteError{msg: st.Message(), sentinel: m.sentinel}
		}
	}
	return &remoteError{msg: st.Message()}
}
