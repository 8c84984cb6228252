package mototest

import (
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
)

// Fault kinds the proxy injects.
const (
	FaultThrottle = "throttle" // HTTP 400, query-protocol Throttling error
	FaultTooMany  = "429"      // HTTP 429
	FaultUnavail  = "503"      // HTTP 503
	FaultDrop     = "drop"     // connection closed without a response
)

// FaultProxy is a loopback reverse proxy to moto that fails a share of the
// requests. Faults are injected instead of forwarding, so a failed request
// never reached moto and its retry is safe (moto ignores client request
// tokens; on AWS those make a retry after a lost response safe too).
type FaultProxy struct {
	// URL is the proxy's base endpoint.
	URL string

	srv    *httptest.Server
	mu     sync.Mutex
	rng    *rand.Rand
	rate   float64
	limit  int
	counts map[string]int
}

// NewFaultProxy proxies to target, failing each request with probability
// rate (drawn from a RNG seeded with seed), at most limit times in all.
func NewFaultProxy(target string, rate float64, seed int64, limit int) (*FaultProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &FaultProxy{rng: rand.New(rand.NewSource(seed)), rate: rate, limit: limit, counts: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p.draw() {
		case FaultThrottle:
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`)
		case FaultTooMany:
			w.WriteHeader(http.StatusTooManyRequests)
		case FaultUnavail:
			w.WriteHeader(http.StatusServiceUnavailable)
		case FaultDrop:
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					if tc, ok := conn.(*net.TCPConn); ok {
						_ = tc.SetLinger(0) // reset, not a clean close
					}
					conn.Close()
					return
				}
			}
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	p.URL = p.srv.URL
	return p, nil
}

// draw picks the fault for one request ("" for none).
func (p *FaultProxy) draw() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	total := 0
	for _, n := range p.counts {
		total += n
	}
	x := p.rng.Float64()
	kind := []string{FaultThrottle, FaultThrottle, FaultTooMany, FaultUnavail, FaultDrop}[p.rng.Intn(5)]
	if total >= p.limit || x >= p.rate {
		return ""
	}
	p.counts[kind]++
	return kind
}

// Counts returns how many faults of each kind were injected.
func (p *FaultProxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, v := range p.counts {
		out[k] = v
	}
	return out
}

// Close stops the proxy.
func (p *FaultProxy) Close() { p.srv.Close() }
