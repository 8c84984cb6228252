package deploy

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/bgc-dev/bgc/plan"
)

// changeSetPrefix starts the name of every change set bgc creates, so a
// later run recognises its stale ones (and only those).
const changeSetPrefix = "bgc-"

// viaChangeSet creates a change set, shows it, asks when it replaces or
// removes resources, and executes it (or, in a dry run, discards it).
// existing is the stack for an UPDATE, or the empty REVIEW_IN_PROGRESS stack
// (or nil) for a CREATE.
func (r *stackRun) viaChangeSet(ctx context.Context, typ types.ChangeSetType, existing *types.Stack) error {
	name := changeSetPrefix + r.c.RunID
	body, url, err := r.templateArgs(ctx)
	if err != nil {
		return err
	}
	r.progress(phaseChangeSet, fmt.Sprintf("creating %s change set", typ))
	r.begin("CreateChangeSet")
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
		r.ended()
		// "Nothing to change" normally arrives as a FAILED change set (below),
		// but some endpoints refuse the CreateChangeSet call itself with it.
		if typ == types.ChangeSetTypeUpdate && existing != nil && isNoChanges(apiMessage(err)) {
			return r.noChanges(ctx, existing, "CloudFormation reports no changes")
		}
		return r.callFailed(ctx, "create change set", err)
	}
	csID, stackID := aws.ToString(created.Id), aws.ToString(created.StackId)
	r.res.StackARN, r.res.ChangeSetID = stackID, csID
	r.pending = name
	cs := &changeSet{run: r, id: csID, stackID: stackID, newStack: typ == types.ChangeSetTypeCreate && existing == nil}

	desc, err := r.waitChangeSet(ctx, csID)
	r.ended()
	if err != nil {
		cs.discard(ctx)
		return err
	}
	if desc.Status == types.ChangeSetStatusFailed {
		reason := aws.ToString(desc.StatusReason)
		if isNoChanges(reason) && existing != nil && typ == types.ChangeSetTypeUpdate {
			cs.discard(ctx)
			r.res.ChangeSetID = ""
			return r.noChanges(ctx, existing, "CloudFormation reports no changes")
		}
		cs.discard(ctx)
		return failf("change set failed: %s", reason)
	}
	changes, err := r.changes(ctx, csID)
	if err != nil {
		cs.discard(ctx)
		return err
	}
	r.res.Changes = changes
	r.prog.changes(r.s.ID, changes)
	if typ == types.ChangeSetTypeUpdate {
		if err := refuseFrozenChanges(r.s, changes); err != nil {
			cs.discard(ctx)
			return err
		}
	}

	if r.opts().DryRun {
		cs.discard(ctx)
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
			cs.discard(ctx)
			if err != nil {
				return err
			}
			return failf("change set not approved; nothing was changed")
		}
	}

	if typ == types.ChangeSetTypeUpdate {
		if err := r.stillCurrent(ctx, existing); err != nil {
			cs.discard(ctx)
			return err
		}
	}
	r.progress(phaseExecuting, fmt.Sprintf("executing %d change(s)", len(changes)))
	r.prog.total(r.s.ID, len(changes))
	marker := ""
	if existing != nil {
		marker = r.poll.latestEventID(ctx, r.api, stackID)
	}
	r.begin("ExecuteChangeSet")
	r.pending = ""
	if _, err := r.api.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{
		ChangeSetName: aws.String(csID), ClientRequestToken: r.token("execute"),
	}); err != nil {
		if ctx.Err() != nil {
			return err // interrupted: the request may have arrived; leave everything
		}
		// The call failed, but the request may still have reached
		// CloudFormation (a reply lost, a retry refused because the first
		// attempt already started the execution): ask before giving up.
		if !cs.executionStarted(ctx) {
			cs.discard(ctx)
			return r.callFailed(ctx, "execute change set", err)
		}
		r.warn(fmt.Sprintf("ExecuteChangeSet reported %q, but CloudFormation is executing the change set; waiting for it", apiMessage(err)))
	}
	// A new stack may still report REVIEW_IN_PROGRESS right after the
	// execute call: that means "not started yet", not "settled".
	final, events, err := r.poll.waitStable(ctx, r.api, stackID, marker, r, types.StackStatusReviewInProgress)
	if err != nil {
		return fmt.Errorf("waiting for the change set to finish: %w", err)
	}
	r.ended()
	if typ == types.ChangeSetTypeCreate {
		return r.finishOperation(ctx, final, events, types.StackStatusCreateComplete, StatusCreated)
	}
	return r.finishOperation(ctx, final, events, types.StackStatusUpdateComplete, StatusUpdated)
}

// changeSet is one change set this run created.
type changeSet struct {
	run         *stackRun
	id, stackID string
	newStack    bool // the CREATE change set made the stack, in this run
}

// executionStarted asks CloudFormation whether the change set's execution
// began (or is over); when it cannot tell, it assumes so, which is the
// answer that deletes nothing.
func (cs *changeSet) executionStarted(ctx context.Context) bool {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var out *cloudformation.DescribeChangeSetOutput
	err := cs.run.poll.read(cctx, func() (err error) {
		out, err = cs.run.api.DescribeChangeSet(cctx, &cloudformation.DescribeChangeSetInput{ChangeSetName: aws.String(cs.id)})
		return err
	})
	return err != nil || !notExecuted(out.ExecutionStatus)
}

// notExecuted says a change set's execution never started.
func notExecuted(s types.ExecutionStatus) bool {
	switch s {
	case types.ExecutionStatusAvailable, types.ExecutionStatusUnavailable, types.ExecutionStatusObsolete:
		return true
	}
	return false
}

// discard removes what a change set that will not run leaves behind: the
// change set, and the empty stack its CREATE made. It never runs after an
// interrupt (the re-run cleans up), and it deletes a stack only when this
// run created it, CloudFormation still reports it REVIEW_IN_PROGRESS and
// the change set's execution never started, all checked, not assumed.
func (cs *changeSet) discard(ctx context.Context) {
	if ctx.Err() != nil || cs.executionStarted(ctx) {
		return
	}
	r := cs.run
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_, _ = r.api.DeleteChangeSet(cctx, &cloudformation.DeleteChangeSetInput{ChangeSetName: aws.String(cs.id)})
	if !cs.newStack {
		return
	}
	st, err := r.poll.describe(cctx, r.api, cs.stackID)
	if err != nil || st == nil || st.StackStatus != types.StackStatusReviewInProgress {
		return
	}
	_, _ = r.api.DeleteStack(cctx, &cloudformation.DeleteStackInput{StackName: aws.String(cs.stackID)})
}

// refuseFrozenChanges fails a change set CloudFormation could not apply
// or should not: one that modifies a resource the plan marks frozen (an
// ECS service under the CODE_DEPLOY controller: CloudFormation would send
// the whole service to ECS, ECS would refuse it, and the update would roll
// back; tags included, since a tag change is an update of the service
// too), that replaces a resource with a fixed name (CloudFormation "can't
// perform an update that causes a custom-named resource to be replaced",
// aws-properties-name.html) or one whose data it keeps (DeletionPolicy
// Retain), or that removes a resource holding data. Saying so before
// anything runs names the cause instead of a rollback.
func refuseFrozenChanges(s plan.Stack, changes []Change) error {
	var refused []string
	for _, c := range changes {
		if f, frozen := s.FrozenResource(c.LogicalID); frozen && c.Action == "Modify" {
			refused = append(refused, fmt.Sprintf("it modifies %s, %s", c.LogicalID, f.Reason))
			continue
		}
		replaces := c.Action == "Modify" && (c.Replacement == "True" || c.Replacement == "Conditional")
		if replaces {
			for _, n := range s.Named {
				if n.LogicalID == c.LogicalID {
					refused = append(refused, fmt.Sprintf("it replaces %s (%s), whose name %s the template fixes; CloudFormation cannot replace a custom-named resource", c.LogicalID, c.ResourceType, orUnnamed(n.Name)))
				}
			}
		}
		for _, k := range s.Retained {
			if k.LogicalID == c.LogicalID && replaces {
				refused = append(refused, fmt.Sprintf("it replaces %s (%s), which holds data", c.LogicalID, c.ResourceType))
			}
		}
		// A removal CloudFormation says it retains leaves the data (and the
		// resource) behind; one it does not describe is risky and asked about.
		if c.Action == "Remove" && plan.HoldsData(c.ResourceType) && c.PolicyAction == string(types.PolicyActionDelete) {
			refused = append(refused, fmt.Sprintf("it deletes %s (%s) and what it holds", c.LogicalID, c.ResourceType))
		}
	}
	if len(refused) > 0 {
		return failf("refused: %s. Revert the setting that changed it; bgc diff shows the change and README \"What you can change, and how\" the way forward",
			strings.Join(refused, "; "))
	}
	return nil
}

func orUnnamed(name string) string {
	if name == "" {
		return "(computed)"
	}
	return name
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
				Properties:   changedProperties(rc.Details),
				PolicyAction: string(rc.PolicyAction),
			})
		}
		if token = out.NextToken; token == nil {
			return all, nil
		}
	}
}

// changedProperties are the property names a resource change details.
func changedProperties(details []types.ResourceChangeDetail) []string {
	var out []string
	for _, d := range details {
		if t := d.Target; t != nil && t.Attribute == types.ResourceAttributeProperties && aws.ToString(t.Name) != "" && !slices.Contains(out, aws.ToString(t.Name)) {
			out = append(out, aws.ToString(t.Name))
		}
	}
	sort.Strings(out)
	return out
}

// deleteStaleChangeSets removes the change sets earlier bgc runs left on
// the stack (a dry run or a run that was killed): those named with bgc's
// prefix that never executed. Each is deleted by its ARN, and only after
// checking it belongs to this very stack: ListChangeSets is not trusted to
// return only one stack's change sets (moto returns every stack's).
func (r *stackRun) deleteStaleChangeSets(ctx context.Context, st *types.Stack) {
	stackID := aws.ToString(st.StackId)
	p := cloudformation.NewListChangeSetsPaginator(r.api, &cloudformation.ListChangeSetsInput{StackName: st.StackId})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return // nothing to clean up is the common case; CreateChangeSet reports real problems
		}
		for _, cs := range page.Summaries {
			if aws.ToString(cs.StackId) != stackID || !strings.HasPrefix(aws.ToString(cs.ChangeSetName), changeSetPrefix) || !notExecuted(cs.ExecutionStatus) {
				continue
			}
			if _, err := r.api.DeleteChangeSet(ctx, &cloudformation.DeleteChangeSetInput{ChangeSetName: cs.ChangeSetId}); err == nil {
				r.note(fmt.Sprintf("deleted change set %s, left by an earlier run", aws.ToString(cs.ChangeSetName)))
			}
		}
	}
}
