package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// whoamiCommand is GET /auth/whoami: the token's name and role, and the routes beyond a
// viewer's that role may call, so a script can check before it asks (and gets a 403).
func whoamiCommand(a *app) *cobra.Command {
	return &cobra.Command{Use: "whoami", Short: "Who the token is: name, role, and the routes beyond a viewer's it may call", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ctx, cancel := a.ctx()
			defer cancel()
			v, err := a.client().call(ctx, "GET", "/auth/whoami", nil)
			if err != nil {
				return err
			}
			if a.output != "table" {
				return render(a.out, a.output, v, "", nil)
			}
			if err := render(a.out, a.output, v, "", []column{{"NAME", "name"}, {"ROLE", "role"}, {"AUTH_ENABLED", "auth_enabled"}}); err != nil {
				return err
			}
			routes := []any{}
			for _, r := range asList(lookup(v, "allowed")) {
				routes = append(routes, map[string]any{"route": r})
			}
			if len(routes) == 0 {
				fmt.Fprintln(a.out, "\nmay call: what a viewer may (reads)")
				return nil
			}
			fmt.Fprintln(a.out)
			return render(a.out, a.output, routes, "", []column{{"MAY_ALSO_CALL", "route"}})
		}}
}
