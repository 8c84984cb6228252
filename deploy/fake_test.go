package deploy

// A fake CloudFormation for the stack states moto_server cannot produce: it
// never reaches ROLLBACK_COMPLETE or UPDATE_ROLLBACK_FAILED, creates
// resources synchronously (so nothing is ever in progress) and never
// throttles. Everything else is tested against moto in the _test package.

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/bgc-dev/bgc/plan"
)

// fakeStack is one stack of the fake.
type fakeStack struct {
	st     types.Stack
	events []types.StackEvent // newest first
	// pending are statuses DescribeStacks reports, one per call, before
	// st.StackStatus (an operation in progress).
	pending []types.StackStatus
	// body is the template the stack was last created or updated with.
	body string
}

// fakeCFN implements cfnAPI in memory for one account and region.
type fakeCFN struct {
	mu     sync.Mutex
	stacks map[string]*fakeStack // by name; deleted stacks are removed
	calls  []string
	// throttle fails this many DescribeStacks calls with Throttling.
	throttle int
	// createStatus is the status CreateStack ends in (default CREATE_COMPLETE);
	// createEvents are the events it adds.
	createStatus types.StackStatus
	createEvents []types.StackEvent
	seq          int
}

func newFake() *fakeCFN { return &fakeCFN{stacks: map[string]*fakeStack{}} }

func (f *fakeCFN) log(op string) { f.calls = append(f.calls, op) }

func notFound(name string) error {
	return &smithy.GenericAPIError{Code: "ValidationError", Message: fmt.Sprintf("Stack with id %s does not exist", name)}
}

// add puts a stack into the fake with status.
func (f *fakeCFN) add(name string, status types.StackStatus, tags ...types.Tag) *fakeStack {
	f.seq++
	fs := &fakeStack{st: types.Stack{
		StackName: aws.String(name), StackId: aws.String("arn:aws:cloudformation:us-east-1:1:stack/" + name + "/" + fmt.Sprint(f.seq)),
		StackStatus: status, Tags: tags,
	}}
	f.stacks[name] = fs
	return fs
}

func (f *fakeCFN) find(ref string) *fakeStack {
	for name, s := range f.stacks {
		if name == ref || aws.ToString(s.st.StackId) == ref {
			return s
		}
	}
	return nil
}

func (f *fakeCFN) event(s *fakeStack, logical, typ string, status types.ResourceStatus, reason string) {
	f.seq++
	e := types.StackEvent{
		EventId: aws.String(fmt.Sprint("e", f.seq)), StackId: s.st.StackId, StackName: s.st.StackName,
		LogicalResourceId: aws.String(logical), ResourceType: aws.String(typ), ResourceStatus: status,
		Timestamp: aws.Time(time.Unix(int64(1_700_000_000+f.seq), 0)),
	}
	if reason != "" {
		e.ResourceStatusReason = aws.String(reason)
	}
	s.events = append([]types.StackEvent{e}, s.events...)
}

func (f *fakeCFN) DescribeStacks(_ context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("DescribeStacks")
	if f.throttle > 0 {
		f.throttle--
		return nil, &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	}
	s := f.find(aws.ToString(in.StackName))
	if s == nil {
		return nil, notFound(aws.ToString(in.StackName))
	}
	st := s.st
	if len(s.pending) > 0 {
		st.StackStatus = s.pending[0]
		s.pending = s.pending[1:]
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []types.Stack{st}}, nil
}

func (f *fakeCFN) DescribeStackEvents(_ context.Context, in *cloudformation.DescribeStackEventsInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.find(aws.ToString(in.StackName))
	if s == nil {
		return nil, notFound(aws.ToString(in.StackName))
	}
	return &cloudformation.DescribeStackEventsOutput{StackEvents: append([]types.StackEvent(nil), s.events...)}, nil
}

func (f *fakeCFN) CreateStack(_ context.Context, in *cloudformation.CreateStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.CreateStackOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("CreateStack")
	name := aws.ToString(in.StackName)
	if f.stacks[name] != nil {
		return nil, &smithy.GenericAPIError{Code: "AlreadyExistsException", Message: "Stack [" + name + "] already exists"}
	}
	status := f.createStatus
	if status == "" {
		status = types.StackStatusCreateComplete
	}
	s := f.add(name, status, in.Tags...)
	s.st.EnableTerminationProtection = in.EnableTerminationProtection
	s.body, s.st.Parameters, s.st.Capabilities = aws.ToString(in.TemplateBody), in.Parameters, in.Capabilities
	f.event(s, name, "AWS::CloudFormation::Stack", types.ResourceStatusCreateInProgress, "User Initiated")
	for _, e := range f.createEvents {
		f.event(s, aws.ToString(e.LogicalResourceId), aws.ToString(e.ResourceType), e.ResourceStatus, aws.ToString(e.ResourceStatusReason))
	}
	f.event(s, name, "AWS::CloudFormation::Stack", types.ResourceStatus(status), "")
	s.st.Outputs = []types.Output{{OutputKey: aws.String("Name"), OutputValue: aws.String(name)}}
	return &cloudformation.CreateStackOutput{StackId: s.st.StackId}, nil
}

func (f *fakeCFN) UpdateStack(_ context.Context, in *cloudformation.UpdateStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.UpdateStackOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("UpdateStack")
	s := f.find(aws.ToString(in.StackName))
	if s == nil {
		return nil, notFound(aws.ToString(in.StackName))
	}
	s.st.StackStatus, s.st.Tags = types.StackStatusUpdateComplete, in.Tags
	s.body, s.st.Parameters, s.st.Capabilities = aws.ToString(in.TemplateBody), in.Parameters, in.Capabilities
	f.event(s, aws.ToString(s.st.StackName), "AWS::CloudFormation::Stack", types.ResourceStatusUpdateComplete, "")
	return &cloudformation.UpdateStackOutput{StackId: s.st.StackId}, nil
}

func (f *fakeCFN) DeleteStack(_ context.Context, in *cloudformation.DeleteStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("DeleteStack")
	if s := f.find(aws.ToString(in.StackName)); s != nil {
		delete(f.stacks, aws.ToString(s.st.StackName))
		s.st.StackStatus = types.StackStatusDeleteComplete
		f.stacks["deleted:"+aws.ToString(s.st.StackId)] = s // still visible by id
	}
	return &cloudformation.DeleteStackOutput{}, nil
}

func (f *fakeCFN) UpdateTerminationProtection(_ context.Context, in *cloudformation.UpdateTerminationProtectionInput, _ ...func(*cloudformation.Options)) (*cloudformation.UpdateTerminationProtectionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("UpdateTerminationProtection")
	if s := f.find(aws.ToString(in.StackName)); s != nil {
		s.st.EnableTerminationProtection = in.EnableTerminationProtection
	}
	return &cloudformation.UpdateTerminationProtectionOutput{}, nil
}

// The change-set calls are exercised against moto; the fake refuses them.

func (f *fakeCFN) CreateChangeSet(context.Context, *cloudformation.CreateChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.CreateChangeSetOutput, error) {
	return nil, fmt.Errorf("fake: change sets are tested against moto")
}

func (f *fakeCFN) DescribeChangeSet(context.Context, *cloudformation.DescribeChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeChangeSetOutput, error) {
	return nil, fmt.Errorf("fake: change sets are tested against moto")
}

func (f *fakeCFN) ExecuteChangeSet(context.Context, *cloudformation.ExecuteChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.ExecuteChangeSetOutput, error) {
	return nil, fmt.Errorf("fake: change sets are tested against moto")
}

func (f *fakeCFN) DeleteChangeSet(context.Context, *cloudformation.DeleteChangeSetInput, ...func(*cloudformation.Options)) (*cloudformation.DeleteChangeSetOutput, error) {
	return nil, fmt.Errorf("fake: change sets are tested against moto")
}

func (f *fakeCFN) GetTemplate(_ context.Context, in *cloudformation.GetTemplateInput, _ ...func(*cloudformation.Options)) (*cloudformation.GetTemplateOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("GetTemplate")
	s := f.find(aws.ToString(in.StackName))
	if s == nil {
		return nil, notFound(aws.ToString(in.StackName))
	}
	return &cloudformation.GetTemplateOutput{TemplateBody: aws.String(s.body)}, nil
}

func (f *fakeCFN) ListChangeSets(context.Context, *cloudformation.ListChangeSetsInput, ...func(*cloudformation.Options)) (*cloudformation.ListChangeSetsOutput, error) {
	return nil, fmt.Errorf("fake: change sets are tested against moto")
}

func (f *fakeCFN) ListStackResources(context.Context, *cloudformation.ListStackResourcesInput, ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error) {
	return &cloudformation.ListStackResourcesOutput{}, nil // the fake keeps no resources
}

// fakeSource serves one fake for every account and region.
type fakeSource struct {
	cfnFake    *fakeCFN
	lambdaFake lambdaAPI
}

func (s fakeSource) check(context.Context, []plan.Stack) error { return nil }
func (s fakeSource) cfn(string, string) cfnAPI                 { return s.cfnFake }
func (s fakeSource) s3(string, string) s3API                   { return nil } // staging is tested against moto
func (s fakeSource) iam(string, string) iamAPI                 { return nil } // tested against moto
func (s fakeSource) elb(string, string) elbAPI                 { return nil } // tested against moto
func (s fakeSource) ecs(string, string) ecsAPI                 { return nil } // tested against moto
func (s fakeSource) codedeploy(string, string) codedeployAPI   { return nil } // tested against moto
func (s fakeSource) autoscaling(string, string) autoscalingAPI { return nil } // tested against moto
func (s fakeSource) ec2(string, string) ec2API                 { return nil } // tested against moto
func (s fakeSource) lambda(string, string) lambdaAPI           { return s.lambdaFake }
func (s fakeSource) exists(context.Context, string, string, plan.Retained) (bool, string, error) {
	return false, "", nil // tested against moto
}
