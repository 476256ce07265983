package main

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// logger writes lines as hyper2kvm's Python logging does: to stderr, one record a line.
type logger struct {
	mu      sync.Mutex
	verbose int
}

func newLogger(verbose int) *logger { return &logger{verbose: verbose} }

func (l *logger) write(level, format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(os.Stderr, "%s %-7s %s\n", time.Now().Format("2006-01-02 15:04:05"), level, fmt.Sprintf(format, a...))
}

func (l *logger) Infof(format string, a ...any)  { l.write("INFO", format, a...) }
func (l *logger) Errorf(format string, a ...any) { l.write("ERROR", format, a...) }
func (l *logger) Warnf(format string, a ...any)  { l.write("WARNING", format, a...) }

// Debugf is shown with -v and more.
func (l *logger) Debugf(format string, a ...any) {
	if l.verbose > 0 {
		l.write("DEBUG", format, a...)
	}
}
