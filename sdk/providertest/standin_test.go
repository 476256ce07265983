package providertest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestServeStandinHelper is the stand-in process of TestServeStandin, not a test of its own.
func TestServeStandinHelper(t *testing.T) {
	if os.Getenv("PROVIDERTEST_STANDIN") != "1" {
		t.Skip("run by TestServeStandin as a child process")
	}
	if err := ServeStandin(map[string]string{"url": "http://127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
}

func TestServeStandin(t *testing.T) {
	tests := []struct {
		name string
		stop func(cmd *exec.Cmd, stdin interface{ Close() error }) error
	}{
		{"stdin closes", func(_ *exec.Cmd, stdin interface{ Close() error }) error { return stdin.Close() }},
		{"SIGTERM", func(cmd *exec.Cmd, _ interface{ Close() error }) error { return cmd.Process.Signal(syscall.SIGTERM) }},
		{"SIGINT", func(cmd *exec.Cmd, _ interface{ Close() error }) error { return cmd.Process.Signal(syscall.SIGINT) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestServeStandinHelper$")
			cmd.Env = append(os.Environ(), "PROVIDERTEST_STANDIN=1")
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			line, err := bufio.NewReader(stdout).ReadBytes('\n')
			if err != nil {
				t.Fatalf("read the endpoints line: %v", err)
			}
			var got map[string]string
			if err := json.Unmarshal(line, &got); err != nil || got["url"] != "http://127.0.0.1:1" {
				t.Fatalf("endpoints line %q: %v", line, err)
			}
			if err := tt.stop(cmd, stdin); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("the stand-in did not exit cleanly: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the stand-in still runs 30 s after it was told to stop")
			}
		})
	}
}

func TestStandinDisk(t *testing.T) {
	tests := []struct {
		mib  int
		seed uint64
	}{{1, 19}, {4, 21}, {5, 19}}
	for _, tt := range tests {
		b := StandinDisk(tt.mib, tt.seed)
		if len(b) != tt.mib<<20 {
			t.Fatalf("StandinDisk(%d) is %d bytes", tt.mib, len(b))
		}
		for m := 0; m < tt.mib; m++ {
			part := b[m<<20 : (m+1)<<20]
			zero := bytes.Count(part, []byte{0})
			if m%2 == 1 && zero != len(part) || m%2 == 0 && zero > len(part)/128 {
				t.Errorf("StandinDisk(%d, %d): MiB %d has %d zero bytes; want even MiBs data, odd ones zeros", tt.mib, tt.seed, m, zero)
			}
		}
		if !bytes.Equal(b, StandinDisk(tt.mib, tt.seed)) || bytes.Equal(b[:4096], StandinDisk(tt.mib, tt.seed+1)[:4096]) {
			t.Errorf("StandinDisk(%d, %d) is not the same for a seed, or not different for another", tt.mib, tt.seed)
		}
	}
}
