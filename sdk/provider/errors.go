package provider

import "errors"

// Errors that cross the plugin boundary. Wrap them with %w and context; the SDK carries the
// sentinel across gRPC so the host can test it with errors.Is.
var (
	ErrNotFound        = errors.New("not found")
	ErrUnsupported     = errors.New("not supported by this provider")
	ErrAuth            = errors.New("authentication failed")
	ErrInvalidArgument = errors.New("invalid argument")
	ErrNotConfigured   = errors.New("provider is not configured")
	ErrUnavailable     = errors.New("provider backend unavailable")
	// ErrPluginExited is returned by the host when the plugin process died during a call.
	ErrPluginExited = errors.New("plugin process exited")
)
