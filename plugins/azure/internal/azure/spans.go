package azure

import "sort"

// span is a byte range [Off, End) of a disk.
type span struct {
	Off int64 `json:"o"`
	End int64 `json:"e"`
}

func (s span) len() int64 { return s.End - s.Off }

// subtract returns what of ranges (sorted, disjoint) is not in done (sorted, disjoint).
func subtract(ranges, done []span) []span {
	var out []span
	j := 0
	for _, r := range ranges {
		cur := r.Off
		for j < len(done) && done[j].End <= cur {
			j++
		}
		for k := j; k < len(done) && done[k].Off < r.End; k++ {
			if done[k].Off > cur {
				out = append(out, span{cur, done[k].Off})
			}
			cur = max(cur, done[k].End)
		}
		if cur < r.End {
			out = append(out, span{cur, r.End})
		}
	}
	return out
}

// merge sorts spans and joins those that touch or overlap.
func merge(in []span) []span {
	s := append([]span(nil), in...)
	sort.Slice(s, func(i, j int) bool { return s[i].Off < s[j].Off })
	var out []span
	for _, x := range s {
		if x.len() <= 0 {
			continue
		}
		if n := len(out); n > 0 && x.Off <= out[n-1].End {
			out[n-1].End = max(out[n-1].End, x.End)
			continue
		}
		out = append(out, x)
	}
	return out
}

// chunks splits ranges into pieces of at most size bytes.
func chunks(ranges []span, size int64) []span {
	var out []span
	for _, r := range ranges {
		for off := r.Off; off < r.End; off += size {
			out = append(out, span{off, min(off+size, r.End)})
		}
	}
	return out
}

func total(s []span) int64 {
	var n int64
	for _, x := range s {
		n += x.len()
	}
	return n
}

// doneSet tracks which chunks of a download are written, in a form that stays small however
// many chunks there are: everything below a watermark, plus the few chunks done beyond it
// (at most one per worker in flight).
type doneSet struct {
	chunks []span
	done   []bool
	next   int // lowest chunk not done
}

func newDoneSet(c []span) *doneSet { return &doneSet{chunks: c, done: make([]bool, len(c))} }

func (d *doneSet) mark(i int) {
	d.done[i] = true
	for d.next < len(d.chunks) && d.done[d.next] {
		d.next++
	}
}

// progress is what a resume token keeps: all of the chunks' data below Watermark is written,
// and so is each of Extra.
func (d *doneSet) progress(end int64) diskDone {
	p := diskDone{Watermark: end}
	if d.next < len(d.chunks) {
		p.Watermark = d.chunks[d.next].Off
	}
	for i := d.next + 1; i < len(d.chunks); i++ {
		if d.done[i] {
			p.Extra = append(p.Extra, d.chunks[i])
		}
	}
	p.Extra = merge(p.Extra)
	return p
}

// diskDone is how much of a disk's allocated data is written, as a resume token keeps it.
type diskDone struct {
	Watermark int64  `json:"watermark"`
	Extra     []span `json:"extra,omitempty"`
}

// spans is the written part as spans: [0, Watermark) and Extra.
func (p diskDone) spans() []span {
	return merge(append([]span{{0, p.Watermark}}, p.Extra...))
}
