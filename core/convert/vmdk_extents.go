package convert

import "bytes"

// qemuDescriptorBytes is how much of a VMDK descriptor qemu's vmdk driver reads
// (vmdk_read_desc): up to 1 MiB - 1 bytes, from the file's start or, for a sparse image whose
// capacity is 0, from its embedded descriptor's offset.
const qemuDescriptorBytes = 1<<20 - 1

// qemuExtents returns the file names in the extent lines of a VMDK descriptor, found the way
// qemu's vmdk driver finds them (block/vmdk.c vmdk_parse_extents) so that no line qemu would
// open is missed. From the start of every line qemu scans
//
//	sscanf(p, "%10s %" SCNd64 " %10s \"%511[^\n\r\"]\" %" SCNd64, access, &sectors, type, fname, &offset)
//
// which reads fields separated by any run of C white space (\t \v \f \r, even newlines), a
// signed size ("+16"), and a name of up to 511 bytes with or without its closing quote, and
// opens the file when access is RW. RDONLY and NOACCESS lines name files too, so they count
// here. The descriptor is a C string to qemu: it ends at the first NUL.
func qemuExtents(desc []byte) []string {
	if end := bytes.IndexByte(desc, 0); end >= 0 {
		desc = desc[:end]
	}
	var names []string
	// A scan starts by skipping white space, so every line start before the end of the last
	// skipped run would scan the same bytes again: done is where that run ended. This keeps
	// a descriptor of a million blank lines linear.
	done := -1
	for p := 0; p < len(desc); {
		if p > done {
			q := skipSpace(desc, p)
			done = q
			if name, ok := scanExtent(desc, q); ok {
				names = append(names, name)
			}
		}
		nl := bytes.IndexByte(desc[p:], '\n')
		if nl < 0 {
			break
		}
		p += nl + 1
	}
	return names
}

// scanExtent is qemu's sscanf of one extent line from desc[i:]; ok reports a line naming a file.
func scanExtent(desc []byte, i int) (name string, ok bool) {
	access, i := scanToken(desc, i, 10) // %10s
	if access == "" {
		return "", false
	}
	i = skipSpace(desc, i) // %SCNd64: an optional sign, then at least one digit
	if i < len(desc) && (desc[i] == '+' || desc[i] == '-') {
		i++
	}
	digits := i
	for i < len(desc) && desc[i] >= '0' && desc[i] <= '9' {
		i++
	}
	if i == digits {
		return "", false
	}
	typ, i := scanToken(desc, i, 10) // %10s
	if typ == "" {
		return "", false
	}
	if i = skipSpace(desc, i); i >= len(desc) || desc[i] != '"' {
		return "", false
	}
	i++
	start := i // %511[^\n\r"]: at least one byte
	for i < len(desc) && i-start < 511 && desc[i] != '\n' && desc[i] != '\r' && desc[i] != '"' {
		i++
	}
	if i == start {
		return "", false
	}
	switch access {
	case "RW", "RDONLY", "NOACCESS":
		return string(desc[start:i]), true
	}
	return "", false
}

// scanToken is scanf's %Ns: white space skipped, then up to width bytes that are not.
func scanToken(desc []byte, i, width int) (string, int) {
	i = skipSpace(desc, i)
	start := i
	for i < len(desc) && i-start < width && !isCSpace(desc[i]) {
		i++
	}
	return string(desc[start:i]), i
}

func skipSpace(desc []byte, i int) int {
	for i < len(desc) && isCSpace(desc[i]) {
		i++
	}
	return i
}

// isCSpace is isspace in the C locale, which qemu-img runs in.
func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}
