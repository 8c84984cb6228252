package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/bgc-dev/bgc/compiler/plan"
)

// stackRun deploys one stack: it reads the stack's status, brings it to a
// state it can be deployed from, and creates or updates it.
type stackRun struct {
	*runner
	s    plan.Stack
	api  cfnAPI
	res  *StackResult
	body string
	// templateURL is set once the body has been staged in S3.
	templateURL string
	params      []types.Parameter
	hash        string
	tags        []types.Tag
	// attempt numbers the operations of this run on the stack, so that
	// each gets its own client request token.
	attempt int
}

// stackFailure is a stack's failure with the events that explain it.
type stackFailure struct {
	msg    string
	events []ResourceEvent
}

func (f *stackFailure) Error() string { return f.msg }

func failf(format string, args ...any) *stackFailure {
	return &stackFailure{msg: fmt.Sprintf(format, args...)}
}

// maxTransitions bounds the describe-act loop (wait, replace, deploy).
const maxTransitions = 8

// run drives the stack from its current status to the plan's state.
func (r *stackRun) run(ctx context.Context) error {
	name := r.s.StackName
	for range maxTransitions {
		r.progress(phaseChecking, "")
		st, err := r.poll.describe(ctx, r.api, name)
		if err != nil {
			return fmt.Errorf("describe stack: %w", err)
		}
		if st == nil {
			return r.create(ctx, nil)
		}
		r.res.StackARN = aws.ToString(st.StackId)
		status := st.StackStatus
		switch {
		case status == types.StackStatusReviewInProgress:
			// Only change sets exist: no resource was ever created.
			return r.create(ctx, st)
		case inProgress(status):
			r.progress(phaseWaiting, fmt.Sprintf("stack is %s; waiting for that operation to finish", status))
			if _, _, err := r.poll.waitStable(ctx, r.api, aws.ToString(st.StackId), r.poll.latestEventID(ctx, r.api, aws.ToString(st.StackId)), r.onEvent); err != nil {
				return fmt.Errorf("waiting for %s: %w", status, err)
			}
			continue
		case status == types.StackStatusRollbackComplete || status == types.StackStatusRollbackFailed:
			if r.opts.DryRun && r.opts.ReplaceFailed && !r.s.Retain {
				r.succeed(nil, StatusPlanned, fmt.Sprintf("stack is %s: a real run deletes and re-creates it", status))
				return nil
			}
			if err := r.replaceFailed(ctx, st); err != nil {
				return err
			}
			continue
		case status == types.StackStatusUpdateRollbackFailed:
			return r.withRecentFailures(ctx, st, failf(
				"stack is UPDATE_ROLLBACK_FAILED: an update failed and so did its rollback. Fix the cause shown below, then run "+
					"`aws cloudformation continue-update-rollback --stack-name %s --region %s` (add --resources-to-skip LOGICAL_ID... for resources that cannot be rolled back), "+
					"wait for UPDATE_ROLLBACK_COMPLETE and re-run the deploy", name, r.s.Region))
		case status == types.StackStatusCreateFailed || status == types.StackStatusUpdateFailed:
			return r.withRecentFailures(ctx, st, failf(
				"stack is %s with rollback disabled; roll it back with `aws cloudformation rollback-stack --stack-name %s --region %s` and re-run the deploy", status, name, r.s.Region))
		case status == types.StackStatusDeleteFailed:
			return r.withRecentFailures(ctx, st, failf("stack is DELETE_FAILED; finish deleting it (or fix what blocks the delete) and re-run the deploy"))
		default:
			return r.update(ctx, st)
		}
	}
	return failf("stack did not settle after %d status changes", maxTransitions)
}

// replaceFailed deletes a stack left by a failed first create, when allowed.
func (r *stackRun) replaceFailed(ctx context.Context, st *types.Stack) error {
	status := st.StackStatus
	switch {
	case r.s.Retain:
		return r.withRecentFailures(ctx, st, failf(
			"stack is %s after a failed first create; it holds retained resources, so bgc never deletes it: inspect it, delete it yourself (turn termination protection off first) and re-run", status))
	case !r.opts.ReplaceFailed:
		return r.withRecentFailures(ctx, st, failf(
			"stack is %s after a failed first create and cannot be updated; re-run with --replace-failed to delete and re-create it, or delete it yourself", status))
	}
	r.progress(phaseReplacing, fmt.Sprintf("deleting %s stack before re-creating it", status))
	return r.deleteStack(ctx, st)
}

// deleteStack deletes a stack and waits until it is gone.
func (r *stackRun) deleteStack(ctx context.Context, st *types.Stack) error {
	id := aws.ToString(st.StackId)
	marker := r.poll.latestEventID(ctx, r.api, id)
	if _, err := r.api.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(id), ClientRequestToken: r.token("delete")}); err != nil {
		return fmt.Errorf("delete stack: %w", err)
	}
	final, events, err := r.poll.waitStable(ctx, r.api, id, marker, r.onEvent)
	if err != nil {
		return fmt.Errorf("waiting for delete: %w", err)
	}
	if final != nil && final.StackStatus != types.StackStatusDeleteComplete {
		return &stackFailure{msg: fmt.Sprintf("delete ended in %s: %s", final.StackStatus, aws.ToString(final.StackStatusReason)), events: rootCauses(events, r.s.StackName)}
	}
	return nil
}

// create deploys a stack that does not exist (review is the empty
// REVIEW_IN_PROGRESS stack left by an earlier change set, or nil).
func (r *stackRun) create(ctx context.Context, review *types.Stack) error {
	if r.opts.DryRun || r.opts.Method == MethodChangeSet {
		return r.viaChangeSet(ctx, types.ChangeSetTypeCreate, review)
	}
	if review != nil {
		if err := r.deleteStack(ctx, review); err != nil {
			return err
		}
	}
	return r.createDirect(ctx)
}

// update deploys an existing stack, unless it already runs exactly these
// inputs.
func (r *stackRun) update(ctx context.Context, st *types.Stack) error {
	if !r.opts.Force && r.unchanged(ctx, st) {
		return r.noChanges(ctx, st, "inputs unchanged")
	}
	if r.opts.DryRun || r.opts.Method == MethodChangeSet {
		return r.viaChangeSet(ctx, types.ChangeSetTypeUpdate, st)
	}
	return r.updateDirect(ctx, st)
}

// settledOK says the last create or update of the stack succeeded.
func settledOK(s types.StackStatus) bool {
	return s == types.StackStatusCreateComplete || s == types.StackStatusUpdateComplete
}

// unchanged says the stack already runs exactly these inputs, as
// CloudFormation reports them (it is the source of truth, whoever changed
// the stack last): the same template, compared parsed so formatting does
// not count, and the same parameters and tags. (Capabilities only
// acknowledge what a template does; like the AWS CDK, bgc does not compare
// them.) Anything it cannot read counts as changed, so CloudFormation
// decides.
func (r *stackRun) unchanged(ctx context.Context, st *types.Stack) bool {
	if !settledOK(st.StackStatus) || !sameParameters(st.Parameters, r.params) || !sameTags(st.Tags, r.tags) {
		return false
	}
	out, err := r.api.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: st.StackId, TemplateStage: types.TemplateStageOriginal})
	return err == nil && sameTemplate(aws.ToString(out.TemplateBody), r.body)
}

// noChanges finishes a stack that needed nothing; it still reads outputs.
func (r *stackRun) noChanges(ctx context.Context, st *types.Stack, why string) error {
	r.protect(ctx, st)
	r.succeed(st, StatusNoChanges, why)
	return nil
}

// finishOperation checks the status an operation ended in and completes the
// stack, or fails it with the root-cause events.
func (r *stackRun) finishOperation(ctx context.Context, final *types.Stack, events []ResourceEvent, want types.StackStatus, status Status) error {
	if final == nil {
		return failf("stack disappeared while waiting for %s", want)
	}
	if final.StackStatus != want {
		msg := fmt.Sprintf("stack ended in %s", final.StackStatus)
		if reason := aws.ToString(final.StackStatusReason); reason != "" {
			msg += ": " + reason
		}
		if final.StackStatus == types.StackStatusRollbackComplete {
			if r.s.Retain {
				msg += " (the first create failed; fix the cause, delete the empty stack yourself after checking it holds nothing, and re-run: bgc never deletes a Retain stack)"
			} else {
				msg += " (the first create failed; fix the cause and re-run with --replace-failed)"
			}
		}
		return &stackFailure{msg: msg, events: rootCauses(events, r.s.StackName)}
	}
	r.protect(ctx, final)
	r.succeed(final, status, "")
	return nil
}

// protect turns termination protection on for Retain stacks. A failure is
// a warning: the stack itself is deployed.
func (r *stackRun) protect(ctx context.Context, st *types.Stack) {
	if !r.s.Retain || r.opts.DryRun || aws.ToBool(st.EnableTerminationProtection) {
		return
	}
	_, err := r.api.UpdateTerminationProtection(ctx, &cloudformation.UpdateTerminationProtectionInput{
		StackName: st.StackId, EnableTerminationProtection: aws.Bool(true),
	})
	if err != nil {
		r.warn(fmt.Sprintf("could not enable termination protection: %v", err))
	}
}

// warn records a problem that does not fail the stack.
func (r *stackRun) warn(msg string) {
	r.res.Warnings = append(r.res.Warnings, msg)
	r.prog.warning(r.s.ID, msg)
}

// succeed records the result and publishes the outputs to later stacks.
func (r *stackRun) succeed(st *types.Stack, status Status, why string) {
	outs := map[string]string{}
	if st != nil {
		r.res.StackARN = aws.ToString(st.StackId)
		for _, o := range st.Outputs {
			outs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
		}
	}
	if st != nil || !r.opts.DryRun {
		r.outputs.set(r.s.ID, outs)
	}
	r.res.Outputs = outs
	r.res.Status = status
	r.res.Reason = why
}

// withRecentFailures attaches the stack's latest failed events to f.
func (r *stackRun) withRecentFailures(ctx context.Context, st *types.Stack, f *stackFailure) error {
	out, err := r.api.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: st.StackId})
	if err == nil {
		var evs []ResourceEvent
		for _, e := range out.StackEvents {
			evs = append(evs, toResourceEvent(e))
		}
		f.events = rootCauses(evs, r.s.StackName)
	}
	return f
}

// token is a client request token unique to this run, stack and operation,
// so that the SDK's retries of a call are recognised as the same request.
func (r *stackRun) token(op string) *string {
	r.attempt++
	t := fmt.Sprintf("bgc-%s-%s-%s-%d-%s", r.opts.RunID, r.opts.nonce, op, r.attempt, r.hash[:12])
	return aws.String(t)
}

func (r *stackRun) progress(phase, msg string) { r.prog.phase(r.s.ID, phase, msg) }

func (r *stackRun) onEvent(ev ResourceEvent) { r.prog.resource(r.s.ID, r.s.StackName, ev) }

// failureOf splits an error into the result's reason and events.
func failureOf(err error) (string, []ResourceEvent) {
	var f *stackFailure
	if errors.As(err, &f) {
		return f.msg, f.events
	}
	return strings.TrimSpace(err.Error()), nil
}
