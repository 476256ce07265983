// Package auth identifies API clients by bearer token and says what their role allows:
// viewer reads, operator also submits and cancels jobs and runs schedules, admin also manages
// webhooks, schedules and policies and reads the audit log. Tokens are kept only as SHA-256
// digests and compared in constant time; each identity has its own rate limit.
package auth

import (
	"container/list"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"sync"
	"time"

	"github.com/hypersdk/hypersdk/core/config"
)

// Role is what an identity may do; higher includes lower.
type Role int

// Roles.
const (
	Viewer Role = iota + 1
	Operator
	Admin
)

func (r Role) String() string {
	switch r {
	case Viewer:
		return "viewer"
	case Operator:
		return "operator"
	case Admin:
		return "admin"
	}
	return "none"
}

func parseRole(s string) Role {
	switch s {
	case "admin":
		return Admin
	case "operator":
		return Operator
	}
	return Viewer
}

// Identity is who made a request.
type Identity struct {
	Name string
	Role Role
}

type entry struct {
	name string
	role Role
	sum  [32]byte
}

// Authenticator checks tokens and rates.
type Authenticator struct {
	Enabled bool
	tokens  []entry
	rate    float64
	burst   float64

	mu         sync.Mutex
	buckets    map[string]*list.Element // of *bucket, in recent
	recent     *list.List               // most recently seen first
	maxBuckets int
}

// maxBuckets bounds the clients the rate limiter remembers at once. A client forgotten while
// idle loses nothing (see Allow); past the bound the least recently seen is forgotten even if
// it is not idle, which hands it a fresh burst but keeps memory fixed whatever the number of
// addresses a flood comes from.
const maxBuckets = 10000

// New builds an authenticator from the auth section. Plain tokens are hashed at once and not kept.
func New(c config.Auth) *Authenticator {
	a := &Authenticator{Enabled: c.Enabled, rate: c.RateLimit.RequestsPerSecond, burst: float64(c.RateLimit.Burst),
		buckets: map[string]*list.Element{}, recent: list.New(), maxBuckets: maxBuckets}
	if a.burst == 0 {
		a.burst = max(a.rate, 1)
	}
	for _, t := range c.Tokens {
		e := entry{name: t.Name, role: parseRole(t.Role)}
		if t.Token != "" {
			e.sum = sha256.Sum256([]byte(t.Token))
		} else {
			raw, _ := hex.DecodeString(t.TokenSHA256)
			copy(e.sum[:], raw)
		}
		a.tokens = append(a.tokens, e)
	}
	return a
}

// Identify returns the identity a token belongs to. Every configured token is compared, in
// constant time, so timing tells nothing about which one nearly matched.
func (a *Authenticator) Identify(token string) (Identity, bool) {
	sum := sha256.Sum256([]byte(token))
	var found Identity
	ok := false
	for _, e := range a.tokens {
		if subtle.ConstantTimeCompare(sum[:], e.sum[:]) == 1 {
			found, ok = Identity{Name: e.name, Role: e.role}, true
		}
	}
	return found, ok
}

// Allow takes one request from the identity's budget; false means over the limit, with how long
// until the next request would be allowed.
//
// A client unseen for burst/rate seconds has a full bucket again, the same as one never seen,
// so it is forgotten: the limiter remembers only clients that are using their budget.
func (a *Authenticator) Allow(key string, now time.Time) (bool, time.Duration) {
	if a.rate <= 0 {
		return true, 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	refill := time.Duration(a.burst / a.rate * float64(time.Second))
	for e := a.recent.Back(); e != nil; e = a.recent.Back() {
		old := e.Value.(*bucket)
		_, known := a.buckets[key]
		idle := now.Sub(old.at) >= refill
		full := !known && len(a.buckets) >= a.maxBuckets
		if !idle && !full {
			break
		}
		a.recent.Remove(e)
		delete(a.buckets, old.key)
	}
	var b *bucket
	if e, ok := a.buckets[key]; ok {
		b = e.Value.(*bucket)
		a.recent.MoveToFront(e)
	} else {
		b = &bucket{key: key, tokens: a.burst, at: now}
		a.buckets[key] = a.recent.PushFront(b)
	}
	b.tokens = min(a.burst, b.tokens+now.Sub(b.at).Seconds()*a.rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / a.rate * float64(time.Second))
}

type bucket struct {
	key    string
	tokens float64
	at     time.Time
}
