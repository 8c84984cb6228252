// Package plan is the machine-readable deployment plan bgc writes to
// DIR/plan.json and `bgc deploy` executes. It is shared by the compiler
// (which produces it) and the deployer (which consumes it).
package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
)

// FormatVersion is bumped on any incompatible change to the file.
const FormatVersion = 1

// Plan is every stack of one app, in an order that respects DependsOn.
type Plan struct {
	Version int     `json:"version"`
	App     string  `json:"app"`
	Stacks  []Stack `json:"stacks"`
}

// Stack is one CloudFormation stack in one account and region.
type Stack struct {
	// ID is "<accountName>/<region>/<stack>", unique in the plan.
	ID          string `json:"id"`
	Account     string `json:"account"` // 12-digit account id
	AccountName string `json:"accountName"`
	Region      string `json:"region"`
	StackName   string `json:"stackName"`
	// Template is the template's path relative to the plan's directory.
	Template string `json:"template"`
	// DeployRole is the role name `bgc deploy` assumes in Account when the
	// caller is not already in it.
	DeployRole   string                `json:"deployRole"`
	Parameters   map[string]ParamValue `json:"parameters,omitempty"`
	Capabilities []string              `json:"capabilities,omitempty"`
	Tags         map[string]string     `json:"tags,omitempty"`
	DependsOn    []string              `json:"dependsOn,omitempty"`
	// Retain marks stacks that hold state (the key, artifact buckets, ECR and
	// CodeCommit repositories, all DeletionPolicy Retain): the deployer
	// turns on termination protection, never deletes them to recover from a
	// failed create, and `bgc destroy` keeps them unless asked otherwise.
	Retain bool `json:"retain,omitempty"`
	// TemplateBucket is an S3 bucket in Account and Region, created by a
	// stack this one depends on, where the deployer may stage the template
	// when it is too large to send inline (over 51,200 bytes).
	TemplateBucket string `json:"templateBucket,omitempty"`
}

// ParamValue is either a literal Value or a reference to an Output of a
// stack that precedes it in the plan. Exactly one of the two is set.
type ParamValue struct {
	Value *string    `json:"value,omitempty"`
	From  *OutputRef `json:"from,omitempty"`
}

// OutputRef names one output of another stack of the plan.
type OutputRef struct {
	Stack  string `json:"stack"`  // Stack.ID
	Output string `json:"output"` // output key
}

// Literal returns a literal parameter value.
func Literal(v string) ParamValue { return ParamValue{Value: &v} }

// FromOutput returns a parameter bound to another stack's output.
func FromOutput(stack, output string) ParamValue {
	return ParamValue{From: &OutputRef{Stack: stack, Output: output}}
}

// Marshal renders the plan as indented JSON with a final newline.
func (p *Plan) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Parse reads a plan and checks it is well formed: known version, unique
// ids, dependencies and output references that name earlier stacks.
func Parse(data []byte) (*Plan, error) {
	var p Plan
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("plan.json: %w", err)
	}
	if p.Version != FormatVersion {
		return nil, fmt.Errorf("plan.json: version %d is not supported (want %d)", p.Version, FormatVersion)
	}
	if err := p.Check(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Check verifies ids are unique and every edge points to an earlier stack,
// which also rules out cycles.
func (p *Plan) Check() error {
	index := map[string]int{}
	for i, s := range p.Stacks {
		if s.ID == "" {
			return fmt.Errorf("plan.json: stacks[%d] has no id", i)
		}
		if _, dup := index[s.ID]; dup {
			return fmt.Errorf("plan.json: stack %q appears twice", s.ID)
		}
		for _, d := range s.DependsOn {
			if _, ok := index[d]; !ok {
				return fmt.Errorf("plan.json: stack %q depends on %q, which is not an earlier stack", s.ID, d)
			}
		}
		keys := make([]string, 0, len(s.Parameters))
		for k := range s.Parameters {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := s.Parameters[k]
			if (v.Value == nil) == (v.From == nil) {
				return fmt.Errorf("plan.json: stack %q parameter %q must have exactly one of value and from", s.ID, k)
			}
			if v.From != nil {
				if _, ok := index[v.From.Stack]; !ok {
					return fmt.Errorf("plan.json: stack %q parameter %q reads an output of %q, which is not an earlier stack", s.ID, k, v.From.Stack)
				}
				if !slices.Contains(s.DependsOn, v.From.Stack) {
					return fmt.Errorf("plan.json: stack %q parameter %q reads %q but does not depend on it", s.ID, k, v.From.Stack)
				}
			}
		}
		index[s.ID] = i
	}
	return nil
}
