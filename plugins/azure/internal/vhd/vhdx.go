package vhd

import "bytes"

// VHDXSignature opens every VHDX file: its file type identifier, the first 8 of 64 KiB.
const VHDXSignature = "vhdxfile"

// IsVHDX reports whether b, a file's first bytes, open a VHDX file.
func IsVHDX(b []byte) bool { return bytes.HasPrefix(b, []byte(VHDXSignature)) }
