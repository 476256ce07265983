package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// summaryCommand is GET /jobs/summary: a migration wave at a glance — jobs per status, the
// throughput now, failures of the last day with the newest ones' reasons, holds not released.
func summaryCommand(a *app) *cobra.Command {
	return &cobra.Command{Use: "summary", Short: "Jobs per status, throughput now, failures of the last day, unreleased holds", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ctx, cancel := a.ctx()
			defer cancel()
			v, err := a.client().call(ctx, "GET", "/jobs/summary", nil)
			if err != nil {
				return err
			}
			if a.output != "table" {
				return render(a.out, a.output, v, "", nil)
			}
			row := map[string]any{"by_status": lookup(v, "by_status"), "failed_last_day": lookup(v, "failed_last_day"),
				"unreleased_holds": lookup(v, "unreleased_holds"), "mb_s": fmt.Sprintf("%.1f", num(lookup(v, "throughput_bps"))/1e6)}
			if err := render(a.out, a.output, row, "", []column{
				{"PENDING", "by_status.pending"}, {"RUNNING", "by_status.running"}, {"COMPLETED", "by_status.completed"},
				{"FAILED", "by_status.failed"}, {"CANCELLED", "by_status.cancelled"}, {"MB/S", "mb_s"},
				{"FAILED_24H", "failed_last_day"}, {"UNRELEASED_HOLDS", "unreleased_holds"},
			}); err != nil {
				return err
			}
			failures := asList(lookup(v, "recent_failures"))
			if len(failures) == 0 {
				return nil
			}
			fmt.Fprintln(a.out, "\nnewest failures:")
			return render(a.out, a.output, failures, "", []column{{"JOB_ID", "job_id"}, {"VM", "vm_identifier"}, {"PROVIDER", "provider"}, {"FINISHED", "finished_at"}, {"ERROR", "error"}})
		}}
}
