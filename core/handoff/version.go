package handoff

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"time"
)

// versionPattern is the first dotted number of `hyper2kvm --version` ("hyper2kvm 0.2.0").
var versionPattern = regexp.MustCompile(`\b\d+(\.\d+)+\S*`)

// versions caches each executable's answer by path, size and modification time: asking runs a
// Python interpreter (a second or so), and an upgrade changes the file.
var versions sync.Map // path → cachedVersion

type cachedVersion struct {
	size    int64
	modTime time.Time
	version string
}

// Version is the version of the hyper2kvm executable at path, "" when there is none or it does
// not say.
func Version(ctx context.Context, path string) string {
	if path == "" {
		return ""
	}
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
		return ""
	}
	if c, ok := versions.Load(path); ok {
		if c := c.(cachedVersion); c.size == st.Size() && c.modTime.Equal(st.ModTime()) {
			return c.version
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	v := ""
	if err == nil {
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() && v == "" {
			v = versionPattern.FindString(sc.Text())
		}
	}
	if ctx.Err() == nil { // a timed-out answer is asked again next time
		versions.Store(path, cachedVersion{size: st.Size(), modTime: st.ModTime(), version: v})
	}
	return v
}
