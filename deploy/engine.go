package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bgc-dev/bgc/plan"
)

// operation is what a run does to each stack of the plan.
type operation int

const (
	// opDeploy brings every stack to the plan's state, in plan order.
	opDeploy operation = iota
	// opDestroy deletes the stacks, dependents first.
	opDestroy
)

// engine runs one operation over a plan as one graph walk: deploy walks the
// plan's dependencies, destroy walks them reversed. Results come back
// through the scheduler (see its locking rule); the progress renderer and
// the confirmer are the only state shared between stacks, and each locks
// itself.
type engine struct {
	op          operation
	c           *Common
	deployOpts  *Options        // opDeploy
	destroyOpts *DestroyOptions // opDestroy
	src         clientSource
	prog        *progress
	confirm     *confirmer
	poll        poller
	plan        *plan.Plan
	stacks      map[string]plan.Stack
	// preps are the accounts' preparations, by walk id (deploy only).
	preps map[string]preparation
	// keep are the stacks Destroy keeps, with why.
	keep map[string]string
}

// Deploy deploys every stack of p (each with its template Body). It checks
// every template and access to every account before anything changes. The
// summary lists every stack in plan order; the error is non-nil when a
// stack failed or was skipped (a *RunError carrying the summary) or when
// nothing could start.
func Deploy(ctx context.Context, p *plan.Plan, opts Options) (*Summary, error) {
	if err := opts.normalize(); err != nil {
		return nil, err
	}
	if err := p.Check(); err != nil {
		return nil, err
	}
	if err := checkTemplates(p.Stacks); err != nil {
		return nil, err
	}
	base, err := opts.loadBase(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return runDeploy(ctx, p, opts, newAWSClients(base, &opts.Common))
}

// runDeploy runs a checked plan with a client source (fakes in unit tests).
func runDeploy(ctx context.Context, p *plan.Plan, opts Options, src clientSource) (*Summary, error) {
	ctx, cancel := opts.withTimeout(ctx)
	defer cancel()
	if err := src.check(ctx, p.Stacks); err != nil {
		return nil, err
	}
	e := newEngine(opDeploy, &opts.Common, p, src)
	e.deployOpts = &opts
	if err := e.checkLeftovers(ctx); err != nil {
		e.prog.close()
		return nil, err
	}
	if err := e.checkReservations(ctx); err != nil {
		e.prog.close()
		return nil, err
	}
	return e.run(ctx)
}

// errTimedOut is the cause of a run's context ending at Common.Timeout.
var errTimedOut = errors.New("the run's --timeout passed")

// withTimeout applies the run's Timeout.
func (c *Common) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.Timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, c.Timeout, errTimedOut)
}

// Destroy deletes the plan's stacks in reverse dependency order: a stack is
// deleted only after every stack that depends on it is gone. Retain stacks,
// and the stacks they depend on, are kept unless IncludeRetained, which
// turns their termination protection off first. Stacks that do not exist
// are reported absent. Without Yes it asks once, listing the stacks.
func Destroy(ctx context.Context, p *plan.Plan, opts DestroyOptions) (*Summary, error) {
	if err := opts.normalize(); err != nil {
		return nil, err
	}
	if err := p.Check(); err != nil {
		return nil, err
	}
	base, err := opts.loadBase(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return runDestroy(ctx, p, opts, newAWSClients(base, &opts.Common))
}

func runDestroy(ctx context.Context, p *plan.Plan, opts DestroyOptions, src clientSource) (*Summary, error) {
	ctx, cancel := opts.withTimeout(ctx)
	defer cancel()
	e := newEngine(opDestroy, &opts.Common, p, src)
	e.destroyOpts = &opts
	e.keep = keptStacks(p, opts.IncludeRetained)
	var doomed []string
	for i := len(p.Stacks) - 1; i >= 0; i-- {
		s := p.Stacks[i]
		if _, kept := e.keep[s.ID]; !kept {
			doomed = append(doomed, fmt.Sprintf("  %s (%s %s, stack %s)", s.ID, accountLabel(s), s.Region, s.StackName))
		}
	}
	if len(doomed) > 0 && !opts.DryRun {
		ok, err := e.confirm.ask(ctx, fmt.Sprintf("delete %d stack(s) and their resources?", len(doomed)), append([]string{"bgc destroy will delete:"}, doomed...))
		if err == nil && !ok {
			err = errors.New("destroy not approved; nothing was deleted")
		}
		if err != nil {
			e.prog.close()
			return nil, err
		}
	}
	if err := src.check(ctx, p.Stacks); err != nil {
		e.prog.close()
		return nil, err
	}
	return e.run(ctx)
}

func newEngine(op operation, c *Common, p *plan.Plan, src clientSource) *engine {
	e := &engine{
		op: op, c: c, src: src, plan: p,
		poll:   poller{min: c.PollInterval, max: c.MaxPollInterval, still: c.StillWaiting},
		stacks: make(map[string]plan.Stack, len(p.Stacks)),
	}
	for _, s := range p.Stacks {
		e.stacks[s.ID] = s
	}
	if op == opDeploy {
		e.preps = map[string]preparation{}
		for _, a := range p.Accounts {
			if len(a.ServiceLinkedRoles) == 0 {
				continue
			}
			for _, s := range p.Stacks {
				if s.Account == a.ID {
					e.preps[prepareID(a)] = preparation{account: a, region: s.Region}
					break
				}
			}
		}
	}
	var ids []string
	for _, n := range e.nodes() {
		ids = append(ids, n.id)
	}
	e.prog = newProgress(c, ids)
	e.confirm = newConfirmer(c, e.prog)
	return e
}

// nodes is the walk's graph in the order results are reported: the plan's
// order and dependencies for deploy; reversed, with each stack waiting for
// its dependents, for destroy.
func (e *engine) nodes() []node {
	mk := func(s plan.Stack, deps []string) node {
		return node{id: s.ID, key: s.Account + "/" + s.Region, deps: deps,
			base: StackResult{ID: s.ID, Account: s.Account, Region: s.Region, StackName: s.StackName}}
	}
	var out []node
	if e.op == opDeploy {
		// An account's preparation comes before every stack in it.
		prep := map[string]string{}
		for _, a := range e.plan.Accounts {
			id := prepareID(a)
			pr, ok := e.preps[id]
			if !ok {
				continue
			}
			prep[a.ID] = id
			out = append(out, node{id: id, key: a.ID + "/iam", base: pr.result()})
		}
		for _, s := range e.plan.Stacks {
			deps := s.DependsOn
			if id, ok := prep[s.Account]; ok {
				deps = append([]string{id}, deps...)
			}
			out = append(out, mk(s, deps))
		}
		return out
	}
	dependents := map[string][]string{}
	for _, s := range e.plan.Stacks {
		for _, dep := range s.DependsOn {
			dependents[dep] = append(dependents[dep], s.ID)
		}
	}
	for i := len(e.plan.Stacks) - 1; i >= 0; i-- {
		s := e.plan.Stacks[i]
		out = append(out, mk(s, dependents[s.ID]))
	}
	return out
}

// run walks the graph and reports.
func (e *engine) run(ctx context.Context) (*Summary, error) {
	nodes := e.nodes()
	sched := scheduler{global: e.c.Concurrency, perKey: e.c.PerTargetConcurrency, continueOnError: e.c.ContinueOnError}
	results := sched.run(ctx, nodes, e.work)
	sum := &Summary{RunID: e.c.RunID, OK: true, Interrupted: ctx.Err() != nil}
	for _, n := range nodes {
		res := results[n.id]
		if res.Status == StatusSkipped {
			e.prog.phase(n.id, res.Status.phase(), res.Reason)
		}
		if !res.Status.ok() {
			sum.OK = false
		}
		sum.Stacks = append(sum.Stacks, res)
	}
	e.prog.close()
	e.prog.summary(sum)
	if e.c.Output == OutputText {
		writeSummary(e.c.Stdout, sum)
	}
	return sum, sum.Err()
}

// work is the scheduler's work function: it runs the operation on one
// stack and turns its error into the result.
func (e *engine) work(ctx context.Context, id string, deps map[string]StackResult) StackResult {
	if pr, ok := e.preps[id]; ok {
		res := pr.result()
		e.prog.phase(id, phaseChecking, "")
		start := e.c.Now()
		err := e.prepare(ctx, pr, &res)
		res.Seconds = e.c.Now().Sub(start).Seconds()
		e.finish(ctx, id, &res, err, nil)
		return res
	}
	s := e.stacks[id]
	res := &StackResult{ID: s.ID, Account: s.Account, Region: s.Region, StackName: s.StackName}
	ctx, tried := withAttempts(ctx)
	run := &stackRun{engine: e, s: s, api: e.src.cfn(s.Account, s.Region), res: res, body: string(s.Body), tried: tried}
	start := e.c.Now()
	var err error
	switch e.op {
	case opDeploy:
		err = run.deploy(ctx, deps)
	case opDestroy:
		err = run.destroy(ctx)
	}
	res.Seconds = e.c.Now().Sub(start).Seconds()
	e.finish(ctx, id, res, err, run)
	return *res
}

// finish turns a step's error into its result and reports it; run is the
// stack's run (nil for an account's preparation).
func (e *engine) finish(ctx context.Context, id string, res *StackResult, err error, run *stackRun) {
	switch {
	case errors.Is(err, errUnknownInput) && e.dryRun():
		res.Status, res.Reason = StatusUnknown, "inputs are only known after a real deploy: "+err.Error()
	case err != nil && ctx.Err() != nil:
		res.Status, res.Reason = StatusInterrupted, "interrupted"
		if run != nil {
			res.Reason = run.interruption(ctx)
		}
	case err != nil:
		res.Status = StatusFailed
		res.Reason, res.Events = failureOf(err)
	}
	e.prog.phase(id, res.Status.phase(), res.Reason)
	if res.Status == StatusFailed {
		e.prog.failure(id, res.Reason, res.Events)
	}
}

func (e *engine) dryRun() bool {
	return (e.deployOpts != nil && e.deployOpts.DryRun) || (e.destroyOpts != nil && e.destroyOpts.DryRun)
}

// keptStacks returns the stacks Destroy keeps: Retain stacks (unless
// includeRetained) and, transitively, every stack they depend on.
func keptStacks(p *plan.Plan, includeRetained bool) map[string]string {
	keep := map[string]string{}
	if includeRetained {
		return keep
	}
	for i := len(p.Stacks) - 1; i >= 0; i-- {
		s := p.Stacks[i]
		if s.Retain {
			keep[s.ID] = "Retain stack; use --include-retained to delete it"
		}
		if _, kept := keep[s.ID]; kept {
			for _, dep := range s.DependsOn {
				if _, already := keep[dep]; !already {
					keep[dep] = fmt.Sprintf("kept because retained stack %s depends on it", s.ID)
				}
			}
		}
	}
	return keep
}

// elapsed formats seconds for the text summary.
func elapsed(sec float64) string {
	return (time.Duration(sec * float64(time.Second))).Truncate(100 * time.Millisecond).String()
}
