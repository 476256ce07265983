package api

import (
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/gin-gonic/gin"
)

// sitePolicy says which Host and Origin headers the API answers. With auth off every caller is
// an admin, so the only thing keeping a web page the operator happens to open from driving the
// daemon is the browser's own rules: a page on another origin announces itself in Origin
// (cross-site request forgery), and a page that points its own DNS name at the daemon (DNS
// rebinding) cannot change the Host header its browser sends.
type sitePolicy struct {
	anyHost, anyOrigin bool
	hosts              []hostPort      // allowed Host headers; an empty port matches any
	origins            map[string]bool // allowed Origin headers, as normalOrigin writes them
}

type hostPort struct{ host, port string }

// newSitePolicy builds the policy from the listening address and daemon.allowed_hosts and
// daemon.allowed_origins. Loopback names and the listening host are always allowed: a rebinding
// page's Host is its own name, never these.
func newSitePolicy(listen string, hosts, origins []string) *sitePolicy {
	p := &sitePolicy{origins: map[string]bool{}}
	listenHost, listenPort, _ := net.SplitHostPort(listen)
	names := []string{"localhost", "127.0.0.1", "::1"}
	if ip := net.ParseIP(listenHost); listenHost == "" || (ip != nil && ip.IsUnspecified()) {
		names = append(names, localNames()...)
	} else {
		names = append(names, listenHost)
	}
	for _, n := range names {
		p.hosts = append(p.hosts, hostPort{host: normalHost(n)})
		if listenPort != "" {
			for _, scheme := range []string{"http", "https"} {
				p.origins[normalOrigin(scheme, n, listenPort)] = true
			}
		}
	}
	for _, h := range hosts {
		if h == "*" {
			p.anyHost = true
			continue
		}
		p.hosts = append(p.hosts, splitHost(h))
	}
	for _, o := range origins {
		if o == "*" {
			p.anyOrigin = true
			continue
		}
		if u, err := url.Parse(o); err == nil {
			p.origins[normalOrigin(u.Scheme, u.Hostname(), u.Port())] = true
		}
	}
	return p
}

// localNames are the names a daemon listening on every interface is reached by: the machine's
// hostname and the addresses of its interfaces.
func localNames() []string {
	var out []string
	if h, err := os.Hostname(); err == nil && h != "" {
		out = append(out, h)
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				out = append(out, n.IP.String())
			}
		}
	}
	return out
}

// splitHost splits a Host header or an allowed_hosts entry; a missing port is "".
func splitHost(s string) hostPort {
	if h, port, err := net.SplitHostPort(s); err == nil {
		return hostPort{host: normalHost(h), port: port}
	}
	return hostPort{host: normalHost(s)}
}

func normalHost(h string) string {
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return strings.ToLower(strings.TrimSuffix(h, "."))
}

func defaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}

// normalOrigin writes an origin with its port always spelled out, so that http://x and
// http://x:80 compare equal.
func normalOrigin(scheme, host, port string) string {
	scheme = strings.ToLower(scheme)
	if port == "" {
		port = defaultPort(scheme)
	}
	return scheme + "://" + net.JoinHostPort(normalHost(host), port)
}

func (p *sitePolicy) hostAllowed(r *http.Request) bool {
	if p.anyHost || r.Host == "" { // no Host header: HTTP/1.0, never a browser
		return true
	}
	got := splitHost(r.Host)
	if got.port == "" {
		got.port = defaultPort(schemeOf(r))
	}
	for _, a := range p.hosts {
		if a.host == got.host && (a.port == "" || a.port == got.port) {
			return true
		}
	}
	return false
}

// originAllowed accepts requests without Origin (not from a browser page, or a same-origin
// GET), from the daemon's own origin, and from the allowed ones.
func (p *sitePolicy) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || p.anyOrigin {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" { // "null": sandboxed frames, file:// pages, redirects
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return p.origins[normalOrigin(u.Scheme, u.Hostname(), u.Port())]
}

func schemeOf(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// checkSite refuses requests for a host name the daemon does not answer to (421) and requests
// from web pages of a foreign origin (403). It covers every route, the WebSocket upgrade
// included.
func checkSite(p *sitePolicy) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !p.hostAllowed(c.Request) {
			abort(c, http.StatusMisdirectedRequest, "host_not_allowed",
				"this daemon does not answer to Host "+quote(c.Request.Host)+"; if that name is yours, add it to daemon.allowed_hosts", "Host")
			return
		}
		if !p.originAllowed(c.Request) {
			abort(c, http.StatusForbidden, "origin_not_allowed",
				"requests from web pages of origin "+quote(c.Request.Header.Get("Origin"))+" are refused; if that site is yours, add it to daemon.allowed_origins", "Origin")
			return
		}
		c.Next()
	}
}

// requireJSON makes every POST, and every other mutating request that has a body, declare
// Content-Type: application/json. A browser sends that type across origins only after a CORS
// preflight, which this API never grants, so a foreign page's form or text/plain POST stops
// here.
func requireJSON() gin.HandlerFunc {
	return func(c *gin.Context) {
		r := c.Request
		mutating := r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch || r.Method == http.MethodDelete
		if !mutating || c.FullPath() == "" || (r.Method != http.MethodPost && r.ContentLength == 0) {
			c.Next()
			return
		}
		ct := r.Header.Get("Content-Type")
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			abort(c, http.StatusUnsupportedMediaType, "unsupported_media_type",
				r.Method+" requests must have the header Content-Type: application/json, got "+quote(ct), "Content-Type")
			return
		}
		c.Next()
	}
}
