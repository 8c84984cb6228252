package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/bgc-dev/bgc/deploy/internal/ec2query"
	"github.com/bgc-dev/bgc/plan"
)

// MaxTemplateBody is the largest template CloudFormation accepts inline as
// TemplateBody. A larger one is staged in the stack's plan.TemplateBucket
// and passed as TemplateURL; without such a bucket Deploy refuses it before
// changing anything.
const MaxTemplateBody = 51200

// MaxTemplateURLBody is the largest template CloudFormation reads from S3.
const MaxTemplateURLBody = 1 << 20

// checkTemplates checks every stack has a template CloudFormation can take.
func checkTemplates(stacks []plan.Stack) error {
	var errs []error
	for _, s := range stacks {
		n := len(s.Body)
		switch {
		case n == 0:
			errs = append(errs, fmt.Errorf("stack %s: template %s is empty", s.ID, s.Template))
		case n > MaxTemplateURLBody:
			errs = append(errs, fmt.Errorf("stack %s: template %s is %d bytes; CloudFormation accepts at most %d", s.ID, s.Template, n, MaxTemplateURLBody))
		case n > MaxTemplateBody && s.TemplateBucket == "":
			errs = append(errs, fmt.Errorf("stack %s: template %s is %d bytes; CloudFormation accepts at most %d bytes inline and the plan names no templateBucket to stage it in", s.ID, s.Template, n, MaxTemplateBody))
		}
	}
	return errors.Join(errs...)
}

// errUnknownInput is returned by resolveParams when a referenced output does
// not exist; in a dry run this means the value is only known after deploy.
var errUnknownInput = errors.New("unknown input")

// resolveParams turns the plan's parameters into CloudFormation parameters,
// sorted by key, reading bound values from the outputs of the stack's
// dependencies.
func resolveParams(s plan.Stack, deps map[string]StackResult) ([]types.Parameter, error) {
	keys := make([]string, 0, len(s.Parameters))
	for k := range s.Parameters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	params := make([]types.Parameter, 0, len(keys))
	for _, k := range keys {
		v := s.Parameters[k]
		var val string
		switch {
		case v.Value != nil:
			val = *v.Value
		case v.Live != nil:
			continue // read from the listener just before the stack changes (liveParams)
		case v.PrefixList != nil:
			continue // looked up before the stack changes (prefixListParams)
		case v.From != nil:
			o := deps[v.From.Stack].Outputs
			got, ok := o[v.From.Output]
			if !ok {
				return nil, fmt.Errorf("%w: parameter %s reads output %s of %s, which has no such output (it has: %s)", errUnknownInput, k, v.From.Output, v.From.Stack, strings.Join(sortedKeys(o), ", "))
			}
			val = got
		default:
			return nil, fmt.Errorf("parameter %s has neither value nor from", k)
		}
		params = append(params, types.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(val)})
	}
	return params, nil
}

// inputHash fingerprints everything bgc sends for a stack: template,
// resolved parameters, tags and capabilities. It names the run's client
// request tokens, so a retried call is recognised as the same request.
func inputHash(body string, params []types.Parameter, s plan.Stack) string {
	h := sha256.New()
	write := func(parts ...string) {
		for _, p := range parts {
			fmt.Fprintf(h, "%d:%s", len(p), p)
		}
	}
	write("template", body)
	for _, p := range params {
		write("param", aws.ToString(p.ParameterKey), aws.ToString(p.ParameterValue))
	}
	for _, k := range sortedKeys(s.Tags) {
		write("tag", k, s.Tags[k])
	}
	caps := append([]string(nil), s.Capabilities...)
	sort.Strings(caps)
	write(append([]string{"caps"}, caps...)...)
	return hex.EncodeToString(h.Sum(nil))
}

// stackTags are the plan's tags, sorted. bgc adds none of its own: a stack
// tag is copied onto every resource that takes tags, so a tag that changed
// with every input (as an earlier input-hash tag did) would modify every
// resource on every update.
func stackTags(s plan.Stack) []types.Tag {
	tags := []types.Tag{}
	for _, k := range sortedKeys(s.Tags) {
		tags = append(tags, types.Tag{Key: aws.String(k), Value: aws.String(s.Tags[k])})
	}
	return tags
}

func capabilities(s plan.Stack) []types.Capability {
	out := make([]types.Capability, 0, len(s.Capabilities))
	for _, c := range s.Capabilities {
		out = append(out, types.Capability(c))
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// prefixListParams fills the stack's prefix-list parameters
// (plan.ParamValue.PrefixList) with the ids EC2 gives the AWS-managed
// lists in the stack's account and region. The id of an AWS-managed list
// cannot be written into a template: CloudFormation has no way to look one
// up, and each region has its own.
func (r *stackRun) prefixListParams(ctx context.Context) ([]types.Parameter, error) {
	var out []types.Parameter
	for _, k := range sortedKeys(r.s.Parameters) {
		name := r.s.Parameters[k].PrefixList
		if name == nil {
			continue
		}
		if r.prefixLists == nil {
			r.prefixLists = map[string]string{}
		}
		id, ok := r.prefixLists[*name]
		if !ok {
			api := r.src.ec2(r.s.Account, r.s.Region)
			var lists []ec2query.PrefixList
			err := r.poll.read(ctx, func() (err error) {
				lists, err = api.DescribeManagedPrefixLists(ctx, ec2query.Filter{Name: "prefix-list-name", Values: []string{*name}})
				return err
			})
			if err != nil {
				return nil, failf("look up the prefix list %s for parameter %s: %s (the deploy role needs ec2:DescribeManagedPrefixLists)", *name, k, apiMessage(err))
			}
			for _, l := range lists {
				if l.PrefixListName == *name && l.OwnerID == "AWS" {
					id = l.PrefixListID
				}
			}
			if id == "" {
				return nil, failf("EC2 in %s has no AWS-managed prefix list %s (parameter %s)", r.s.Region, *name, k)
			}
			r.prefixLists[*name] = id
		}
		out = append(out, types.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(id)})
	}
	return out, nil
}
