package main

import (
	"net/url"

	"github.com/spf13/cobra"
)

// retryCommand is POST /jobs/retry/{id}: a failed or cancelled job submitted again as a new
// job (the old one stays as it ended); -w follows the new one.
func retryCommand(a *app) *cobra.Command {
	var watch bool
	cmd := &cobra.Command{Use: "retry ID", Short: "Submit a failed or cancelled job again, as a new job (operator)", Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			return a.submitted("POST", "/jobs/retry/"+url.PathEscape(args[0]), nil, watch)
		}}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "follow the new job until it ends")
	return cmd
}
