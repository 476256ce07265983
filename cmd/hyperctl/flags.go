package main

import (
	"fmt"
	"net/url"

	"github.com/spf13/cobra"
)

// checkFlags refuses global flag values no request could succeed with, as usage errors
// (exit 2) naming the flag, rather than letting them surface as an unreachable daemon (exit 3).
func (a *app) checkFlags(cmd *cobra.Command) error {
	switch a.output {
	case "table", "json", "yaml":
	default:
		return usageError{fmt.Errorf("--output must be table, json or yaml, got %q", a.output)}
	}
	if a.timeout <= 0 {
		return usageError{fmt.Errorf("--timeout must be a positive duration like 30s or 2m, got %s", a.timeout)}
	}
	u, err := url.Parse(a.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		from := ""
		if !cmd.Flags().Changed("server") && a.server != "" {
			from = " (from HYPERCTL_SERVER)"
		}
		return usageError{fmt.Errorf("--server must be an absolute http:// or https:// URL with a host, like http://127.0.0.1:8080, got %q%s", a.server, from)}
	}
	return nil
}
