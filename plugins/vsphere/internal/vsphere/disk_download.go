package vsphere

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hypersdk/hypersdk/sdk/diskconv"
	"github.com/hypersdk/hypersdk/sdk/diskfile"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// errLeaseGone means the NFC lease no longer serves the file; only a new export can continue.
var errLeaseGone = errors.New("NFC lease no longer serves the disk (expired or aborted)")

// download fetches one disk from an NFC URL into path. It writes path+".part" and renames it
// when the transfer is complete and synced, so a file with the final name is always whole.
// A dropped connection resumes with a Range request; a server that answers a ranged request
// with 200 gets the file from the start again, never appended.
type download struct {
	client     *http.Client
	url        *url.URL
	path       string
	chunk      int64
	maxRetries int
	estimate   int64 // bytes expected when the server does not say (the disk capacity)
	progress   func(done, total int64)
	// convertTo ("qcow2", "raw" or "") asks for the disk also as that image, decoded from the
	// stream as it arrives, at convertPath; convertOnly for the image alone, no disk file.
	convertTo   string
	convertPath string
	convertOnly bool
}

type downloaded struct {
	size   int64
	sha256 string
	// converted is true when convertPath holds the complete image.
	converted bool
}

// run fetches the disk. A convert-only download keeps just the decoded image; when the
// stream cannot be decoded, the disk is fetched again as a file, so nothing is lost.
func (d download) run(ctx context.Context) (downloaded, error) {
	if !d.convertOnly {
		return d.runToFile(ctx)
	}
	got, err := d.runConvertOnly(ctx)
	if !errors.Is(err, errNotConverted) {
		return got, err
	}
	provider.Logger(ctx).Warn("disk not convertible while downloading; downloading it again as a file", "url_path", d.url.Path)
	d.convertOnly, d.convertTo = false, ""
	return d.runToFile(ctx)
}

// errNotConverted means a convert-only download ended without a usable image.
var errNotConverted = errors.New("the download could not be converted as it arrived")

// runConvertOnly decodes the download into the converted image and writes no disk file.
func (d download) runConvertOnly(ctx context.Context) (downloaded, error) {
	w := &sink{newConverter: func() *diskconv.Converter { return d.newConverter(ctx) }}
	if w.conv = w.newConverter(); w.conv == nil {
		return downloaded{}, errNotConverted
	}
	defer func() {
		if w.conv != nil {
			w.conv.Abort()
		}
	}()
	if err := d.fetchWithRetries(ctx, w, func() {}); err != nil {
		return downloaded{}, err
	}
	if !d.finishConversion(ctx, w) {
		return downloaded{}, errNotConverted
	}
	d.progress(w.done, w.done)
	return downloaded{size: w.done, converted: true}, nil
}

// runToFile downloads into path (and, when asked, the converted image beside it).
func (d download) runToFile(ctx context.Context) (downloaded, error) {
	part := d.path + ".part"
	f, err := diskfile.Create(part)
	if err != nil {
		return downloaded{}, err
	}
	closed := false
	defer func() {
		if !closed {
			f.Abort()
		}
	}()
	w := &sink{file: f, hash: sha256.New(), newConverter: func() *diskconv.Converter { return d.newConverter(ctx) }}
	w.conv = w.newConverter()
	defer func() {
		if w.conv != nil {
			w.conv.Abort()
		}
	}()
	if err := d.fetchWithRetries(ctx, w, func() { os.Remove(part) }); err != nil {
		return downloaded{}, err
	}
	closed = true
	if err := f.Close(); err != nil {
		os.Remove(part)
		return downloaded{}, err
	}
	if err := diskfile.Rename(part, d.path); err != nil {
		return downloaded{}, err
	}
	d.progress(w.done, w.done)
	got := downloaded{size: w.done, sha256: hex.EncodeToString(w.hash.Sum(nil))}
	got.converted = d.finishConversion(ctx, w)
	return got, nil
}

// fetchWithRetries fetches until the sink has the whole disk, resuming after interruptions
// with backoff; on failure it calls discard for what was written.
func (d download) fetchWithRetries(ctx context.Context, w *sink, discard func()) error {
	total := d.estimate
	log := provider.Logger(ctx)
	for attempt := 0; ; attempt++ {
		err := d.fetch(ctx, w, &total)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			discard()
			return ctx.Err()
		}
		if errors.Is(err, errLeaseGone) || attempt >= d.maxRetries {
			discard()
			return fmt.Errorf("download %s after %d attempts: %w", d.url.Path, attempt+1, err)
		}
		wait := min(200*time.Millisecond<<attempt, 10*time.Second)
		log.Warn("disk download interrupted; retrying", "url_path", d.url.Path, "offset", w.done, "attempt", attempt+1, "wait", wait, "error", err)
		select {
		case <-ctx.Done():
			discard()
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// newConverter starts decoding the download into convertPath+".part" when a conversion was
// asked for; nil otherwise. A conversion that cannot start is logged and left to the daemon.
func (d download) newConverter(ctx context.Context) *diskconv.Converter {
	if d.convertTo == "" {
		return nil
	}
	c, err := diskconv.New(ctx, d.convertPath+".part", d.convertTo)
	if err != nil {
		provider.Logger(ctx).Warn("cannot convert the disk while downloading; the daemon will convert it", "error", err)
		return nil
	}
	return c
}

// finishConversion waits for the image decoded beside the download and gives it its name.
func (d download) finishConversion(ctx context.Context, w *sink) bool {
	if w.conv == nil {
		return false
	}
	err := w.conv.Close()
	w.conv = nil
	if err == nil {
		err = diskfile.Rename(d.convertPath+".part", d.convertPath)
	}
	if err != nil {
		os.Remove(d.convertPath + ".part")
		provider.Logger(ctx).Warn("disk not converted while downloading; the daemon will convert it", "error", err)
		return false
	}
	return true
}

// fetch makes one GET, resuming at w.done, and copies the body into w.
func (d download) fetch(ctx context.Context, w *sink, total *int64) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.url.String(), nil)
	if err != nil {
		return err
	}
	if w.done > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", w.done))
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusPartialContent && w.done > 0:
		if start := rangeStart(resp.Header.Get("Content-Range")); start != w.done {
			if err := w.reset(); err != nil {
				return err
			}
			return fmt.Errorf("server resumed at byte %d, not %d; starting over", start, w.done)
		}
		if resp.ContentLength > 0 {
			*total = w.done + resp.ContentLength
		}
	case resp.StatusCode == http.StatusOK:
		if w.done > 0 {
			provider.Logger(ctx).Warn("server ignored the Range request; downloading the disk from the start", "url_path", d.url.Path, "had", w.done)
			if err := w.reset(); err != nil {
				return err
			}
		}
		if resp.ContentLength > 0 {
			*total = resp.ContentLength
		}
	case resp.StatusCode == http.StatusNotFound:
		return errLeaseGone
	default:
		return fmt.Errorf("server answered %s", resp.Status)
	}
	return d.copyBody(resp, w, total)
}

// copyBody streams the response into the sink with two buffers in flight: one is being filled
// from the network while the other is written and hashed, so neither the network nor the disk
// waits for the other.
func (d download) copyBody(resp *http.Response, w *sink, total *int64) error {
	type chunk struct {
		buf []byte
		n   int
		err error
	}
	// Two pooled buffers go round: the reader fills one while this loop writes the other.
	free := make(chan []byte, 2)
	full := make(chan chunk, 2)
	free <- diskfile.Get(int(d.chunk))
	free <- diskfile.Get(int(d.chunk))
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		var held []byte
		defer func() {
			// Once this loop has returned, the reader alone holds the buffers: give them back.
			<-stop
			if held != nil {
				diskfile.Put(held)
			}
			for {
				select {
				case b := <-free:
					diskfile.Put(b)
				case c := <-full:
					diskfile.Put(c.buf)
				default:
					return
				}
			}
		}()
		for {
			select {
			case held = <-free:
			case <-stop:
				return
			}
			n, err := readChunk(resp.Body, held)
			select {
			case full <- chunk{held, n, err}:
				held = nil
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for {
		c := <-full
		var werr error
		if c.n > 0 {
			werr = w.write(c.buf[:c.n])
		}
		free <- c.buf
		switch {
		case werr != nil:
			return werr
		case c.n > 0:
			d.progress(w.done, max(*total, w.done))
		}
		switch {
		case c.err == nil:
		case c.err == io.EOF:
			if resp.ContentLength > 0 && w.done < *total {
				return fmt.Errorf("connection closed at byte %d of %d", w.done, *total)
			}
			return nil
		default:
			return c.err
		}
	}
}

// readChunk fills buf unless the body ends or fails first, and returns the body's own error:
// io.EOF for a clean end, anything else (io.ErrUnexpectedEOF for a cut chunked body) for a
// transfer to resume.
func readChunk(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// rangeStart reads the first byte position of "bytes 100-199/200"; -1 when unparseable.
func rangeStart(h string) int64 {
	spec, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return -1
	}
	first, _, _ := strings.Cut(spec, "-")
	n, err := strconv.ParseInt(first, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// sink is the partial file, the running hash of what it holds and, when asked for, the
// conversion decoding it. A convert-only sink has no file and no hash.
type sink struct {
	file         *diskfile.Writer
	hash         hash.Hash
	done         int64
	conv         *diskconv.Converter
	newConverter func() *diskconv.Converter
}

// write appends b to the file and to the hash at the same time: the disk write is mostly the
// device's time (O_DIRECT), the hash is all CPU, so neither waits for the other.
func (s *sink) write(b []byte) error {
	if s.file == nil { // convert-only: the converter is the only consumer
		if s.conv != nil {
			s.conv.Write(b)
		}
		s.done += int64(len(b))
		return nil
	}
	hashed := make(chan struct{})
	go func() {
		s.hash.Write(b)
		close(hashed)
	}()
	_, err := s.file.Write(b)
	if err == nil && s.conv != nil {
		s.conv.Write(b)
	}
	<-hashed
	if err != nil {
		return err
	}
	s.done += int64(len(b))
	return nil
}

func (s *sink) reset() error {
	if s.file != nil {
		if err := s.file.Reset(); err != nil {
			return err
		}
		s.hash.Reset()
	}
	s.done = 0
	if s.conv != nil {
		s.conv.Abort()
		s.conv = s.newConverter()
	}
	return nil
}
