package spec

import (
	"sort"

	"github.com/bgc-dev/bgc/compiler/model"
)

// Defaults of every optional field. README.md documents the same values.
const (
	DefaultDeployRole             = "OrganizationAccountAccessRole"
	DefaultBranch                 = "main"
	DefaultOutputDir              = "deploy"
	DefaultDeletionWindowDays     = 30
	DefaultCIDR                   = "10.0.0.0/16"
	DefaultAZs                    = 2
	DefaultNAT                    = string(model.NATPerAZ)
	DefaultHealthPath             = "/"
	DefaultMatcher                = "200-399"
	DefaultInterval               = 15
	DefaultTimeout                = 5
	DefaultHealthy                = 2
	DefaultUnhealthy              = 3
	DefaultGracePeriod            = 60
	DefaultDockerfile             = "Dockerfile"
	DefaultBuildContext           = "."
	DefaultTargetCPU              = 60
	DefaultLogRetentionDays       = 365
	DefaultWritablePath           = "/tmp"
	DefaultImageEncryption        = "kms"
	DefaultEgress                 = "internet"
	DefaultPullRequestConcurrency = 0
	DefaultStrategy               = "CodeDeployDefault.ECSCanary10Percent5Minutes"
	DefaultTerminationWait        = 60
	DefaultDeregistration         = 30
	DefaultMax5xxPerMinute        = 10
	DefaultMaxUnhealthy           = 50
	DefaultSmokeTestMatcher       = "200-399"
	DefaultTestListenerPort       = 8080
	DefaultWave                   = 1
)

func or[T any](p *T, def T) T {
	if p != nil {
		return *p
	}
	return def
}

// resolve applies every default and returns the model. It assumes the file
// passed the schema; semantic rules run on the result of the same helpers.
func resolve(f *File) *model.App {
	app := &model.App{
		Name: f.Name,
		Tools: model.Tools{
			AccountID:  f.Tools.Account,
			Region:     f.Tools.Region,
			DeployRole: or(f.Tools.DeployRole, DefaultDeployRole),
		},
		Key: model.Key{
			Alias:              "alias/" + f.Key.Alias,
			PrimaryRegion:      or(f.Key.PrimaryRegion, f.Tools.Region),
			Admins:             sorted(f.Key.Admins),
			DeletionWindowDays: or(f.Key.DeletionWindowDays, DefaultDeletionWindowDays),
		},
		Source: model.Source{
			Repository:             f.Source.Repository,
			Branch:                 or(f.Source.Branch, DefaultBranch),
			PullRequestsFrom:       or(f.Source.PullRequestsFrom, ""),
			PullRequestConcurrency: or(f.Source.PullRequestConcurrency, DefaultPullRequestConcurrency),
			OutputDir:              or(f.Source.OutputDir, DefaultOutputDir),
		},
		Service:      resolveService(&f.Service),
		Deployment:   resolveDeployment(f.Deployment, f.Service.HealthCheck),
		LoadBalancer: model.LoadBalancer{AllowedCIDRs: []string{"0.0.0.0/0"}, WebACL: model.WebACLManaged},
		Tags:         resolveTags(f.Name, f.Tags),
	}
	if lb := f.LoadBalancer; lb != nil {
		app.LoadBalancer.Internal = lb.Scheme != nil && *lb.Scheme == "internal"
		app.LoadBalancer.WebACL = or(lb.WebACL, model.WebACLManaged)
		if len(lb.AllowedCidrs) > 0 {
			app.LoadBalancer.AllowedCIDRs = append([]string(nil), lb.AllowedCidrs...)
		}
	}
	var dep Deployment
	if f.Deployment != nil {
		dep = *f.Deployment
	}
	var tl TestListener
	if dep.TestListener != nil {
		tl = *dep.TestListener
	}
	for _, a := range f.Accounts {
		acct := model.Account{
			Name:       a.Name,
			ID:         a.ID,
			Wave:       or(a.Wave, DefaultWave),
			DeployRole: or(a.DeployRole, DefaultDeployRole),
			Regions:    append([]string(nil), a.Regions...),
		}
		app.Accounts = append(app.Accounts, acct)
		net := resolveNetwork(f.Network, a.Network)
		for _, r := range a.Regions {
			app.Targets = append(app.Targets, model.Target{
				Account:        a.Name,
				AccountID:      a.ID,
				Region:         r,
				Wave:           acct.Wave,
				DeployRole:     acct.DeployRole,
				Network:        net,
				CertificateARN: a.Certificates[r],
				WebACLARN:      a.WebACLs[r],
				TestListener: model.TestListener{
					Port: or(tl.Port, DefaultTestListenerPort),
					CIDR: or(tl.CIDR, net.CIDR),
				},
			})
		}
	}
	sort.SliceStable(app.Targets, func(i, j int) bool {
		a, b := app.Targets[i], app.Targets[j]
		if a.Wave != b.Wave {
			return a.Wave < b.Wave
		}
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		return a.Region < b.Region
	})
	return app
}

// pickList is the first list set (nil is unset; an empty list is set).
func pickList(lists ...[]string) []string {
	for _, l := range lists {
		if l != nil {
			return l
		}
	}
	return nil
}

func resolveNetwork(global, override *Network) model.Network {
	var g, o Network
	if global != nil {
		g = *global
	}
	if override != nil {
		o = *override
	}
	pick := func(a, b *string, def string) string { return or(a, or(b, def)) }
	return model.Network{
		CIDR: pick(o.CIDR, g.CIDR, DefaultCIDR),
		AZs:  or(o.AZs, or(g.AZs, DefaultAZs)),
		NAT:  model.NATMode(pick(o.NAT, g.NAT, DefaultNAT)),
		// An account's endpoints replace the global list, as every other
		// network setting does.
		Endpoints:       sorted(pickList(o.Endpoints, g.Endpoints)),
		EgressEndpoints: pick(o.Egress, g.Egress, DefaultEgress) == "endpoints",
	}
}

func resolveService(s *Service) model.Service {
	var hc HealthCheck
	if s.HealthCheck != nil {
		hc = *s.HealthCheck
	}
	out := model.Service{
		Name:         s.Name,
		Port:         s.Port,
		CPU:          s.CPU,
		Memory:       s.Memory,
		DesiredCount: s.DesiredCount,
		HealthCheck: model.HealthCheck{
			Path:               or(hc.Path, DefaultHealthPath),
			Matcher:            or(hc.Matcher, DefaultMatcher),
			IntervalSeconds:    or(hc.IntervalSeconds, DefaultInterval),
			TimeoutSeconds:     or(hc.TimeoutSeconds, DefaultTimeout),
			HealthyThreshold:   or(hc.HealthyThreshold, DefaultHealthy),
			UnhealthyThreshold: or(hc.UnhealthyThreshold, DefaultUnhealthy),
			GracePeriodSeconds: or(hc.GracePeriodSeconds, DefaultGracePeriod),
		},
		Environment:      sortedKV(s.Environment),
		Secrets:          sortedKV(s.Secrets),
		SecretsKeys:      sorted(s.SecretsKmsKeys),
		Dockerfile:       or(s.Dockerfile, DefaultDockerfile),
		BuildContext:     or(s.BuildContext, DefaultBuildContext),
		BootstrapImage:   or(s.BootstrapImage, ""),
		ImageKMS:         or(s.ImageEncryption, DefaultImageEncryption) == "kms",
		User:             or(s.User, ""),
		ReadonlyRoot:     or(s.ReadonlyRoot, true),
		WritablePaths:    s.WritablePaths,
		LogRetentionDays: or(s.LogRetentionDays, DefaultLogRetentionDays),
	}
	if s.WritablePaths == nil {
		out.WritablePaths = []string{DefaultWritablePath}
	}
	if a := s.Autoscaling; a != nil {
		out.Autoscaling = &model.Autoscaling{
			Min:              or(a.Min, s.DesiredCount),
			Max:              a.Max,
			TargetCPUPercent: or(a.TargetCPU, DefaultTargetCPU),
		}
	}
	return out
}

func resolveDeployment(d *Deployment, hc *HealthCheck) model.Deployment {
	var v Deployment
	if d != nil {
		v = *d
	}
	out := model.Deployment{
		Strategy:                   or(v.Strategy, DefaultStrategy),
		TerminationWaitMinutes:     or(v.TerminationWaitMinutes, DefaultTerminationWait),
		ApprovalBetweenWaves:       or(v.ApprovalBetweenWaves, false),
		AutoRollback:               or(v.AutoRollback, true),
		Max5xxPerMinute:            or(v.Max5xxPerMinute, DefaultMax5xxPerMinute),
		MaxUnhealthyPercent:        or(v.MaxUnhealthyPercent, DefaultMaxUnhealthy),
		AlarmRollback:              or(v.AlarmRollback, true),
		DeregistrationDelaySeconds: or(v.DeregistrationDelaySeconds, DefaultDeregistration),
		ApprovalNotify:             sorted(v.ApprovalNotify),
		AlarmNotify:                sorted(v.AlarmNotify),
	}
	if v.SmokeTest == nil || !v.SmokeTest.Off {
		var h HealthCheck
		if hc != nil {
			h = *hc
		}
		st := &model.SmokeTest{Checks: []model.Check{{Path: or(h.Path, DefaultHealthPath), Matcher: or(h.Matcher, DefaultMatcher)}}}
		if v.SmokeTest != nil {
			for _, p := range v.SmokeTest.Paths {
				st.Checks = append(st.Checks, model.Check{Path: p.Path, Matcher: or(p.Matcher, DefaultSmokeTestMatcher)})
			}
		}
		out.SmokeTest = st
	}
	return out
}

func resolveTags(app string, tags map[string]string) []model.KV {
	out := sortedKV(tags)
	out = append(out, model.KV{Key: model.AppTag, Value: app})
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func sortedKV(m map[string]string) []model.KV {
	out := make([]model.KV, 0, len(m))
	for k, v := range m {
		out = append(out, model.KV{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	if len(out) == 0 {
		return nil
	}
	return out
}

func sorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
