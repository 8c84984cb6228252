package deploy_test

import (
	"encoding/json"
	"fmt"

	"github.com/bgc-dev/bgc/plan"
)

// The accounts and regions of the test plans. moto isolates accounts by the
// credentials AssumeRole issues, and regions by the signing region.
const (
	toolsAcct  = "111111111111"
	alphaAcct  = "222222222222"
	betaAcct   = "333333333333"
	gammaAcct  = "444444444444"
	deployRole = "bgc-deploy"
)

// target is one workload account and region.
type target struct{ name, account, region string }

var targets = []target{
	{"alpha", alphaAcct, "ap-south-1"},
	{"beta", betaAcct, "eu-central-1"},
	{"gamma", gammaAcct, "us-east-1"},
}

// tmpl renders a CloudFormation template as JSON.
func tmpl(params []string, resources map[string]any, outputs map[string]any) string {
	t := map[string]any{"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
	if len(params) > 0 {
		ps := map[string]any{}
		for _, p := range params {
			ps[p] = map[string]any{"Type": "String"}
		}
		t["Parameters"] = ps
	}
	if len(outputs) > 0 {
		t["Outputs"] = outputs
	}
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		panic(err)
	}
	return string(b) + "\n"
}

func ref(name string) map[string]any { return map[string]any{"Ref": name} }

func getAtt(res, attr string) map[string]any {
	return map[string]any{"Fn::GetAtt": []string{res, attr}}
}

func out(v any) map[string]any { return map[string]any{"Value": v} }

func bucket(name string, tags map[string]any) map[string]any {
	props := map[string]any{"BucketName": name}
	if len(tags) > 0 {
		var ts []map[string]any
		for _, k := range sortedKeys(tags) {
			ts = append(ts, map[string]any{"Key": k, "Value": tags[k]})
		}
		props["Tags"] = ts
	}
	return map[string]any{"Type": "AWS::S3::Bucket", "Properties": props}
}

func sortedKeys(m map[string]any) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}

// stackOf builds a plan stack with its template.
func stackOf(accountName, account, region, name, body string) plan.Stack {
	id := fmt.Sprintf("%s/%s/%s", accountName, region, name)
	path := fmt.Sprintf("templates/%s-%s-%s.json", accountName, region, name)
	return plan.Stack{
		ID: id, Account: account, AccountName: accountName, Region: region,
		StackName: "bgc-e2e-" + name, Template: path, Body: []byte(body), DeployRole: deployRole,
		Tags: map[string]string{"bgc:app": "e2e"},
	}
}

// wiredPlan spans 4 accounts and 3 regions, with outputs bound to
// parameters across accounts and regions:
//
//	tools/us-east-1/artifacts (Retain: bucket) -> every <target>/net (VPC,
//	tagged with the bucket name) -> <target>/app (security group in that
//	VPC) -> tools/eu-central-1/registry (bucket tagged with every group id).
func wiredPlan(registryVersion string) *plan.Plan {
	p := &plan.Plan{App: "e2e"}

	art := stackOf("tools", toolsAcct, "us-east-1", "artifacts", tmpl(nil,
		map[string]any{"Bucket": bucket("bgc-e2e-artifacts-"+toolsAcct, nil)},
		map[string]any{"BucketName": out(ref("Bucket")), "BucketArn": out(getAtt("Bucket", "Arn"))}))
	art.Retain = true
	p.Stacks = append(p.Stacks, art)

	registryParams := map[string]plan.ParamValue{"Version": plan.Literal(registryVersion)}
	registryTags := map[string]any{"version": ref("Version")}
	var registryDeps []string
	for i, tg := range targets {
		net := stackOf(tg.name, tg.account, tg.region, "net", tmpl([]string{"Cidr", "ArtifactBucket"},
			map[string]any{"Vpc": map[string]any{"Type": "AWS::EC2::VPC", "Properties": map[string]any{
				"CidrBlock": ref("Cidr"),
				"Tags":      []map[string]any{{"Key": "artifact-bucket", "Value": ref("ArtifactBucket")}},
			}}},
			map[string]any{"VpcId": out(ref("Vpc"))}))
		net.Parameters = map[string]plan.ParamValue{
			"Cidr":           plan.Literal(fmt.Sprintf("10.%d.0.0/16", i+1)),
			"ArtifactBucket": plan.FromOutput(art.ID, "BucketName"),
		}
		net.DependsOn = []string{art.ID}
		net.DefaultSecurityGroup = &plan.DefaultSecurityGroup{VpcOutput: "VpcId"}

		app := stackOf(tg.name, tg.account, tg.region, "app", tmpl([]string{"VpcId"},
			map[string]any{"Sg": map[string]any{"Type": "AWS::EC2::SecurityGroup", "Properties": map[string]any{
				"GroupDescription": "bgc e2e app", "VpcId": ref("VpcId"),
			}}},
			map[string]any{"GroupId": out(getAtt("Sg", "GroupId"))}))
		app.Parameters = map[string]plan.ParamValue{"VpcId": plan.FromOutput(net.ID, "VpcId")}
		app.DependsOn = []string{net.ID}
		p.Stacks = append(p.Stacks, net, app)

		param := tg.name + "Group"
		registryParams[param] = plan.FromOutput(app.ID, "GroupId")
		registryTags[tg.name] = ref(param)
		registryDeps = append(registryDeps, app.ID)
	}
	params := []string{"Version"}
	for _, tg := range targets {
		params = append(params, tg.name+"Group")
	}
	reg := stackOf("tools", toolsAcct, "eu-central-1", "registry", tmpl(params,
		map[string]any{"Bucket": bucket("bgc-e2e-registry-"+toolsAcct, registryTags)}, nil))
	reg.Parameters = registryParams
	reg.DependsOn = registryDeps
	p.Stacks = append(p.Stacks, reg)
	if err := p.Check(); err != nil {
		panic(err)
	}
	return p
}

// plainPlan has no output bindings (moto keeps no outputs for stacks made
// through change sets) but dependsOn edges across accounts and regions.
// withExtra adds a second bucket to beta's data stack; dropping it later
// is a change that removes a resource.
func plainPlan(withExtra bool, extraStack bool) *plan.Plan {
	p := &plan.Plan{App: "e2e"}
	logs := stackOf("tools", toolsAcct, "us-east-1", "logs", tmpl(nil,
		map[string]any{"Bucket": bucket("bgc-cs-logs-"+toolsAcct, nil)}, nil))
	logs.Retain = true
	alpha := stackOf("alpha", alphaAcct, "ap-south-1", "vpc", tmpl(nil,
		map[string]any{"Vpc": map[string]any{"Type": "AWS::EC2::VPC", "Properties": map[string]any{"CidrBlock": "10.20.0.0/16"}}}, nil))
	alpha.DependsOn = []string{logs.ID}
	dataRes := map[string]any{"A": bucket("bgc-cs-data-a-"+betaAcct, nil)}
	if withExtra {
		dataRes["B"] = bucket("bgc-cs-data-b-"+betaAcct, nil)
	}
	data := stackOf("beta", betaAcct, "eu-central-1", "data", tmpl(nil, dataRes, nil))
	data.DependsOn = []string{logs.ID}
	gamma := stackOf("gamma", gammaAcct, "us-east-1", "vpc", tmpl(nil,
		map[string]any{"Vpc": map[string]any{"Type": "AWS::EC2::VPC", "Properties": map[string]any{"CidrBlock": "10.30.0.0/16"}}}, nil))
	gamma.DependsOn = []string{data.ID, alpha.ID}
	p.Stacks = append(p.Stacks, logs, alpha, data, gamma)
	if extraStack {
		extra := stackOf("alpha", alphaAcct, "eu-central-1", "extra", tmpl(nil,
			map[string]any{"Bucket": bucket("bgc-cs-extra-"+alphaAcct, nil)}, nil))
		extra.DependsOn = []string{gamma.ID}
		p.Stacks = append(p.Stacks, extra)
	}
	if err := p.Check(); err != nil {
		panic(err)
	}
	return p
}
