// Command hypervisord is the HyperSDK daemon: it wires configuration, the store, the provider
// plugins and the REST API together, and shuts them down in order on SIGTERM or SIGINT.
// Everything it does lives in core/; this package is only the wiring.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hypersdk/hypersdk/core/api"
	"github.com/hypersdk/hypersdk/core/audit"
	"github.com/hypersdk/hypersdk/core/auth"
	"github.com/hypersdk/hypersdk/core/buildinfo"
	"github.com/hypersdk/hypersdk/core/config"
	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/hosttools"
	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/logging"
	"github.com/hypersdk/hypersdk/core/pluginhost"
	"github.com/hypersdk/hypersdk/core/scheduler"
	"github.com/hypersdk/hypersdk/core/webhooks"
)

// settingsCheckWait bounds how long start-up waits for the plugins to declare their config
// schemas; one that has not by then is checked whenever it starts.
const settingsCheckWait = time.Minute

// Exit codes scripts can rely on.
const (
	exitOK      = 0
	exitRuntime = 1
	exitConfig  = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "migrate-store" {
		return migrateStore(ctx, args[1:], stdout, stderr) // migrate_store.go
	}
	flags := flag.NewFlagSet("hypervisord", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("config", "", "path to the YAML configuration (empty: built-in defaults)")
	check := flags.Bool("check", false, "validate the configuration and exit")
	version := flags.Bool("version", false, "print the version and exit")
	if err := flags.Parse(args); err != nil {
		return exitConfig
	}
	if *version {
		fmt.Fprintln(stdout, buildinfo.Version)
		return exitOK
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		fmt.Fprintln(stderr, "hypervisord:", err)
		return exitConfig
	}
	if *check {
		fmt.Fprintln(stdout, "configuration OK")
		return exitOK
	}
	log := logging.New("hypervisord", cfg.Daemon.LogLevel, cfg.Daemon.LogFormat, stderr)
	if err := serve(ctx, cfg, log); err != nil {
		var cerr *config.Error
		if errors.As(err, &cerr) {
			cerr.File = *configPath
			fmt.Fprintln(stderr, "hypervisord:", err)
			return exitConfig
		}
		log.Error("hypervisord stopped", "error", err)
		return exitRuntime
	}
	return exitOK
}

// serve runs the daemon until ctx ends, then shuts down: stop accepting, let in-flight
// requests finish, stop plugins, close the store.
func serve(ctx context.Context, cfg config.Config, log logging.Logger) error {
	started := time.Now()
	if err := makeWorkDirs(cfg, log); err != nil {
		return err
	}
	db, err := openStore(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer db.Close()
	cluster, leaveCluster, err := joinCluster(ctx, db, cfg.Database, cfg.Daemon.Address)
	if err != nil {
		return err
	}
	defer leaveCluster() // after the jobs have stopped: their claims go with the lease
	if err := checkSharedExports(ctx, cluster, cfg.Export.BasePath); err != nil {
		return err
	}

	jobLogs := jobs.NewLogSink(db, func(err error) { log.Error("job log lines lost", "error", err) })
	log.RegisterSink(jobLogs)
	defer jobLogs.Close()

	tools := hosttools.NewDetector(cfg.Hyper2KVM.Path)
	go tools.Tools(ctx) // probe in the background so the first /capabilities is instant

	plugins, err := pluginhost.Start(ctx, log.Named("provider"), cfg.Daemon.PluginsDir, cfg.Providers)
	if err != nil {
		return err
	}
	defer plugins.Close()
	// A provider's keys are known once its plugin runs: a section its schema refuses is a
	// configuration error like any other, not a provider that quietly never comes up.
	checkCtx, cancelCheck := context.WithTimeout(ctx, settingsCheckWait)
	problems := plugins.SettingsProblems(checkCtx)
	cancelCheck()
	if len(problems) > 0 {
		return &config.Error{Problems: problems}
	}

	bus := events.NewBus()
	shareEvents(ctx, cluster, bus, log.Named("cluster")) // WebSocket clients see every node's jobs
	var configured []webhooks.Hook
	for _, w := range cfg.Webhooks {
		configured = append(configured, webhooks.Hook{URL: w.URL, Events: w.Events, Headers: w.Headers, Secret: w.Secret})
	}
	hooks, err := webhooks.NewDispatcher(db, bus, configured, webhooks.Guard{AllowLoopback: cfg.Daemon.WebhookAllowLoopback}, log.Named("webhooks"))
	if err != nil {
		return err
	}
	electedFor(cluster, hooks.LeadWith)
	hooks.Start(ctx)
	defer hooks.Close()
	manager := jobs.NewManager(jobs.Config{
		Workers: cfg.Daemon.Workers, ConcurrentExports: cfg.Export.ConcurrentExports, MaxRetries: cfg.Export.MaxRetries,
		ChunkSize: cfg.Export.ChunkSize, BasePath: cfg.Export.BasePath, JobTimeout: cfg.Hyper2KVM.JobTimeout.Std(),
		ExportTimeout: cfg.Export.JobTimeout.Std(),
		SyncLogs:      jobLogs.Sync, Retention: cfg.Database.JobRetention.Std(), Cluster: cluster,
		Budgets: sourceBudgets(cluster, cfg.Export.SourceBudgets),
	}, db, bus, plugins, kvmConfig(cfg), log.Named("jobs"))
	if err := manager.Start(ctx); err != nil {
		return err
	}
	defer manager.Close()

	registerStateMetrics(manager, plugins)

	defaultProvider := ""
	if names := cfg.EnabledProviders(); len(names) == 1 {
		defaultProvider = names[0]
	}
	sched := scheduler.New(db, manager, plugins, bus, cfg.Export.BasePath, defaultProvider, nil, log.Named("scheduler"))
	electedFor(cluster, sched.LeadWith)
	sched.Start(ctx)
	defer sched.Close()

	ln, err := net.Listen("tcp", cfg.Daemon.Address)
	if err != nil {
		return fmt.Errorf("listen on daemon.address %s: %w", cfg.Daemon.Address, err)
	}
	srv := &http.Server{
		Handler: api.New(api.Deps{
			Log: log.Named("api"), Version: buildinfo.Version, StartedAt: started,
			MaxBodyBytes: cfg.Daemon.MaxBodyBytes, Tools: tools, Hyper2KVM: hyper2kvmHost(cfg), Providers: plugins, Jobs: manager, Bus: bus,
			Webhooks: hooks, FileRoots: []string{cfg.Export.BasePath, cfg.Hyper2KVM.OutputDir},
			Scheduler: sched, Auth: auth.New(cfg.Auth), Audit: audit.New(db),
			Listen: ln.Addr().String(), AllowedHosts: cfg.Daemon.AllowedHosts, AllowedOrigins: cfg.Daemon.AllowedOrigins,
			TrustedProxies: cfg.Daemon.TrustedProxies,
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	if cfg.Daemon.TLS.CertFile != "" {
		tlsCfg, err := tlsConfig(cfg.Daemon.TLS)
		if err != nil {
			ln.Close()
			return err
		}
		ln = tls.NewListener(ln, tlsCfg)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("listening", "address", ln.Addr().String(), "tls", cfg.Daemon.TLS.CertFile != "", "auth", cfg.Auth.Enabled, "version", buildinfo.Version,
		"database", db.Describe(), "plugins_dir", cfg.Daemon.PluginsDir, "providers", cfg.EnabledProviders())

	select {
	case err := <-serveErr:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.Daemon.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.Daemon.ShutdownTimeout.Std())
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}
