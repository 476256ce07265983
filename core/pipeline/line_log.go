package pipeline

import (
	"bytes"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// maxLogLine caps one line of a tool's output in the job log; a longer one is cut there.
const maxLogLine = 4096

// lineLog is an io.Writer for one output stream of a tool the job runs: each line (ended by
// \n, or by \r as progress bars end theirs) goes into the job log as it completes, blank ones
// left out, and the last few are kept for an error message.
type lineLog struct {
	log    hclog.Logger
	stream string

	mu      sync.Mutex
	partial []byte
	last    []string
}

func newLineLog(log hclog.Logger, stream string) *lineLog {
	return &lineLog{log: log, stream: stream}
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexAny(p, "\r\n")
		if i < 0 {
			room := maxLogLine - len(l.partial)
			l.partial = append(l.partial, p[:min(len(p), max(room, 0))]...)
			break
		}
		l.partial = append(l.partial, p[:min(i, max(maxLogLine-len(l.partial), 0))]...)
		l.emit()
		p = p[i+1:]
	}
	return n, nil
}

// flush logs a last line that had no line end.
func (l *lineLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.emit()
}

// tail is the last lines written, oldest first.
func (l *lineLog) tail() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.last...)
}

func (l *lineLog) emit() {
	line := string(bytes.TrimSpace(l.partial))
	l.partial = l.partial[:0]
	if line == "" {
		return
	}
	l.log.Info("hyper2kvm", "stream", l.stream, "line", line)
	l.last = append(l.last, line)
	if len(l.last) > h2kTailLines {
		l.last = l.last[len(l.last)-h2kTailLines:]
	}
}
