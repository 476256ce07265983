// Package provider is the contract between hypervisord and a provider plugin: the Provider
// interface, the VM, disk and export types it speaks in, and the sentinel errors that cross the
// process boundary. It is the package a provider author reads first; it imports nothing of the
// daemon and nothing of gRPC.
//
// A provider is a plain Go type:
//
//	type cloud struct{ client *sdk.Client }
//
//	func (c *cloud) Info(ctx context.Context) (provider.Info, error) {
//		return provider.Info{Name: "mycloud", Version: "1.0.0",
//			Capabilities: []provider.Capability{provider.CapExportVMDK}}, nil
//	}
//
//	func (c *cloud) ExportVM(ctx context.Context, spec provider.ExportSpec, r provider.Reporter) (provider.ExportResult, error) {
//		path, err := provider.SafeJoin(spec.Dir, "disk-0.vmdk") // never outside spec.Dir
//		...                                                   // write the disk to path
//		r.Progress(provider.Progress{Phase: provider.PhaseDownloading, BytesDone: n, BytesTotal: size})
//		...
//		return provider.ExportResult{VM: vm, Artifacts: []provider.Artifact{{Path: "disk-0.vmdk", Kind: provider.KindDisk}}}, nil
//	}
//
// and its main() is one call: plugin.Serve(func() provider.Provider { return &cloud{} }).
// The daemon runs the binary from plugins.d, hands it the providers.<name> section through
// Configure, and hands every export a job-owned directory: bulk data goes to files there, only
// progress and the artifact list travel back over gRPC.
package provider
