package api

import (
	"github.com/hypersdk/hypersdk/core/audit"
	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/scheduler"
	"github.com/hypersdk/hypersdk/core/webhooks"
)

// The list answers are objects, not bare arrays, so that a page can grow fields (totals,
// cursors) without breaking clients. Each has a named type that the handler writes and the
// OpenAPI description is derived from.

// ScheduleList is GET /schedules.
type ScheduleList struct {
	Schedules []scheduler.Schedule `json:"schedules"`
}

// PolicyList is GET /backup-policies.
type PolicyList struct {
	Policies []scheduler.Policy `json:"backup_policies"`
}

// WebhookList is GET /webhooks.
type WebhookList struct {
	Webhooks []WebhookView `json:"webhooks"`
}

// WebhookView is a hook (secret redacted) with how the latest delivery attempt to it went since
// the daemon started, when one was made.
type WebhookView struct {
	webhooks.Hook
	LastDelivery *webhooks.LastDelivery `json:"last_delivery,omitempty"`
}

// AuditList is a page of GET /audit.
type AuditList struct {
	Entries []audit.Entry `json:"entries"`
	Total   int           `json:"total"`
	Limit   int           `json:"limit"`
	Offset  int           `json:"offset"`
}

// JobLogLines is GET /jobs/logs/{id}?format=json.
type JobLogLines struct {
	JobID string         `json:"job_id"`
	Lines []jobs.LogLine `json:"lines"`
}

// ScheduleRun answers POST /schedules/{id}/run: the job it submitted.
type ScheduleRun struct {
	JobID  string `json:"job_id"`
	Status string `json:"status"`
}

// PolicyRun answers POST /backup-policies/{id}/run: the jobs it submitted, one per matching VM.
type PolicyRun struct {
	JobIDs []string `json:"job_ids"`
}
