package handoff

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Host is the hand-off's configuration on this host.
type Host struct {
	Path      string   // hyper2kvm.path
	WatchDir  string   // hyper2kvm.watch_dir
	OutputDir string   // hyper2kvm.output_dir
	Systemctl string   // "" when systemd is not here
	Instances []string // instances jobs default to (the providers' names)
}

// Status is the hand-off as /capabilities shows it.
type Status struct {
	Path      string           `json:"path"`
	Installed bool             `json:"installed"`
	Version   string           `json:"version,omitempty"`
	WatchDir  string           `json:"watch_dir"`
	OutputDir string           `json:"output_dir"`
	Instances []InstanceStatus `json:"instances"`
}

// InstanceStatus is one hyper2kvm@<instance> and its workflow directory.
type InstanceStatus struct {
	Instance    string `json:"instance"`
	Service     string `json:"service"`
	State       string `json:"state"` // systemctl is-active: active, inactive, failed…, or unknown
	WorkflowDir string `json:"workflow_dir"`
	Waiting     int    `json:"waiting"`    // manifests in to_be_processed/
	Processing  int    `json:"processing"` // manifests in processing/
}

// Status reports hyper2kvm's version and, for every instance jobs default to or that has a
// workflow directory under watch_dir, whether its service is active and what waits in it.
func (h Host) Status(ctx context.Context) Status {
	v := Version(ctx, h.Path)
	out := Status{Path: h.Path, Installed: isExecutable(h.Path), Version: v,
		WatchDir: h.WatchDir, OutputDir: h.OutputDir, Instances: []InstanceStatus{}}
	names := map[string]bool{}
	for _, n := range h.Instances {
		if CheckInstance(n) == nil {
			names[n] = true
		}
	}
	if entries, err := os.ReadDir(h.WatchDir); err == nil {
		for _, e := range entries {
			if e.IsDir() && instanceName.MatchString(e.Name()) && !strings.HasPrefix(e.Name(), ".") {
				names[e.Name()] = true
			}
		}
	}
	for n := range names {
		dir := filepath.Join(h.WatchDir, n)
		out.Instances = append(out.Instances, InstanceStatus{Instance: n, Service: Unit(n), WorkflowDir: dir,
			Waiting: countManifests(filepath.Join(dir, ToBeProcessed)), Processing: countManifests(filepath.Join(dir, Processing))})
	}
	sort.Slice(out.Instances, func(a, b int) bool { return out.Instances[a].Instance < out.Instances[b].Instance })
	var wg sync.WaitGroup
	for i := range out.Instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out.Instances[i].State = ServiceState(ctx, h.Systemctl, out.Instances[i].Instance)
		}()
	}
	wg.Wait()
	return out
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// countManifests counts the files hyper2kvm would take as manifests in dir.
func countManifests(dir string) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".json", ".yaml", ".yml":
			if e.Type().IsRegular() {
				n++
			}
		}
	}
	return n
}
