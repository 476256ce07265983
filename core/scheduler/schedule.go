// Package scheduler runs cron schedules and backup policies. A schedule submits its job
// definition as an ordinary job at each cron time; a backup policy resolves its VM filter through
// the provider at each run, exports every matching VM into a per-policy, per-VM, timestamped
// folder, and prunes old backups by count and age after each success.
//
// Schedules and policies live in the store with their next and last run times. After a restart,
// a run that fell due while the daemon was down runs once — not once per missed slot — and the
// next run is computed from the time of that catch-up run.
package scheduler

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Schedule is the seed's POST /schedules/create body and its state.
type Schedule struct {
	ID            string     `json:"id"`
	Name          string     `json:"name"`
	Cron          string     `json:"cron"`
	TimeZone      string     `json:"timezone,omitempty"`
	JobDefinition jobs.Spec  `json:"job_definition"`
	Paused        bool       `json:"paused"`
	CreatedAt     time.Time  `json:"created_at"`
	NextRun       *time.Time `json:"next_run,omitempty"`
	LastRun       *time.Time `json:"last_run,omitempty"`
	LastJobID     string     `json:"last_job_id,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
}

// Policy is the seed's POST /backup-policies/create body and its state.
type Policy struct {
	ID            string        `json:"id"`
	Name          string        `json:"name"`
	Provider      string        `json:"provider,omitempty"`
	VMFilter      VMFilter      `json:"vm_filter"`
	Schedule      string        `json:"schedule"`
	TimeZone      string        `json:"timezone,omitempty"`
	Retention     Retention     `json:"retention"`
	ExportOptions ExportOptions `json:"export_options"`
	Paused        bool          `json:"paused"`
	CreatedAt     time.Time     `json:"created_at"`
	NextRun       *time.Time    `json:"next_run,omitempty"`
	LastRun       *time.Time    `json:"last_run,omitempty"`
	LastJobIDs    []string      `json:"last_job_ids,omitempty"`
	LastError     string        `json:"last_error,omitempty"`
	Backups       []Backup      `json:"backups,omitempty"`
}

// VMFilter is the seed's vm_filter plus the rest of the discovery filter.
type VMFilter struct {
	Tags        []string `json:"tags,omitempty"`
	Datacenter  string   `json:"datacenter,omitempty"`
	Folder      string   `json:"folder,omitempty"`
	Status      string   `json:"status,omitempty"`
	NamePattern string   `json:"name_pattern,omitempty"`
}

// filter is the policy's filter as a provider takes it.
func (f VMFilter) filter() provider.Filter {
	return provider.Filter{Datacenter: f.Datacenter, Folder: f.Folder, PowerState: f.Status, Tags: f.Tags, NamePattern: f.NamePattern}
}

// empty reports a filter that selects every VM.
func (f VMFilter) empty() bool {
	return f.Datacenter == "" && f.Folder == "" && f.Status == "" && len(f.Tags) == 0 && f.NamePattern == ""
}

// Retention keeps at most Count backups per VM and none older than AgeDays (0 = no limit).
type Retention struct {
	Count   int `json:"count"`
	AgeDays int `json:"age_days"`
}

// ExportOptions are what each backup job is submitted with.
type ExportOptions struct {
	ExportMethod string         `json:"export_method,omitempty"`
	Options      jobs.Options   `json:"options"`
	Hyper2KVM    jobs.Hyper2KVM `json:"hyper2kvm_integration"`
}

// Backup is one backup a policy made.
type Backup struct {
	JobID     string    `json:"job_id"`
	VM        string    `json:"vm"`
	Dir       string    `json:"dir"`
	CreatedAt time.Time `json:"created_at"`
	Status    string    `json:"status"` // the job's status as last seen; "pruned" once deleted
}

func newID(prefix string) string {
	b := make([]byte, 5)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}
