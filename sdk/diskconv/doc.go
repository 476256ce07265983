// Package diskconv turns a streamOptimized VMDK — what vCenter's NFC export and AWS's export
// tasks serve — into a qcow2 or raw image while it is being downloaded, so the separate
// conversion pass after an export disappears.
//
// A provider tees its download into a Converter; bytes must arrive in file order, as an HTTP
// body does. The Converter decodes grain markers as they come, inflates the grains on one
// worker per CPU and appends the clusters that hold data to the target (zeros stay holes), writing
// the qcow2 metadata — L2 tables, L1 table, refcounts, header — only at Close:
//
//	conv, _ := diskconv.New(ctx, "disk0.qcow2.part", diskconv.QCOW2)
//	io.Copy(io.MultiWriter(vmdkFile, conv), body) // the download, unchanged
//	if err := conv.Close(); err != nil {
//		// not a streamOptimized VMDK, or cut short: convert the downloaded file afterwards
//	}
//
// A conversion failure never fails the download: Write always accepts the bytes, and the
// error waits for Close. The daemon checks every image with `qemu-img check` before using it.
// A converter holds at most 17 MiB of queued input plus a few grains, whatever the disk size;
// the qcow2 writer keeps its L2 tables in memory (64 KiB per 512 MiB of disk holding data).
package diskconv
