// Package armstandin is the tests' stand-in for Azure Resource Manager's compute (and the one
// network) calls the Azure provider makes, speaking ARM's documented wire format so that the
// real armcompute client, pointed at it, drives it as it drives Azure:
//
//   - virtual machines listed over the subscription with statusOnly=true (power state in each),
//     a page at a time with nextLink; one VM read with $expand=instanceView; VM sizes per
//     location; managed disks; network interfaces;
//   - long-running operations the way ARM runs them: 202 (200 with the resource for a PUT) with an absolute
//     Azure-AsyncOperation URL, a Location URL and Retry-After; the operation answers
//     {"status":"InProgress","percentComplete":n} a few times, then Succeeded (or Failed with
//     {"error":{code,message}}); the Location URL answers 202 until then and 200 with the
//     result after — for snapshot create and delete, beginGetAccess and endGetAccess,
//     deallocate, powerOff and start;
//   - errors as {"error":{"code","message"}} with ARM's statuses (404 ResourceNotFound, 409,
//     429 with Retry-After), and a bearer token required on every call.
//
// What a SAS grant serves is real: the stand-in writes the snapshot as a page blob (the disk's
// data pages only, then a fixed VHD footer; for fileFormat VHDX, a dynamic VHDX file qemu-img
// writes, which a disk of 4096-byte sectors must be granted as) into a real Azurite and answers with a service SAS
// for it, valid for the grant's duration; revoking the grant deletes the blob. The grant of a
// disk with dataAccessAuthMode AzureActiveDirectory is read through the stand-in, which wants
// Options.DataToken as the bearer token (the principal with the data operator role) and
// answers 403 AuthorizationPermissionMismatch to any other.
package armstandin
