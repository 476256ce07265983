//go:build !unix

package fake

// lockCloud is a no-op where flock is missing: one process at a time uses the state file.
func lockCloud(string) (unlock func(), err error) { return func() {}, nil }
