package etcdtest

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy forwards TCP connections to an etcd member until it is blocked: then every connection
// through it is cut and new ones hang, as behind a network partition.
type Proxy struct {
	URL    string // the client URL to give a node instead of the member's
	target string
	l      net.Listener

	mu      sync.Mutex
	blocked bool
	conns   []net.Conn
}

// StartProxy listens on a free loopback port and forwards to endpoint (http://host:port).
func StartProxy(t testing.TB, endpoint string) *Proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{URL: "http://" + l.Addr().String(), target: endpoint[len("http://"):], l: l}
	t.Cleanup(func() { l.Close(); p.Block() })
	go p.serve()
	return p
}

func (p *Proxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.blocked {
			p.conns = append(p.conns, c) // held open, never answered
			p.mu.Unlock()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close() }()
		go func() { io.Copy(c, up); c.Close() }()
	}
}

// Block cuts every connection and holds new ones unanswered.
func (p *Proxy) Block() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blocked = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// Unblock lets new connections through again.
func (p *Proxy) Unblock() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blocked = false
	for _, c := range p.conns {
		c.Close() // the held ones: the client dials again
	}
	p.conns = nil
}
