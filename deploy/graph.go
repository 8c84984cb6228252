package deploy

import (
	"context"
	"fmt"
)

// node is one unit of work of the run graph.
type node struct {
	id string
	// key groups nodes under the per-target cap: "<account>/<region>".
	key string
	// deps must succeed before the node starts.
	deps []string
	// base is the node's result before it runs (its identity); a node that
	// never starts reports it with StatusSkipped.
	base StackResult
}

// work runs one node. deps holds the results of the node's dependencies,
// every one of which succeeded. It returns the node's result.
type work func(ctx context.Context, id string, deps map[string]StackResult) StackResult

// scheduler runs a DAG given in an order where every dependency comes before
// its dependents (plan.Check guarantees this for plans).
//
// Locking rule: only the scheduling loop in run reads or writes the state of
// the walk (what started, what finished, every result); each work call runs
// on its own goroutine, sees only copies of its dependencies' results and
// hands its own result back on a channel.
type scheduler struct {
	global, perKey  int
	continueOnError bool
}

// completion reports a finished node to the scheduling loop.
type completion struct {
	id  string
	res StackResult
}

// run starts each node as soon as all of its dependencies succeeded and the
// caps allow, in the given order among ready nodes. After a failure no new
// node starts, unless continueOnError, in which case only nodes that
// (transitively) depend on a failed node are skipped. Running nodes always
// finish. Cancelling ctx stops new starts the same way. run returns once no
// node runs, with a result for every node.
func (s scheduler) run(ctx context.Context, nodes []node, do work) map[string]StackResult {
	results := make(map[string]StackResult, len(nodes))
	byID := make(map[string]node, len(nodes))
	for _, n := range nodes {
		byID[n.id] = n
	}
	started := map[string]bool{}
	running, perKey := 0, map[string]int{}
	done := make(chan completion)
	var firstFailure string
	skip := func(n node, reason string) {
		r := n.base
		r.Status, r.Reason = StatusSkipped, reason
		results[n.id] = r
	}

	for {
		if firstFailure == "" || s.continueOnError {
			for _, n := range nodes {
				if started[n.id] || ctx.Err() != nil {
					continue
				}
				if _, settled := results[n.id]; settled {
					continue
				}
				ready, why := true, ""
				for _, d := range n.deps {
					r, finished := results[d]
					switch {
					case !finished:
						ready = false
					case r.Status.failed():
						why = fmt.Sprintf("depends on %s, which %s", d, r.Status.past())
					case r.Status == StatusSkipped:
						why = fmt.Sprintf("depends on %s, which was skipped", d)
					}
					if why != "" {
						break
					}
				}
				if why != "" {
					skip(n, why)
					continue
				}
				if !ready || running >= s.global || perKey[n.key] >= s.perKey {
					continue
				}
				deps := make(map[string]StackResult, len(n.deps))
				for _, d := range n.deps {
					deps[d] = results[d]
				}
				started[n.id] = true
				running++
				perKey[n.key]++
				go func(id string) {
					done <- completion{id: id, res: do(ctx, id, deps)}
				}(n.id)
			}
		}
		if running == 0 {
			break
		}
		c := <-done
		running--
		perKey[byID[c.id].key]--
		results[c.id] = c.res
		if c.res.Status.failed() && firstFailure == "" {
			firstFailure = c.id
		}
	}

	for _, n := range nodes {
		if _, settled := results[n.id]; settled {
			continue
		}
		reason := "not started: the run was interrupted"
		if firstFailure != "" && ctx.Err() == nil {
			reason = fmt.Sprintf("not started: %s %s", firstFailure, results[firstFailure].Status.past())
		}
		for _, d := range n.deps {
			if r := results[d]; r.Status.failed() {
				reason = fmt.Sprintf("depends on %s, which %s", d, r.Status.past())
				break
			}
		}
		skip(n, reason)
	}
	return results
}
