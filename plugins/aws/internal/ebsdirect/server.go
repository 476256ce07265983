// Package ebsdirect is a test server of the EBS direct APIs' read side (ListSnapshotBlocks,
// GetSnapshotBlock) that follows the documented rules moto skips: 512 KiB blocks, indexes in
// order, NextToken pagination with empty pages, MaxResults bounds, SHA-256 checksum headers,
// block tokens tied to their block, and the faults a real client meets — throttling, expired
// block tokens, corrupted blocks, a KMS key the caller may not use. Snapshots are backed by
// disk images the test writes (Volume), so an export can be compared byte for byte with its
// source. The real SDK client talks to it over HTTP.
package ebsdirect

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// BlockSize is the EBS direct block size.
const BlockSize = 512 << 10

// Volume is the content of a snapshot: a disk image file of SizeGiB GiB holding data in the
// blocks listed (sorted), the only ones ListSnapshotBlocks returns.
type Volume struct {
	Path    string
	SizeGiB int64
	Blocks  []int32
}

// ErrNoSnapshot is what Resolve returns for a snapshot that does not exist (or was deleted).
var ErrNoSnapshot = errors.New("no such snapshot")

// Faults are the misbehaviours a test asks of the server.
type Faults struct {
	Latency       time.Duration   // added to every request
	ThrottleEvery int             // every Nth GetSnapshotBlock is RequestThrottledException
	ThrottleAll   bool            // every GetSnapshotBlock is throttled
	EmptyPages    int             // empty pages (with a NextToken) served after each page of blocks
	Corrupt       map[int32]int   // block index → how many times its body disagrees with its checksum (-1: always)
	ExpiredTokens map[int32]bool  // the first token issued for these blocks is expired when used
	DenyKMS       bool            // every call is AccessDeniedException (the snapshot's KMS key)
	Unreadable    map[string]bool // snapshot id → archived or Outposts-local: ValidationException
}

// Server is a running EBS direct test server.
type Server struct {
	*httptest.Server
	// Resolve maps a snapshot id to its content, for a listing or a block read; ErrNoSnapshot
	// gives 404.
	Resolve func(snapshotID string, listing bool) (*Volume, error)

	mu      sync.Mutex
	faults  Faults
	gets    map[string]int // "snap/index" → GetSnapshotBlock requests
	getAll  int
	lists   int
	issued  map[string]int // "snap/index" → block tokens issued
	corrupt map[int32]int  // what is left of faults.Corrupt
}

// New starts a server; stop it with Close (tests: t.Cleanup(s.Close)).
func New(resolve func(string, bool) (*Volume, error)) *Server {
	s := &Server{Resolve: resolve, gets: map[string]int{}, issued: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// SetFaults replaces the faults in force.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	s.corrupt = map[int32]int{}
	for k, v := range f.Corrupt {
		s.corrupt[k] = v
	}
}

// Gets is how many GetSnapshotBlock requests asked for block index of snapshot, and in all.
func (s *Server) Gets(snapshot string, index int32) (one, all int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets[snapshot+"/"+strconv.Itoa(int(index))], s.getAll
}

// AllGets is how many GetSnapshotBlock requests asked for each block ("snapshot/index").
func (s *Server) AllGets() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.gets))
	for k, v := range s.gets {
		out[k] = v
	}
	return out
}

// Lists is how many ListSnapshotBlocks requests were served.
func (s *Server) Lists() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lists
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f := s.faults
	s.mu.Unlock()
	if f.Latency > 0 {
		time.Sleep(f.Latency)
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if r.Method != http.MethodGet || len(parts) < 3 || parts[0] != "snapshots" || parts[2] != "blocks" || len(parts) > 4 {
		apiError(w, http.StatusBadRequest, "ValidationException", "INVALID_PARAMETER_VALUE", "unsupported request "+r.Method+" "+r.URL.Path)
		return
	}
	if f.DenyKMS {
		apiError(w, http.StatusForbidden, "AccessDeniedException", "DEPENDENCY_ACCESS_DENIED", "the caller cannot use the KMS key of snapshot "+parts[1])
		return
	}
	if f.Unreadable[parts[1]] {
		apiError(w, http.StatusBadRequest, "ValidationException", "INVALID_SNAPSHOT_ID", "snapshot "+parts[1]+" is archived or stored on an Outpost")
		return
	}
	vol, err := s.Resolve(parts[1], len(parts) == 3)
	if errors.Is(err, ErrNoSnapshot) {
		apiErrorJSON(w, http.StatusNotFound, map[string]any{"__type": "ResourceNotFoundException", "Message": "snapshot " + parts[1] + " not found", "Reason": "SNAPSHOT_NOT_FOUND"})
		return
	}
	if err != nil {
		apiError(w, http.StatusInternalServerError, "InternalServerException", "", err.Error())
		return
	}
	if len(parts) == 3 {
		s.list(w, r, parts[1], vol, f)
		return
	}
	s.get(w, r, parts[1], parts[3], vol, f)
}

// list serves ListSnapshotBlocks: blocks in index order from startingBlockIndex (or where the
// page token says), at most maxResults (100-10000), with empty pages when asked.
func (s *Server) list(w http.ResponseWriter, r *http.Request, snap string, vol *Volume, f Faults) {
	q := r.URL.Query()
	maxResults := 10000
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 || n > 10000 {
			apiError(w, http.StatusBadRequest, "ValidationException", "INVALID_PARAMETER_VALUE", "maxResults must be between 100 and 10000")
			return
		}
		maxResults = n
	}
	start, empties := int64(0), 0
	if v := q.Get("startingBlockIndex"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			apiError(w, http.StatusBadRequest, "ValidationException", "INVALID_PARAMETER_VALUE", "bad startingBlockIndex")
			return
		}
		start = n
	}
	// NextToken wins over startingBlockIndex, as documented.
	if tok := q.Get("pageToken"); tok != "" {
		var owner string
		if _, err := fmt.Sscanf(tok, "page:%s %d %d", &owner, &start, &empties); err != nil || owner != snap {
			apiError(w, http.StatusBadRequest, "ValidationException", "INVALID_PAGE_TOKEN", "the page token is not one of this snapshot's")
			return
		}
	}
	i := sort.Search(len(vol.Blocks), func(i int) bool { return int64(vol.Blocks[i]) >= start })
	type block struct {
		BlockIndex int32
		BlockToken string
	}
	out := struct {
		BlockSize  int
		Blocks     []block
		ExpiryTime int64
		NextToken  string `json:",omitempty"`
		VolumeSize int64
	}{BlockSize: BlockSize, Blocks: []block{}, ExpiryTime: time.Now().Add(7 * 24 * time.Hour).Unix(), VolumeSize: vol.SizeGiB}
	s.mu.Lock()
	s.lists++
	if empties > 0 {
		// An empty page: the next one starts where this one would have.
		empties--
		if i < len(vol.Blocks) {
			out.NextToken = fmt.Sprintf("page:%s %d %d", snap, start, empties)
		}
	} else {
		for ; i < len(vol.Blocks) && len(out.Blocks) < maxResults; i++ {
			idx := vol.Blocks[i]
			key := snap + "/" + strconv.Itoa(int(idx))
			s.issued[key]++
			out.Blocks = append(out.Blocks, block{idx, fmt.Sprintf("token:%s:%d:%d", snap, idx, s.issued[key])})
		}
		if i < len(vol.Blocks) {
			out.NextToken = fmt.Sprintf("page:%s %d %d", snap, vol.Blocks[i], f.EmptyPages)
		}
	}
	s.mu.Unlock()
	writeJSON(w, out)
}

// get serves GetSnapshotBlock: the block's bytes with X-Amz-Checksum, after checking its token.
func (s *Server) get(w http.ResponseWriter, r *http.Request, snap, index string, vol *Volume, f Faults) {
	n, err := strconv.ParseInt(index, 10, 32)
	if err != nil || n < 0 {
		apiError(w, http.StatusBadRequest, "ValidationException", "INVALID_BLOCK", "bad block index")
		return
	}
	idx := int32(n)
	key := snap + "/" + index
	s.mu.Lock()
	s.gets[key]++
	s.getAll++
	nth := s.getAll
	var issue int
	tokenOK := false
	if _, err := fmt.Sscanf(strings.ReplaceAll(r.URL.Query().Get("blockToken"), ":", " "), "token %s %d %d", new(string), new(int32), &issue); err == nil {
		tokenOK = r.URL.Query().Get("blockToken") == fmt.Sprintf("token:%s:%d:%d", snap, idx, issue)
	}
	corrupt := false
	if left := s.corrupt[idx]; left != 0 {
		corrupt = true
		if left > 0 {
			s.corrupt[idx]--
		}
	}
	s.mu.Unlock()
	switch {
	case !tokenOK:
		apiError(w, http.StatusBadRequest, "ValidationException", "INVALID_BLOCK_TOKEN", "the block token does not name block "+index+" of "+snap)
		return
	case f.ExpiredTokens[idx] && issue == 1:
		apiError(w, http.StatusBadRequest, "ValidationException", "INVALID_BLOCK_TOKEN", "the block token has expired")
		return
	case f.ThrottleAll || (f.ThrottleEvery > 0 && nth%f.ThrottleEvery == 0):
		apiError(w, http.StatusBadRequest, "RequestThrottledException", "ACCOUNT_THROTTLED", "rate exceeded")
		return
	case int64(idx) >= vol.SizeGiB<<30/BlockSize:
		apiError(w, http.StatusBadRequest, "ValidationException", "INVALID_BLOCK", "block index beyond the volume")
		return
	}
	data := make([]byte, BlockSize)
	file, err := os.Open(vol.Path)
	if err == nil {
		_, err = file.ReadAt(data, int64(idx)*BlockSize)
		file.Close()
	}
	if err != nil && !errors.Is(err, io.EOF) {
		apiError(w, http.StatusInternalServerError, "InternalServerException", "", err.Error())
		return
	}
	sum := sha256.Sum256(data)
	if corrupt {
		data[len(data)/2] ^= 0xff
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Amz-Data-Length", strconv.Itoa(BlockSize))
	w.Header().Set("X-Amz-Checksum", base64.StdEncoding.EncodeToString(sum[:]))
	w.Header().Set("X-Amz-Checksum-Algorithm", "SHA256")
	_, _ = w.Write(data)
}

func apiError(w http.ResponseWriter, status int, typ, reason, msg string) {
	body := map[string]any{"__type": typ, "Message": msg}
	if reason != "" {
		body["Reason"] = reason
	}
	apiErrorJSON(w, status, body)
}

func apiErrorJSON(w http.ResponseWriter, status int, body map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", fmt.Sprint(body["__type"]))
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
