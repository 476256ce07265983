package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hypersdk/hypersdk/core/config"
	"github.com/hypersdk/hypersdk/core/store"
)

// nodesDir, under export.base_path, holds one file per cluster node that has used the folder.
const nodesDir = ".hypersdk-nodes"

// checkSharedExports makes sure, in a cluster, that export.base_path is the folder every live
// node uses (one shared file system): a job taken over by another node resumes in its export
// directory. Each node leaves a file named after itself in <base_path>/.hypersdk-nodes and
// looks there for the files of the nodes alive now; one missing means this node's base_path is
// not theirs, a configuration error naming the key.
func checkSharedExports(ctx context.Context, cluster store.Claimer, basePath string) error {
	if cluster == nil {
		return nil
	}
	dir := filepath.Join(basePath, nodesDir)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("export.base_path: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, cluster.NodeID()), []byte(cluster.NodeID()+"\n"), 0o640); err != nil {
		return fmt.Errorf("export.base_path: mark it as used by node %s: %w", cluster.NodeID(), err)
	}
	nodes, err := cluster.Nodes(ctx)
	if err != nil {
		return err
	}
	var missing []string
	for _, n := range nodes {
		if n.ID == cluster.NodeID() {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, n.ID)); errors.Is(err, os.ErrNotExist) {
			missing = append(missing, n.ID)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &config.Error{Problems: []config.Problem{{Path: "export.base_path", Message: fmt.Sprintf(
		"%s is not the folder node(s) %s export into: in a cluster every node's export.base_path must be one shared file system (docs/cluster.md)",
		basePath, strings.Join(missing, ", "))}}}
}
