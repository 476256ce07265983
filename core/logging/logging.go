// Package logging builds the daemon's hclog logger: the configured level, JSON when stderr is not
// a terminal (journald, files, CI) and human text when it is.
package logging

import (
	"io"
	"os"

	"github.com/hashicorp/go-hclog"
)

// New returns the root logger. format is auto, json or text; level is an hclog level name.
// It is an InterceptLogger so plugin and job log sinks can be attached later.
func New(name, level, format string, w io.Writer) Logger {
	json := format == "json"
	if format == "auto" {
		json = !isTerminal(w)
	}
	return hclog.NewInterceptLogger(&hclog.LoggerOptions{
		Name:       name,
		Level:      hclog.LevelFromString(level),
		Output:     w,
		JSONFormat: json,
		TimeFormat: "2006-01-02T15:04:05.000Z07:00",
	})
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Logger is the daemon's root logger type: an hclog logger that sinks can be attached to.
type Logger = hclog.InterceptLogger
