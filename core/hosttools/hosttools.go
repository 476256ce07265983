// Package hosttools finds the external programs hypervisord drives (qemu-img, virsh/libvirt,
// hyper2kvm, systemctl) and reports their versions for /capabilities and for the pipeline
// stages that need them.
package hosttools

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"time"
)

// Tool is one external program as found on this host.
type Tool struct {
	Name    string `json:"name"`
	Found   bool   `json:"found"`
	Path    string `json:"path,omitempty"`
	Version string `json:"version,omitempty"`
	Error   string `json:"error,omitempty"`
}

// probe says how to find and ask one tool for its version.
type probe struct {
	name    string
	command string // a name looked up in PATH, or an absolute path
	args    []string
}

var versionPattern = regexp.MustCompile(`\b\d+(\.\d+)*\b`)

// Detector probes once and caches the answer; Refresh probes again.
type Detector struct {
	probes []probe
	mu     sync.Mutex
	tools  []Tool
}

// NewDetector returns a detector for the tools hypervisord uses; hyper2kvmPath is the configured
// hyper2kvm.path.
func NewDetector(hyper2kvmPath string) *Detector {
	return &Detector{probes: []probe{
		{"qemu-img", "qemu-img", []string{"--version"}},
		{"virsh", "virsh", []string{"--version"}},
		{"libvirtd", "libvirtd", []string{"--version"}},
		{"hyper2kvm", hyper2kvmPath, []string{"--version"}},
		{"systemctl", "systemctl", []string{"--version"}},
	}}
}

// Tools returns the cached result, probing on first use.
func (d *Detector) Tools(ctx context.Context) []Tool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tools == nil {
		d.tools = d.probeAll(ctx)
	}
	return append([]Tool(nil), d.tools...)
}

// Refresh probes every tool again, e.g. after setup installed one.
func (d *Detector) Refresh(ctx context.Context) []Tool {
	tools := d.probeAll(ctx)
	d.mu.Lock()
	d.tools = tools
	d.mu.Unlock()
	return append([]Tool(nil), tools...)
}

// Find returns the named tool as last probed.
func (d *Detector) Find(ctx context.Context, name string) (Tool, bool) {
	for _, t := range d.Tools(ctx) {
		if t.Name == name {
			return t, t.Found
		}
	}
	return Tool{Name: name}, false
}

func (d *Detector) probeAll(ctx context.Context) []Tool {
	tools := make([]Tool, len(d.probes))
	var wg sync.WaitGroup
	for i, p := range d.probes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tools[i] = p.run(ctx)
		}()
	}
	wg.Wait()
	return tools
}

func (p probe) run(ctx context.Context) Tool {
	t := Tool{Name: p.name}
	path, err := exec.LookPath(p.command)
	if err != nil {
		return t
	}
	if _, err := os.Stat(path); err != nil {
		return t
	}
	t.Found, t.Path = true, path
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, p.args...).CombinedOutput()
	if err != nil {
		t.Error = "version query failed: " + err.Error()
	}
	t.Version = parseVersion(out)
	return t
}

// parseVersion takes the first dotted number on the first line that has one.
func parseVersion(out []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if v := versionPattern.FindString(sc.Text()); v != "" {
			return v
		}
	}
	return ""
}
