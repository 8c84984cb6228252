package mototest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Fault kinds the proxy injects.
const (
	FaultThrottle = "throttle" // HTTP 400, query-protocol Throttling error
	FaultTooMany  = "429"      // HTTP 429
	FaultUnavail  = "503"      // HTTP 503
	FaultDrop     = "drop"     // connection closed without a response
	FaultServer   = "500"      // HTTP 500 with an HTML body, like a broken moto code path
)

// Rule changes how the proxy treats the requests of one API action.
type Rule struct {
	// Action is the API action ("ExecuteChangeSet"); "" matches every
	// request.
	Action string
	// Times is how many matching requests the rule applies to; 0 is all.
	Times int
	// Hang holds the request without forwarding or answering it, until the
	// client gives up (a request that never gets an answer).
	Hang bool
	// Instead answers with a fault without forwarding the request (FaultDrop:
	// as from an endpoint that is not there).
	Instead string
	// Delay forwards the request at once and holds the reply this long, or
	// until the client gives up.
	Delay time.Duration
	// Reply, after forwarding, replaces moto's answer with a fault
	// (FaultDrop: the request had its effect, the reply is lost; FaultServer:
	// an HTTP 500 although the request had its effect).
	Reply string
	// OnMatch runs (on its own goroutine) when a request matches, e.g. to
	// interrupt the client while the reply is delayed.
	OnMatch func()
}

// FaultProxy is a loopback reverse proxy to moto. It fails a random share
// of the requests (before they reach moto, so a retry is always safe) and
// applies Rules to chosen actions. It counts the actions it saw.
type FaultProxy struct {
	// URL is the proxy's base endpoint.
	URL string

	srv    *httptest.Server
	mu     sync.Mutex
	rng    *rand.Rand
	rate   float64
	limit  int
	counts map[string]int
	rules  []*rule
	seen   map[string]int
	// forwards are requests on their way to moto.
	forwards sync.WaitGroup
}

type rule struct {
	Rule
	used int
}

// NewFaultProxy proxies to target, failing each request with probability
// rate (drawn from a RNG seeded with seed), at most limit times in all.
func NewFaultProxy(target string, rate float64, seed int64, limit int) (*FaultProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &FaultProxy{rng: rand.New(rand.NewSource(seed)), rate: rate, limit: limit, counts: map[string]int{}, seen: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		action := readAction(r)
		p.mu.Lock()
		p.seen[action]++
		p.mu.Unlock()
		if ru := p.match(action); ru != nil {
			if ru.OnMatch != nil {
				go ru.OnMatch()
			}
			p.apply(ru, rp, w, r)
			return
		}
		switch p.draw() {
		case FaultThrottle:
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, throttleReply(r))
		case FaultTooMany:
			w.WriteHeader(http.StatusTooManyRequests)
		case FaultUnavail:
			w.WriteHeader(http.StatusServiceUnavailable)
		case FaultDrop:
			drop(w)
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	p.URL = p.srv.URL
	return p, nil
}

// Add installs a rule; rules are tried in the order added.
func (p *FaultProxy) Add(r Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, &rule{Rule: r})
}

// Settle waits until every request the proxy forwarded has its answer from
// moto (whether or not its client still waits for it).
func (p *FaultProxy) Settle() { p.forwards.Wait() }

// Seen returns how many requests of an action arrived ("" counts requests
// whose action could not be read).
func (p *FaultProxy) Seen(action string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[action]
}

func (p *FaultProxy) match(action string) *rule {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ru := range p.rules {
		if (ru.Action == "" || ru.Action == action) && (ru.Times == 0 || ru.used < ru.Times) {
			ru.used++
			return ru
		}
	}
	return nil
}

func (p *FaultProxy) apply(ru *rule, rp *httputil.ReverseProxy, w http.ResponseWriter, r *http.Request) {
	if ru.Hang {
		<-r.Context().Done()
		return
	}
	if ru.Instead == FaultDrop {
		drop(w)
		return
	}
	// A request that reached the server completes there even when the
	// client stops waiting for its reply, as on AWS.
	rec := httptest.NewRecorder()
	p.forwards.Add(1)
	rp.ServeHTTP(rec, r.WithContext(context.WithoutCancel(r.Context())))
	p.forwards.Done()
	if ru.Delay > 0 {
		select {
		case <-time.After(ru.Delay):
		case <-r.Context().Done():
			return
		}
	}
	switch ru.Reply {
	case FaultDrop:
		drop(w)
		return
	case FaultServer:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, "<!doctype html><title>500 Internal Server Error</title><h1>Internal Server Error</h1>")
		return
	}
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// throttleReply is the throttling error body of the request's service:
// EC2's query protocol has its own error shape and code
// ("RequestLimitExceeded"), the other query services share CloudFormation's.
func throttleReply(r *http.Request) string {
	if strings.Contains(r.Header.Get("Authorization"), "/ec2/aws4_request") {
		return `<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>00000000-0000-0000-0000-000000000000</RequestID></Response>`
	}
	return `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`
}

// readAction reads the query protocol's Action from a form body (or the
// URL) and puts the body back for forwarding.
func readAction(r *http.Request) string {
	if a := r.URL.Query().Get("Action"); a != "" {
		return a
	}
	if r.Body == nil {
		return ""
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil || !strings.Contains(r.Header.Get("Content-Type"), "x-www-form-urlencoded") {
		return ""
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return v.Get("Action")
}

// drop closes the connection without a reply (a reset, not a clean close).
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			conn.Close()
			return
		}
	}
	w.WriteHeader(http.StatusServiceUnavailable)
}

// draw picks the random fault for one request ("" for none).
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

// Counts returns how many random faults of each kind were injected.
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
func (p *FaultProxy) Close() { p.srv.CloseClientConnections(); p.srv.Close() }
