package stacks_test

import (
	"fmt"

	"github.com/bgc-dev/bgc/compiler/model"
)

// seedApp is the seed sample's topology with bgc's defaults: tools account
// in ap-south-1, three workload accounts in three regions, one wave.
func seedApp() *model.App {
	app := &model.App{
		Name:  "poc",
		Tools: model.Tools{AccountID: "111111111111", Region: "ap-south-1", DeployRole: "OrganizationAccountAccessRole"},
		Key: model.Key{
			Alias: "alias/ecs-codepipeline-crossaccounts", PrimaryRegion: "ap-south-1", DeletionWindowDays: 30,
		},
		Source: model.Source{Repository: "Poc", Branch: "main", PullRequestsFrom: "development", OutputDir: "deploy"},
		Accounts: []model.Account{
			{Name: "test1", ID: "222222222222", DeployRole: "OrganizationAccountAccessRole", Regions: []string{"ap-south-1"}},
			{Name: "test2", ID: "333333333333", DeployRole: "OrganizationAccountAccessRole", Regions: []string{"eu-central-1"}},
			{Name: "test3", ID: "444444444444", DeployRole: "OrganizationAccountAccessRole", Regions: []string{"us-east-1"}},
		},
		Service: model.Service{
			Name: "web", Port: 80, CPU: 256, Memory: 512, DesiredCount: 2,
			HealthCheck: model.HealthCheck{
				Path: "/", Matcher: "200-399", IntervalSeconds: 15, TimeoutSeconds: 5,
				HealthyThreshold: 2, UnhealthyThreshold: 3, GracePeriodSeconds: 60,
			},
			Dockerfile: "Dockerfile", BuildContext: ".",
			LogRetentionDays: 30,
		},
		Deployment: model.Deployment{
			Strategy: "CodeDeployDefault.ECSAllAtOnce", TerminationWaitMinutes: 5, AutoRollback: true, Max5xxPerMinute: 10,
			MaxUnhealthyPercent: 50, AlarmRollback: true, DeregistrationDelaySeconds: 30,
			SmokeTest: &model.SmokeTest{Checks: []model.Check{{Path: "/", Matcher: "200-399"}}},
		},
		Tags: []model.KV{{Key: "bgc:app", Value: "poc"}},
	}
	for _, a := range app.Accounts {
		for _, r := range a.Regions {
			app.Targets = append(app.Targets, target(a, r))
		}
	}
	return app
}

// target is the default target of an account in a region.
func target(a model.Account, region string) model.Target {
	return model.Target{
		Account: a.Name, AccountID: a.ID, Region: region, Wave: a.Wave, DeployRole: a.DeployRole,
		Network:      model.Network{CIDR: "10.0.0.0/16", AZs: 2, NAT: model.NATPerAZ},
		TestListener: model.TestListener{Port: 8080, CIDR: "10.0.0.0/16"},
	}
}

// variants are the topologies every test runs over.
func variants() map[string]*model.App {
	out := map[string]*model.App{"seed": seedApp()}

	two := seedApp()
	two.Accounts[0].Regions = []string{"ap-south-1", "eu-west-1"}
	two.Targets = append(two.Targets[:1], append([]model.Target{target(two.Accounts[0], "eu-west-1")}, two.Targets[1:]...)...)
	out["two-regions-one-account"] = two

	big := seedApp()
	for i := range big.Targets {
		big.Targets[i].Network = model.Network{CIDR: "10.20.0.0/16", AZs: 3, NAT: model.NATSingle}
		big.Targets[i].TestListener.CIDR = "192.0.2.0/24"
		big.Targets[i].CertificateARN = fmt.Sprintf("arn:aws:acm:%s:%s:certificate/0f0e0d0c-0b0a-0908-0706-050403020100", big.Targets[i].Region, big.Targets[i].AccountID)
	}
	big.Service.Autoscaling = &model.Autoscaling{Min: 2, Max: 6, TargetCPUPercent: 60}
	big.Service.Environment = []model.KV{{Key: "MODE", Value: "production"}}
	big.Service.Secrets = []model.KV{
		{Key: "API_KEY", Value: "arn:aws:ssm:ap-south-1:222222222222:parameter/poc/api-key"},
		{Key: "DB_PASSWORD", Value: "arn:aws:secretsmanager:ap-south-1:222222222222:secret:poc/db-AbCdEf:password::"},
	}
	big.Key.Admins = []string{"arn:aws:iam::111111111111:role/KeyAdmin"}
	big.Deployment.AutoRollback = false
	big.Deployment.SmokeTest = nil
	out["three-azs-single-nat-https"] = big

	shared := seedApp()
	tools := model.Account{Name: "shared", ID: "111111111111", DeployRole: "OrganizationAccountAccessRole", Regions: []string{"ap-south-1"}}
	shared.Accounts = append(shared.Accounts, tools)
	shared.Targets = append(shared.Targets, target(tools, "ap-south-1"))
	out["tools-is-workload"] = shared

	waves := seedApp()
	waves.Accounts = nil
	waves.Targets = nil
	regions := []string{"ap-south-1", "eu-central-1", "us-east-1"}
	for i := 0; i < 12; i++ {
		a := model.Account{Name: fmt.Sprintf("acct%02d", i), ID: fmt.Sprintf("5%011d", i), Wave: i / 6, DeployRole: "OrganizationAccountAccessRole", Regions: []string{regions[i%3]}}
		waves.Accounts = append(waves.Accounts, a)
		waves.Targets = append(waves.Targets, target(a, a.Regions[0]))
	}
	waves.Deployment.ApprovalBetweenWaves = true
	out["twelve-targets-two-waves"] = waves

	nopr := seedApp()
	nopr.Source.PullRequestsFrom = ""
	out["no-pull-requests"] = nopr

	remote := seedApp()
	remote.Tools.Region = "eu-west-2"
	remote.Key.PrimaryRegion = "eu-west-2"
	out["tools-region-without-workload"] = remote

	// bgc's web ACL counting only, KMS-encrypted registries and tasks
	// limited to the VPC's endpoints, with a bootstrap image per target.
	private := seedApp()
	private.LoadBalancer.WebACL = model.WebACLCount
	private.Service.ImageKMS = true
	private.Source.PullRequestConcurrency = 2 // the default is 0
	private.Service.BootstrapImage = "{account}.dkr.ecr.{region}.amazonaws.com/base/nginx:stable-alpine"
	private.Service.Secrets = []model.KV{{Key: "DB_PASSWORD", Value: "arn:aws:secretsmanager:{region}:{account}:secret:poc/db"}}
	for i := range private.Targets {
		private.Targets[i].Network.Endpoints = []string{"ecr.api", "ecr.dkr", "logs", "s3", "secretsmanager"}
		private.Targets[i].Network.EgressEndpoints = true
	}
	private.Targets[0].WebACLARN = "arn:aws:wafv2:ap-south-1:222222222222:regional/webacl/org/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"
	out["private-egress-waf"] = private
	return out
}

// scaled is an app with n targets in n accounts over three regions.
func scaled(n int) *model.App {
	app := seedApp()
	app.Accounts, app.Targets = nil, nil
	regions := []string{"ap-south-1", "eu-central-1", "us-east-1"}
	for i := 0; i < n; i++ {
		a := model.Account{Name: fmt.Sprintf("acct%03d", i), ID: fmt.Sprintf("6%011d", i), Wave: i / 10, DeployRole: "OrganizationAccountAccessRole", Regions: []string{regions[i%3]}}
		app.Accounts = append(app.Accounts, a)
		app.Targets = append(app.Targets, target(a, a.Regions[0]))
	}
	return app
}
