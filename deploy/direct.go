package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
)

// createDirect creates the stack with CreateStack and waits for it.
func (r *stackRun) createDirect(ctx context.Context) error {
	body, url, err := r.templateArgs(ctx)
	if err != nil {
		return err
	}
	r.progress(phaseExecuting, "CreateStack")
	r.prog.total(r.s.ID, r.s.Resources)
	r.begin("CreateStack")
	out, err := r.api.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:                   aws.String(r.s.StackName),
		TemplateBody:                body,
		TemplateURL:                 url,
		Parameters:                  r.params,
		Capabilities:                capabilities(r.s),
		Tags:                        r.tags,
		EnableTerminationProtection: aws.Bool(r.s.Retain),
		ClientRequestToken:          r.token("create"),
	})
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "AlreadyExistsException" {
			if first := r.tried.first(); first != "" {
				return failf("create stack: %s; the first attempt of this call failed with: %s, after creating the stack: re-run to continue from the stack's state", apiMessage(err), first)
			}
			return failf("create stack: %s; it did not exist a moment ago: another deploy may be running (re-run to continue from the stack's state)", apiMessage(err))
		}
		return r.callFailed(ctx, "create stack", err)
	}
	id := aws.ToString(out.StackId)
	r.res.StackARN = id
	final, events, err := r.poll.waitStable(ctx, r.api, id, "", r)
	if err != nil {
		return fmt.Errorf("waiting for create: %w", err)
	}
	r.ended()
	return r.finishOperation(ctx, final, events, types.StackStatusCreateComplete, StatusCreated)
}

// updateDirect updates the stack with UpdateStack and waits for it.
func (r *stackRun) updateDirect(ctx context.Context, st *types.Stack) error {
	id := aws.ToString(st.StackId)
	marker := r.poll.latestEventID(ctx, r.api, id)
	body, url, err := r.templateArgs(ctx)
	if err != nil {
		return err
	}
	r.progress(phaseExecuting, "UpdateStack")
	r.prog.total(r.s.ID, 0)
	r.begin("UpdateStack")
	_, err = r.api.UpdateStack(ctx, &cloudformation.UpdateStackInput{
		StackName:          aws.String(id),
		TemplateBody:       body,
		TemplateURL:        url,
		Parameters:         r.params,
		Capabilities:       capabilities(r.s),
		Tags:               r.tags,
		ClientRequestToken: r.token("update"),
	})
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		r.ended()
		if isNoChanges(apiMessage(err)) {
			return r.noChanges(ctx, st, "CloudFormation reports no changes")
		}
		return r.callFailed(ctx, "update stack", err)
	}
	final, events, err := r.poll.waitStable(ctx, r.api, id, marker, r)
	if err != nil {
		return fmt.Errorf("waiting for update: %w", err)
	}
	r.ended()
	return r.finishOperation(ctx, final, events, types.StackStatusUpdateComplete, StatusUpdated)
}
