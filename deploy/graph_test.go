package deploy

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestSchedulerOrderAndSkips(t *testing.T) {
	// a -> b -> c, and d independent; "b" fails; one at a time.
	nodes := []node{
		{id: "a", key: "k"}, {id: "b", key: "k", deps: []string{"a"}},
		{id: "c", key: "k", deps: []string{"b"}}, {id: "d", key: "k"},
	}
	for name, c := range map[string]struct {
		continueOnError bool
		want            map[string]string
	}{
		"stop":     {false, map[string]string{"a": "ok", "b": "failed", "c": "skipped: depends on b, which failed", "d": "skipped: not started: b failed"}},
		"continue": {true, map[string]string{"a": "ok", "b": "failed", "c": "skipped: depends on b, which failed", "d": "ok"}},
	} {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			var order []string
			s := scheduler{global: 1, perKey: 1, continueOnError: c.continueOnError}
			out := s.run(context.Background(), nodes, func(_ context.Context, id string, deps map[string]StackResult) StackResult {
				mu.Lock()
				order = append(order, id)
				mu.Unlock()
				if id == "b" {
					if deps["a"].Outputs["from"] != "a" {
						t.Errorf("b did not get a's result: %+v", deps)
					}
					return StackResult{ID: id, Status: StatusFailed}
				}
				return StackResult{ID: id, Status: StatusCreated, Outputs: map[string]string{"from": id}}
			})
			for id, want := range c.want {
				o := out[id]
				got := "ok"
				switch o.Status {
				case StatusFailed:
					got = "failed"
				case StatusSkipped:
					got = "skipped: " + o.Reason
				}
				if got != want {
					t.Errorf("%s: %q, want %q", id, got, want)
				}
			}
			if order[0] != "a" || order[1] != "b" {
				t.Errorf("order %v: a must run before b", order)
			}
		})
	}
}

func TestSchedulerCaps(t *testing.T) {
	// 12 independent nodes over 3 keys; caps 4 overall and 2 per key.
	var nodes []node
	for i := range 12 {
		nodes = append(nodes, node{id: fmt.Sprint(i), key: fmt.Sprint(i % 3)})
	}
	var mu sync.Mutex
	running, perKey := 0, map[string]int{}
	maxRunning, maxPerKey := 0, 0
	s := scheduler{global: 4, perKey: 2}
	out := s.run(context.Background(), nodes, func(_ context.Context, id string, _ map[string]StackResult) StackResult {
		key := nodes[atoi(id)].key
		mu.Lock()
		running++
		perKey[key]++
		maxRunning = max(maxRunning, running)
		maxPerKey = max(maxPerKey, perKey[key])
		mu.Unlock()
		time.Sleep(2 * time.Millisecond) // let others start; not an assertion
		mu.Lock()
		running--
		perKey[key]--
		mu.Unlock()
		return StackResult{ID: id, Status: StatusCreated}
	})
	if maxRunning > 4 || maxPerKey > 2 {
		t.Errorf("ran %d at once (cap 4), %d per key (cap 2)", maxRunning, maxPerKey)
	}
	for id, o := range out {
		if o.Status != StatusCreated {
			t.Errorf("%s: %+v", id, o)
		}
	}
}

func TestSchedulerCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	nodes := []node{{id: "a", key: "k"}, {id: "b", key: "k", deps: []string{"a"}, base: StackResult{ID: "b", StackName: "bee"}}}
	out := scheduler{global: 2, perKey: 2}.run(ctx, nodes, func(_ context.Context, id string, _ map[string]StackResult) StackResult {
		cancel()
		return StackResult{ID: id, Status: StatusCreated}
	})
	if b := out["b"]; b.Status != StatusSkipped || b.Reason != "not started: the run was interrupted" || b.StackName != "bee" {
		t.Errorf("b after cancel: %+v", out["b"])
	}
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}
