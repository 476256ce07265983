package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"
)

//go:embed assets
var assets embed.FS

// Prefix is where the dashboard is served.
const Prefix = "/ui"

// basePlaceholder is replaced in index.html by the hashed assets folder ("/ui/a-<hash>/").
const basePlaceholder = "{{BASE}}"

// Site serves the embedded dashboard. It is an http.Handler for every path under Prefix.
type Site struct {
	files fs.FS
	hash  string // digest of every embedded file: the assets folder's name
	index []byte // index.html with its assets folder filled in
	etag  string
}

// New reads the embedded files once and returns the handler.
func New() (*Site, error) {
	files, err := fs.Sub(assets, "assets")
	if err != nil {
		return nil, fmt.Errorf("ui: embedded assets: %w", err)
	}
	hash, err := digest(files)
	if err != nil {
		return nil, err
	}
	raw, err := fs.ReadFile(files, "index.html")
	if err != nil {
		return nil, fmt.Errorf("ui: read index.html: %w", err)
	}
	s := &Site{files: files, hash: hash}
	s.index = bytes.ReplaceAll(raw, []byte(basePlaceholder), []byte(s.AssetBase()))
	s.etag = `"` + hash + `"`
	return s, nil
}

// AssetBase is the folder the page loads its modules and styles from.
func (s *Site) AssetBase() string { return Prefix + "/a-" + s.hash + "/" }

// digest hashes every file's name and content, in name order.
func digest(files fs.FS) (string, error) {
	var names []string
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("ui: list embedded assets: %w", err)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := fs.ReadFile(files, n)
		if err != nil {
			return "", fmt.Errorf("ui: read %s: %w", n, err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// ServeHTTP answers /ui and /ui/ with the page, /ui/a-<hash>/<file> with an asset, and
// anything else under /ui with 404. The page routes itself after the '#'.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w, r)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "the dashboard is read with GET", http.StatusMethodNotAllowed)
		return
	}
	p := strings.TrimPrefix(r.URL.Path, Prefix)
	switch {
	case p == "" || p == "/" || p == "/index.html":
		s.serveIndex(w, r)
	case strings.HasPrefix(p, "/a-"+s.hash+"/"):
		s.serveAsset(w, r, strings.TrimPrefix(p, "/a-"+s.hash+"/"))
	case strings.HasPrefix(p, "/a-"):
		// a page of an older build: reloading fetches this build's page
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "this asset belongs to another build of hypervisord; reload the page", http.StatusNotFound)
	default:
		http.Error(w, "no such page; the dashboard is at "+Prefix+"/", http.StatusNotFound)
	}
}

func (s *Site) serveIndex(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", s.etag)
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, s.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		return
	}
	w.Write(s.index)
}

func (s *Site) serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	name = path.Clean("/" + name)[1:]
	b, err := fs.ReadFile(s.files, name)
	if err != nil || name == "index.html" {
		http.Error(w, "no such asset: "+name, http.StatusNotFound)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	if r.Method == http.MethodHead {
		return
	}
	w.Write(b)
}

// securityHeaders allow the page its own scripts, styles and connections (the API and the
// WebSocket on the same host) and nothing else: no inline script, no framing, no referrer.
func securityHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	connect := "'self'"
	if r.Host != "" {
		connect += " ws://" + r.Host + " wss://" + r.Host
	}
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src "+connect+
		"; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
}
