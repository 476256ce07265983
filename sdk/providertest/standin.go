package providertest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
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

// StandinDisk is a stand-in's disk of mib MiB whose even MiBs hold pseudo-random bytes (from
// seed) and odd ones zeros: data and holes both, the same bytes on every run.
func StandinDisk(mib int, seed uint64) []byte {
	b := make([]byte, mib<<20)
	r := rand.New(rand.NewPCG(uint64(mib), seed))
	for m := 0; m < mib; m += 2 {
		for i := m << 20; i < (m+1)<<20; i += 8 {
			binary.LittleEndian.PutUint64(b[i:], r.Uint64())
		}
	}
	return b
}
