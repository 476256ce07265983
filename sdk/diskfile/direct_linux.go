package diskfile

import "syscall"

// openDirect is the open flag that bypasses the page cache.
const openDirect = syscall.O_DIRECT
