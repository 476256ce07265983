package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// options are the flags the stand-in knows: the ones hypervisord may pass and their neighbours in
// hyper2kvm's parser (so that an abbreviation is as ambiguous here as there). Anything else is an
// unrecognized argument, as in argparse.
type option struct {
	long, short string
	kind        int // flag, value or count
	meta        string
	choices     []string
	isInt       bool
}

const (
	kindFlag = iota
	kindValue
	kindCount
)

var options = []option{
	{long: "--help", short: "-h", kind: kindFlag},
	{long: "--config", kind: kindValue, meta: "CONFIG"},
	{long: "--manifest", kind: kindValue, meta: "MANIFEST"},
	{long: "--dump-config", kind: kindFlag},
	{long: "--dump-args", kind: kindFlag},
	{long: "--version", kind: kindFlag},
	{long: "--verbose", short: "-v", kind: kindCount},
	{long: "--log-file", kind: kindValue, meta: "LOG_FILE"},
	{long: "--debug", kind: kindFlag},
	{long: "--cmd", kind: kindValue, meta: "CMD"},
	{long: "--output-dir", kind: kindValue, meta: "OUTPUT_DIR"},
	{long: "--dry-run", kind: kindFlag},
	{long: "--workdir", kind: kindValue, meta: "WORKDIR"},
	{long: "--flatten", kind: kindFlag},
	{long: "--flatten-format", kind: kindValue, meta: "{qcow2,raw}", choices: []string{"qcow2", "raw"}},
	{long: "--to-output", kind: kindValue, meta: "TO_OUTPUT"},
	{long: "--out-format", kind: kindValue, meta: "{qcow2,raw,vdi}", choices: []string{"qcow2", "raw", "vdi"}},
	{long: "--compress", kind: kindFlag},
	{long: "--checksum", kind: kindFlag},
	{long: "--vmdk", kind: kindValue, meta: "VMDK"},
	{long: "--ova", kind: kindValue, meta: "OVA"},
	{long: "--ovf", kind: kindValue, meta: "OVF"},
	{long: "--daemon", kind: kindFlag},
	{long: "--watch-dir", kind: kindValue, meta: "WATCH_DIR"},
	{long: "--workflow-mode", kind: kindFlag},
	{long: "--workflow-dir", kind: kindValue, meta: "WORKFLOW_DIR"},
	{long: "--manifest-workflow-mode", kind: kindFlag},
	{long: "--manifest-workflow-dir", kind: kindValue, meta: "MANIFEST_WORKFLOW_DIR"},
	{long: "--max-concurrent-jobs", kind: kindValue, meta: "MAX_CONCURRENT_JOBS", isInt: true},
}

// args is the parsed command line, config defaults applied.
type args struct {
	cmd, vmdk, ova, ovf, outputDir, workdir, toOutput, outFormat, flattenFormat string
	flatten, compress, manifestWorkflowMode                                     bool
	manifestWorkflowDir                                                         string
	maxConcurrentJobs, verbose                                                  int
	set                                                                         map[string]bool // flags given on the command line
}

// usage is argparse's usage line, wrapped as it wraps it.
func usage() string {
	parts := []string{"[-h]"}
	for _, o := range options[1:] {
		name := o.long
		if o.short != "" {
			name = o.short
		}
		switch o.kind {
		case kindValue:
			parts = append(parts, "["+name+" "+o.meta+"]")
		default:
			parts = append(parts, "["+name+"]")
		}
	}
	const indent = "                 " // len("usage: hyper2kvm ")
	var b strings.Builder
	line := "usage: hyper2kvm"
	for _, p := range parts {
		if len(line)+1+len(p) > 79 {
			b.WriteString(line + "\n")
			line = indent[:len(indent)-1]
		}
		line += " " + p
	}
	b.WriteString(line + "\n")
	return b.String()
}

// parseArgs parses argv like argparse.parse_args. A non-nil error with code 0 is text to print on
// stdout before exiting successfully (--help, --version); code 2 is a usage error.
func parseArgs(argv []string) (*args, int, error) {
	vals := map[string]string{}
	counts := map[string]int{}
	var configs, extras []string
	if len(argv) > 0 && argv[0] == "daemon" { // the documented spelling, see main.go
		vals["--cmd"] = "daemon"
		argv = argv[1:]
	}
	for i := 0; i < len(argv); i++ {
		tok := argv[i]
		if tok == "--" {
			extras = append(extras, argv[i+1:]...)
			break
		}
		if !strings.HasPrefix(tok, "-") || tok == "-" || isNegativeNumber(tok) {
			extras = append(extras, tok)
			continue
		}
		if !strings.HasPrefix(tok, "--") && len(tok) > 2 && strings.Trim(tok[1:], "v") == "" { // -vv
			counts["--verbose"] += len(tok) - 1
			continue
		}
		name, inline, hasInline := tok, "", false
		if eq := strings.IndexByte(tok, '='); eq > 0 && strings.HasPrefix(tok, "--") {
			name, inline, hasInline = tok[:eq], tok[eq+1:], true
		}
		o, err := lookup(name)
		if err != nil {
			return nil, 2, err
		}
		if o == nil {
			extras = append(extras, tok)
			continue
		}
		display := o.long
		if o.short != "" {
			display = o.short + "/" + o.long
		}
		switch o.kind {
		case kindFlag, kindCount:
			if hasInline {
				return nil, 2, fmt.Errorf("argument %s: ignored explicit argument %s", display, reprStr(inline))
			}
			if o.long == "--help" {
				return nil, 0, errors.New(usage() + "\nhyper2kvm: Ultimate VMware → KVM/QEMU Converter + Fixer (stand-in for tests)\n")
			}
			if o.long == "--version" {
				return nil, 0, errors.New(version + "\n")
			}
			counts[o.long]++
		case kindValue:
			v := inline
			if !hasInline {
				if i+1 >= len(argv) || (strings.HasPrefix(argv[i+1], "-") && argv[i+1] != "-" && !isNegativeNumber(argv[i+1])) {
					return nil, 2, fmt.Errorf("argument %s: expected one argument", display)
				}
				i++
				v = argv[i]
			}
			if o.choices != nil && !oneOf(v, o.choices) {
				q := make([]string, len(o.choices))
				for k, c := range o.choices {
					q[k] = reprStr(c)
				}
				return nil, 2, fmt.Errorf("argument %s: invalid choice: %s (choose from %s)", display, reprStr(v), strings.Join(q, ", "))
			}
			if o.isInt {
				if _, err := strconv.Atoi(v); err != nil {
					return nil, 2, fmt.Errorf("argument %s: invalid int value: %s", display, reprStr(v))
				}
			}
			if o.long == "--config" {
				configs = append(configs, v)
			}
			vals[o.long] = v
		}
	}
	if len(extras) > 0 {
		return nil, 2, fmt.Errorf("unrecognized arguments: %s", strings.Join(extras, " "))
	}
	a := &args{outputDir: "./out", outFormat: "qcow2", flattenFormat: "qcow2", maxConcurrentJobs: 3, set: map[string]bool{}}
	for _, c := range configs {
		if err := a.applyConfig(c); err != nil {
			return nil, 2, err
		}
	}
	for k := range vals {
		a.set[k] = true
	}
	for k := range counts {
		a.set[k] = true
	}
	str := func(flag string, dst *string) {
		if v, ok := vals[flag]; ok {
			*dst = v
		}
	}
	str("--cmd", &a.cmd)
	str("--vmdk", &a.vmdk)
	str("--ova", &a.ova)
	str("--ovf", &a.ovf)
	str("--output-dir", &a.outputDir)
	str("--workdir", &a.workdir)
	str("--to-output", &a.toOutput)
	str("--out-format", &a.outFormat)
	str("--flatten-format", &a.flattenFormat)
	str("--manifest-workflow-dir", &a.manifestWorkflowDir)
	if v, ok := vals["--max-concurrent-jobs"]; ok {
		a.maxConcurrentJobs, _ = strconv.Atoi(v)
	}
	a.flatten = a.flatten || counts["--flatten"] > 0
	a.compress = a.compress || counts["--compress"] > 0
	a.manifestWorkflowMode = a.manifestWorkflowMode || counts["--manifest-workflow-mode"] > 0
	a.verbose += counts["--verbose"]
	if counts["--daemon"] > 0 && a.cmd == "" {
		a.cmd = "daemon"
	}
	if a.cmd == "" {
		return nil, 2, errors.New("no operation given: pass --cmd (or cmd: in a --config file)")
	}
	return a, 0, nil
}

// lookup finds an option by its exact name or, for a long one, a unique prefix (argparse's
// allow_abbrev). nil means unknown.
func lookup(name string) (*option, error) {
	for i := range options {
		if options[i].long == name || options[i].short == name {
			return &options[i], nil
		}
	}
	if !strings.HasPrefix(name, "--") {
		return nil, nil
	}
	var hits []string
	var hit *option
	for i := range options {
		if strings.HasPrefix(options[i].long, name) {
			hits = append(hits, options[i].long)
			hit = &options[i]
		}
	}
	switch len(hits) {
	case 0:
		return nil, nil
	case 1:
		return hit, nil
	}
	sort.Strings(hits)
	return nil, fmt.Errorf("ambiguous option: %s could match %s", name, strings.Join(hits, ", "))
}

// applyConfig reads a --config YAML file whose keys become defaults under the flags.
func (a *args) applyConfig(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	var conf map[string]any
	if err := yaml.Unmarshal(data, &conf); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	s := func(key string, dst *string) {
		if v, ok := conf[key].(string); ok {
			*dst = v
		}
	}
	b := func(key string, dst *bool) {
		if v, ok := conf[key].(bool); ok {
			*dst = v
		}
	}
	s("cmd", &a.cmd)
	s("vmdk", &a.vmdk)
	s("ova", &a.ova)
	s("ovf", &a.ovf)
	s("output_dir", &a.outputDir)
	s("workdir", &a.workdir)
	s("to_output", &a.toOutput)
	s("out_format", &a.outFormat)
	s("manifest_workflow_dir", &a.manifestWorkflowDir)
	b("flatten", &a.flatten)
	b("compress", &a.compress)
	b("manifest_workflow_mode", &a.manifestWorkflowMode)
	if n, ok := conf["max_concurrent_jobs"].(int); ok {
		a.maxConcurrentJobs = n
	}
	if n, ok := conf["verbose"].(int); ok {
		a.verbose = n
	}
	return nil
}

func oneOf(v string, list []string) bool {
	for _, c := range list {
		if v == c {
			return true
		}
	}
	return false
}

func isNegativeNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil && strings.HasPrefix(s, "-")
}

// reprStr quotes a string as Python's repr does (enough for flag values).
func reprStr(s string) string {
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}
