package deploy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/bgc-dev/bgc/compiler/plan"
)

// runner is the state shared by the stacks of one Deploy run.
type runner struct {
	opts    Options
	src     clientSource
	prog    *progress
	confirm *confirmer
	poll    poller
	outputs outputStore
	bodies  map[string]string
	stacks  map[string]plan.Stack

	mu      sync.Mutex
	results map[string]*StackResult
}

// Deploy deploys every stack of p, reading templates from templates (paths
// in the plan are relative to its root). It checks all templates and access
// to every account before anything changes. The summary lists every stack
// in plan order; the error is non-nil when a stack failed or was skipped
// (a *RunError carrying the summary) or when nothing could start.
func Deploy(ctx context.Context, p *plan.Plan, templates fs.FS, opts Options) (*Summary, error) {
	if err := opts.normalize(); err != nil {
		return nil, err
	}
	if err := p.Check(); err != nil {
		return nil, err
	}
	bodies, err := readTemplates(templates, p.Stacks)
	if err != nil {
		return nil, err
	}
	base, err := opts.loadBase(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return deploy(ctx, p, bodies, opts, newAWSClients(base, opts.RunID, opts.MaxRetryBackoff))
}

// deploy runs a checked plan with a client source (fakes in unit tests).
func deploy(ctx context.Context, p *plan.Plan, bodies map[string]string, opts Options, src clientSource) (*Summary, error) {
	if err := src.check(ctx, p.Stacks); err != nil {
		return nil, err
	}
	r := &runner{
		opts:    opts,
		src:     src,
		poll:    poller{min: opts.PollInterval, max: opts.MaxPollInterval},
		bodies:  bodies,
		stacks:  map[string]plan.Stack{},
		results: map[string]*StackResult{},
	}
	var ids []string
	var nodes []node
	for _, s := range p.Stacks {
		ids = append(ids, s.ID)
		r.stacks[s.ID] = s
		r.results[s.ID] = &StackResult{ID: s.ID, Account: s.Account, Region: s.Region, StackName: s.StackName}
		nodes = append(nodes, node{id: s.ID, key: s.Account + "/" + s.Region, deps: s.DependsOn})
	}
	r.prog = newProgress(&opts.Common, ids)
	r.confirm = newConfirmer(&opts.Common, r.prog)

	sched := scheduler{global: opts.Concurrency, perKey: opts.PerTargetConcurrency, continueOnError: opts.ContinueOnError}
	outcomes := sched.run(ctx, nodes, r.deployStack)
	sum := r.finish(p.Stacks, outcomes)
	r.prog.close()
	r.prog.summary(sum)
	if opts.Output == OutputText {
		writeSummary(opts.Stdout, sum)
	}
	return sum, sum.Err()
}

// deployStack is the scheduler's work function for one stack.
func (r *runner) deployStack(ctx context.Context, id string) error {
	s := r.stacks[id]
	res := r.result(id)
	start := r.opts.Now()
	run := &stackRun{runner: r, s: s, api: r.src.cfn(s.Account, s.Region), res: res, body: r.bodies[id]}
	err := r.prepare(run)
	if err == nil {
		err = run.run(ctx)
	}
	r.mu.Lock()
	res.Seconds = r.opts.Now().Sub(start).Seconds()
	r.mu.Unlock()
	switch {
	case errors.Is(err, errUnknownInput) && r.opts.DryRun:
		res.Status, res.Reason = StatusUnknown, "inputs are only known after a real deploy: "+err.Error()
		r.prog.phase(id, string(res.Status), res.Reason)
		return nil
	case err != nil:
		res.Status = StatusFailed
		res.Reason, res.Events = failureOf(err)
		r.prog.phase(id, string(StatusFailed), res.Reason)
		r.prog.failure(id, res.Reason, res.Events)
		return err
	}
	r.prog.phase(id, string(res.Status), res.Reason)
	return nil
}

// prepare resolves a stack's parameters and fingerprints its inputs.
func (r *runner) prepare(run *stackRun) error {
	params, err := resolveParams(run.s, &r.outputs)
	if err != nil {
		return err
	}
	run.params = params
	run.hash = inputHash(run.body, params, run.s)
	run.tags = stackTags(run.s)
	return nil
}

func (r *runner) result(id string) *StackResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.results[id]
}

// finish builds the summary in plan order from results and outcomes.
func (r *runner) finish(stacks []plan.Stack, outcomes map[string]nodeOutcome) *Summary {
	sum := &Summary{RunID: r.opts.RunID, OK: true}
	for _, s := range stacks {
		res := *r.result(s.ID)
		if o := outcomes[s.ID]; o.skipped {
			res.Status, res.Reason = StatusSkipped, o.reason
			r.prog.phase(s.ID, string(StatusSkipped), o.reason)
		}
		if !res.Status.ok() {
			sum.OK = false
		}
		sum.Stacks = append(sum.Stacks, res)
	}
	return sum
}

// elapsed formats seconds for the text summary.
func elapsed(sec float64) string {
	return (time.Duration(sec * float64(time.Second))).Truncate(100 * time.Millisecond).String()
}
