package pluginhost

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// BinaryPrefix is the naming convention of plugins.d: hypersdk-provider-<name> serves <name>.
const BinaryPrefix = "hypersdk-provider-"

// discover maps provider names to the executable files in dir that follow the naming convention.
// A missing directory is no plugins, not an error: the daemon still serves its API.
func discover(dir string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("scan plugins directory %s: %w", dir, err)
	}
	found := map[string]string{}
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), BinaryPrefix)
		if !ok || name == "" || strings.ContainsAny(name, ". ") {
			continue
		}
		path, err := filepath.Abs(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		info, err := os.Stat(path)
		if err != nil || !info.Mode().IsRegular() || info.Mode()&0o111 == 0 {
			continue
		}
		found[name] = path
	}
	return found, nil
}
