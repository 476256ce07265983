package awsprovider

import "sync"

// blockTracker turns blocks finished out of order by the workers into a watermark: the lowest
// block index dispatched and not yet written. Every listed block below it is on disk, which is
// what a resume token may promise.
type blockTracker struct {
	mu       sync.Mutex
	queue    []int32 // dispatched, in index order; queue[head:] not yet retired
	head     int
	done     map[int32]bool
	next     int32 // first index after the last dispatched
	retired  int64 // blocks retired below the watermark
	finished int64 // blocks finished, retired or not
}

func newBlockTracker(from int32) *blockTracker {
	return &blockTracker{done: map[int32]bool{}, next: from}
}

func (t *blockTracker) dispatch(idx int32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.queue = append(t.queue, idx)
	t.next = idx + 1
}

func (t *blockTracker) finish(idx int32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done[idx] = true
	t.finished++
	for t.head < len(t.queue) && t.done[t.queue[t.head]] {
		delete(t.done, t.queue[t.head])
		t.head++
		t.retired++
	}
	if t.head > 4096 && t.head*2 > len(t.queue) {
		t.queue = append([]int32(nil), t.queue[t.head:]...)
		t.head = 0
	}
}

// watermark is the index below which every dispatched block is written, and how many blocks
// lie below it (since the tracker started).
func (t *blockTracker) watermark() (int32, int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.head < len(t.queue) {
		return t.queue[t.head], t.retired
	}
	return t.next, t.retired
}

// count is how many blocks are written so far.
func (t *blockTracker) count() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.finished
}
