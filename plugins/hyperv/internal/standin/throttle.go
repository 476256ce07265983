package standin

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// throttle is a TCP proxy in front of smbd that passes at most rate bytes a second towards the
// client (0: no limit) and counts them, so a test can act in the middle of a copy.
type throttle struct {
	l      net.Listener
	target string
	rate   int64
	bytes  atomic.Int64
	wg     sync.WaitGroup
}

func startThrottle(target string, rate int64) (*throttle, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &throttle{l: l, target: target, rate: rate}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

func (p *throttle) addr() string { return p.l.Addr().String() }

func (p *throttle) close() {
	p.l.Close()
	p.wg.Wait()
}

func (p *throttle) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.wg.Add(2)
		go func() { defer p.wg.Done(); _, _ = io.Copy(up, c); up.Close() }()
		go func() { defer p.wg.Done(); p.down(c, up); c.Close(); up.Close() }()
	}
}

// down copies server to client in 32 KiB pieces, pausing to keep to the rate.
func (p *throttle) down(c, up net.Conn) {
	buf := make([]byte, 32<<10)
	start := time.Now()
	var sent int64
	for {
		n, err := up.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
			sent += int64(n)
			p.bytes.Add(int64(n))
			if p.rate > 0 {
				if ahead := time.Duration(sent*int64(time.Second)/p.rate) - time.Since(start); ahead > 0 {
					time.Sleep(ahead)
				}
			}
		}
		if err != nil {
			return
		}
	}
}
