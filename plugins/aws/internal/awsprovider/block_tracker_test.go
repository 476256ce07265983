package awsprovider

import "testing"

// The watermark only passes blocks once every block before them is written, whatever order
// the workers finish in.
func TestBlockTrackerWatermark(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		from          int32
		dispatch      []int32
		finish        []int32
		wantNext      int32
		wantBelowMark int64
	}{
		{"nothing yet", 7, nil, nil, 7, 0},
		{"all done", 0, []int32{1, 5, 9}, []int32{9, 1, 5}, 10, 3},
		{"a gap", 0, []int32{1, 5, 9}, []int32{1, 9}, 5, 1},
		{"first still out", 0, []int32{2, 3, 4}, []int32{3, 4}, 2, 0},
		{"resumed", 100, []int32{100, 104}, []int32{100}, 104, 1},
	} {
		tr := newBlockTracker(tc.from)
		for _, i := range tc.dispatch {
			tr.dispatch(i)
		}
		for _, i := range tc.finish {
			tr.finish(i)
		}
		next, below := tr.watermark()
		if next != tc.wantNext || below != tc.wantBelowMark || tr.count() != int64(len(tc.finish)) {
			t.Errorf("%s: watermark = %d (%d below), count %d; want %d (%d below), %d", tc.name, next, below, tr.count(), tc.wantNext, tc.wantBelowMark, len(tc.finish))
		}
	}
}
