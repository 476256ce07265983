package vsphere

import (
	"crypto/sha256"
	"encoding/hex"
	"os"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// writeArtifact writes a small file (a descriptor) into dir, synced, and describes it.
func writeArtifact(dir, name string, data []byte, kind, format string) (provider.Artifact, error) {
	path, err := provider.SafeJoin(dir, name)
	if err != nil {
		return provider.Artifact{}, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return provider.Artifact{}, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return provider.Artifact{}, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return provider.Artifact{}, err
	}
	if err := f.Close(); err != nil {
		return provider.Artifact{}, err
	}
	sum := sha256.Sum256(data)
	return provider.Artifact{Path: name, Kind: kind, Format: format, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}, nil
}
