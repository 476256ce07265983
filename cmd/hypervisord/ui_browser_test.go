package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// The dashboard's tests drive a real headless Chromium (Debian's chromium) with chromedp
// against the daemon binary. Screenshots go to the test's artifact directory: kept with
// `go test -artifacts -outputdir DIR`, and copied to HYPERSDK_UI_SCREENSHOTS when that is set
// (how docs/screenshots/ is refreshed: see docs/dashboard.md).

// browser is one Chromium tab on the dashboard.
type browser struct {
	t      *testing.T
	ctx    context.Context
	base   string // the daemon's URL
	mu     sync.Mutex
	errors []string // uncaught exceptions and console errors of the page
}

// chromiumPath finds Debian's chromium (or another Chromium/Chrome on PATH); it fails under CI
// when there is none and skips elsewhere, naming the package.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return providertest.NeedTool(t, "chromium", "apt-get install chromium; deploy/install-deps.sh --test installs it")
}

// newBrowser starts a headless Chromium of the given window size, closed when the test ends.
func newBrowser(t *testing.T, base string, width, height int) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // tests run as root in CI, where Chromium's sandbox refuses to start
		chromedp.DisableGPU,
		chromedp.WindowSize(width, height),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, base: base}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	go func() {
		for msg, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			// the page's own errors; the browser's log (Source set) also reports the 401 that
			// sends a signed-out page to the sign-in form
			if msg.IsException() || (msg.Type == "error" && msg.Source == "") {
				b.noteError(msg.String())
			}
		}
	}()
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if len(b.errors) > 0 {
			t.Errorf("the page logged errors:\n%s", strings.Join(b.errors, "\n"))
		}
	})
	return b
}

func (b *browser) noteError(msg string) {
	b.mu.Lock()
	b.errors = append(b.errors, msg)
	b.mu.Unlock()
}

// run does the actions within timeout; on failure it saves a screenshot of the page and fails
// the test naming the step.
func (b *browser) run(step string, timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.screenshot("failed-" + strings.ReplaceAll(step, " ", "-"))
		text, _ := chromedp.Run(b.ctx, chromedp.TextContent(chromedp.CSS("main")))
		b.t.Fatalf("%s: %v\npage %s:\n%.3000s", step, err, b.location(), text)
	}
}

func (b *browser) location() string {
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	return loc
}

// open goes to a dashboard page ("#/jobs"), or reloads it when it is the page shown (a
// navigation to the same address would change nothing), and waits until its heading is drawn.
func (b *browser) open(hash string) {
	b.t.Helper()
	target := b.base + "/ui/" + hash
	nav := chromedp.Navigate(target)
	if b.location() == target {
		nav = chromedp.Reload()
	}
	b.run("open "+hash, 20*time.Second, nav, chromedp.WaitVisible(chromedp.CSS("main h1")))
}

// until waits for a JavaScript expression to be true; while what it reads is not drawn yet
// (it throws), it is false.
func (b *browser) until(step, expr string, timeout time.Duration) {
	b.t.Helper()
	expr = "(() => { try { return !!(" + expr + "); } catch (e) { return false; } })()"
	b.run(step, timeout+5*time.Second, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(100*time.Millisecond))(ctx, t)
		return err
	}))
}

// eval returns the value of a JavaScript expression.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// fill sets the control of a form named by its API field.
func (b *browser) fill(form, field, value string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(chromedp.CSS(fmt.Sprintf(`form[aria-label=%q] [data-field=%q]`, form, field)), value)
}

func (b *browser) submit(form string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[aria-label=%q] button[type=submit]`, form)))
}

// click clicks the element a CSS selector finds.
func click(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }

// screenshot saves the viewport as <name>.png in the artifact directory (and in
// HYPERSDK_UI_SCREENSHOTS when set).
func (b *browser) screenshot(name string) {
	b.t.Helper()
	time.Sleep(300 * time.Millisecond) // let the last bar's transition end
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	dirs := []string{b.t.ArtifactDir()}
	if d := os.Getenv("HYPERSDK_UI_SCREENSHOTS"); d != "" {
		dirs = append(dirs, d)
	}
	for _, dir := range dirs {
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			b.t.Errorf("save screenshot: %v", err)
		}
	}
}

// fitsWidth says whether the page needs no horizontal scrolling (wide tables scroll inside
// their own box).
func (b *browser) fitsWidth() bool {
	b.t.Helper()
	return eval[bool](b, `document.documentElement.scrollWidth <= window.innerWidth`)
}
