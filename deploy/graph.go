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
}

// nodeOutcome is what happened to one node.
type nodeOutcome struct {
	err error
	// skipped is set for nodes that never started; reason says why.
	skipped bool
	reason  string
}

// scheduler runs a DAG given in an order where every dependency comes before
// its dependents (plan.Check guarantees this for plans).
type scheduler struct {
	global, perKey  int
	continueOnError bool
}

// completion reports a finished node to the scheduling loop.
type completion struct {
	id  string
	err error
}

// run starts each node as soon as all of its dependencies succeeded and the
// caps allow, in the given order among ready nodes. After a failure no new
// node starts, unless continueOnError, in which case only nodes that
// (transitively) depend on a failed node are skipped. Running nodes always
// finish. Cancelling ctx stops new starts the same way. run returns once no
// node runs, with an outcome for every node.
func (s scheduler) run(ctx context.Context, nodes []node, work func(ctx context.Context, id string) error) map[string]nodeOutcome {
	out := make(map[string]nodeOutcome, len(nodes))
	started := map[string]bool{}
	running, perKey := 0, map[string]int{}
	done := make(chan completion)
	var firstFailure string

	for {
		if firstFailure == "" || s.continueOnError {
			for _, n := range nodes {
				if started[n.id] || ctx.Err() != nil {
					continue
				}
				if _, settled := out[n.id]; settled {
					continue
				}
				ready, skip := true, ""
				for _, d := range n.deps {
					o, finished := out[d]
					switch {
					case !finished:
						ready = false
					case o.err != nil:
						skip = fmt.Sprintf("depends on %s, which failed", d)
					case o.skipped:
						skip = fmt.Sprintf("depends on %s, which was skipped", d)
					}
					if skip != "" {
						break
					}
				}
				if skip != "" {
					out[n.id] = nodeOutcome{skipped: true, reason: skip}
					continue
				}
				if !ready {
					continue
				}
				if running >= s.global || perKey[n.key] >= s.perKey {
					continue
				}
				started[n.id] = true
				running++
				perKey[n.key]++
				go func(id string) {
					done <- completion{id: id, err: work(ctx, id)}
				}(n.id)
			}
		}
		if running == 0 {
			break
		}
		c := <-done
		running--
		for _, n := range nodes {
			if n.id == c.id {
				perKey[n.key]--
			}
		}
		out[c.id] = nodeOutcome{err: c.err}
		if c.err != nil && firstFailure == "" {
			firstFailure = c.id
		}
	}

	for _, n := range nodes {
		if _, settled := out[n.id]; settled {
			continue
		}
		reason := "not started: the run was cancelled"
		if firstFailure != "" {
			reason = fmt.Sprintf("not started: %s failed", firstFailure)
		}
		for _, d := range n.deps {
			if o := out[d]; o.err != nil {
				reason = fmt.Sprintf("depends on %s, which failed", d)
				break
			}
		}
		out[n.id] = nodeOutcome{skipped: true, reason: reason}
	}
	return out
}
