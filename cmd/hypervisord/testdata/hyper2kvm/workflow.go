package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// pollInterval is how often to_be_processed/ is listed (hyper2kvm uses inotify through watchdog).
const pollInterval = 200 * time.Millisecond

// workflow is the manifest workflow daemon's state.
type workflow struct {
	lg                                     *logger
	base, todo, processing, processed, bad string
	output                                 string
	queue                                  chan string
	mu                                     sync.Mutex
	queued                                 map[string]bool // watchdog handler's memory: paths it queued from an event
}

func runDaemon(a *args, lg *logger) int {
	if !a.manifestWorkflowMode {
		lg.Errorf("The stand-in runs only the manifest workflow daemon: pass --manifest-workflow-mode")
		return 2
	}
	if a.manifestWorkflowDir == "" {
		lg.Errorf("Manifest workflow mode requires --manifest-workflow-dir")
		return 2
	}
	base, err := filepath.Abs(a.manifestWorkflowDir)
	if err != nil {
		lg.Errorf("%v", err)
		return 1
	}
	out, err := filepath.Abs(a.outputDir)
	if err != nil {
		lg.Errorf("%v", err)
		return 1
	}
	w := &workflow{lg: lg, base: base, output: out,
		todo: filepath.Join(base, "to_be_processed"), processing: filepath.Join(base, "processing"),
		processed: filepath.Join(base, "processed"), bad: filepath.Join(base, "failed"),
		queue: make(chan string, 1024), queued: map[string]bool{}}
	if err := w.run(max(a.maxConcurrentJobs, 1)); err != nil {
		lg.Errorf("💥 %v", err)
		return 1
	}
	return 0
}

func (w *workflow) run(workers int) error {
	w.lg.Infof("🚀 Starting Manifest Workflow Daemon (3-Directory)")
	for _, d := range []string{w.todo, w.processing, w.processed, w.bad, w.output, filepath.Join(w.base, ".stats")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
		w.lg.Infof("📁 %-20s → %s", filepath.Base(d), d)
	}
	w.lg.Infof("⚙️  Max Workers: %d", workers)

	ctx, stop := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		s := <-sigs
		name := map[os.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT"}[s]
		w.lg.Infof("🛑 Received %s, shutting down gracefully...", name)
		stop()
		<-sigs
		w.lg.Errorf("Second signal: exiting without waiting for running manifests")
		os.Exit(1)
	}()

	seen, err := w.list()
	if err != nil {
		return err
	}
	w.lg.Infof("🔍 Scanning for existing manifests in: %s", w.todo)
	for _, p := range sortedKeys(seen) {
		w.queue <- p // the start-up scan does not mark them in the handler's memory
	}
	w.lg.Infof("📥 Found %d existing manifest(s)", len(seen))

	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case p := <-w.queue:
					w.process(p)
				}
			}
		}()
	}
	w.lg.Infof("✅ Manifest workflow daemon ready")

	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tick.C:
			now, err := w.list()
			if err != nil {
				w.lg.Errorf("💥 Main loop error: %v", err)
				continue
			}
			for _, p := range sortedKeys(now) {
				if !seen[p] {
					w.event(p)
				}
			}
			seen = now
		}
	}
	w.lg.Infof("🛑 Stopping manifest workflow daemon...")
	wg.Wait()
	w.lg.Infof("✅ Manifest workflow daemon shutdown complete")
	return nil
}

// event is watchdog's on_created/on_moved for path: queued unless this run queued the name before.
func (w *workflow) event(path string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.queued[path] {
		w.lg.Debugf("ignoring %s: queued once already in this run", filepath.Base(path))
		return
	}
	w.queued[path] = true
	w.lg.Infof("📥 New manifest queued: %s", filepath.Base(path))
	w.queue <- path
}

// list returns the manifest files directly in to_be_processed/.
func (w *workflow) list() (map[string]bool, error) {
	entries, err := os.ReadDir(w.todo)
	if err != nil {
		return nil, err
	}
	files := map[string]bool{}
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.Type().IsRegular() || (ext != ".json" && ext != ".yaml" && ext != ".yml") {
			continue
		}
		files[filepath.Join(w.todo, e.Name())] = true
	}
	return files, nil
}

// moveToProcessing moves a manifest into processing/, suffixing _YYYYmmdd_HHMMSS on a clash.
func (w *workflow) moveToProcessing(path string) (string, error) {
	name := filepath.Base(path)
	dst := filepath.Join(w.processing, name)
	if _, err := os.Lstat(dst); err == nil {
		ext := filepath.Ext(name)
		dst = filepath.Join(w.processing, strings.TrimSuffix(name, ext)+"_"+time.Now().Format("20060102_150405")+ext)
	}
	if err := os.Rename(path, dst); err != nil {
		return "", err
	}
	return dst, nil
}

// finish moves a manifest out of processing/ into dir/<date>/ and writes sidecar beside it.
func (w *workflow) finish(path, dir, suffix string, sidecar any) error {
	dated := filepath.Join(dir, time.Now().Format("2006-01-02"))
	if err := os.MkdirAll(dated, 0o755); err != nil {
		return err
	}
	dst := filepath.Join(dated, filepath.Base(path))
	if err := os.Rename(path, dst); err != nil {
		return err
	}
	return writeJSON(dst+suffix, sidecar)
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a stable order, so several files dropped at once are taken predictably
	return keys
}
