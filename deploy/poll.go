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
)

// poller waits between status reads: first min, doubling up to max. Reads
// that fail transiently (throttling, 5xx, dropped connections that outlived
// the SDK's own retries) are retried on the same schedule, so polling never
// fails a deploy because CloudFormation was busy.
type poller struct {
	min, max time.Duration
	// still is how often waitStable reports that it is still waiting.
	still time.Duration
}

// watcher follows one stack's operation while waitStable polls it.
type watcher interface {
	// event receives each new stack event, oldest first.
	event(ResourceEvent)
	// waiting says, every poller.still, how long the wait has lasted.
	waiting(msg string)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// maxUnreachable bounds how long reads keep retrying failures other than
// throttling (5xx replies, dropped connections): long enough to ride out a
// service blip, short enough that a wrong endpoint does not hang the run.
const maxUnreachable = 5 * time.Minute

// read calls fn until it succeeds or fails for a reason worth reporting.
// Throttling is retried for as long as it lasts (it only slows the run);
// other transient failures for at most maxUnreachable in a row.
func (p poller) read(ctx context.Context, fn func() error) error {
	wait := p.min
	var failingSince time.Time
	for {
		err := fn()
		if !isTransient(err) {
			return err
		}
		if isThrottle(err) {
			failingSince = time.Time{}
		} else if failingSince.IsZero() {
			failingSince = time.Now()
		} else if time.Since(failingSince) > maxUnreachable {
			return fmt.Errorf("still failing after %s: %w", maxUnreachable, err)
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(2*wait, p.max)
	}
}

// describe returns the stack named (or with id) ref, or nil when it does
// not exist.
func (p poller) describe(ctx context.Context, api cfnAPI, ref string) (*types.Stack, error) {
	var out *cloudformation.DescribeStacksOutput
	err := p.read(ctx, func() (err error) {
		out, err = api.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(ref)})
		return err
	})
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(out.Stacks) == 0 {
		return nil, nil
	}
	st := out.Stacks[0]
	if st.StackStatus == types.StackStatusDeleteComplete && !strings.HasPrefix(ref, "arn:") {
		return nil, nil
	}
	return &st, nil
}

// inProgress says an operation is running on the stack. REVIEW_IN_PROGRESS
// is a stack that only has change sets, not an operation.
func inProgress(s types.StackStatus) bool {
	return strings.HasSuffix(string(s), "_IN_PROGRESS") && s != types.StackStatusReviewInProgress
}

// latestEventID returns the newest event id of a stack, marking where the
// events of the next operation begin ("" when unknown).
func (p poller) latestEventID(ctx context.Context, api cfnAPI, ref string) string {
	var out *cloudformation.DescribeStackEventsOutput
	if err := p.read(ctx, func() (err error) {
		out, err = api.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(ref)})
		return err
	}); err != nil || len(out.StackEvents) == 0 {
		return ""
	}
	return aws.ToString(out.StackEvents[0].EventId)
}

// newEvents returns the events after marker, oldest first. With no marker it
// returns up to the newest few pages.
func (p poller) newEvents(ctx context.Context, api cfnAPI, ref, marker string) ([]types.StackEvent, error) {
	var found []types.StackEvent
	var token *string
	for page := 0; page < 5; page++ {
		out, err := api.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(ref), NextToken: token})
		if err != nil {
			return nil, err
		}
		done := false
		for _, e := range out.StackEvents {
			if marker != "" && aws.ToString(e.EventId) == marker {
				done = true
				break
			}
			found = append(found, e)
		}
		token = out.NextToken
		if done || token == nil {
			break
		}
	}
	for i, j := 0, len(found)-1; i < j; i, j = i+1, j-1 {
		found[i], found[j] = found[j], found[i]
	}
	return found, nil
}

// waitStable polls the stack (by id, so that deleted stacks stay visible)
// until no operation runs on it, passing each new event to onEvent. marker
// is the newest event before the operation began. It returns the final
// stack (nil when it vanished) and every event seen.
//
// notStarted lists statuses that mean the operation just requested has not
// begun yet (REVIEW_IN_PROGRESS right after a CREATE change set executes);
// they are polled through, for at most maxNotStarted polls.
func (p poller) waitStable(ctx context.Context, api cfnAPI, ref, marker string, w watcher, notStarted ...types.StackStatus) (*types.Stack, []ResourceEvent, error) {
	var seen []ResourceEvent
	wait := p.min
	pending := 0
	start, reported := time.Now(), time.Now()
	for first := true; ; first = false {
		if !first {
			if err := sleep(ctx, wait); err != nil {
				return nil, seen, err
			}
			wait = min(2*wait, p.max)
		}
		if p.still > 0 && time.Since(reported) >= p.still {
			reported = time.Now()
			msg := fmt.Sprintf("still waiting (%s", time.Since(start).Truncate(time.Second))
			if len(seen) > 0 {
				last := seen[len(seen)-1]
				msg += fmt.Sprintf(", last event %s %s %s ago", last.LogicalID, last.Status, time.Since(last.Time).Truncate(time.Second))
			} else {
				msg += ", no event yet"
			}
			w.waiting(msg + ")")
		}
		st, err := p.describe(ctx, api, ref)
		if err != nil {
			return nil, seen, err
		}
		if evs, err := p.newEvents(ctx, api, ref, marker); err == nil {
			for _, e := range evs {
				ev := toResourceEvent(e)
				seen = append(seen, ev)
				w.event(ev)
				marker = aws.ToString(e.EventId)
			}
		} else if !isTransient(err) && !isNotFound(err) {
			return st, seen, err
		}
		if st != nil && slices.Contains(notStarted, st.StackStatus) && pending < maxNotStarted {
			pending++
			continue
		}
		if st == nil || !inProgress(st.StackStatus) {
			return st, seen, nil
		}
	}
}

// maxNotStarted bounds how long waitStable waits for an operation to begin.
const maxNotStarted = 30

func toResourceEvent(e types.StackEvent) ResourceEvent {
	return ResourceEvent{
		Time:         aws.ToTime(e.Timestamp),
		LogicalID:    aws.ToString(e.LogicalResourceId),
		ResourceType: aws.ToString(e.ResourceType),
		Status:       string(e.ResourceStatus),
		Reason:       aws.ToString(e.ResourceStatusReason),
	}
}

// rootCauses picks the earliest failed events, leaving out the "Resource
// creation cancelled" noise that follows the real failure, and preferring
// resource events over the stack's own summary events.
func rootCauses(events []ResourceEvent, stackName string) []ResourceEvent {
	var res, stack []ResourceEvent
	for _, e := range events {
		if strings.Contains(e.Reason, "Resource creation cancelled") {
			continue
		}
		isStack := e.LogicalID == stackName && e.ResourceType == "AWS::CloudFormation::Stack"
		switch {
		case isStack && e.Reason != "" && (strings.HasSuffix(e.Status, "_FAILED") || strings.HasSuffix(e.Status, "ROLLBACK_IN_PROGRESS")):
			stack = append(stack, e)
		case !isStack && strings.HasSuffix(e.Status, "_FAILED"):
			res = append(res, e)
		}
	}
	if len(res) == 0 {
		res = stack
	}
	sort.SliceStable(res, func(i, j int) bool { return res[i].Time.Before(res[j].Time) })
	if len(res) > 5 {
		res = res[:5]
	}
	return res
}
