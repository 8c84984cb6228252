package stacks

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation/iam"

	"github.com/awslabs/goformation/v7/cloudformation/codecommit"
	"github.com/awslabs/goformation/v7/cloudformation/events"
	"github.com/awslabs/goformation/v7/cloudformation/lambda"
	"github.com/awslabs/goformation/v7/cloudformation/logs"
	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
	"github.com/bgc-dev/bgc/plan"
)

//go:embed lambda/open_pull_request.py
var prLambdaCode string

// prLambdaRuntime is the pull-request Lambda's runtime.
const prLambdaRuntime = "python3.13"

// repositoryARN is the CodeCommit repository's ARN for Fn::Sub (tools account and region).
func repositoryARN(app *model.App) string {
	return cfn.Partition + ":codecommit:${AWS::Region}:${AWS::AccountId}:" + app.Source.Repository
}

// branchChange is the EventBridge pattern of a push that creates or moves a branch.
func branchChange(app *model.App, branch string) map[string]any {
	return map[string]any{
		"source":      []string{"aws.codecommit"},
		"detail-type": []string{"CodeCommit Repository State Change"},
		"resources":   []string{cfn.Sub(repositoryARN(app))},
		"detail": map[string]any{
			"event":         []string{"referenceCreated", "referenceUpdated"},
			"referenceType": []string{"branch"},
			"referenceName": []string{branch},
		},
	}
}

// addBranchProtection adds the managed policy a team attaches to its
// developers' roles or groups so that source.branch, whose merges release
// to production, changes only through merged pull requests: it denies
// pushing to, deleting, committing files to and merging other branches
// into source.branch. CodeCommit's own example of branch protection
// denies these actions with "codecommit:References" on "refs/heads/main"
// and "Null": {"codecommit:References": false}
// (https://docs.aws.amazon.com/codecommit/latest/userguide/customer-managed-policies.html,
// "Example 4: Deny or allow actions on branches"); it also denies merging
// pull requests, which bgc's flow keeps allowed: require approvals before
// a merge with an approval rule template (docs/security.md). CodeCommit
// has no push protection of its own, and bgc cannot know the team's
// principals, so attaching the policy is the team's step.
func addBranchProtection(app *model.App, tpl *cfn.Template) {
	tpl.Add("BranchProtectionPolicy", &iam.ManagedPolicy{
		// No fixed name: CloudFormation names it <stack>-BranchProtectionPolicy-<id>;
		// its ARN is the stack's output BranchProtectionPolicyArn.
		Description: str("attach to developers: " + app.Source.Branch + " of " + app.Source.Repository + " changes only through pull requests"),
		PolicyDocument: cfn.PolicyDocument(cfn.With(cfn.With(cfn.Statement{
			"Sid":    "OnlyPullRequestsChange" + logicalID(strings.ReplaceAll(app.Source.Branch, "/", "-")),
			"Effect": "Deny",
			"Action": []string{"codecommit:GitPush", "codecommit:DeleteBranch", "codecommit:PutFile", "codecommit:DeleteFile", "codecommit:CreateCommit",
				"codecommit:MergeBranchesByFastForward", "codecommit:MergeBranchesBySquash", "codecommit:MergeBranchesByThreeWay"},
			"Resource": []string{cfn.Sub(repositoryARN(app))},
		}, "StringEqualsIfExists", "codecommit:References", "refs/heads/"+app.Source.Branch), "Null", "codecommit:References", "false")),
	})
	tpl.Output("BranchProtectionPolicyArn", "managed policy to attach to developers: "+app.Source.Branch+" changes only through pull requests", cfn.Ref("BranchProtectionPolicy"))
}

// sourceStack is the CodeCommit repository and, when pull-request
// automation is on, the Lambda that opens a pull request from
// Source.PullRequestsFrom to Source.Branch on every push.
func sourceStack(app *model.App, toolsKey string) *stack {
	tpl := cfn.New(fmt.Sprintf("bgc %s source repository %s.", app.Name, app.Source.Repository))
	st := toolsStack(app, app.Tools.Region, kindSource, tpl)
	// The repository holds the code; see registryStack for why it is retained.
	st.retain = true
	tpl.Add("Repository", &codecommit.Repository{
		RepositoryName:                       app.Source.Repository,
		RepositoryDescription:                str("bgc " + app.Name + " service source and compiled delivery files"),
		Tags:                                 appTags(app),
		AWSCloudFormationDeletionPolicy:      retain,
		AWSCloudFormationUpdateReplacePolicy: retainOnReplace,
	})
	addBranchProtection(app, tpl)
	if app.Source.PullRequestsFrom == "" {
		return st
	}
	keyArn := tpl.Param(paramKeyArn, "String", "ARN of the artifact key in the tools region (the log group's)")
	st.bind(paramKeyArn, toolsKey, outKeyArn)
	logGroup := "/aws/lambda/" + app.PRLambdaName()
	tpl.Add("PullRequestLogGroup", &logs.LogGroup{
		LogGroupName:                         str(logGroup),
		RetentionInDays:                      num(app.Service.LogRetentionDays),
		KmsKeyId:                             str(keyArn),
		Tags:                                 appTags(app),
		AWSCloudFormationMetadata:            logGroupMetadata(app, whyToolsKeyParameter),
		AWSCloudFormationDeletionPolicy:      del,
		AWSCloudFormationUpdateReplacePolicy: deleteOnReplace,
	})
	tpl.Add("PullRequestRole", namedRole(app, app.PRLambdaRoleName(), serviceTrust("lambda.amazonaws.com"),
		cfn.Allow("PullRequests", []string{"codecommit:CreatePullRequest", "codecommit:GetPullRequest", "codecommit:ListPullRequests"}, subs(repositoryARN(app))),
		cfn.Allow("Logs", []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			subs(cfn.Partition+":logs:${AWS::Region}:${AWS::AccountId}:log-group:"+logGroup+":log-stream:*")),
	))
	fn := &lambda.Function{
		FunctionName:  str(app.PRLambdaName()),
		Description:   str("Opens a pull request from " + app.Source.PullRequestsFrom + " to " + app.Source.Branch + " unless one is open"),
		Runtime:       str(prLambdaRuntime),
		Handler:       str("index.handler"),
		Role:          cfn.GetAtt("PullRequestRole", "Arn"),
		Timeout:       num(60),
		MemorySize:    num(128),
		Code:          &lambda.Function_Code{ZipFile: str(prLambdaCode)},
		LoggingConfig: &lambda.Function_LoggingConfig{LogGroup: str(cfn.Ref("PullRequestLogGroup"))},
		Environment: &lambda.Function_Environment{Variables: map[string]string{
			"REPOSITORY": app.Source.Repository, "SOURCE_BRANCH": app.Source.PullRequestsFrom, "TARGET_BRANCH": app.Source.Branch,
		}},
		Tags:                      appTags(app),
		AWSCloudFormationMetadata: exempt(nil, prFunctionExceptions(app)),
	}
	// Reserved concurrency bounds the function and guarantees it its own:
	// "Reserving concurrency both ensures that your function has capacity
	// to process the specified number of events simultaneously, and
	// prevents it from scaling beyond that level"
	// (https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html).
	// An event EventBridge fails to deliver is retried: "By default,
	// EventBridge retries sending the event for 24 hours and up to 185
	// times" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html);
	// whether a throttle counts among its "retriable errors" the page does
	// not say, and a push whose pull request is lost is repaired by the next.
	if n := app.Source.PullRequestConcurrency; n > 0 {
		fn.ReservedConcurrentExecutions = num(n)
		st.reserved = []plan.Reservation{{Function: app.PRLambdaName(), Executions: n}}
	}
	tpl.Add("PullRequestFunction", fn)
	tpl.Add("PullRequestRule", &events.Rule{
		Description:  str("pushes to " + app.Source.PullRequestsFrom + " open a pull request"),
		EventPattern: branchChange(app, app.Source.PullRequestsFrom),
		State:        str("ENABLED"),
		Targets:      []events.Rule_Target{{Id: "OpenPullRequest", Arn: cfn.GetAtt("PullRequestFunction", "Arn")}},
	})
	tpl.Add("PullRequestPermission", &lambda.Permission{
		Action:        "lambda:InvokeFunction",
		FunctionName:  cfn.Ref("PullRequestFunction"),
		Principal:     "events.amazonaws.com",
		SourceArn:     str(cfn.GetAtt("PullRequestRule", "Arn")),
		SourceAccount: str(cfn.Ref("AWS::AccountId")),
	})
	return st
}

// prFunctionExceptions are the rules the pull-request function does not
// meet, and why.
func prFunctionExceptions(app *model.App) exceptions {
	e := exceptions{
		"LAMBDA_INSIDE_VPC": whyNoVPC, "CT.LAMBDA.PR.3": whyNoVPC,
		"LAMBDA_DLQ_CHECK": "EventBridge invokes the function for each push and retries failed invocations; the function is idempotent " +
			"(one pull request per merge base), and the next push opens the pull request a lost event did not",
	}
	if app.Source.PullRequestConcurrency == 0 {
		e["LAMBDA_CONCURRENCY_CHECK"] = "source.pullRequestConcurrency is 0 (the default): the function shares the account's unreserved executions, " +
			"since Lambda keeps at least 100 of them unreserved and a new account's quota of 10 leaves none to reserve; it runs once per push " +
			"(set pullRequestConcurrency to reserve some: bgc deploy checks the quota first)"
	}
	return e
}
