package vcsim

import (
	"io"
	"net/http"
	"os"
	"strings"
)

// serveNFC serves lease downloads with Range support (http.ServeContent), subject to the faults
// in force. Like vCenter, a lease that is gone answers 404.
func (s *Simulator) serveNFC(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, nfcPath), "/")
	if len(parts) != 2 || r.Method != http.MethodGet {
		http.Error(w, "bad NFC request", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.gets++
	local := s.leases[parts[0]][parts[1]]
	f := s.faults
	if f.ServiceUnavailable > 0 {
		s.faults.ServiceUnavailable--
	}
	dropAfter := f.DropAfterBytes
	s.faults.DropAfterBytes = 0 // drop once
	s.mu.Unlock()

	switch {
	case local == "" || f.ExpireLease:
		http.NotFound(w, r)
		return
	case f.ServiceUnavailable > 0:
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return
	}
	file, err := os.Open(local)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if f.IgnoreRange {
		r.Header.Del("Range")
	}
	if dropAfter > 0 {
		w = &droppingWriter{ResponseWriter: w, left: dropAfter}
	}
	http.ServeContent(w, r, parts[1], st.ModTime(), file)
}

// droppingWriter cuts the connection after a number of body bytes, as a flaky network does.
type droppingWriter struct {
	http.ResponseWriter
	left int64
}

func (d *droppingWriter) Write(b []byte) (int, error) {
	if int64(len(b)) <= d.left {
		d.left -= int64(len(b))
		return d.ResponseWriter.Write(b)
	}
	n, _ := d.ResponseWriter.Write(b[:d.left])
	d.left = 0
	if hj, ok := d.ResponseWriter.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
		}
	}
	return n, io.ErrClosedPipe
}
