// Package buildinfo holds the daemon's version, stamped at link time by the Makefile
// (-X github.com/hypersdk/hypersdk/core/buildinfo.Version=...).
package buildinfo

// Version of this build; "dev" builds say so.
var Version = "0.1.0-dev"
