package ui

import (
	"io/fs"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

// The page is revalidated on every load and names this build's assets folder; assets there are
// immutable; another build's folder, a path out of the folder and an unknown page are 404.
func TestSiteServesThePageAndItsAssetsWithCacheHeaders(t *testing.T) {
	t.Parallel()
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	base := s.AssetBase()
	cases := []struct {
		name, path, ifNoneMatch string
		status                  int
		contentType, cache      string
		body                    string
	}{
		{"page", "/ui", "", 200, "text/html; charset=utf-8", "no-cache", base + "js/app.js"},
		{"page with slash", "/ui/", "", 200, "text/html; charset=utf-8", "no-cache", base + "app.css"},
		{"page revalidated", "/ui/", s.etag, 304, "", "no-cache", ""},
		{"stylesheet", base + "app.css", "", 200, "text/css; charset=utf-8", "public, max-age=31536000, immutable", "--accent"},
		{"module", base + "js/pages/jobs.js", "", 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "export async function render"},
		{"another build", "/ui/a-0000000000000000/app.css", "", 404, "", "no-store", "another build"},
		{"out of the folder", base + "../../../etc/passwd", "", 404, "", "", ""},
		{"the template itself", base + "index.html", "", 404, "", "", ""},
		{"unknown page", "/ui/jobs", "", 404, "", "", "/ui/"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://127.0.0.1:8080"+c.path, nil)
			if c.ifNoneMatch != "" {
				r.Header.Set("If-None-Match", c.ifNoneMatch)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != c.status {
				t.Fatalf("status = %d, want %d (%s)", w.Code, c.status, w.Body)
			}
			if c.contentType != "" && w.Header().Get("Content-Type") != c.contentType {
				t.Errorf("Content-Type = %q, want %q", w.Header().Get("Content-Type"), c.contentType)
			}
			if c.cache != "" && w.Header().Get("Cache-Control") != c.cache {
				t.Errorf("Cache-Control = %q, want %q", w.Header().Get("Cache-Control"), c.cache)
			}
			if !strings.Contains(w.Body.String(), c.body) {
				t.Errorf("body lacks %q", c.body)
			}
			csp := w.Header().Get("Content-Security-Policy")
			for _, want := range []string{"script-src 'self'", "connect-src 'self' ws://127.0.0.1:8080", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
				}
			}
		})
	}
}

// Every module a module imports, and every asset the page names, is embedded: a typo would
// otherwise show only as a blank page in a browser.
func TestEveryImportIsEmbedded(t *testing.T) {
	t.Parallel()
	files, err := fs.Sub(assets, "assets")
	if err != nil {
		t.Fatal(err)
	}
	imports := regexp.MustCompile(`(?m)^import .* from '([^']+)';$`)
	checked := 0
	err = fs.WalkDir(files, "js", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		for _, m := range imports.FindAllStringSubmatch(string(src), -1) {
			target := path.Join(path.Dir(p), m[1])
			if _, err := fs.Stat(files, target); err != nil {
				t.Errorf("%s imports %s, which is not embedded", p, m[1])
			}
			checked++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`\{\{BASE\}\}([^"]+)"`).FindAllStringSubmatch(string(index), -1) {
		if _, err := fs.Stat(files, m[1]); err != nil {
			t.Errorf("index.html names %s, which is not embedded", m[1])
		}
		checked++
	}
	if checked < 20 {
		t.Fatalf("checked only %d imports; the pattern no longer matches the modules", checked)
	}
}

// A new build (other assets) gets another folder, so no browser keeps an old module.
func TestAssetFolderChangesWithTheAssets(t *testing.T) {
	t.Parallel()
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	files, err := fs.Sub(assets, "assets")
	if err != nil {
		t.Fatal(err)
	}
	same, err := digest(files)
	if err != nil {
		t.Fatal(err)
	}
	changed, err := digest(overlay{files, "app.css", "body{}"})
	if err != nil {
		t.Fatal(err)
	}
	if same != a.hash || changed == same || !strings.HasPrefix(a.AssetBase(), "/ui/a-"+same) {
		t.Fatalf("hash %s, rebuilt %s, changed %s, base %s", a.hash, same, changed, a.AssetBase())
	}
}

// overlay is files with one file's content replaced.
type overlay struct {
	fs.FS
	name, content string
}

func (o overlay) ReadFile(name string) ([]byte, error) {
	if name == o.name {
		return []byte(o.content), nil
	}
	return fs.ReadFile(o.FS, name)
}
