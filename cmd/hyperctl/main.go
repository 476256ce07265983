// Command hyperctl is the command line for hypervisord: everything the REST API does, as
// commands with table, JSON or YAML output, exit codes scripts can rely on (0 ok, 1 refused or
// job failed, 2 usage, 3 daemon unreachable) and errors from the API as one clear line.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
)

// app is the state every command shares.
type app struct {
	server, token, output string
	timeout               time.Duration
	out                   io.Writer
}

func (a *app) client() *client { return newClient(a.server, a.token, a.timeout) }

func (a *app) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), a.timeout)
}

// show calls the API and renders the answer.
func (a *app) show(method, path string, body any, listKey string, cols []column) error {
	ctx, cancel := a.ctx()
	defer cancel()
	v, err := a.client().call(ctx, method, path, body)
	if err != nil {
		return err
	}
	if v == nil {
		fmt.Fprintln(a.out, "ok")
		return nil
	}
	return render(a.out, a.output, v, listKey, cols)
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func newRoot(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "hyperctl",
		Short: "Command line for hypervisord, the HyperSDK VM migration daemon",
		Long: `hyperctl drives hypervisord's REST API.

Server and token come from --server/--token or HYPERCTL_SERVER/HYPERCTL_TOKEN.
Exit codes: 0 ok, 1 the API refused or a watched job failed, 2 usage error, 3 daemon unreachable.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.checkFlags(cmd)
		},
	}
	f := root.PersistentFlags()
	f.StringVar(&a.server, "server", env("HYPERCTL_SERVER", "http://127.0.0.1:8080"), "hypervisord URL (HYPERCTL_SERVER)")
	f.StringVar(&a.token, "token", env("HYPERCTL_TOKEN", ""), "bearer token (HYPERCTL_TOKEN)")
	f.StringVarP(&a.output, "output", "o", env("HYPERCTL_OUTPUT", "table"), "table, json or yaml (HYPERCTL_OUTPUT)")
	f.DurationVar(&a.timeout, "timeout", 60*time.Second, "how long to wait for an answer")
	root.AddCommand(
		&cobra.Command{Use: "health", Short: "Is the daemon up?", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error {
			return a.show("GET", "/health", nil, "", []column{{"STATUS", "status"}, {"VERSION", "version"}, {"UPTIME_S", "uptime_seconds"}})
		}},
		&cobra.Command{Use: "capabilities", Short: "Providers, export methods and host tools", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error {
			return a.show("GET", "/capabilities", nil, "providers", []column{{"PROVIDER", "name"}, {"STATE", "state"}, {"VERSION", "version"}, {"RESTARTS", "restarts"}, {"LAST_ERROR", "last_error"}})
		}},
		&cobra.Command{Use: "nodes", Short: "The cluster's live nodes and the jobs each runs (database.backend etcd)", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error {
			return a.show("GET", "/cluster/nodes", nil, "nodes", []column{{"NODE", "id"}, {"ADDRESS", "address"}, {"RUNNING", "running"}, {"STARTED", "started_at"}})
		}},
		whoamiCommand(a), vmsCommand(a), jobsCommand(a), convertCommand(a), importCommand(a),
		schedulesCommand(a), policiesCommand(a), webhooksCommand(a),
	)
	return root
}

// usageError marks mistakes in how hyperctl was called (exit 2).
type usageError struct{ error }

func run(args []string, stdout, stderr io.Writer) int {
	a := &app{out: stdout}
	root := newRoot(a)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, "hyperctl:", err)
	var ue usageError
	var ae *apiError
	var jf jobFailed
	switch {
	case errors.As(err, &ue), isCobraUsage(err):
		return exitUsage
	case errors.Is(err, errUnreachable):
		return exitUnreachable
	case errors.As(err, &ae), errors.As(err, &jf):
		return exitFailed
	}
	return exitFailed
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
