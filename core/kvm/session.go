package kvm

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/digitalocean/go-libvirt"
)

// dialTimeout bounds the connect to libvirtd's socket when the caller's context has no
// nearer deadline.
const dialTimeout = 10 * time.Second

// session runs fn on a fresh connection to libvirtd, bounded by ctx. go-libvirt's calls take
// no context and wait for libvirtd's answer as long as it takes (a libvirtd probing qemu can
// take minutes); when ctx ends first the socket is closed under them, which makes them return,
// and session answers ErrUnavailable with the context's cause at once.
func (c Config) session(ctx context.Context, fn func(*libvirt.Libvirt) error) error {
	sock, uri := c.Socket, c.URI
	if sock == "" {
		sock = "/var/run/libvirt/libvirt-sock"
	}
	if uri == "" {
		uri = string(libvirt.QEMUSystem)
	}
	d := &closableDialer{socket: sock, timeout: dialTimeout}
	if dl, ok := ctx.Deadline(); ok {
		d.timeout = min(d.timeout, time.Until(dl))
	}
	l := libvirt.NewWithDialer(d)
	done := make(chan error, 1)
	go func() {
		if err := l.ConnectToURI(libvirt.ConnectURI(uri)); err != nil {
			done <- fmt.Errorf("%w: connect to %s over %s: %v", ErrUnavailable, uri, sock, err)
			return
		}
		err := fn(l)
		if derr := l.Disconnect(); derr != nil && err == nil {
			err = fmt.Errorf("disconnect from libvirtd: %w", derr)
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		d.close() // fn's calls fail now; its goroutine ends on its own
		return fmt.Errorf("%w: libvirtd did not answer over %s: %w", ErrUnavailable, sock, context.Cause(ctx))
	}
}

// closableDialer dials libvirtd's unix socket and keeps the connection, so that a session
// whose context ended can close it under calls that would otherwise wait forever.
type closableDialer struct {
	socket  string
	timeout time.Duration
	mu      sync.Mutex
	conn    net.Conn
	closed  bool
}

func (d *closableDialer) Dial() (net.Conn, error) {
	conn, err := net.DialTimeout("unix", d.socket, d.timeout)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		conn.Close()
		return nil, net.ErrClosed
	}
	d.conn = conn
	return conn, nil
}

func (d *closableDialer) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	if d.conn != nil {
		d.conn.Close()
	}
}
