package pipeline

import (
	"strings"

	"github.com/hypersdk/hypersdk/core/convert"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// A provider writes its disks in whatever format its platform serves (provider.Format*: raw,
// qcow2, vhd, vhdx, vmdk); the method says what the job delivers. ova, ovf and vmdk deliver an
// OVF package of streamOptimized VMDKs, raw and qcow2 deliver images in their own format; the
// package step completes what the provider did not write (see completeDisks).

// IsImageMethod reports whether method delivers bare disk images (raw, qcow2) rather than an
// OVF package.
func IsImageMethod(method string) bool {
	return method == provider.MethodRaw || method == provider.MethodQCOW2
}

// methodFormat is the qemu-img format a method's disks are delivered in: vmdk (streamOptimized)
// for the OVF methods, the method itself for raw and qcow2.
func methodFormat(method string) string {
	if IsImageMethod(method) {
		return method
	}
	return convert.FormatVMDK
}

// qemuDriver is the qemu-img driver that reads an artifact of format (a provider.Format*
// constant); "" for one it does not name, which Inspect then probes and checks.
func qemuDriver(format string) string {
	switch {
	case strings.HasPrefix(format, provider.FormatVMDK):
		return convert.FormatVMDK
	case format == provider.FormatVHD:
		return "vpc"
	case format == provider.FormatRaw, format == provider.FormatQCOW2, format == provider.FormatVHDX:
		return format
	}
	return ""
}
