package deploy

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/bgc-dev/bgc/compiler/plan"
)

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
	return destroy(ctx, p, opts, newAWSClients(base, opts.RunID, opts.MaxRetryBackoff))
}

// destroyer is the state of one Destroy run.
type destroyer struct {
	opts   DestroyOptions
	src    clientSource
	prog   *progress
	poll   poller
	stacks map[string]plan.Stack
	keep   map[string]string // id -> why it is kept

	mu      sync.Mutex
	results map[string]*StackResult
}

func destroy(ctx context.Context, p *plan.Plan, opts DestroyOptions, src clientSource) (*Summary, error) {
	d := &destroyer{
		opts: opts, src: src,
		poll:    poller{min: opts.PollInterval, max: opts.MaxPollInterval},
		stacks:  map[string]plan.Stack{},
		keep:    keptStacks(p, opts.IncludeRetained),
		results: map[string]*StackResult{},
	}
	// Reverse order; a stack waits for its dependents.
	dependents := map[string][]string{}
	for _, s := range p.Stacks {
		for _, dep := range s.DependsOn {
			dependents[dep] = append(dependents[dep], s.ID)
		}
	}
	var ids, doomed []string
	var nodes []node
	for i := len(p.Stacks) - 1; i >= 0; i-- {
		s := p.Stacks[i]
		ids = append(ids, s.ID)
		d.stacks[s.ID] = s
		d.results[s.ID] = &StackResult{ID: s.ID, Account: s.Account, Region: s.Region, StackName: s.StackName}
		nodes = append(nodes, node{id: s.ID, key: s.Account + "/" + s.Region, deps: dependents[s.ID]})
		if _, kept := d.keep[s.ID]; !kept {
			doomed = append(doomed, fmt.Sprintf("  %s (%s %s, stack %s)", s.ID, accountLabel(s), s.Region, s.StackName))
		}
	}
	d.prog = newProgress(&opts.Common, ids)
	cf := newConfirmer(&opts.Common, d.prog)
	if len(doomed) > 0 {
		ok, err := cf.ask(ctx, fmt.Sprintf("delete %d stack(s) and their resources?", len(doomed)), append([]string{"bgc destroy will delete:"}, doomed...))
		if err != nil {
			d.prog.close()
			return nil, err
		}
		if !ok {
			d.prog.close()
			return nil, fmt.Errorf("destroy not approved; nothing was deleted")
		}
	}
	if err := src.check(ctx, p.Stacks); err != nil {
		d.prog.close()
		return nil, err
	}

	sched := scheduler{global: opts.Concurrency, perKey: opts.PerTargetConcurrency, continueOnError: opts.ContinueOnError}
	outcomes := sched.run(ctx, nodes, d.destroyStack)
	sum := &Summary{RunID: opts.RunID, OK: true}
	for _, id := range ids {
		res := *d.results[id]
		if o := outcomes[id]; o.skipped {
			res.Status, res.Reason = StatusSkipped, o.reason
			d.prog.phase(id, string(StatusSkipped), o.reason)
		}
		if !res.Status.ok() {
			sum.OK = false
		}
		sum.Stacks = append(sum.Stacks, res)
	}
	d.prog.close()
	d.prog.summary(sum)
	if opts.Output == OutputText {
		writeSummary(opts.Stdout, sum)
	}
	return sum, sum.Err()
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

// destroyStack deletes one stack and waits until it is gone.
func (d *destroyer) destroyStack(ctx context.Context, id string) error {
	s := d.stacks[id]
	d.mu.Lock()
	res := d.results[id]
	d.mu.Unlock()
	start := d.opts.Now()
	err := d.deleteOne(ctx, s, res)
	res.Seconds = d.opts.Now().Sub(start).Seconds()
	if err != nil {
		res.Status = StatusFailed
		res.Reason, res.Events = failureOf(err)
		d.prog.phase(id, string(StatusFailed), res.Reason)
		d.prog.failure(id, res.Reason, res.Events)
		return err
	}
	d.prog.phase(id, string(res.Status), res.Reason)
	return nil
}

func (d *destroyer) deleteOne(ctx context.Context, s plan.Stack, res *StackResult) error {
	if why, kept := d.keep[s.ID]; kept {
		res.Status, res.Reason = StatusRetained, why
		return nil
	}
	api := d.src.cfn(s.Account, s.Region)
	d.prog.phase(s.ID, phaseChecking, "")
	onEvent := func(ev ResourceEvent) { d.prog.resource(s.ID, s.StackName, ev) }
	for range maxTransitions {
		st, err := d.poll.describe(ctx, api, s.StackName)
		if err != nil {
			return fmt.Errorf("describe stack: %w", err)
		}
		if st == nil {
			res.Status = StatusAbsent
			return nil
		}
		stackID := aws.ToString(st.StackId)
		res.StackARN = stackID
		if inProgress(st.StackStatus) {
			d.prog.phase(s.ID, phaseWaiting, fmt.Sprintf("stack is %s; waiting for that operation to finish", st.StackStatus))
			if _, _, err := d.poll.waitStable(ctx, api, stackID, d.poll.latestEventID(ctx, api, stackID), onEvent); err != nil {
				return err
			}
			continue
		}
		var tpErr error
		if aws.ToBool(st.EnableTerminationProtection) {
			if !s.Retain {
				return failf("termination protection is on, but the plan does not mark this stack Retain; turn it off yourself if it should be deleted")
			}
			// If this fails, the delete below is still tried: CloudFormation
			// refuses it while protection is on, and that error is reported.
			if _, err := api.UpdateTerminationProtection(ctx, &cloudformation.UpdateTerminationProtectionInput{
				StackName: st.StackId, EnableTerminationProtection: aws.Bool(false),
			}); err != nil {
				tpErr = err
			}
		}
		d.prog.phase(s.ID, phaseDeleting, "")
		marker := d.poll.latestEventID(ctx, api, stackID)
		if _, err := api.DeleteStack(ctx, &cloudformation.DeleteStackInput{
			StackName: st.StackId, ClientRequestToken: aws.String("bgc-" + d.opts.RunID + "-" + d.opts.nonce + "-destroy"),
		}); err != nil {
			if tpErr != nil {
				return failf("delete stack: %s (turning termination protection off failed: %v)", apiMessage(err), tpErr)
			}
			return failf("delete stack: %s", apiMessage(err))
		}
		final, events, err := d.poll.waitStable(ctx, api, stackID, marker, onEvent)
		if err != nil {
			return fmt.Errorf("waiting for delete: %w", err)
		}
		if final != nil && final.StackStatus != types.StackStatusDeleteComplete {
			return &stackFailure{msg: fmt.Sprintf("delete ended in %s: %s", final.StackStatus, aws.ToString(final.StackStatusReason)), events: rootCauses(events, s.StackName)}
		}
		res.Status = StatusDeleted
		return nil
	}
	return failf("stack did not settle after %d status changes", maxTransitions)
}
