package vsphere

import "sync"

// diskTally is what an export's disk workers share with the loop that starts them and with the
// lease keep-alive: the bytes each disk has done and the resume token recording finished disks.
// Every access goes through its lock, so none of them may touch the counters or the token
// directly while the workers run.
type diskTally struct {
	mu    sync.Mutex
	done  []int64
	total []int64
	token *resumeToken
}

// newDiskTally starts every disk at zero of its capacity (at least 1, so an empty disk does not
// divide by zero).
func newDiskTally(token *resumeToken, capacities []int64) *diskTally {
	t := &diskTally{done: make([]int64, len(capacities)), total: make([]int64, len(capacities)), token: token}
	for i, c := range capacities {
		t.total[i] = max(c, 1)
	}
	return t
}

// previous is what an earlier attempt recorded for disk, if it finished it.
func (t *diskTally) previous(disk int) (finished, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.token.Disks[disk]
	return f, ok
}

func (t *diskTally) progress(disk int, done, total int64) {
	t.mu.Lock()
	t.done[disk], t.total[disk] = done, total
	t.mu.Unlock()
}

// percent is the share of all disks' bytes done, at most 99: the lease completes at 100.
func (t *diskTally) percent() int32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var done, total int64
	for i := range t.done {
		done, total = done+t.done[i], total+t.total[i]
	}
	return int32(min(99, done*100/max(total, 1)))
}

// finish records disk as complete and returns the token to checkpoint.
func (t *diskTally) finish(disk int, f finished) []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.token.Disks[disk] = f
	return t.token.encode()
}
