package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/pipeline"
	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Providers gives the manager a provider by name (the plugin host).
type Providers interface {
	Provider(name string) (provider.Provider, error)
}

// Config is what the manager takes from the daemon configuration.
type Config struct {
	Workers           int
	ConcurrentExports int
	MaxRetries        int
	ChunkSize         int64
	BasePath          string
	JobTimeout        time.Duration // hyper2kvm.job_timeout: bounds what follows the export (conversion, import, hand-off)
	ExportTimeout     time.Duration // export.job_timeout: bounds the provider's transfer
	RetryBackoff      time.Duration // first retry delay, doubled each attempt; default 2s
	// SyncLogs, when set, commits the job logs written so far (LogSink.Sync); it runs before a
	// job's end is recorded, so whoever sees the end also sees the whole log.
	SyncLogs func()

	// Cluster, when set, is this node's part in a store several daemons share (etcd): jobs
	// run under its claims (cluster.go). Nil on a single daemon.
	Cluster store.Claimer
	// Budgets bounds the exports running at once per source (export.source_budgets); nil: none.
	Budgets pipeline.SourceBudgets

	// Retention is database.job_retention: ended jobs older than this are deleted with their
	// logs, at start and every hour (retention.go). 0 keeps them forever.
	Retention time.Duration
}

// Manager owns the queue and the workers.
type Manager struct {
	cfg       Config
	store     store.Backend
	bus       *events.Bus
	providers Providers
	log       hclog.Logger
	kvm       KVMConfig
	env       *pipeline.Env // what the steps use of the daemon

	exportSlots chan struct{}
	mu          sync.Mutex
	queue       []string
	wake        chan struct{}
	live        map[string]*run
	exportDirs  map[string]string // export directory -> the job that last took it (claimExportDirs)
	submitMu    sync.Mutex        // held from the export-directory check until the jobs are stored
	claims      map[string]int64  // job id -> token of this node's claim on it (cluster.go)
	stop        context.CancelFunc
	runCtx      context.Context // lives until Close; hand-off followers and retried writes use it
	wg          sync.WaitGroup
	holdGates   holdGates     // releases of a job's holds vs. its export (holds_gate.go)
	holdBackoff time.Duration // first delay between release tries (holds_release.go)
}

// run is a job being executed right now.
type run struct {
	cancel  context.CancelCauseFunc
	tracker *tracker
}

// errCancelled and errShutdown are the causes a running job's context is cancelled with.
var (
	errCancelled = errors.New("cancelled by request")
	errShutdown  = errors.New("daemon shutting down")
	errTimeout   = errors.New("job exceeded hyper2kvm.job_timeout")
)

// NewManager returns a manager; Start recovers persisted jobs and starts the workers.
func NewManager(cfg Config, s store.Backend, bus *events.Bus, providers Providers, kvmCfg KVMConfig, log hclog.Logger) *Manager {
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = 2 * time.Second
	}
	m := &Manager{
		cfg: cfg, store: s, bus: bus, providers: providers, kvm: kvmCfg, log: log,
		exportSlots: make(chan struct{}, cfg.ConcurrentExports),
		wake:        make(chan struct{}, 1),
		live:        map[string]*run{},
		exportDirs:  map[string]string{},
		claims:      map[string]int64{},
		runCtx:      context.Background(), // until Start
	}
	m.env = &pipeline.Env{Providers: providers, ExportSlots: m.exportSlots, ChunkSize: cfg.ChunkSize,
		MaxRetries: cfg.MaxRetries, ExportTimeout: cfg.ExportTimeout, KVM: kvmCfg, Holds: m, Budgets: cfg.Budgets}
	return m
}

// Start puts interrupted jobs back in the queue, queues every pending job in the order it was
// accepted, releases the holds that ended jobs left, and starts the workers. The holds of a job
// queued again stay for its retry and are released when it ends.
func (m *Manager) Start(ctx context.Context) error {
	var pending, failed []Job
	var holders []string // ended jobs with holds not released
	var all []Job
	err := m.store.ForEachJob(ctx, func(id string, raw []byte) error {
		j, err := decodeJob(id, raw)
		if err != nil {
			return err
		}
		all = append(all, j)
		return nil
	})
	for i := 0; err == nil && i < len(all); i++ {
		j := all[i]
		if j.Status == StatusRunning && m.cfg.Cluster != nil {
			continue // another node may run it: the cluster sweep adopts it once nobody holds it
		}
		if j.Status == StatusRunning {
			// Each job is rewritten on its own: a crash half-way leaves the rest running, for
			// the next start to find.
			m.recoverInterrupted(&j)
			if j.Status == StatusFailed {
				m.markEnding(j.ID, events.JobFailed, j.Error) // end_events.go: no end stored without its event
			}
			if err = m.save(&j); err != nil {
				break
			}
			if j.Status == StatusFailed {
				failed = append(failed, j)
			}
		}
		if j.Status == StatusPending {
			pending = append(pending, j)
		}
		switch {
		case !hasUnreleased(j.Holds):
		case j.Status.Terminal():
			holders = append(holders, j.ID)
		default:
			// Queued again: its retry may resume on them (a snapshot its checkpoint names,
			// a VM kept off); they are released when the job ends.
			m.holdGates.pin(j.ID)
		}
	}
	if err == nil {
		err = m.seedExportDirs(ctx)
	}
	if err != nil {
		return fmt.Errorf("recover jobs: %w", err)
	}
	for _, j := range failed {
		if j.Claimed != "" {
			if err := pipeline.AbandonOutputDir(j.Claimed, j.ID); err != nil {
				m.log.Error("cannot remove what the failed job left in its output directory", "job_id", j.ID, "output_dir", j.Claimed, "error", err)
			}
		}
		m.publishEnd(j, events.JobFailed, j.Error)
	}
	sort.Slice(pending, func(a, b int) bool { return pending[a].CreatedAt.Before(pending[b].CreatedAt) })
	for _, j := range pending {
		m.enqueue(j.ID)
	}
	ctx, m.stop = context.WithCancel(context.WithoutCancel(ctx))
	m.runCtx = ctx
	m.resendEndEvents(ctx, m.endEventGrace()) // end_events.go
	m.releaseAtStart(holders)                 // holds_release.go
	m.followHandoffs(ctx)
	for i := 0; i < m.cfg.Workers; i++ {
		m.wg.Add(1)
		go m.worker(ctx)
	}
	m.startRetention(ctx) // retention.go
	m.sweepCluster(ctx)   // cluster.go
	if len(pending) > 0 {
		m.log.Info("jobs recovered", "pending", len(pending))
	}
	return nil
}

// recoverInterrupted turns a job the daemon was running when it died into a failed attempt:
// queued again while export.max_retries allows, failed otherwise — so a job that crashes the
// daemon does not crash it forever.
func (m *Manager) recoverInterrupted(j *Job) {
	const reason = "interrupted: the daemon stopped while the job ran"
	now := time.Now().UTC()
	j.Failures = append(j.Failures, Failure{Attempt: j.Attempts, Stage: j.Stage, Error: reason, At: now})
	if j.Attempts > m.cfg.MaxRetries {
		j.Status, j.FinishedAt = StatusFailed, &now
		j.Error = fmt.Sprintf("%s, on each of its %d attempts (export.max_retries %d)", reason, j.Attempts, m.cfg.MaxRetries)
		m.log.Error("job was running when the daemon stopped, and has no attempt left; failed", "job_id", j.ID, "attempts", j.Attempts)
		return
	}
	j.Status, j.Stage = StatusPending, ""
	m.log.Warn("job was running when the daemon stopped; queued again", "job_id", j.ID, "attempt", j.Attempts)
}

// Close stops taking work, interrupts running jobs (they go back to pending, to resume at the
// next start) and waits for the workers.
func (m *Manager) Close() {
	if m.stop == nil {
		return
	}
	m.mu.Lock()
	for _, r := range m.live {
		r.cancel(errShutdown)
	}
	m.mu.Unlock()
	m.stop()
	m.wg.Wait()
}

func (m *Manager) enqueue(id string) {
	m.mu.Lock()
	m.queue = append(m.queue, id)
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// enqueueAfter queues a job again once wait has passed, unless ctx ends first.
func (m *Manager) enqueueAfter(ctx context.Context, id string, wait time.Duration) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		select {
		case <-ctx.Done():
		case <-time.After(wait):
			m.enqueueOnce(id)
		}
	}()
}

func (m *Manager) dequeue() (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.queue) == 0 {
		return "", false
	}
	id := m.queue[0]
	m.queue = m.queue[1:]
	if len(m.queue) > 0 {
		select { // let another idle worker take the next one
		case m.wake <- struct{}{}:
		default:
		}
	}
	return id, true
}

func (m *Manager) worker(ctx context.Context) {
	defer m.wg.Done()
	for {
		id, ok := m.dequeue()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-m.wake:
				continue
			}
		}
		m.runDequeued(ctx, id) // cluster.go
	}
}

func (m *Manager) liveRun(id string) *run {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.live[id]
}

// nowFunc is the clock progress is measured with.
var nowFunc = time.Now

func newJobID() string {
	var b [6]byte
	rand.Read(b[:])
	return "job-" + hex.EncodeToString(b[:])
}

func (m *Manager) publish(j Job, typ, message string) {
	m.bus.Publish(events.Event{Type: typ, JobID: j.ID, Status: string(j.Status), Stage: j.Stage, Progress: j.Progress.Percentage, Message: message})
}
