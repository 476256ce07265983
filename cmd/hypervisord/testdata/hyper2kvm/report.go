package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/hypersdk/hypersdk/cmd/hypervisord/internal/h2kmanifest"
)

// errorDoc is <name>.error.json, its keys in the order hyper2kvm writes them.
type errorDoc struct {
	JobID        string `json:"job_id"`
	OriginalName string `json:"original_name"`
	FailedAt     string `json:"failed_at"`
	Error        string `json:"error"`
	Exception    string `json:"exception"`
	Status       string `json:"status"`
}

// isoNow is Python's datetime.now().isoformat(): local time, microseconds, no zone.
func isoNow() string { return time.Now().Format("2006-01-02T15:04:05.000000") }

// writeJSON writes v indented by two spaces, as json.dump(..., indent=2) does.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// traceback is the "exception" field: the Python traceback hyper2kvm records, in outline.
func traceback(err error) string {
	class := "Exception"
	switch {
	case h2kmanifest.IsValidation(err):
		class = "hyper2kvm.manifest.loader.ManifestValidationError"
	case err == errNoOS:
		class = "hyper2kvm.core.exceptions.Fatal"
	}
	return fmt.Sprintf("Traceback (most recent call last):\n  File \"hyper2kvm/daemon/manifest_workflow_daemon.py\", in _process_manifest\n%s: %s\n", class, err)
}

// human is a size as hyper2kvm prints it (U.human_bytes).
func human(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.2f %s", f, units[i])
}
