package pipeline

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// A cancelled run kills hyper2kvm and every process it started, and returns at once.
func TestRunHyper2KVMCLICancelKillsItsProcessGroup(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	// The child keeps the output pipes open: without the group kill the run would wait for it.
	tool := script(t, "sleep 60 &\necho $! > "+pidFile+"\necho started\nwait\n")
	ctx, cancel := context.WithCancelCause(context.Background())
	var buf safeBuffer
	done := make(chan error, 1)
	go func() {
		done <- runHyper2KVMCLI(ctx, tool, hyper2kvmRun{Op: h2kLocal}, hclog.New(&hclog.LoggerOptions{Output: &buf}))
	}()
	var child int
	for deadline := time.Now().Add(10 * time.Second); child == 0; {
		if raw, err := os.ReadFile(pidFile); err == nil && strings.Contains(buf.String(), "started") {
			child, _ = strconv.Atoi(strings.TrimSpace(string(raw)))
		}
		if time.Now().After(deadline) {
			t.Fatal("the tool did not start its child")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop := errors.New("job cancelled")
	start := time.Now()
	cancel(stop)
	select {
	case err := <-done:
		if !errors.Is(err, stop) {
			t.Errorf("error = %v, want the context's cause", err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("the run took %s to end after the cancel: it waited for the child", took)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the run did not end after the cancel")
	}
	for deadline := time.Now().Add(5 * time.Second); alive(child); {
		if time.Now().After(deadline) {
			t.Fatalf("child %d of the cancelled tool still runs", child)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive says whether process pid runs: it exists and, where /proc tells, is not a zombie
// waiting for a parent (in a container, PID 1 may never reap the orphans it inherits).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !os.IsNotExist(err)
	}
	// The state follows the command, which is in parentheses and may hold spaces.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) == 0 || fields[0] != "Z"
}

// safeBuffer is a bytes.Buffer a logger writes while the test reads it.
type safeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *safeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
