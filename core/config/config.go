// Package config loads hypervisord's YAML configuration: the file format of the user's
// workflow document, ${ENV} expansion, defaults that make an empty file valid, and validation
// that reports every problem at once, each naming its key path.
//
// It is for cmd/hypervisord, which loads the file once at start, and for every core package
// that reads a setting: they receive the typed Config, never the raw YAML.
package config

// Config is the whole configuration file.
type Config struct {
	Daemon    Daemon              `yaml:"daemon"`
	Providers map[string]Provider `yaml:"providers"`
	Hyper2KVM Hyper2KVM           `yaml:"hyper2kvm"`
	Export    Export              `yaml:"export"`
	Database  Database            `yaml:"database"`
	Webhooks  []Webhook           `yaml:"webhooks"`
	Libvirt   Libvirt             `yaml:"libvirt"`
	Auth      Auth                `yaml:"auth"`
}

// Auth turns on bearer-token authentication, roles and per-token rate limits.
type Auth struct {
	Enabled   bool      `yaml:"enabled"`
	Tokens    []Token   `yaml:"tokens"`
	RateLimit RateLimit `yaml:"rate_limit"`
}

// Token is one API client. Give the token itself (from ${ENV}) or its SHA-256 (hex), never both.
type Token struct {
	Name        string `yaml:"name"`
	Role        string `yaml:"role"` // viewer, operator or admin
	Token       string `yaml:"token"`
	TokenSHA256 string `yaml:"token_sha256"`
}

// RateLimit bounds requests per token (or per client address without auth).
type RateLimit struct {
	RequestsPerSecond float64 `yaml:"requests_per_second"`
	Burst             int     `yaml:"burst"`
}

// TLS serves the API over HTTPS; ClientCAFile also requires client certificates (mTLS).
type TLS struct {
	CertFile     string `yaml:"cert_file"`
	KeyFile      string `yaml:"key_file"`
	ClientCAFile string `yaml:"client_ca_file"`
}

// Libvirt says where converted VMs are defined.
type Libvirt struct {
	Socket     string `yaml:"socket"`
	URI        string `yaml:"uri"`
	DomainType string `yaml:"domain_type"`
	NVRAMDir   string `yaml:"nvram_dir"`
	Network    string `yaml:"network"`
}

// Daemon configures the HTTP server, logging and the worker pool.
type Daemon struct {
	Address         string   `yaml:"address"`
	LogLevel        string   `yaml:"log_level"`
	LogFormat       string   `yaml:"log_format"`
	Workers         int      `yaml:"workers"`
	PluginsDir      string   `yaml:"plugins_dir"`
	MaxBodyBytes    int64    `yaml:"max_body_bytes"`
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	TLS             TLS      `yaml:"tls"`
	// AllowedHosts are Host headers answered besides localhost, 127.0.0.1, [::1] and the
	// address's own host (any port; "name:port" pins one; "*" turns the check off). A request
	// for any other name is refused, which defeats DNS rebinding.
	AllowedHosts []string `yaml:"allowed_hosts"`
	// AllowedOrigins are web origins (scheme://host[:port]) whose pages may call the API, besides
	// the daemon's own; "*" allows every origin.
	AllowedOrigins []string `yaml:"allowed_origins"`
	// TrustedProxies are the IPs or CIDRs of reverse proxies whose X-Forwarded-For and
	// X-Real-IP are believed; from anyone else those headers are ignored.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// WebhookAllowLoopback lets webhook deliveries connect to loopback addresses (a receiver on
	// the daemon's own host). Link-local (cloud metadata), this-host and multicast addresses are
	// refused whatever it says.
	WebhookAllowLoopback bool `yaml:"webhook_allow_loopback"`
}

// Provider is one section under providers:, keyed by the instance's name (the name the API's
// provider field uses). Core understands type, enabled and plugin_sha256; every other key
// belongs to the provider plugin and is handed to it as Settings.
type Provider struct {
	// Type names the plugin binary, hypersdk-provider-<type>; empty means the instance's own
	// name, so providers: {vsphere: {...}} runs the vsphere plugin. Two instances of one type
	// (vc-east and vc-west, both type vsphere) are two processes of the same binary.
	Type         string         `yaml:"type"`
	Enabled      *bool          `yaml:"enabled"`
	PluginSHA256 string         `yaml:"plugin_sha256"`
	Settings     map[string]any `yaml:",remain"`
}

// IsEnabled reports whether the provider should be loaded; a section without an enabled key is on.
func (p Provider) IsEnabled() bool { return p.Enabled == nil || *p.Enabled }

// TypeOf returns the plugin type of the instance called name: its type key, or the name itself.
func (p Provider) TypeOf(name string) string {
	if p.Type == "" {
		return name
	}
	return p.Type
}

// Hyper2KVM configures the hand-off to the hyper2kvm conversion daemon.
type Hyper2KVM struct {
	Path          string   `yaml:"path"`
	DaemonEnabled bool     `yaml:"daemon_enabled"`
	WatchDir      string   `yaml:"watch_dir"`
	OutputDir     string   `yaml:"output_dir"`
	DefaultFormat string   `yaml:"default_format"`
	Compression   bool     `yaml:"compression"`
	PollInterval  Duration `yaml:"poll_interval"`
	JobTimeout    Duration `yaml:"job_timeout"`
}

// Export configures where and how exports are written.
type Export struct {
	BasePath          string `yaml:"base_path"`
	ChunkSize         int64  `yaml:"chunk_size"`
	MaxRetries        int    `yaml:"max_retries"`
	ConcurrentExports int    `yaml:"concurrent_exports"`
	// JobTimeout bounds the provider's transfer of one export, from when an export slot is
	// free; 0 is none.
	JobTimeout Duration `yaml:"job_timeout"`
	// SourceBudgets caps the exports running at once from one provider instance (a vCenter, a
	// cloud account and region), across every node of a cluster (database.backend etcd).
	SourceBudgets map[string]int `yaml:"source_budgets"`
}

// Database configures where jobs, schedules and everything else accepted are kept: a bbolt
// file (the default, one daemon) or an etcd cluster that several daemons share.
type Database struct {
	// Backend is "bbolt" (default) or "etcd".
	Backend string `yaml:"backend"`
	Path    string `yaml:"path"`
	Etcd    Etcd   `yaml:"etcd"`
	// JobRetention is how long a job that ended (completed, failed, cancelled) is kept, with its
	// log, counted from its end; 0 keeps every job forever. Pending and running jobs always stay.
	JobRetention Duration `yaml:"job_retention"`
}

// Etcd is database.etcd: the cluster of database.backend etcd, and this node's part in it.
type Etcd struct {
	Endpoints []string `yaml:"endpoints"`
	// Prefix starts every key, so several deployments can share one cluster.
	Prefix   string `yaml:"prefix"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// CAFile turns on TLS; CertFile and KeyFile are the client certificate, if the cluster asks.
	CAFile         string   `yaml:"ca_file"`
	CertFile       string   `yaml:"cert_file"`
	KeyFile        string   `yaml:"key_file"`
	DialTimeout    Duration `yaml:"dial_timeout"`
	RequestTimeout Duration `yaml:"request_timeout"`
	// NodeID names this daemon in the cluster (default: the host name); unique per node.
	NodeID string `yaml:"node_id"`
	// LeaseTTL is how long the node's claims on jobs outlive it: another node re-claims the
	// jobs of a node silent this long.
	LeaseTTL Duration `yaml:"lease_ttl"`
}

// Webhook is one endpoint notified of events.
type Webhook struct {
	URL     string            `yaml:"url"`
	Events  []string          `yaml:"events"`
	Headers map[string]string `yaml:"headers"`
	Secret  string            `yaml:"secret"`
}

// Default returns the configuration an empty file yields.
func Default() Config {
	return Config{
		Daemon: Daemon{
			Address:         "127.0.0.1:8080",
			LogLevel:        "info",
			LogFormat:       "auto",
			Workers:         4,
			PluginsDir:      "plugins.d",
			MaxBodyBytes:    1 << 20,
			ShutdownTimeout: Duration(30e9),
		},
		Providers: map[string]Provider{},
		Hyper2KVM: Hyper2KVM{
			Path:          "/usr/local/bin/hyper2kvm",
			WatchDir:      "/var/lib/hyper2kvm/watch",
			OutputDir:     "/var/lib/kvm/images",
			DefaultFormat: "qcow2",
			PollInterval:  Duration(5e9),
			JobTimeout:    Duration(2 * 3600e9),
		},
		Export: Export{
			BasePath:          "/exports",
			ChunkSize:         10 << 20,
			MaxRetries:        3,
			ConcurrentExports: 2,
			JobTimeout:        Duration(24 * 3600e9),
		},
		Database: Database{Backend: "bbolt", Path: "/var/lib/hypervisord/hypersdk.db", JobRetention: Duration(30 * 24 * 3600e9),
			Etcd: Etcd{Prefix: "/hypersdk/", DialTimeout: Duration(5e9), RequestTimeout: Duration(10e9), LeaseTTL: Duration(15e9)}},
		Libvirt: Libvirt{
			Socket: "/var/run/libvirt/libvirt-sock", URI: "qemu:///system", DomainType: "auto",
			NVRAMDir: "/var/lib/libvirt/qemu/nvram", Network: "default",
		},
	}
}
