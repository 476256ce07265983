package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

var (
	vmColumns  = []column{{"ID", "id"}, {"NAME", "name"}, {"POWER", "power_state"}, {"DC", "datacenter"}, {"CPUS", "cpus"}, {"MEM_MB", "memory_mb"}, {"TAGS", "tags"}}
	jobColumns = []column{{"JOB_ID", "job_id"}, {"STATUS", "status"}, {"STAGE", "stage"}, {"PCT", "percentage"}, {"VM", "spec.vm_identifier"}, {"PROVIDER", "spec.provider"}, {"CREATED", "created_at"}}
)

func vmsCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "vms", Short: "Discover VMs through a provider"}
	var provider, dc, status, folder, name string
	var tags []string
	list := &cobra.Command{Use: "list", Short: "List VMs", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error {
		body := map[string]any{"provider": provider, "filter": map[string]any{"datacenter": dc, "status": status, "folder": folder, "tags": tags, "name_pattern": name}}
		return a.show("POST", "/vms/list", body, "vms", vmColumns)
	}}
	list.Flags().StringVar(&provider, "provider", "", "provider name (required)")
	list.Flags().StringVar(&dc, "datacenter", "", "only this datacenter")
	list.Flags().StringVar(&status, "status", "", "poweredOn, poweredOff or suspended")
	list.Flags().StringVar(&folder, "folder", "", "only under this folder")
	list.Flags().StringSliceVar(&tags, "tag", nil, "only VMs with this tag (repeatable)")
	list.Flags().StringVar(&name, "name", "", "name glob, e.g. 'web-*'")
	list.MarkFlagRequired("provider")
	info := &cobra.Command{Use: "info ID", Short: "One VM's hardware", Args: cobra.ExactArgs(1), RunE: func(_ *cobra.Command, args []string) error {
		q := url.Values{"identifier": {args[0]}, "provider": {provider}}
		return a.show("GET", "/vms/info?"+q.Encode(), nil, "", nil)
	}}
	info.Flags().StringVar(&provider, "provider", "", "provider name (required)")
	info.MarkFlagRequired("provider")
	cmd.AddCommand(list, info)
	return cmd
}

// readSpec reads a JSON or YAML file (or - for stdin) into a generic value.
func readSpec(path string) (any, error) {
	var raw []byte
	var err error
	if path == "-" {
		raw, err = readAll(os.Stdin)
	} else {
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, usageError{fmt.Errorf("--file: %w", err)}
	}
	var v any
	if err := yaml.Unmarshal(raw, &v); err != nil { // YAML is a superset of JSON
		return nil, usageError{fmt.Errorf("--file %s: %v", filepath.Base(path), err)}
	}
	return v, nil
}

func convertCommand(a *app) *cobra.Command {
	var source, output, format string
	var compress bool
	cmd := &cobra.Command{Use: "convert", Short: "Convert an export to qcow2 or raw (a job)", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error {
		body := map[string]any{"source_path": source, "output_path": output, "conversion_options": map[string]any{"format": format, "compression": compress}}
		return a.show("POST", "/convert", body, "", []column{{"JOB_ID", "job_id"}, {"STATUS", "status"}})
	}}
	cmd.Flags().StringVar(&source, "source", "", ".ova, .ovf or disk image under export.base_path (required)")
	// Not --output: that is the global -o/--output (table, json, yaml), which it would hide.
	cmd.Flags().StringVar(&output, "output-path", "", "folder under hyper2kvm.output_dir (the API's output_path)")
	cmd.Flags().StringVar(&format, "format", "", "qcow2 or raw (default hyper2kvm.default_format)")
	cmd.Flags().BoolVar(&compress, "compress", false, "compressed qcow2 clusters")
	cmd.MarkFlagRequired("source")
	return cmd
}

func importCommand(a *app) *cobra.Command {
	var name, disk, network string
	var memory int64
	var vcpus int32
	var autostart bool
	cmd := &cobra.Command{Use: "import", Short: "Define a VM in libvirt around a converted disk", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error {
		body := map[string]any{"vm_name": name, "disk_path": disk, "memory_mb": memory, "vcpus": vcpus, "network": network, "autostart": autostart}
		return a.show("POST", "/import-to-kvm", body, "", []column{{"NAME", "name"}, {"UUID", "uuid"}, {"AUTOSTART", "autostart"}})
	}}
	cmd.Flags().StringVar(&name, "name", "", "domain name (required)")
	cmd.Flags().StringVar(&disk, "disk", "", "qcow2 or raw disk (required)")
	cmd.Flags().StringVar(&network, "network", "", "libvirt network")
	cmd.Flags().Int64Var(&memory, "memory", 0, "memory in MiB")
	cmd.Flags().Int32Var(&vcpus, "vcpus", 0, "virtual CPUs")
	cmd.Flags().BoolVar(&autostart, "autostart", false, "start with the host")
	cmd.MarkFlagRequired("name")
	cmd.MarkFlagRequired("disk")
	return cmd
}

// crud builds list/get/create/delete (and extra action) commands for a collection.
// action is a POST /<base>/{id}/<name> command and the columns of its answer (nil: the
// answer is the object itself, shown with the list's columns).
type action struct {
	name string
	cols []column
}

func crud(a *app, use, short, base, listKey, createPath string, cols []column, actions ...action) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short}
	cmd.AddCommand(
		&cobra.Command{Use: "list", Short: "List " + use, Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error {
			return a.show("GET", base, nil, listKey, cols)
		}},
		&cobra.Command{Use: "get ID", Short: "Show one", Args: cobra.ExactArgs(1), RunE: func(_ *cobra.Command, args []string) error {
			return a.show("GET", base+"/"+url.PathEscape(args[0]), nil, "", nil)
		}},
		&cobra.Command{Use: "delete ID", Short: "Delete one", Args: cobra.ExactArgs(1), RunE: func(_ *cobra.Command, args []string) error {
			return a.show("DELETE", base+"/"+url.PathEscape(args[0]), nil, "", nil)
		}},
	)
	if createPath != "" {
		var file string
		create := &cobra.Command{Use: "create -f FILE", Short: "Create from a JSON or YAML file (the API's body)", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error {
			body, err := readSpec(file)
			if err != nil {
				return err
			}
			return a.show("POST", createPath, body, "", cols)
		}}
		create.Flags().StringVarP(&file, "file", "f", "", "JSON or YAML file, - for stdin (required)")
		create.MarkFlagRequired("file")
		cmd.AddCommand(create)
	}
	for _, act := range actions {
		answer := act.cols
		if answer == nil {
			answer = cols
		}
		cmd.AddCommand(&cobra.Command{Use: act.name + " ID", Short: strings.ToUpper(act.name[:1]) + act.name[1:] + " one", Args: cobra.ExactArgs(1), RunE: func(_ *cobra.Command, args []string) error {
			return a.show("POST", base+"/"+url.PathEscape(args[0])+"/"+act.name, nil, "", answer)
		}})
	}
	return cmd
}

func schedulesCommand(a *app) *cobra.Command {
	return crud(a, "schedules", "Cron schedules of export jobs", "/schedules", "schedules", "/schedules/create",
		[]column{{"ID", "id"}, {"NAME", "name"}, {"CRON", "cron"}, {"PAUSED", "paused"}, {"NEXT_RUN", "next_run"}, {"LAST_JOB", "last_job_id"}},
		action{"run", []column{{"JOB_ID", "job_id"}, {"STATUS", "status"}}}, action{"pause", nil}, action{"resume", nil})
}

func policiesCommand(a *app) *cobra.Command {
	return crud(a, "policies", "Backup policies with retention", "/backup-policies", "backup_policies", "/backup-policies/create",
		[]column{{"ID", "id"}, {"NAME", "name"}, {"PROVIDER", "provider"}, {"SCHEDULE", "schedule"}, {"KEEP", "retention.count"}, {"NEXT_RUN", "next_run"}},
		action{"run", []column{{"JOB_IDS", "job_ids"}}})
}

// webhookColumns are a hook and how the latest delivery attempt to it since the daemon started
// went (all "-" before one was made).
var webhookColumns = []column{{"ID", "id"}, {"URL", "url"}, {"EVENTS", "events"}, {"SOURCE", "source"},
	{"LAST_EVENT", "last_delivery.event"}, {"LAST_AT", "last_delivery.at"}, {"DELIVERED", "last_delivery.ok"}, {"LAST_ERROR", "last_delivery.error"}}

func webhooksCommand(a *app) *cobra.Command {
	cmd := crud(a, "webhooks", "Webhook endpoints", "/webhooks", "webhooks", "", webhookColumns)
	var target, secret string
	var events, headers []string
	add := &cobra.Command{Use: "add", Short: "Register a webhook", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error {
		h := map[string]string{}
		for _, kv := range headers {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return usageError{fmt.Errorf("--header %q must be Name=value", kv)}
			}
			h[k] = v
		}
		body := map[string]any{"url": target, "events": events, "headers": h, "secret": secret}
		return a.show("POST", "/webhooks/configure", body, "", []column{{"ID", "id"}, {"URL", "url"}, {"SECRET", "secret"}})
	}}
	add.Flags().StringVar(&target, "url", "", "endpoint URL (required)")
	add.Flags().StringSliceVar(&events, "event", nil, "event to send, e.g. job.failed (repeatable)")
	add.Flags().StringArrayVar(&headers, "header", nil, "extra header Name=value (repeatable)")
	add.Flags().StringVar(&secret, "secret", "", "signing secret (default: generated and shown once)")
	add.MarkFlagRequired("url")
	cmd.AddCommand(add)
	return cmd
}
