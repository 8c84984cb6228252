package deploy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	cctypes "github.com/aws/aws-sdk-go-v2/service/codecommit/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/bgc-dev/bgc/plan"
)

// Resources with DeletionPolicy Retain outlive their stack: the key, the
// artifact buckets, the ECR and CodeCommit repositories. Destroy names
// each one it leaves behind with the command that removes it, and Deploy
// checks, before it changes anything, that no stack it is about to create
// would collide with a named one left behind by an earlier destroy.

// removeCommand is the AWS CLI command that deletes a left-behind resource.
func removeCommand(typ, id, region string) string {
	switch typ {
	case "AWS::S3::Bucket":
		return fmt.Sprintf("empty every object version of the bucket (versioning is on), then: aws s3api delete-bucket --bucket %s --region %s", id, region)
	case "AWS::ECR::Repository":
		return fmt.Sprintf("aws ecr delete-repository --repository-name %s --force --region %s", id, region)
	case "AWS::CodeCommit::Repository":
		return fmt.Sprintf("aws codecommit delete-repository --repository-name %s --region %s", id, region)
	case "AWS::KMS::Key", "AWS::KMS::ReplicaKey":
		return fmt.Sprintf("aws kms schedule-key-deletion --key-id %s --pending-window-in-days 30 --region %s (replicas before the primary key)", id, region)
	}
	return fmt.Sprintf("delete it with the %s service's own API in %s", typ, region)
}

// whatIs names a resource type for messages.
func whatIs(typ string) string {
	switch typ {
	case "AWS::S3::Bucket":
		return "S3 bucket"
	case "AWS::ECR::Repository":
		return "ECR repository"
	case "AWS::CodeCommit::Repository":
		return "CodeCommit repository"
	case "AWS::KMS::Key", "AWS::KMS::ReplicaKey":
		return "KMS key"
	}
	return typ
}

// leftovers lists what deleting the stack leaves behind: its retained
// resources that exist, with their physical ids.
func (r *stackRun) leftovers(ctx context.Context, st *types.Stack) ([]Leftover, error) {
	if len(r.s.Retained) == 0 {
		return nil, nil
	}
	resources, err := r.stackResources(ctx, st)
	if err != nil {
		return nil, err
	}
	physical := map[string]string{}
	for _, res := range resources {
		physical[aws.ToString(res.LogicalResourceId)] = aws.ToString(res.PhysicalResourceId)
	}
	var out []Leftover
	for _, k := range r.s.Retained {
		if id := physical[k.LogicalID]; id != "" {
			out = append(out, Leftover{Type: k.Type, PhysicalID: id, Account: r.s.Account, Region: r.s.Region, Remove: removeCommand(k.Type, id, r.s.Region)})
		}
	}
	return out, nil
}

// stackResources lists every resource of a stack, page by page, each
// page read as the poller reads (throttling and blips retried).
func (r *stackRun) stackResources(ctx context.Context, st *types.Stack) ([]types.StackResourceSummary, error) {
	var out []types.StackResourceSummary
	p := cloudformation.NewListStackResourcesPaginator(r.api, &cloudformation.ListStackResourcesInput{StackName: st.StackId})
	for p.HasMorePages() {
		var page *cloudformation.ListStackResourcesOutput
		err := r.poll.read(ctx, func() (err error) {
			page, err = p.NextPage(ctx)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("list stack resources: %w", err)
		}
		out = append(out, page.StackResourceSummaries...)
	}
	return out, nil
}

// blockedCreate is a stack Deploy would create whose named retained
// resource already exists.
type blockedCreate struct {
	stack plan.Stack
	res   plan.Retained
	why   string // "" or how it is known to exist
}

// checkLeftovers stops a deploy, before anything changes, when a stack it
// would create names a resource that already exists: most often one an
// earlier destroy left behind (DeletionPolicy Retain). CloudFormation
// would fail the create ("already exists") after creating the stack's other
// resources, so bgc says what blocks it instead.
func (e *engine) checkLeftovers(ctx context.Context) error {
	var (
		mu      sync.Mutex
		blocked []blockedCreate
		errs    []error
		wg      sync.WaitGroup
		slots   = make(chan struct{}, e.c.Concurrency)
	)
	for _, s := range e.plan.Stacks {
		var named []plan.Retained
		for _, k := range s.Retained {
			if k.Name != "" {
				named = append(named, k)
			}
		}
		if len(named) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			st, err := e.poll.describe(ctx, e.src.cfn(s.Account, s.Region), s.StackName)
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("stack %s: describe: %w", s.ID, err))
				mu.Unlock()
				return
			}
			if st != nil && st.StackStatus != types.StackStatusReviewInProgress {
				return // the stack exists and owns its resources
			}
			for _, k := range named {
				found, why, err := e.src.exists(ctx, s.Account, s.Region, k)
				mu.Lock()
				switch {
				case err != nil:
					errs = append(errs, fmt.Errorf("stack %s: checking whether %s %s exists: %w", s.ID, whatIs(k.Type), k.Name, err))
				case found:
					blocked = append(blocked, blockedCreate{stack: s, res: k, why: why})
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
		return errors.Join(errs...)
	}
	if len(blocked) == 0 {
		return nil
	}
	sort.Slice(blocked, func(i, j int) bool {
		return blocked[i].stack.ID+blocked[i].res.Name < blocked[j].stack.ID+blocked[j].res.Name
	})
	lines := []string{fmt.Sprintf("%d stack(s) cannot be created because a resource they name already exists; nothing was changed:", len(blocked))}
	for _, b := range blocked {
		s := b.stack
		line := fmt.Sprintf("  %s (stack %s, %s %s): %s %s exists", s.ID, s.StackName, accountLabel(s), s.Region, whatIs(b.res.Type), b.res.Name)
		if b.why != "" {
			line += " (" + b.why + ")"
		}
		lines = append(lines, line+"; it is most likely what an earlier destroy left behind (DeletionPolicy Retain).",
			"    remove it, as account "+s.Account+": "+removeCommand(b.res.Type, b.res.Name, s.Region),
			"    or keep it by importing it into a new stack "+s.StackName+" (CloudFormation resource import), then re-run")
	}
	return errors.New(strings.Join(lines, "\n"))
}

// exists says whether a named resource exists (why: how it is known, for
// one that is not visible to the account).
func (c *awsClients) exists(ctx context.Context, account, region string, r plan.Retained) (bool, string, error) {
	cfg := c.config(account, region)
	switch r.Type {
	case "AWS::S3::Bucket":
		_, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = cfg.BaseEndpoint != nil }).
			HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(r.Name)})
		var re *smithyhttp.ResponseError
		switch {
		case err == nil:
			return true, "", nil
		case errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound:
			return false, "", nil
		case errors.As(err, &re) && re.HTTPStatusCode() == http.StatusForbidden:
			return true, "owned by another AWS account: bucket names are global", nil
		}
		return false, "", err
	case "AWS::ECR::Repository":
		_, err := ecr.NewFromConfig(cfg).DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{r.Name}})
		var nf *ecrtypes.RepositoryNotFoundException
		if errors.As(err, &nf) {
			return false, "", nil
		}
		return err == nil, "", err
	case "AWS::CodeCommit::Repository":
		_, err := codecommit.NewFromConfig(cfg).GetRepository(ctx, &codecommit.GetRepositoryInput{RepositoryName: aws.String(r.Name)})
		var nf *cctypes.RepositoryDoesNotExistException
		if errors.As(err, &nf) {
			return false, "", nil
		}
		return err == nil, "", err
	}
	return false, "", nil // not a type bgc names
}
