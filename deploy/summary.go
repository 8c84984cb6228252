package deploy

import (
	"fmt"
	"strings"
	"time"
)

// Status is where a stack ended up in a run.
type Status string

// Final statuses of a stack.
const (
	StatusCreated   Status = "created"
	StatusUpdated   Status = "updated"
	StatusNoChanges Status = "no-changes"
	// StatusPlanned is a dry run's result for a stack with a change set.
	StatusPlanned Status = "planned"
	// StatusUnknown is a dry run's result for a stack whose parameters read
	// outputs that do not exist yet.
	StatusUnknown Status = "unknown-inputs"
	StatusFailed  Status = "failed"
	// StatusInterrupted is a stack bgc stopped watching (Ctrl-C, or the
	// run's timeout); CloudFormation may still be running its operation,
	// and a re-run continues from the stack's state.
	StatusInterrupted Status = "interrupted"
	StatusSkipped     Status = "skipped"
	StatusDeleted     Status = "deleted"
	// StatusRetained is a Retain stack (or one a Retain stack needs) that
	// Destroy kept.
	StatusRetained Status = "retained"
	// StatusAbsent is a stack Destroy found nothing to delete for.
	StatusAbsent Status = "absent"
)

// ok says the status is not a failure.
func (s Status) ok() bool { return s.known() && !s.failed() && s != StatusSkipped }

// failed says the stack's own operation did not finish well (it failed or
// was interrupted); its dependents are skipped.
func (s Status) failed() bool { return s == StatusFailed || s == StatusInterrupted }

// past is the status as a verb for messages ("failed", "was interrupted").
func (s Status) past() string {
	if s == StatusInterrupted {
		return "was interrupted"
	}
	return string(s)
}

// known says s is one of the final statuses.
func (s Status) known() bool {
	switch s {
	case StatusCreated, StatusUpdated, StatusNoChanges, StatusPlanned, StatusUnknown, StatusFailed, StatusInterrupted, StatusSkipped, StatusDeleted, StatusRetained, StatusAbsent:
		return true
	}
	return false
}

// phase is the status as the last phase of a stack.
func (s Status) phase() Phase { return Phase(s) }

// Summary is the result of one Deploy or Destroy run.
type Summary struct {
	RunID string `json:"runId"`
	// OK is false when any stack failed, was interrupted or was skipped.
	OK bool `json:"ok"`
	// Interrupted says the run was stopped (Ctrl-C or its timeout) before
	// every stack finished: re-run the same command to continue.
	Interrupted bool `json:"interrupted,omitempty"`
	// Stacks are in plan order (Deploy) or reverse plan order (Destroy).
	Stacks []StackResult `json:"stacks"`
}

// StackResult is one stack's outcome.
type StackResult struct {
	ID        string `json:"id"`
	Account   string `json:"account"`
	Region    string `json:"region"`
	StackName string `json:"stackName"`
	Status    Status `json:"status"`
	// StackARN is the stack id CloudFormation reported, when known.
	StackARN    string   `json:"stackArn,omitempty"`
	ChangeSetID string   `json:"changeSetId,omitempty"`
	Changes     []Change `json:"changes,omitempty"`
	// Outputs are the stack's outputs after the run.
	Outputs map[string]string `json:"outputs,omitempty"`
	// Seconds is the time the stack took, from start to end.
	Seconds float64 `json:"seconds"`
	// Reason explains failed, skipped and unknown-inputs results.
	Reason string `json:"reason,omitempty"`
	// Warnings are problems that did not fail the stack.
	Warnings []string `json:"warnings,omitempty"`
	// Events are the earliest failed resource events of a failed stack.
	Events []ResourceEvent `json:"events,omitempty"`
	// Left are the resources CloudFormation kept when Destroy deleted the
	// stack (DeletionPolicy Retain), or would keep in a dry run.
	Left []Leftover `json:"left,omitempty"`
}

// Leftover is one resource a deleted stack left behind, and how to remove
// it.
type Leftover struct {
	Type       string `json:"type"`
	PhysicalID string `json:"physicalId"`
	Account    string `json:"account"`
	Region     string `json:"region"`
	// Remove is the AWS CLI command that deletes it, run as the account.
	Remove string `json:"remove"`
}

// Change is one resource change of a change set.
type Change struct {
	Action       string `json:"action"` // Add, Modify, Remove, Import, Dynamic
	LogicalID    string `json:"logicalId"`
	ResourceType string `json:"resourceType"`
	PhysicalID   string `json:"physicalId,omitempty"`
	// Replacement is True, False or Conditional for Modify.
	Replacement string `json:"replacement,omitempty"`
	// Scope is what a Modify changes: Properties, Metadata, Tags, ...
	Scope []string `json:"scope,omitempty"`
	// Properties are the properties a Modify changes, as CloudFormation
	// details them, sorted and unique.
	Properties []string `json:"properties,omitempty"`
	// PolicyAction is what happens to the physical resource: Delete,
	// Retain, ReplaceAndDelete, ... ("" when CloudFormation does not say).
	PolicyAction string `json:"policyAction,omitempty"`
}

// Risky says the change removes or may replace a resource.
func (c Change) Risky() bool {
	return c.Action == "Remove" || c.Replacement == "True" || c.Replacement == "Conditional"
}

// ResourceEvent is one CloudFormation stack event.
type ResourceEvent struct {
	Time         time.Time `json:"time"`
	LogicalID    string    `json:"logicalId"`
	ResourceType string    `json:"resourceType"`
	Status       string    `json:"status"`
	Reason       string    `json:"reason,omitempty"`
}

// Pending says a dry run found something a real run would change: a
// stack planned, or one whose inputs are not known yet (a stack it
// depends on is not deployed).
func (s *Summary) Pending() bool {
	for _, r := range s.Stacks {
		if r.Status == StatusPlanned || r.Status == StatusUnknown {
			return true
		}
	}
	return false
}

// Err returns nil when every stack succeeded, otherwise an error that counts
// the failed and skipped stacks and names the first failure.
func (s *Summary) Err() error {
	var failed, interrupted, skipped []StackResult
	for _, r := range s.Stacks {
		switch r.Status {
		case StatusFailed:
			failed = append(failed, r)
		case StatusInterrupted:
			interrupted = append(interrupted, r)
		case StatusSkipped:
			skipped = append(skipped, r)
		}
	}
	if len(failed) == 0 && len(interrupted) == 0 && len(skipped) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d stacks failed, %d interrupted, %d skipped", len(failed), len(s.Stacks), len(interrupted), len(skipped))
	for _, list := range [][]StackResult{failed, interrupted, skipped} {
		if len(list) > 0 {
			fmt.Fprintf(&b, "; first: %s: %s", list[0].ID, list[0].Reason)
			break
		}
	}
	return &RunError{Msg: b.String(), Summary: s}
}

// RunError is returned when a run finished with failed or skipped stacks.
type RunError struct {
	Msg     string
	Summary *Summary
}

func (e *RunError) Error() string { return e.Msg }
