package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/store"
)

// LogLine is one line of a job's log: the daemon's own lines about the job and the provider
// plugin's lines for it, in the order they were logged.
type LogLine struct {
	Seq     uint64         `json:"seq"`
	Time    time.Time      `json:"time"`
	Level   string         `json:"level"`
	Source  string         `json:"source"`
	Message string         `json:"message"`
	Fields  map[string]any `json:"fields,omitempty"`
}

// String renders the line as text for GET /jobs/logs.
func (l LogLine) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %-5s [%s] %s", l.Time.Format("2006-01-02T15:04:05.000Z07:00"), strings.ToUpper(l.Level), l.Source, l.Message)
	keys := make([]string, 0, len(l.Fields))
	for k := range l.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%v", k, l.Fields[k])
	}
	return b.String()
}

type pendingLine struct {
	jobID  string
	line   LogLine
	synced chan struct{} // a Sync marker, not a line: closed once what came before is committed
	lost   int           // a line saying this many lines were lost
}

// LogSink is an hclog sink that captures every log line carrying a job_id — from the daemon
// or from a plugin — and appends it, in batches, to that job's persisted log.
//
// Lines that cannot be kept (logged faster than the store commits, or a failed commit) are
// counted per job, and the job's log says how many were lost at the next commit.
type LogSink struct {
	store   store.JobLogStore
	lines   chan pendingLine
	done    chan struct{}
	onError func(error) // hears of a commit that failed

	mu   sync.Mutex
	lost map[string]int // job id -> lines lost since the last commit
}

// NewLogSink starts the batch writer; register the sink on the root logger. onError (may be
// nil) hears of each commit that failed: log it without a job_id, or it comes back here.
func NewLogSink(s store.JobLogStore, onError func(error)) *LogSink {
	ls := newLogSink(s, 4096)
	ls.onError = onError
	go ls.write()
	return ls
}

// newLogSink is a sink whose writer is not started yet.
func newLogSink(s store.JobLogStore, buffer int) *LogSink {
	return &LogSink{store: s, lines: make(chan pendingLine, buffer), done: make(chan struct{}), lost: map[string]int{}}
}

var _ hclog.SinkAdapter = (*LogSink)(nil)

// Accept implements hclog.SinkAdapter.
func (s *LogSink) Accept(name string, level hclog.Level, msg string, args ...interface{}) {
	if level < hclog.Debug {
		return
	}
	var jobID string
	fields := map[string]any{}
	for i := 0; i+1 < len(args); i += 2 {
		k, ok := args[i].(string)
		if !ok {
			continue
		}
		switch k {
		case "job_id":
			jobID = fmt.Sprint(args[i+1])
		case "timestamp", "@caller":
		default:
			fields[k] = fmt.Sprint(args[i+1])
		}
	}
	if jobID == "" {
		return
	}
	line := LogLine{Time: time.Now().UTC(), Level: level.String(), Source: name, Message: msg, Fields: fields}
	select {
	case s.lines <- pendingLine{jobID: jobID, line: line}:
	default: // a flood of log lines must not block the code that logs them
		s.countLost(jobID, 1)
	}
}

// write commits lines in batches: one transaction per 100 ms of logging, not one per line.
func (s *LogSink) write() {
	defer close(s.done)
	for first := range s.lines {
		batch := []pendingLine{first}
		timeout := time.After(100 * time.Millisecond)
	collect:
		for len(batch) < 1000 && batch[len(batch)-1].synced == nil { // a Sync commits at once
			select {
			case l, ok := <-s.lines:
				if !ok {
					break collect
				}
				batch = append(batch, l)
			case <-timeout:
				break collect
			}
		}
		batch = append(batch, s.takeLost()...)
		lines := make([]store.LogAppend, 0, len(batch))
		for _, p := range batch {
			if p.synced != nil {
				continue
			}
			line := p.line
			lines = append(lines, store.LogAppend{JobID: p.jobID, Encode: func(seq uint64) ([]byte, error) {
				line.Seq = seq
				return json.Marshal(line)
			}})
		}
		var err error
		if len(lines) > 0 {
			err = s.store.AppendJobLogs(context.Background(), lines)
		}
		if err != nil {
			for _, p := range batch {
				if p.synced == nil {
					s.countLost(p.jobID, max(p.lost, 1)) // a lost-lines line carries its count on
				}
			}
			if s.onError != nil {
				s.onError(fmt.Errorf("store %d job log lines: %w", len(batch), err))
			}
		}
		for _, p := range batch {
			if p.synced != nil {
				close(p.synced)
			}
		}
	}
}

func (s *LogSink) countLost(jobID string, n int) {
	s.mu.Lock()
	s.lost[jobID] += n
	s.mu.Unlock()
}

// takeLost turns the lines lost so far into one line per job saying so.
func (s *LogSink) takeLost() []pendingLine {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []pendingLine
	for id, n := range s.lost {
		msg := fmt.Sprintf("%d log lines of this job were lost (logged faster than the store could keep them, or a commit failed)", n)
		out = append(out, pendingLine{jobID: id, lost: n, line: LogLine{Time: time.Now().UTC(), Level: "warn", Source: "hypervisord.jobs", Message: msg}})
		delete(s.lost, id)
	}
	return out
}

// Sync waits (up to a second) until every line accepted before the call is committed, so a
// job's log is whole by the time its end is recorded.
func (s *LogSink) Sync() {
	done := make(chan struct{})
	select {
	case s.lines <- pendingLine{synced: done}:
	case <-time.After(time.Second):
		return
	}
	select {
	case <-done:
	case <-time.After(time.Second):
	}
}

// Flush waits until every line accepted so far is committed.
func (s *LogSink) Flush() {
	deadline := time.Now().Add(2 * time.Second)
	for len(s.lines) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(150 * time.Millisecond)
}

// Close stops the writer after committing what it has.
func (s *LogSink) Close() {
	close(s.lines)
	<-s.done
}

// Logs returns a job's log lines with a sequence number above after.
func (m *Manager) Logs(id string, after uint64) ([]LogLine, error) {
	if _, err := m.Get(id); err != nil {
		return nil, err
	}
	var lines []LogLine
	err := m.store.JobLogs(context.Background(), id, after, func(_ uint64, raw []byte) error {
		var l LogLine
		if err := json.Unmarshal(raw, &l); err == nil {
			lines = append(lines, l)
		}
		return nil
	})
	return lines, err
}
