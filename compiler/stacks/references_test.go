package stacks_test

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
	"github.com/bgc-dev/bgc/plan"
	"github.com/bgc-dev/bgc/plan/planfile"
)

// thing identifies a named AWS resource: kind|account|region|name (region
// "" for IAM and S3, whose names are global).
type thing string

func key(kind, account, region, name string) thing {
	return thing(kind + "|" + account + "|" + region + "|" + name)
}

// arnPatterns find references to bgc-created resources in rendered ARNs.
var arnPatterns = []struct {
	re   *regexp.Regexp
	make func(m []string) thing
}{
	{regexp.MustCompile(`arn:aws:iam::(\d{12}):role/([\w+=,.@-]+)`), func(m []string) thing { return key("role", m[1], "", m[2]) }},
	{regexp.MustCompile(`arn:aws:ecr:([a-z0-9-]+):(\d{12}):repository/([a-z0-9._/-]+)`), func(m []string) thing { return key("ecr", m[2], m[1], m[3]) }},
	{regexp.MustCompile(`arn:aws:s3:::([a-z0-9.-]+)`), func(m []string) thing { return key("bucket", "", "", m[1]) }},
	{regexp.MustCompile(`arn:aws:codedeploy:([a-z0-9-]+):(\d{12}):application:([\w.-]+)`), func(m []string) thing { return key("cdapp", m[2], m[1], m[3]) }},
	{regexp.MustCompile(`arn:aws:codedeploy:([a-z0-9-]+):(\d{12}):deploymentgroup:([\w.-]+/[\w.-]+)`), func(m []string) thing { return key("cddg", m[2], m[1], m[3]) }},
	{regexp.MustCompile(`arn:aws:codecommit:([a-z0-9-]+):(\d{12}):([\w.-]+)`), func(m []string) thing { return key("repo", m[2], m[1], m[3]) }},
	{regexp.MustCompile(`arn:aws:codebuild:([a-z0-9-]+):(\d{12}):project/([\w-]+)`), func(m []string) thing { return key("project", m[2], m[1], m[3]) }},
	{regexp.MustCompile(`arn:aws:codepipeline:([a-z0-9-]+):(\d{12}):([\w.-]+)`), func(m []string) thing { return key("pipeline", m[2], m[1], m[3]) }},
	{regexp.MustCompile(`arn:aws:logs:([a-z0-9-]+):(\d{12}):log-group:([\w/.-]+)`), func(m []string) thing { return key("logs", m[2], m[1], m[3]) }},
}

// TestReferencesCreatedEarlier checks that every role, repository, bucket,
// CodeDeploy application/group, CodeCommit repository, build project,
// pipeline, log group, target group, ECS cluster/service and alarm that a
// stack names is created by that stack or an earlier one, in the right
// account and region. aws:PrincipalArn conditions are exempt: they are how
// a policy names a principal before it exists.
func TestReferencesCreatedEarlier(t *testing.T) {
	for name, app := range variants() {
		t.Run(name, func(t *testing.T) {
			files := generate(t, app, cfn.JSON)
			p, err := planfile.Decode(files[plan.File])
			if err != nil {
				t.Fatal(err)
			}
			created := map[thing]bool{}
			for _, admin := range app.Key.Admins { // the user's own principals exist already
				for _, ref := range arnRefs(admin, plan.Stack{}) {
					created[ref] = true
				}
			}
			for _, tg := range app.Targets { // so does the user's own bootstrap image
				if boot := tg.Expand(app.Service.BootstrapImage); boot != "" {
					if acct, region, repo, ok := model.ECRImage(boot); ok {
						created[key("ecr", acct, region, repo)] = true
					}
				}
			}
			for _, s := range p.Stacks {
				var tpl map[string]any
				if err := json.Unmarshal(files[s.Template], &tpl); err != nil {
					t.Fatal(err)
				}
				resources := tpl["Resources"].(map[string]any)
				for _, r := range resources {
					for _, c := range creates(r.(map[string]any), s) {
						created[c] = true
					}
				}
				var missing []string
				for _, ref := range references(resources, s) {
					if !created[ref] {
						missing = append(missing, string(ref))
					}
				}
				sort.Strings(missing)
				if len(missing) > 0 {
					t.Errorf("%s refers to resources no earlier stack creates:\n  %s", s.ID, strings.Join(missing, "\n  "))
				}
			}
		})
	}
}

// creates lists what one resource creates.
func creates(r map[string]any, s plan.Stack) []thing {
	props, _ := r["Properties"].(map[string]any)
	name := func(field string) string { v, _ := props[field].(string); return v }
	acct, region := s.Account, s.Region
	switch r["Type"] {
	case "AWS::IAM::Role":
		return []thing{key("role", acct, "", name("RoleName"))}
	case "AWS::ECR::Repository":
		return []thing{key("ecr", acct, region, name("RepositoryName"))}
	case "AWS::S3::Bucket":
		return []thing{key("bucket", "", "", name("BucketName"))}
	case "AWS::CodeDeploy::Application":
		return []thing{key("cdapp", acct, region, name("ApplicationName"))}
	case "AWS::CodeDeploy::DeploymentGroup":
		return []thing{key("cddg", acct, region, name("ApplicationName")+"/"+name("DeploymentGroupName"))}
	case "AWS::CodeCommit::Repository":
		return []thing{key("repo", acct, region, name("RepositoryName"))}
	case "AWS::CodeBuild::Project":
		return []thing{key("project", acct, region, name("Name"))}
	case "AWS::CodePipeline::Pipeline":
		return []thing{key("pipeline", acct, region, name("Name"))}
	case "AWS::Logs::LogGroup":
		return []thing{key("logs", acct, region, name("LogGroupName"))}
	case "AWS::ElasticLoadBalancingV2::TargetGroup":
		return []thing{key("tg", acct, region, name("Name"))}
	case "AWS::ECS::Cluster":
		return []thing{key("cluster", acct, region, name("ClusterName"))}
	case "AWS::ECS::Service":
		return []thing{key("service", acct, region, name("ServiceName"))}
	case "AWS::CloudWatch::Alarm":
		return []thing{key("alarm", acct, region, name("AlarmName"))}
	}
	return nil
}

// references lists what a stack's resources name, from ARNs in Fn::Sub
// strings (pseudo parameters substituted) and from name-valued properties.
func references(resources map[string]any, s plan.Stack) []thing {
	var out []thing
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if k == "Condition" {
					continue // aws:PrincipalArn conditions name future principals on purpose
				}
				if k == "Fn::Sub" {
					str, ok := e.(string)
					if l, isList := e.([]any); isList {
						str, ok = l[0].(string)
					}
					if ok {
						out = append(out, arnRefs(str, s)...)
					}
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, r := range resources {
		res := r.(map[string]any)
		walk(res["Properties"])
		props, _ := res["Properties"].(map[string]any)
		str := func(v any) string { s, _ := v.(string); return s }
		switch res["Type"] {
		case "AWS::CodeDeploy::DeploymentGroup":
			out = append(out, key("cdapp", s.Account, s.Region, str(props["ApplicationName"])))
			for _, e := range props["ECSServices"].([]any) {
				svc := e.(map[string]any)
				out = append(out, key("cluster", s.Account, s.Region, str(svc["ClusterName"])), key("service", s.Account, s.Region, str(svc["ServiceName"])))
			}
			for _, pair := range props["LoadBalancerInfo"].(map[string]any)["TargetGroupPairInfoList"].([]any) {
				for _, tg := range pair.(map[string]any)["TargetGroups"].([]any) {
					out = append(out, key("tg", s.Account, s.Region, str(tg.(map[string]any)["Name"])))
				}
			}
			if ac, ok := props["AlarmConfiguration"].(map[string]any); ok {
				for _, a := range ac["Alarms"].([]any) {
					out = append(out, key("alarm", s.Account, s.Region, str(a.(map[string]any)["Name"])))
				}
			}
		case "AWS::S3::BucketPolicy":
			bucket := str(props["Bucket"])
			if ref, ok := props["Bucket"].(map[string]any); ok { // Ref of a bucket in the template
				b, _ := resources[str(ref["Ref"])].(map[string]any)
				bp, _ := b["Properties"].(map[string]any)
				bucket = str(bp["BucketName"])
			}
			out = append(out, key("bucket", "", "", bucket))
		case "AWS::CodePipeline::Pipeline":
			for _, st := range props["ArtifactStores"].([]any) {
				out = append(out, key("bucket", "", "", str(st.(map[string]any)["ArtifactStore"].(map[string]any)["Location"])))
			}
			for _, st := range props["Stages"].([]any) {
				for _, a := range st.(map[string]any)["Actions"].([]any) {
					action := a.(map[string]any)
					cfg, _ := action["Configuration"].(map[string]any)
					region := s.Region
					if r, ok := action["Region"].(string); ok {
						region = r
					}
					acct := s.Account
					if ra, ok := action["RoleArn"].(map[string]any); ok {
						acct = strings.Split(strings.ReplaceAll(str(ra["Fn::Sub"]), "${AWS::Partition}", "aws"), ":")[4]
					}
					switch action["ActionTypeId"].(map[string]any)["Provider"] {
					case "CodeCommit":
						out = append(out, key("repo", acct, region, str(cfg["RepositoryName"])))
					case "CodeBuild":
						out = append(out, key("project", acct, region, str(cfg["ProjectName"])))
					case "CodeDeployToECS":
						out = append(out, key("cddg", acct, region, str(cfg["ApplicationName"])+"/"+str(cfg["DeploymentGroupName"])))
					}
				}
			}
		}
	}
	return out
}

func arnRefs(sub string, s plan.Stack) []thing {
	sub = strings.NewReplacer("${AWS::Partition}", "aws", "${AWS::AccountId}", s.Account, "${AWS::Region}", s.Region).Replace(sub)
	var out []thing
	for _, p := range arnPatterns {
		for _, m := range p.re.FindAllStringSubmatch(sub, -1) {
			out = append(out, p.make(m))
		}
	}
	return out
}
