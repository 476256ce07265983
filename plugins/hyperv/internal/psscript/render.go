package psscript

import (
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

//go:embed scripts/*.ps1
var files embed.FS

// Script names, one per file under scripts/.
const (
	ListVMs          = "list_vms"
	CreateCheckpoint = "create_checkpoint"
	RemoveCheckpoint = "remove_checkpoint"
	StartExport      = "start_export"
	ExportStatus     = "export_status"
	RemoveExport     = "remove_export"
	StopVM           = "stop_vm"
	StartVM          = "start_vm"
	// StageChunk appends a piece of a long script to a file on the host and RunStaged runs it:
	// how a script longer than the command-line limit is sent (see winrmexec).
	StageChunk = "stage_chunk"
	RunStaged  = "run_staged"
)

// Exit codes a body uses besides 0 (success) and 1 (any other error).
const (
	ExitNotFound = 2
	ExitRefused  = 3
	// ExitBusy: not now, the host is still doing something (a job that will not stop yet).
	ExitBusy = 4
)

const (
	prologue = "$ErrorActionPreference = 'Stop'\n$ProgressPreference = 'SilentlyContinue'\n" +
		"$in = ConvertFrom-Json ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('%s')))\ntry {\n"
	epilogue = "\n} catch { [Console]::Error.WriteLine($_.Exception.Message); exit 1 }\n"
)

// Body returns the body of the named script.
func Body(name string) (string, error) {
	b, err := files.ReadFile("scripts/" + name + ".ps1")
	if err != nil {
		return "", fmt.Errorf("no PowerShell script %q: %w", name, err)
	}
	return strings.TrimRight(string(b), "\n"), nil
}

// Names lists every script, sorted.
func Names() []string {
	entries, err := files.ReadDir("scripts")
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".ps1"))
	}
	sort.Strings(names)
	return names
}

// Render returns the text of the named script with its parameters.
func Render(name string, params any) (string, error) {
	body, err := Body(name)
	if err != nil {
		return "", err
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return "", fmt.Errorf("encode the parameters of %s: %w", name, err)
	}
	return fmt.Sprintf(prologue, base64.StdEncoding.EncodeToString(raw)) + body + epilogue, nil
}

var renderedRE = regexp.MustCompile(`(?s)^` + regexp.QuoteMeta(strings.SplitN(prologue, "%s", 2)[0]) + `([A-Za-z0-9+/=]*)` +
	regexp.QuoteMeta(strings.SplitN(prologue, "%s", 2)[1]) + `(.*)` + regexp.QuoteMeta(epilogue) + `$`)

// Parse splits a rendered script into its body and its parameters (raw JSON): what the WinRM
// test server does with every script it is sent.
func Parse(script string) (body string, params []byte, err error) {
	m := renderedRE.FindStringSubmatch(script)
	if m == nil {
		return "", nil, fmt.Errorf("not a rendered script (no prologue or epilogue): %.200q", script)
	}
	params, err = base64.StdEncoding.DecodeString(m[1])
	if err != nil {
		return "", nil, fmt.Errorf("parameters of a rendered script: %w", err)
	}
	return m[2], params, nil
}

// Identify names the script whose body is body, or returns "".
func Identify(body string) string {
	for _, n := range Names() {
		if b, err := Body(n); err == nil && b == body {
			return n
		}
	}
	return ""
}
