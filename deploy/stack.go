package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/bgc-dev/bgc/plan"
)

// stackRun is one stack's part of a run: deploy reads the stack's status,
// brings it to a state it can be deployed from, and creates or updates it;
// destroy deletes it. It owns its result until it hands it back.
type stackRun struct {
	*engine
	s    plan.Stack
	api  cfnAPI
	res  *StackResult
	body string
	// templateURL is set once the body has been staged in S3.
	templateURL string
	// bound are the parameters from the plan and other stacks' outputs;
	// params adds the live ones, read just before the stack changes.
	bound, params []types.Parameter
	hash          string
	tags          []types.Tag
	// attempt numbers the operations of this run on the stack, so that
	// each gets its own client request token.
	attempt int
	// inflight is the CloudFormation operation bgc started on the stack and
	// has not yet seen finish ("" when none): what an interrupt leaves
	// running.
	inflight string
	// tried holds the errors the SDK retried since the last begin.
	tried *attempts
	// prefixLists caches the ids of the prefix lists the stack's
	// parameters name, by name.
	prefixLists map[string]string
	// pending is a change set this run created on the stack and has not
	// executed ("" when none): what an interrupt leaves for the re-run.
	pending string
}

// begin records that an operation on the stack was requested.
func (r *stackRun) begin(op string) {
	r.inflight = op
	r.tried.reset()
}

// callFailed is the failure of a call that changes the stack. When the SDK
// retried the call, the first attempt's error is named too: the last
// attempt's answer ("already exists") may only describe what the first
// attempt did before it failed.
func (r *stackRun) callFailed(ctx context.Context, what string, err error) error {
	msg := what + ": " + apiMessage(err)
	if first := r.tried.first(); first != "" && !strings.Contains(msg, first) {
		msg += " (the call was retried after its first attempt failed with: " + first + ")"
	}
	return failf("%s", msg)
}

// ended records that the operation requested last has settled.
func (r *stackRun) ended() { r.inflight = "" }

// interruption says what an interrupted stack leaves behind.
func (r *stackRun) interruption(ctx context.Context) string {
	why := "interrupted"
	if errors.Is(context.Cause(ctx), errTimedOut) {
		why = fmt.Sprintf("timed out after %s", r.c.Timeout)
	}
	if r.inflight == "" && r.pending != "" {
		return fmt.Sprintf("%s after creating change set %s on stack %s (%s %s), before executing it: re-run the same command to continue",
			why, r.pending, r.s.StackName, r.s.Account, r.s.Region)
	}
	if r.inflight == "" {
		return why + " before bgc changed this stack"
	}
	return fmt.Sprintf("%s while CloudFormation runs %s on stack %s (%s %s); it carries on without bgc: re-run the same command to continue",
		why, r.inflight, r.s.StackName, r.s.Account, r.s.Region)
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

// deploy resolves the stack's parameters from its dependencies' outputs and
// drives the stack from its current status to the plan's state.
func (r *stackRun) deploy(ctx context.Context, deps map[string]StackResult) error {
	params, err := resolveParams(r.s, deps)
	if err != nil {
		return err
	}
	r.bound = params
	r.tags = stackTags(r.s)
	if err := r.converge(ctx); err != nil {
		return err
	}
	if !r.res.Status.ok() {
		return nil
	}
	var changed string
	if r.s.DefaultSecurityGroup != nil {
		if changed, err = r.emptyDefaultSecurityGroup(ctx); err != nil {
			return err
		}
	}
	if r.s.Service != nil {
		applied, err := r.applyService(ctx)
		if err != nil {
			return err
		}
		changed = joinNonEmpty(changed, applied)
	}
	if changed != "" {
		r.res.Reason = strings.TrimPrefix(r.res.Reason+"; "+changed, "; ")
		if r.res.Status == StatusNoChanges {
			r.res.Status = StatusUpdated
			if r.opts().DryRun {
				r.res.Status = StatusPlanned // a real run would change it
			}
		}
	}
	return nil
}

// inputs completes the parameters with the live ones (read from st, the
// existing stack, or their initial values when nil) and fingerprints what
// bgc will send.
func (r *stackRun) inputs(ctx context.Context, st *types.Stack) error {
	live, err := r.liveParams(ctx, st)
	if err != nil {
		return err
	}
	lists, err := r.prefixListParams(ctx)
	if err != nil {
		return err
	}
	r.params = append(append(slices.Clone(r.bound), live...), lists...)
	sort.Slice(r.params, func(i, j int) bool {
		return aws.ToString(r.params[i].ParameterKey) < aws.ToString(r.params[j].ParameterKey)
	})
	r.hash = inputHash(r.body, r.params, r.s)
	return nil
}

// converge drives the stack from its current status to the plan's state.
func (r *stackRun) converge(ctx context.Context) error {
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
			if err := r.waitOperation(ctx, st); err != nil {
				return err
			}
			continue
		case status == types.StackStatusRollbackComplete || status == types.StackStatusRollbackFailed:
			if r.opts().DryRun && r.opts().ReplaceFailed && !r.s.Retain {
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
	case !r.opts().ReplaceFailed:
		return r.withRecentFailures(ctx, st, failf(
			"stack is %s after a failed first create and cannot be updated; re-run with --replace-failed to delete and re-create it, or delete it yourself", status))
	}
	r.progress(phaseReplacing, fmt.Sprintf("deleting %s stack before re-creating it", status))
	return r.deleteStack(ctx, st)
}

// waitOperation waits for the operation in progress on a stack to end.
func (r *stackRun) waitOperation(ctx context.Context, st *types.Stack) error {
	r.progress(phaseWaiting, fmt.Sprintf("stack is %s; waiting for that operation to finish", st.StackStatus))
	id := aws.ToString(st.StackId)
	if _, _, err := r.poll.waitStable(ctx, r.api, id, r.poll.latestEventID(ctx, r.api, id), r); err != nil {
		return fmt.Errorf("waiting for %s: %w", st.StackStatus, err)
	}
	return nil
}

// destroy deletes the stack unless Destroy keeps it: it waits for an
// operation in progress, turns termination protection off for a Retain
// stack and deletes it.
func (r *stackRun) destroy(ctx context.Context) error {
	if why, kept := r.keep[r.s.ID]; kept {
		r.res.Status, r.res.Reason = StatusRetained, why
		return nil
	}
	for range maxTransitions {
		r.progress(phaseChecking, "")
		st, err := r.poll.describe(ctx, r.api, r.s.StackName)
		if err != nil {
			return fmt.Errorf("describe stack: %w", err)
		}
		if st == nil {
			r.res.Status = StatusAbsent
			return nil
		}
		r.res.StackARN = aws.ToString(st.StackId)
		if inProgress(st.StackStatus) && !r.destroyOpts.DryRun {
			if err := r.waitOperation(ctx, st); err != nil {
				return err
			}
			continue
		}
		left, err := r.leftovers(ctx, st)
		if err != nil {
			return err
		}
		r.res.Left = left
		if r.destroyOpts.DryRun {
			r.res.Status, r.res.Reason = StatusPlanned, fmt.Sprintf("a real run deletes it (now %s)", st.StackStatus)
			return nil
		}
		if aws.ToBool(st.EnableTerminationProtection) {
			if !r.s.Retain {
				return failf("termination protection is on, but the plan does not mark this stack Retain; turn it off yourself if it should be deleted")
			}
			// If this fails, the delete below is still tried: CloudFormation
			// refuses it while protection is on, and that error is reported.
			if _, err := r.api.UpdateTerminationProtection(ctx, &cloudformation.UpdateTerminationProtectionInput{
				StackName: st.StackId, EnableTerminationProtection: aws.Bool(false),
			}); err != nil {
				r.warn(fmt.Sprintf("could not turn termination protection off: %v", err))
			}
		}
		if _, err := r.unprotectLoadBalancers(ctx, st); err != nil {
			return err
		}
		if err := r.deleteStack(ctx, st); err != nil {
			return err
		}
		r.res.Status = StatusDeleted
		return nil
	}
	return failf("stack did not settle after %d status changes", maxTransitions)
}

// deleteStack deletes a stack and waits until it is gone: the one delete
// path of both a destroy and a replaced failed create.
func (r *stackRun) deleteStack(ctx context.Context, st *types.Stack) error {
	r.progress(phaseDeleting, "")
	id := aws.ToString(st.StackId)
	marker := r.poll.latestEventID(ctx, r.api, id)
	r.begin("DeleteStack")
	if _, err := r.api.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(id), ClientRequestToken: r.token("delete")}); err != nil {
		return r.callFailed(ctx, "delete stack", err)
	}
	final, events, err := r.poll.waitStable(ctx, r.api, id, marker, r)
	if err != nil {
		return fmt.Errorf("waiting for delete: %w", err)
	}
	r.ended()
	if final != nil && final.StackStatus != types.StackStatusDeleteComplete {
		return &stackFailure{msg: fmt.Sprintf("delete ended in %s: %s", final.StackStatus, aws.ToString(final.StackStatusReason)), events: rootCauses(events, r.s.StackName)}
	}
	return nil
}

// create deploys a stack that does not exist (review is the empty
// REVIEW_IN_PROGRESS stack left by an earlier change set, or nil).
func (r *stackRun) create(ctx context.Context, review *types.Stack) error {
	if err := r.inputs(ctx, nil); err != nil {
		return err
	}
	if review != nil {
		r.deleteStaleChangeSets(ctx, review)
	}
	if r.opts().DryRun || r.opts().Method == MethodChangeSet {
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
	if err := r.quiesce(ctx); err != nil {
		return err
	}
	if err := r.inputs(ctx, st); err != nil {
		return err
	}
	r.deleteStaleChangeSets(ctx, st)
	if !r.opts().Force && r.unchanged(ctx, st) {
		return r.noChanges(ctx, st, "inputs unchanged")
	}
	if r.opts().DryRun || r.opts().Method == MethodChangeSet {
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
	if !r.s.Retain || r.opts().DryRun || aws.ToBool(st.EnableTerminationProtection) {
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

// succeed records the result with the stack's outputs, which the stacks
// that depend on this one read their parameters from.
func (r *stackRun) succeed(st *types.Stack, status Status, why string) {
	outs := map[string]string{}
	if st != nil {
		r.res.StackARN = aws.ToString(st.StackId)
		for _, o := range st.Outputs {
			outs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
		}
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
	h := r.hash
	if h == "" { // destroy sends no inputs
		h = inputHash("", nil, r.s)
	}
	t := fmt.Sprintf("bgc-%s-%s-%s-%d-%s", r.c.RunID, r.c.nonce, op, r.attempt, h[:12])
	return aws.String(t)
}

// opts are the deploy options (a deploy's stackRun only).
func (r *stackRun) opts() *Options { return r.deployOpts }

func (r *stackRun) progress(phase Phase, msg string) { r.prog.phase(r.s.ID, phase, msg) }

// event and waiting make stackRun the watcher of its own operations.
func (r *stackRun) event(ev ResourceEvent) { r.prog.resource(r.s.ID, r.s.StackName, ev) }

func (r *stackRun) waiting(msg string) { r.note(msg) }

// note is a message about the stack that changes nothing of its state.
func (r *stackRun) note(msg string) { r.prog.note(r.s.ID, msg) }

// failureOf splits an error into the result's reason and events.
func failureOf(err error) (string, []ResourceEvent) {
	var f *stackFailure
	if errors.As(err, &f) {
		return f.msg, f.events
	}
	return strings.TrimSpace(err.Error()), nil
}
