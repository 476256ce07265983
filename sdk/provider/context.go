package provider

import (
	"context"

	"github.com/hashicorp/go-hclog"
)

type ctxKey int

const (
	loggerKey ctxKey = iota
	jobIDKey
)

// WithJobID marks ctx as work for a job. The host sets it; the SDK carries it to the plugin,
// where Logger(ctx) tags every line with it so the line lands in that job's log.
func WithJobID(ctx context.Context, jobID string) context.Context {
	return context.WithValue(ctx, jobIDKey, jobID)
}

// JobID returns the job ctx works for, or "".
func JobID(ctx context.Context) string {
	id, _ := ctx.Value(jobIDKey).(string)
	return id
}

// WithLogger attaches a logger to ctx.
func WithLogger(ctx context.Context, l hclog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey, l)
}

// Logger returns the logger for this call: in a plugin, a JSON logger on stderr that the host
// routes into the daemon log and, when the call belongs to a job, into that job's log.
func Logger(ctx context.Context) hclog.Logger {
	if l, ok := ctx.Value(loggerKey).(hclog.Logger); ok {
		return l
	}
	return hclog.Default()
}
