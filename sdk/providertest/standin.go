package providertest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

// ServeStandin is the life of a stand-in command (a fake cloud that tests outside a provider's
// module start as a process): it prints ready, the stand-in's endpoints, as one JSON line on
// stdout, then blocks until SIGTERM or SIGINT arrives or stdin closes — so a test that dies
// takes its stand-in with it.
func ServeStandin(ready any) error {
	line, err := json.Marshal(ready)
	if err != nil {
		return fmt.Errorf("encode the stand-in's endpoints: %w", err)
	}
	// Listen before announcing: a test may signal as soon as it has read the line.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sig)
	if _, err := fmt.Println(string(line)); err != nil {
		return fmt.Errorf("print the stand-in's endpoints: %w", err)
	}
	stdinClosed := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(stdinClosed) }()
	select {
	case <-sig:
	case <-stdinClosed:
	}
	return nil
}

// WriteJSON answers a stand-in's control request with v as JSON.
func WriteJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}
