package deploy

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/bgc-dev/bgc/plan"
)

// viaChangeSet creates a change set, shows it, asks when it replaces or
// removes resources, and executes it (or, in a dry run, deletes it again).
// existing is the stack for an UPDATE, or the empty REVIEW_IN_PROGRESS stack
// (or nil) for a CREATE.
func (r *stackRun) viaChangeSet(ctx context.Context, typ types.ChangeSetType, existing *types.Stack) error {
	name := "bgc-" + r.c.RunID
	if existing != nil {
		r.deleteStaleChangeSet(ctx, existing, name)
	}
	body, url, err := r.templateArgs(ctx)
	if err != nil {
		return err
	}
	r.progress(phaseChangeSet, fmt.Sprintf("creating %s change set", typ))
	created, err := r.api.CreateChangeSet(ctx, &cloudformation.CreateChangeSetInput{
		StackName:     aws.String(r.s.StackName),
		ChangeSetName: aws.String(name),
		ChangeSetType: typ,
		TemplateBody:  body,
		TemplateURL:   url,
		Parameters:    r.params,
		Capabilities:  capabilities(r.s),
		Tags:          r.tags,
		Description:   aws.String("bgc run " + r.c.RunID),
		ClientToken:   r.token("changeset"),
	})
	if err != nil {
		// "Nothing to change" normally arrives as a FAILED change set (below),
		// but some endpoints refuse the CreateChangeSet call itself with it.
		if typ == types.ChangeSetTypeUpdate && existing != nil && isNoChanges(apiMessage(err)) {
			return r.noChanges(ctx, existing, "CloudFormation reports no changes")
		}
		return fmt.Errorf("create change set: %w", err)
	}
	csID, stackID := aws.ToString(created.Id), aws.ToString(created.StackId)
	r.res.StackARN, r.res.ChangeSetID = stackID, csID
	// cleanup removes what a change set that will not run leaves behind: the
	// change set and, for a stack this run created, the empty stack.
	// It runs even after Ctrl-C cancelled ctx, bounded by its own timeout.
	cleanup := func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_, _ = r.api.DeleteChangeSet(cctx, &cloudformation.DeleteChangeSetInput{ChangeSetName: aws.String(csID)})
		if typ == types.ChangeSetTypeCreate && existing == nil {
			_, _ = r.api.DeleteStack(cctx, &cloudformation.DeleteStackInput{StackName: aws.String(stackID)})
		}
	}

	cs, err := r.waitChangeSet(ctx, csID)
	if err != nil {
		cleanup()
		return err
	}
	if cs.Status == types.ChangeSetStatusFailed {
		reason := aws.ToString(cs.StatusReason)
		if isNoChanges(reason) && existing != nil && typ == types.ChangeSetTypeUpdate {
			_, _ = r.api.DeleteChangeSet(ctx, &cloudformation.DeleteChangeSetInput{ChangeSetName: aws.String(csID)})
			r.res.ChangeSetID = ""
			return r.noChanges(ctx, existing, "CloudFormation reports no changes")
		}
		cleanup()
		return failf("change set failed: %s", reason)
	}
	changes, err := r.changes(ctx, csID)
	if err != nil {
		cleanup()
		return err
	}
	r.res.Changes = changes
	r.prog.changes(r.s.ID, changes)
	if typ == types.ChangeSetTypeUpdate {
		if err := refuseFrozenChanges(r.s, changes); err != nil {
			cleanup()
			return err
		}
	}

	if r.opts().DryRun {
		cleanup()
		r.res.ChangeSetID = ""
		r.succeed(existingForOutputs(typ, existing), StatusPlanned, fmt.Sprintf("%d change(s)", len(changes)))
		return nil
	}

	var risky []string
	for _, c := range changes {
		if c.Risky() {
			risky = append(risky, "  "+formatChange(c))
		}
	}
	if len(risky) > 0 {
		details := append([]string{fmt.Sprintf("%s (%s %s, stack %s) would replace or delete:", r.s.ID, accountLabel(r.s), r.s.Region, r.s.StackName)}, risky...)
		ok, err := r.confirm.ask(ctx, fmt.Sprintf("execute the change set of %s, which replaces or deletes %d resource(s)?", r.s.ID, len(risky)), details)
		if err != nil || !ok {
			cleanup()
			if err != nil {
				return err
			}
			return failf("change set not approved; nothing was changed")
		}
	}

	r.progress(phaseExecuting, fmt.Sprintf("executing %d change(s)", len(changes)))
	r.prog.total(r.s.ID, len(changes))
	marker := ""
	if existing != nil {
		marker = r.poll.latestEventID(ctx, r.api, stackID)
	}
	if _, err := r.api.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{
		ChangeSetName: aws.String(csID), ClientRequestToken: r.token("execute"),
	}); err != nil {
		cleanup()
		return fmt.Errorf("execute change set: %w", err)
	}
	// A new stack may still report REVIEW_IN_PROGRESS right after the
	// execute call: that means "not started yet", not "settled".
	final, events, err := r.poll.waitStable(ctx, r.api, stackID, marker, r.onEvent, types.StackStatusReviewInProgress)
	if err != nil {
		return fmt.Errorf("waiting for the change set to finish: %w", err)
	}
	if typ == types.ChangeSetTypeCreate {
		return r.finishOperation(ctx, final, events, types.StackStatusCreateComplete, StatusCreated)
	}
	return r.finishOperation(ctx, final, events, types.StackStatusUpdateComplete, StatusUpdated)
}

// refuseFrozenChanges fails a change set that would modify a resource the
// plan marks frozen (an ECS service under the CODE_DEPLOY controller:
// CloudFormation would send the whole service to ECS, ECS would refuse it,
// and the update would roll back). Saying so before anything runs names the
// cause instead of a rollback.
func refuseFrozenChanges(s plan.Stack, changes []Change) error {
	for _, c := range changes {
		f, frozen := s.FrozenResource(c.LogicalID)
		if c.Action == "Modify" && frozen && touchesProperties(c) {
			return failf("the change set modifies %s, %s, so this update would fail and roll back. "+
				"Revert the setting that changed it, or recreate the stack (bgc destroy, then bgc deploy)", c.LogicalID, f.Reason)
		}
	}
	return nil
}

// touchesProperties says a Modify changes resource properties, not only
// tags or metadata. Without a scope (some endpoints omit it) it assumes so.
func touchesProperties(c Change) bool {
	return len(c.Scope) == 0 || slices.Contains(c.Scope, string(types.ResourceAttributeProperties))
}

func scopes(s []types.ResourceAttribute) []string {
	out := make([]string, len(s))
	for i, a := range s {
		out[i] = string(a)
	}
	return out
}

// existingForOutputs is the stack whose outputs a dry run passes on: the
// current stack for an update, none for a stack that does not exist yet.
func existingForOutputs(typ types.ChangeSetType, existing *types.Stack) *types.Stack {
	if typ == types.ChangeSetTypeUpdate {
		return existing
	}
	return nil
}

// waitChangeSet polls until the change set is ready or failed.
func (r *stackRun) waitChangeSet(ctx context.Context, csID string) (*cloudformation.DescribeChangeSetOutput, error) {
	wait := r.poll.min
	for first := true; ; first = false {
		if !first {
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
			wait = min(2*wait, r.poll.max)
		}
		var out *cloudformation.DescribeChangeSetOutput
		err := r.poll.read(ctx, func() (err error) {
			out, err = r.api.DescribeChangeSet(ctx, &cloudformation.DescribeChangeSetInput{ChangeSetName: aws.String(csID)})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("describe change set: %w", err)
		}
		switch out.Status {
		case types.ChangeSetStatusCreateComplete, types.ChangeSetStatusFailed:
			return out, nil
		case types.ChangeSetStatusCreatePending, types.ChangeSetStatusCreateInProgress:
		default:
			return nil, failf("change set is %s", out.Status)
		}
	}
}

// changes lists every resource change of a change set, page by page.
func (r *stackRun) changes(ctx context.Context, csID string) ([]Change, error) {
	var all []Change
	var token *string
	for {
		var out *cloudformation.DescribeChangeSetOutput
		err := r.poll.read(ctx, func() (err error) {
			out, err = r.api.DescribeChangeSet(ctx, &cloudformation.DescribeChangeSetInput{ChangeSetName: aws.String(csID), NextToken: token})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("describe change set: %w", err)
		}
		for _, c := range out.Changes {
			rc := c.ResourceChange
			if rc == nil {
				continue
			}
			all = append(all, Change{
				Action:       string(rc.Action),
				LogicalID:    aws.ToString(rc.LogicalResourceId),
				ResourceType: aws.ToString(rc.ResourceType),
				PhysicalID:   aws.ToString(rc.PhysicalResourceId),
				Replacement:  string(rc.Replacement),
				Scope:        scopes(rc.Scope),
			})
		}
		if token = out.NextToken; token == nil {
			return all, nil
		}
	}
}

// deleteStaleChangeSet removes a change set of this run's name left on the
// stack by an interrupted run with the same run id (its inputs may be
// stale). It deletes by ARN what ListChangeSets shows on this very stack,
// never by bare name.
func (r *stackRun) deleteStaleChangeSet(ctx context.Context, existing *types.Stack, name string) {
	p := cloudformation.NewListChangeSetsPaginator(r.api, &cloudformation.ListChangeSetsInput{StackName: existing.StackId})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return // nothing to clean up is the common case; CreateChangeSet reports real problems
		}
		for _, cs := range page.Summaries {
			if aws.ToString(cs.ChangeSetName) == name {
				_, _ = r.api.DeleteChangeSet(ctx, &cloudformation.DeleteChangeSetInput{ChangeSetName: cs.ChangeSetId})
			}
		}
	}
}
