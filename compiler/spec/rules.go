package spec

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/bgc-dev/bgc/compiler/model"
)

// checker collects semantic diagnostics and places them at YAML positions.
type checker struct {
	src      *Positions
	f        *File
	app      *model.App
	ds       Diagnostics
	warnings Diagnostics
}

// warn reports a problem that leaves the file valid.
func (c *checker) warn(path []string, msg, hint string) {
	d := c.src.At(path, false, msg, hint)
	d.Warning = true
	c.warnings = append(c.warnings, d)
}

// at reports a problem at the value of the node the path names; when that
// node does not exist (a default was used), at its nearest ancestor.
func (c *checker) at(path []string, msg, hint string) {
	c.ds = append(c.ds, c.src.At(path, false, msg, hint))
}

// atKey reports a problem at the key of the node the path names.
func (c *checker) atKey(path []string, msg, hint string) {
	c.ds = append(c.ds, c.src.At(path, true, msg, hint))
}

func path(tokens ...any) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		switch v := t.(type) {
		case string:
			out[i] = v
		case int:
			out[i] = strconv.Itoa(v)
		default:
			panic(fmt.Sprintf("path token %T", t))
		}
	}
	return out
}

// checkRules runs every cross-field rule the schema cannot express.
func checkRules(src *Positions, f *File, app *model.App) (errs, warnings Diagnostics) {
	c := &checker{src: src, f: f, app: app}
	c.checkAccounts()
	c.checkWaves()
	c.checkPartition()
	c.checkKey()
	c.checkSource()
	c.checkService()
	c.checkNetworks()
	c.checkDeployment()
	c.checkTags()
	return c.ds, c.warnings
}

// ReservedAccountName is the output directory of the tools account's stacks.
const ReservedAccountName = "tools"

func (c *checker) checkAccounts() {
	names := map[string]int{}
	ids := map[string]int{}
	for i, a := range c.f.Accounts {
		if a.Name == ReservedAccountName {
			c.at(path("accounts", i, "name"), `"tools" is reserved for the tools account's stacks`, "pick another name; the tools account may still be listed here under any other name")
		}
		if j, dup := names[a.Name]; dup {
			c.at(path("accounts", i, "name"), fmt.Sprintf("%q is already the name of accounts[%d]", a.Name, j), "account names must be unique")
		} else {
			names[a.Name] = i
		}
		if a.ID == c.f.Tools.Account {
			// One account, one role: bgc deploy assumes a single role per account.
			if got, want := or(a.DeployRole, DefaultDeployRole), or(c.f.Tools.DeployRole, DefaultDeployRole); got != want {
				c.at(path("accounts", i, "deployRole"), fmt.Sprintf("this is the tools account, whose deployRole is %s; bgc deploy assumes one role per account", want), "use the same deployRole for both, or omit both")
			}
		}
		if j, dup := ids[a.ID]; dup {
			c.at(path("accounts", i, "id"), fmt.Sprintf("account %s is already listed as accounts[%d]", a.ID, j), "list every region of an account under one entry")
		} else {
			ids[a.ID] = i
		}
		regions := map[string]int{}
		for k, r := range a.Regions {
			if j, dup := regions[r]; dup {
				c.at(path("accounts", i, "regions", k), fmt.Sprintf("region %s is listed twice (also regions[%d])", r, j), "list each region once")
			} else {
				regions[r] = k
			}
		}
		for _, r := range sortedKeys(a.Certificates) {
			arn := a.Certificates[r]
			if _, ok := regions[r]; !ok {
				c.atKey(path("accounts", i, "certificates", r), fmt.Sprintf("%s is not one of this account's regions", r), "certificates are per target: use a region listed in regions")
				continue
			}
			if got := arnField(arn, 3); got != r {
				c.at(path("accounts", i, "certificates", r), fmt.Sprintf("certificate is in %s, but an ALB can only use a certificate of its own region (%s)", got, r), "")
			}
			if got := arnField(arn, 4); got != a.ID {
				c.at(path("accounts", i, "certificates", r), fmt.Sprintf("certificate belongs to account %s, not to this account (%s)", got, a.ID), "")
			}
		}
		// A regional web ACL protects resources of its own region and
		// account: its ARN names both, and AssociateWebACL associates "a
		// web ACL with a regional application resource"
		// (https://docs.aws.amazon.com/waf/latest/APIReference/API_AssociateWebACL.html).
		// The page does not say in a sentence that another region's or
		// account's web ACL is refused; bgc refuses it rather than find
		// out at deploy time.
		for _, r := range sortedKeys(a.WebACLs) {
			arn := a.WebACLs[r]
			if _, ok := regions[r]; !ok {
				c.atKey(path("accounts", i, "webAcls", r), fmt.Sprintf("%s is not one of this account's regions", r), "web ACLs are per target: use a region listed in regions")
				continue
			}
			got := arnField(arn, 3)
			if got != r {
				c.at(path("accounts", i, "webAcls", r), fmt.Sprintf("web ACL is in %s, but it can only protect a load balancer of its own region (%s)", got, r), "")
			}
			if got := arnField(arn, 4); got != a.ID {
				c.at(path("accounts", i, "webAcls", r), fmt.Sprintf("web ACL belongs to account %s, not to this account (%s)", got, a.ID), "")
			}
			if part, want := arnField(arn, 1), model.Partition(r); got == r && part != want {
				c.at(path("accounts", i, "webAcls", r), fmt.Sprintf("web ACL is in partition %s, but %s is in %s", part, r, want), "")
			}
		}
	}
}

// checkWaves requires waves numbered 1, 2, ... without gaps.
func (c *checker) checkWaves() {
	used := map[int]bool{}
	for _, a := range c.app.Accounts {
		used[a.Wave] = true
	}
	for i, a := range c.f.Accounts {
		w := or(a.Wave, DefaultWave)
		for k := 1; k < w; k++ {
			if !used[k] {
				c.at(path("accounts", i, "wave"), fmt.Sprintf("wave %d has no account in wave %d before it", w, k), "number waves 1, 2, 3, ... without gaps")
				break
			}
		}
	}
}

func partition(region string) string { return model.Partition(region) }

func (c *checker) checkPartition() {
	want := partition(c.f.Tools.Region)
	for i, a := range c.f.Accounts {
		for k, r := range a.Regions {
			if p := partition(r); p != want {
				c.at(path("accounts", i, "regions", k), fmt.Sprintf("region %s is in partition %s, but the tools region %s is in %s", r, p, c.f.Tools.Region, want), "a pipeline cannot deploy across partitions")
			}
		}
	}
	if r := c.f.Key.PrimaryRegion; r != nil && partition(*r) != want {
		c.at(path("key", "primaryRegion"), fmt.Sprintf("region %s is in partition %s, but the tools region is in %s", *r, partition(*r), want), "")
	}
}

func (c *checker) checkKey() {
	alias := c.f.Key.Alias
	switch {
	case strings.HasPrefix(alias, "alias/"):
		c.at(path("key", "alias"), "must not start with alias/", fmt.Sprintf("write %q; bgc adds the alias/ prefix", strings.TrimPrefix(alias, "alias/")))
	case strings.HasPrefix(alias, "aws/"):
		c.at(path("key", "alias"), "aliases starting with aws/ are reserved for AWS managed keys", "")
	}
	if r := c.f.Key.PrimaryRegion; r != nil {
		if !slices.Contains(c.app.ArtifactRegions(), *r) {
			c.at(path("key", "primaryRegion"), fmt.Sprintf("%s is not a region the pipeline uses", *r), "use tools.region or a region of a workload account: "+strings.Join(c.app.ArtifactRegions(), ", "))
		}
	}
}

func (c *checker) checkSource() {
	if n := c.f.Source.PullRequestConcurrency; n != nil && *n > 0 && c.app.Source.PullRequestsFrom == "" {
		c.warn(path("source", "pullRequestConcurrency"), "there is no pull-request function: source.pullRequestsFrom is not set", "set pullRequestsFrom, or remove pullRequestConcurrency")
	}
	for _, field := range []string{"branch", "pullRequestsFrom"} {
		var v *string
		if field == "branch" {
			v = c.f.Source.Branch
		} else {
			v = c.f.Source.PullRequestsFrom
		}
		if v == nil {
			continue
		}
		if msg := badBranch(*v); msg != "" {
			c.at(path("source", field), msg, "")
		}
	}
	if p := c.f.Source.PullRequestsFrom; p != nil && *p == c.app.Source.Branch {
		c.at(path("source", "pullRequestsFrom"), fmt.Sprintf("is the same branch as source.branch (%s)", *p), "pull requests go from pullRequestsFrom into branch; name another branch or omit pullRequestsFrom")
	}
}

// badBranch applies git's ref-name rules the schema pattern cannot express.
func badBranch(b string) string {
	switch {
	case strings.Contains(b, ".."):
		return `a git branch name cannot contain ".."`
	case strings.Contains(b, "//"):
		return `a git branch name cannot contain "//"`
	case strings.HasSuffix(b, "/"), strings.HasSuffix(b, "."):
		return "a git branch name cannot end with / or ."
	case strings.HasSuffix(b, ".lock"):
		return `a git branch name cannot end with ".lock"`
	}
	return ""
}

func (c *checker) checkService() {
	s := c.f.Service
	if s.BootstrapImage != nil {
		rest := strings.NewReplacer("{account}", "", "{region}", "").Replace(*s.BootstrapImage)
		if strings.ContainsAny(rest, "{}") {
			c.at(path("service", "bootstrapImage"), "only {account} and {region} may be written in braces", "an image reference has no braces of its own")
		}
	}
	if s.Autoscaling != nil {
		as := c.app.Service.Autoscaling
		if as.Min > as.Max {
			c.at(path("service", "autoscaling", "max"), fmt.Sprintf("max (%d) is less than min (%d)", as.Max, as.Min), "")
		} else if s.DesiredCount < as.Min || s.DesiredCount > as.Max {
			c.at(path("service", "desiredCount"), fmt.Sprintf("%d is outside autoscaling's range %d..%d", s.DesiredCount, as.Min, as.Max), "")
		}
	}
	hc := c.app.Service.HealthCheck
	if hc.TimeoutSeconds >= hc.IntervalSeconds {
		c.at(path("service", "healthCheck", "timeoutSeconds"), fmt.Sprintf("timeout (%ds) must be less than the interval (%ds)", hc.TimeoutSeconds, hc.IntervalSeconds), "")
	}
	if len(s.SecretsKmsKeys) > 0 && len(s.Secrets) == 0 {
		c.at(path("service", "secretsKmsKeys"), "there are no secrets for these keys to decrypt", "name the secrets under service.secrets, or remove secretsKmsKeys")
	}
	for _, k := range sortedKeys(s.Secrets) {
		if _, dup := s.Environment[k]; dup {
			c.atKey(path("service", "secrets", k), fmt.Sprintf("%s is also set in service.environment", k), "a variable comes either from environment or from secrets")
		}
		// The execution role reads the secret with its own account's
		// permissions; a secret in another account would also need a
		// resource policy and key grants bgc does not create.
		for _, t := range c.app.Targets {
			if acct := arnField(t.Expand(s.Secrets[k]), 4); acct != t.AccountID {
				c.at(path("service", "secrets", k), fmt.Sprintf("the secret is in account %s, but target %s runs in account %s and could not read it", acct, t.ID(), t.AccountID),
					"keep a copy in every target account and write the ARN with {account} (and {region}), e.g. arn:aws:ssm:{region}:{account}:parameter/app/db")
				break
			}
		}
	}
}

func (c *checker) checkNetworks() {
	for i, a := range c.f.Accounts {
		net := resolveNetwork(c.f.Network, a.Network)
		for k, r := range a.Regions {
			if ids := model.FargateAZIDs[r]; ids != nil && net.AZs > len(ids) {
				c.at(path("accounts", i, "regions", k), fmt.Sprintf("Fargate runs in only %d Availability Zones of %s (%s), but the network asks for %d", len(ids), r, strings.Join(ids, ", "), net.AZs),
					fmt.Sprintf("set network.azs to %d for this account", len(ids)))
			}
		}
	}
	c.checkEgress()
	check := func(n *Network, at []string, resolved model.Network) {
		if n == nil || n.CIDR == nil {
			return
		}
		if _, err := model.LayoutSubnets(resolved); err != nil {
			c.at(append(at, "cidr"), err.Error(), "")
		}
	}
	if c.f.Network != nil {
		check(c.f.Network, path("network"), resolveNetwork(c.f.Network, nil))
	}
	for i, a := range c.f.Accounts {
		check(a.Network, path("accounts", i, "network"), resolveNetwork(c.f.Network, a.Network))
	}
}

// checkEgress: tasks limited to the VPC's endpoints (network.egress:
// endpoints) start only if the endpoints they need exist and their
// bootstrap image is reachable through them.
func (c *checker) checkEgress() {
	reported := map[string]bool{}
	once := func(at []string, msg, hint string) {
		k := strings.Join(at, ".") + "\x00" + msg
		if !reported[k] {
			reported[k] = true
			c.at(at, msg, hint)
		}
	}
	for i, a := range c.f.Accounts {
		net := resolveNetwork(c.f.Network, a.Network)
		setting := func(key string, set func(*Network) bool) []string {
			if a.Network != nil && set(a.Network) {
				return path("accounts", i, "network", key)
			}
			return path("network", key)
		}
		if len(net.Endpoints) > 0 {
			for _, r := range a.Regions {
				if model.Partition(r) == "aws-cn" {
					once(setting("endpoints", func(n *Network) bool { return n.Endpoints != nil }),
						fmt.Sprintf("VPC endpoints in %s are not supported by bgc yet", r),
						"bgc has not checked the endpoint service names of the China regions, so it creates none there; remove endpoints for this account")
				}
			}
		}
		if !net.EgressEndpoints {
			continue
		}
		at := setting("egress", func(n *Network) bool { return n.Egress != nil })
		need := append([]string(nil), model.TaskEndpoints...)
		for _, k := range sortedKeys(c.f.Service.Secrets) {
			if svc := arnField(c.f.Service.Secrets[k], 2); !slices.Contains(need, svc) {
				need = append(need, svc) // secretsmanager or ssm
			}
		}
		for _, k := range sortedKeys(c.f.Service.Secrets) {
			for _, r := range a.Regions {
				t := model.Target{AccountID: a.ID, Region: r}
				if got := arnField(t.Expand(c.f.Service.Secrets[k]), 3); got != r {
					once(path("service", "secrets", k), fmt.Sprintf("account %s's tasks may reach only their VPC's endpoints, which serve %s only, but the secret is in %s", a.Name, r, got),
						"keep a copy in every target region and write the ARN with {region}")
					break
				}
			}
		}
		var missing []string
		for _, s := range need {
			if !slices.Contains(net.Endpoints, s) {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			once(at, fmt.Sprintf("the tasks may reach only the VPC's endpoints, but it has none for %s", strings.Join(missing, ", ")),
				"list them in endpoints: "+strings.Join(need, ", ")+" (ECR, the S3 bucket ECR keeps layers in, CloudWatch Logs and the secrets' service)")
		}
		image := c.app.Service.BootstrapImage
		if image == "" {
			once(at, "the tasks may reach only the VPC's endpoints, but bgc's built-in bootstrap image is pulled from ECR Public, on the internet",
				"set service.bootstrapImage to a copy in a private ECR repository of each target's region, e.g. {account}.dkr.ecr.{region}.amazonaws.com/base/nginx:stable-alpine")
			continue
		}
		for _, r := range a.Regions {
			t := model.Target{AccountID: a.ID, Region: r}
			if _, region, _, ok := model.ECRImage(t.Expand(image)); !ok || region != r {
				once(path("service", "bootstrapImage"), fmt.Sprintf("account %s's tasks may reach only their VPC's endpoints, which serve the private ECR registries of %s only", a.Name, r),
					"use an image in a private ECR repository of each target's region, e.g. {account}.dkr.ecr.{region}.amazonaws.com/base/nginx:stable-alpine")
				break
			}
		}
	}
}

// minTerminationWait is the shortest wait bgc considers a rollback window:
// the old task set is what an instant rollback shifts traffic back to.
const minTerminationWait = 5

func (c *checker) checkDeployment() {
	if d := c.f.Deployment; d != nil && d.TerminationWaitMinutes != nil && *d.TerminationWaitMinutes < minTerminationWait {
		c.warn(path("deployment", "terminationWaitMinutes"),
			fmt.Sprintf("%d minutes: the old task set stops %s, so there is no instant rollback window", *d.TerminationWaitMinutes,
				map[bool]string{true: "the moment traffic moves", false: "almost at once"}[*d.TerminationWaitMinutes == 0]),
			fmt.Sprintf("keep at least %d minutes (the default is %d)", minTerminationWait, DefaultTerminationWait))
	}
	port := DefaultTestListenerPort
	var tl *TestListener
	if c.f.Deployment != nil {
		tl = c.f.Deployment.TestListener
	}
	if tl != nil && tl.Port != nil {
		port = *tl.Port
	}
	if port == 80 || port == 443 {
		c.at(path("deployment", "testListener", "port"), fmt.Sprintf("port %d is taken by the production listener", port), "use another port, e.g. 8080")
	}
	if tl != nil && tl.CIDR != nil {
		if _, err := model.ParseIPv4Network(*tl.CIDR); err != nil {
			c.at(path("deployment", "testListener", "cidr"), err.Error(), "")
		}
	}
	if lb := c.f.LoadBalancer; lb != nil {
		for i, cidr := range lb.AllowedCidrs {
			if _, err := model.ParseIPv4Network(cidr); err != nil {
				c.at(path("loadBalancer", "allowedCidrs", i), err.Error(), "")
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// arnField returns the i-th colon-separated field of an ARN.
func arnField(arn string, i int) string {
	parts := strings.SplitN(arn, ":", 6)
	if i < len(parts) {
		return parts[i]
	}
	return ""
}

// checkTags rejects the tag prefixes AWS and bgc reserve.
func (c *checker) checkTags() {
	for _, k := range sortedKeys(c.f.Tags) {
		lower := strings.ToLower(k)
		if strings.HasPrefix(lower, "aws:") || strings.HasPrefix(lower, "bgc:") {
			c.atKey(path("tags", k), fmt.Sprintf("tag keys starting with %q are reserved", k[:4]), "")
		}
	}
}
