package pluginhost

import "time"

// State of one provider plugin as shown by /capabilities.
type State string

const (
	// StateStarting: the process is being launched and configured.
	StateStarting State = "starting"
	// StateReady: the provider answers calls.
	StateReady State = "ready"
	// StateRestarting: the process died or failed to configure and will be started again after a backoff.
	StateRestarting State = "restarting"
	// StateFailed: the plugin will not be started again without a daemon restart (bad checksum,
	// unsupported protocol version).
	StateFailed State = "failed"
	// StateMissing: configured under providers:, but no binary in the plugins directory.
	StateMissing State = "missing"
	// StateNotConfigured: a binary is installed but has no providers.<name> section, or it is disabled.
	StateNotConfigured State = "not_configured"
	// StateStopped: the daemon is shutting down.
	StateStopped State = "stopped"
)

// Status is a snapshot of one provider plugin.
type Status struct {
	Name         string    `json:"name"` // the instance: the providers: key the API's provider field names
	Type         string    `json:"type"` // the plugin type: the binary is hypersdk-provider-<type>
	State        State     `json:"state"`
	Path         string    `json:"path,omitempty"`
	Version      string    `json:"version,omitempty"`
	Description  string    `json:"description,omitempty"`
	Capabilities []string  `json:"capabilities,omitempty"`
	PID          int       `json:"pid,omitempty"`
	Restarts     int       `json:"restarts"`
	LastError    string    `json:"last_error,omitempty"`
	Since        time.Time `json:"since"`
}
