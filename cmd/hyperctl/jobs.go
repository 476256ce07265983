package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/spf13/cobra"
)

// jobFailed is a watched job that ended other than completed (exit 1).
type jobFailed struct{ status, reason string }

func (j jobFailed) Error() string { return "job " + j.status + ": " + j.reason }

func jobsCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "jobs", Short: "Submit, follow, cancel, retry, summarize and prune jobs"}
	var file, vm, provider, method, path, instance string
	var shutdown, removeCD, compress, h2k, autoConvert, daemonMode, keepExport, watch bool
	submit := &cobra.Command{Use: "submit", Short: "Submit an export job (flags, or -f with the API's body; a list submits a batch)", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			var body any
			if file != "" {
				var err error
				if body, err = readSpec(file); err != nil {
					return err
				}
			} else {
				if vm == "" || provider == "" {
					return usageError{fmt.Errorf("give --vm and --provider, or -f FILE")}
				}
				body = map[string]any{"vm_identifier": vm, "provider": provider, "export_method": method, "export_path": path,
					"options":               map[string]any{"shutdown_vm": shutdown, "remove_cdrom": removeCD, "compress": compress},
					"hyper2kvm_integration": map[string]any{"enabled": h2k, "auto_convert": autoConvert, "daemon_mode": daemonMode, "instance": instance, "keep_export": keepExport}}
			}
			return a.submitted("POST", "/jobs/submit", body, watch)
		}}
	fl := submit.Flags()
	fl.StringVarP(&file, "file", "f", "", "JSON or YAML body (or a list of them), - for stdin")
	fl.StringVar(&vm, "vm", "", "vm_identifier")
	fl.StringVar(&provider, "provider", "", "provider name")
	fl.StringVar(&method, "method", "ova", "ova, ovf, vmdk, raw or qcow2")
	fl.StringVar(&path, "path", "", "export_path under export.base_path")
	fl.BoolVar(&shutdown, "shutdown-vm", false, "shut the guest down first")
	fl.BoolVar(&removeCD, "remove-cdrom", false, "drop CD-ROM drives from the export")
	fl.BoolVar(&compress, "compress", false, "options.compress")
	fl.BoolVar(&h2k, "hyper2kvm", false, "hyper2kvm_integration.enabled")
	fl.BoolVar(&autoConvert, "auto-convert", false, "hyper2kvm_integration.auto_convert")
	fl.BoolVar(&daemonMode, "daemon-mode", false, "hyper2kvm_integration.daemon_mode")
	fl.StringVar(&instance, "instance", "", "hyper2kvm_integration.instance")
	fl.BoolVar(&keepExport, "keep-export", true, "hyper2kvm_integration.keep_export: false keeps only the converted disks")
	fl.BoolVarP(&watch, "watch", "w", false, "follow the job until it ends")

	var status, byProvider string
	var limit int
	list := &cobra.Command{Use: "list", Short: "List jobs, newest first", Args: cobra.NoArgs, RunE: func(c *cobra.Command, _ []string) error {
		q := url.Values{"limit": {fmt.Sprint(limit)}}
		if status != "" {
			q.Set("status", status)
		}
		if c.Flags().Changed("provider") {
			if byProvider == "" {
				return usageError{fmt.Errorf("--provider must name a provider instance (hyperctl capabilities lists them)")}
			}
			q.Set("provider", byProvider)
		}
		return a.show("GET", "/jobs?"+q.Encode(), nil, "jobs", jobColumns)
	}}
	list.Flags().StringVar(&status, "status", "", "pending, running, completed, failed or cancelled")
	list.Flags().IntVar(&limit, "limit", 50, "at most this many")
	list.Flags().StringVar(&byProvider, "provider", "", "only this provider instance's jobs")

	var follow bool
	logs := &cobra.Command{Use: "logs ID", Short: "A job's log (-f follows it until the job ends)", Args: cobra.ExactArgs(1), RunE: func(_ *cobra.Command, args []string) error {
		return a.logs(args[0], follow)
	}}
	logs.Flags().BoolVarP(&follow, "follow", "f", false, "stream new lines until the job ends")

	var olderThan time.Duration
	prune := &cobra.Command{Use: "prune", Short: "Delete jobs that ended long ago, with their logs (admin; default age: the daemon's database.job_retention)", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			body := map[string]any{}
			if c.Flags().Changed("older-than") {
				if olderThan < 0 {
					return usageError{fmt.Errorf("--older-than must not be negative")}
				}
				body["older_than"] = olderThan.String()
			}
			return a.show("POST", "/jobs/prune", body, "", []column{{"REMOVED", "removed"}, {"OLDER_THAN", "older_than"}})
		}}
	prune.Flags().DurationVar(&olderThan, "older-than", 0, "delete the jobs that ended more than this long ago (\"720h\"; 0 deletes every ended job)")

	cmd.AddCommand(submit, list, prune, summaryCommand(a), retryCommand(a),
		&cobra.Command{Use: "query ID", Short: "A job's status, stage, the platform's operation it waits on, failures and result", Args: cobra.ExactArgs(1), RunE: func(_ *cobra.Command, args []string) error {
			return a.show("GET", "/jobs/query?job_id="+url.QueryEscape(args[0]), nil, "", queryColumns)
		}},
		&cobra.Command{Use: "steps ID", Short: "A job's plan: each step, its state, times, bytes and error", Args: cobra.ExactArgs(1), RunE: func(_ *cobra.Command, args []string) error {
			return a.show("GET", "/jobs/query?job_id="+url.QueryEscape(args[0]), nil, "steps",
				[]column{{"STEP", "name"}, {"STATE", "state"}, {"STARTED", "started_at"}, {"FINISHED", "finished_at"}, {"BYTES", "bytes"}, {"ERROR", "error"}})
		}},
		&cobra.Command{Use: "cancel ID", Short: "Cancel a job", Args: cobra.ExactArgs(1), RunE: func(_ *cobra.Command, args []string) error {
			return a.show("POST", "/jobs/cancel/"+url.PathEscape(args[0]), nil, "", jobColumns)
		}},
		&cobra.Command{Use: "watch ID", Short: "Live progress per disk with throughput and ETA until the job ends", Args: cobra.ExactArgs(1), RunE: func(_ *cobra.Command, args []string) error {
			return a.watch(args[0])
		}},
		logs,
	)
	return cmd
}

// submitted sends a request that answers as /jobs/submit does (one job, or {"jobs":[…]} for a
// batch), shows the accepted jobs and, with watch, follows the one job until it ends.
func (a *app) submitted(method, path string, body any, watch bool) error {
	ctx, cancel := a.ctx()
	defer cancel()
	v, err := a.client().call(ctx, method, path, body)
	if err != nil {
		return err
	}
	if err := render(a.out, a.output, v, "jobs", []column{{"JOB_ID", "job_id"}, {"STATUS", "status"}, {"CREATED", "created_at"}}); err != nil {
		return err
	}
	if id, _ := lookup(v, "job_id").(string); watch && id != "" {
		return a.watch(id)
	}
	return nil
}

func (a *app) logs(id string, follow bool) error {
	path := "/jobs/logs/" + url.PathEscape(id)
	if follow {
		path += "?follow=1"
	}
	req, err := http.NewRequest("GET", strings.TrimRight(a.server, "/")+path, nil)
	if err != nil {
		return err
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := (&http.Client{}).Do(req) // no timeout: a followed log lasts as long as the job
	if err != nil {
		return fmt.Errorf("%w at %s: %v", errUnreachable, a.server, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		_, err := a.client().do(context.Background(), "GET", "/jobs/logs/"+url.PathEscape(id), nil)
		return err
	}
	_, err = io.Copy(a.out, resp.Body)
	return err
}

// watch follows the job over the WebSocket (?job_id=): every event for it redraws one line per
// disk with throughput and ETA from /jobs/progress, until the job ends. If the WebSocket cannot
// be opened it falls back to polling every half second. It returns jobFailed (exit 1) unless
// the job completed.
func (a *app) watch(id string) error {
	events := a.subscribe(id)
	c := a.client()
	for {
		ctx, cancel := a.ctx()
		v, err := c.call(ctx, "GET", "/jobs/progress/"+url.PathEscape(id), nil)
		cancel()
		if err != nil {
			return err
		}
		status, _ := lookup(v, "status").(string)
		fmt.Fprintln(a.out, progressLine(v))
		for _, d := range asList(lookup(v, "disks")) {
			fmt.Fprintln(a.out, "  "+bar(d))
		}
		switch status {
		case "completed":
			return nil
		case "failed", "cancelled":
			ctx, cancel := a.ctx()
			j, _ := c.call(ctx, "GET", "/jobs/query?job_id="+url.QueryEscape(id), nil)
			cancel()
			reason, _ := lookup(j, "error").(string)
			return jobFailed{status: status, reason: reason}
		}
		select {
		case _, ok := <-events:
			if !ok {
				events = nil // the stream ended: poll from now on
			}
		case <-time.After(pollEvery(events)):
		}
	}
}

// pollEvery is how long watch waits between refreshes: a safety net while events arrive,
// the refresh rate when there is no event stream.
func pollEvery(events <-chan struct{}) time.Duration {
	if events == nil {
		return 500 * time.Millisecond
	}
	return 5 * time.Second
}

// subscribe opens the WebSocket for one job and signals each event; nil when it cannot.
func (a *app) subscribe(id string) <-chan struct{} {
	u, err := url.Parse(strings.TrimRight(a.server, "/") + "/websocket")
	if err != nil {
		return nil
	}
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	q := url.Values{"job_id": {id}}
	if a.token != "" {
		q.Set("access_token", a.token)
	}
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, u.String(), nil)
	if err != nil {
		return nil
	}
	ch := make(chan struct{}, 1)
	go func() {
		defer close(ch)
		defer conn.CloseNow()
		for {
			if _, _, err := conn.Read(context.Background()); err != nil {
				return
			}
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}()
	return ch
}

func progressLine(v any) string {
	s := fmt.Sprintf("%s %s %s %5.1f%%", cell(lookup(v, "job_id")), cell(lookup(v, "status")), cell(lookup(v, "stage")), num(lookup(v, "percentage")))
	if t := num(lookup(v, "throughput_bps")); t > 0 {
		s += fmt.Sprintf("  %.1f MB/s", t/1e6)
	}
	if eta, ok := lookup(v, "eta_seconds").(float64); ok {
		s += "  ETA " + (time.Duration(eta) * time.Second).String()
	}
	if op := operationText(v); op != "" {
		s += "  " + op
	}
	return s
}

// queryColumns are a job's columns and the platform's operation it waits on (a snapshot, a
// cloud export task), which a job reports until its bytes flow.
var queryColumns = append(jobColumns[:len(jobColumns):len(jobColumns)],
	column{"OPERATION", "progress.operation"}, column{"OP_PCT", "progress.operation_percent"})

// operationText is a progress's platform operation, "create snapshot of vm-1 (snap-1) 50%", or
// "" when there is none.
func operationText(p any) string {
	op, _ := lookup(p, "operation").(string)
	id, _ := lookup(p, "operation_id").(string)
	switch {
	case op == "" && id == "":
		return ""
	case op == "":
		op = id
	case id != "":
		op += " (" + id + ")"
	}
	if pct, ok := lookup(p, "operation_percent").(float64); ok {
		op += fmt.Sprintf(" %.0f%%", pct)
	}
	return op
}

func bar(d any) string {
	done, total := num(lookup(d, "bytes_done")), num(lookup(d, "bytes_total"))
	frac := 0.0
	if total > 0 {
		frac = min(done/total, 1)
	}
	n := int(frac * 30)
	return fmt.Sprintf("%-28s [%s%s] %5.1f%%", cell(lookup(d, "name")), strings.Repeat("#", n), strings.Repeat(".", 30-n), frac*100)
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(bufio.NewReader(r)) }

// isCobraUsage recognises cobra's own argument and flag errors (exit 2).
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "required flag", "accepts ", "requires at least", "invalid argument", "flag needs an argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
