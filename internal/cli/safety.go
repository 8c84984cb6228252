package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/bgc-dev/bgc/compiler/update"
	"github.com/bgc-dev/bgc/deploy"
	"github.com/bgc-dev/bgc/plan"
	"github.com/bgc-dev/bgc/plan/planfile"
)

// previousBuild is the earlier build bgc recorded in dir (nil when there
// is none): what is deployed, as far as the repository knows.
func previousBuild(dir string) (*plan.Plan, error) {
	if err := checkDir(dir); err != nil {
		return nil, outDirFailure(err)
	}
	owned, err := recorded(dir)
	if err != nil || owned == nil {
		return nil, err
	}
	p, err := planfile.Previous(os.DirFS(dir))
	if err != nil {
		return nil, fail(ExitInvalid, "%s: cannot read the earlier build to check this change is safe to deploy over it: %v (restore it, e.g. git checkout -- %s)",
			filepath.Clean(dir), err, dir)
	}
	return p, nil
}

var targetRE = regexp.MustCompile(`^[^/\s]+/[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// checkRecreate checks each --recreate value names a target of one of the
// plans.
func checkRecreate(values []string, plans ...*plan.Plan) error {
	known := map[string]bool{}
	for _, p := range plans {
		if p == nil {
			continue
		}
		for _, s := range p.Stacks {
			parts := strings.SplitN(s.ID, "/", 3)
			if len(parts) == 3 && parts[0] != "tools" {
				known[parts[0]+"/"+parts[1]] = true
			}
		}
	}
	for _, v := range values {
		if !targetRE.MatchString(v) {
			return fail(ExitInvalid, "--recreate %q: want a target as ACCOUNT_NAME/REGION, e.g. test1/ap-south-1", v)
		}
		if !known[v] {
			list := make([]string, 0, len(known))
			for k := range known {
				list = append(list, k)
			}
			slices.Sort(list)
			return fail(ExitInvalid, "--recreate %q: no such target (targets: %s)", v, strings.Join(list, ", "))
		}
	}
	return nil
}

// refuseUnsafe fails with every refused change of rep, one line each,
// named by the template it is in, then the way forward once per target;
// it notes accepted refusals and stacks left behind.
func (e *env) refuseUnsafe(rep *update.Report, templates map[string]string, what string) error {
	var lines, ways []string
	add := func(s update.StackReport, subject string, f update.Refusal) {
		if f.Accepted {
			fmt.Fprintf(e.stderr, "bgc: warning: %s: %s%s (accepted with --recreate)\n", templates[s.ID], subject, f.Reason)
			return
		}
		lines = append(lines, fmt.Sprintf("%s: %s%s", templates[s.ID], subject, f.Reason))
		if !slices.Contains(ways, f.Way) {
			ways = append(ways, f.Way)
		}
	}
	for _, s := range rep.Stacks {
		for _, f := range s.Refused {
			add(s, "", f)
		}
		for _, c := range s.Resources {
			if c.Refused != nil {
				add(s, fmt.Sprintf("%s (%s): ", c.LogicalID, c.Type), *c.Refused)
			}
		}
		if s.Status == update.StackRemoved {
			fmt.Fprintf(e.stderr, "bgc: note: %s (stack %s in %s %s) is %s\n", s.ID, s.StackName, s.Account, s.Region, s.Note)
		}
	}
	if len(lines) == 0 {
		return nil
	}
	for _, w := range ways {
		lines = append(lines, "way forward: "+w)
	}
	return fail(ExitInvalid, "refused: these changes cannot be deployed over what is deployed:\n%s\n%s", strings.Join(lines, "\n"), what)
}

// templatePaths names each stack of the plans by its template below dir.
func templatePaths(dir string, plans ...*plan.Plan) map[string]string {
	out := map[string]string{}
	for _, p := range plans {
		if p == nil {
			continue
		}
		for _, s := range p.Stacks {
			if _, ok := out[s.ID]; !ok {
				out[s.ID] = filepath.Join(dir, filepath.FromSlash(s.Template))
			}
		}
	}
	return out
}

// targetOf is the "<account name>/<region>" of a plan stack id.
func targetOf(id string) string {
	parts := strings.SplitN(id, "/", 3)
	if len(parts) < 2 {
		return id
	}
	return parts[0] + "/" + parts[1]
}

// refuseLive compares the plan with what is deployed and refuses a change
// the live stacks cannot take, before anything changes. from is the
// committed build's directory ("" when the plan was compiled now).
func (e *env) refuseLive(ctx context.Context, p *plan.Plan, from string, c deploy.Common) error {
	d, err := deploy.Snapshot(ctx, p, c)
	if err != nil {
		return fail(ExitInternal, "read what is deployed: %v", err)
	}
	rep, err := update.Compare(deployedSide(p, d), update.Side{Plan: p}, update.Options{})
	if err != nil {
		return fail(ExitInternal, "compare with what is deployed: %v", err)
	}
	if err := e.refuseUnsafe(rep, templatePaths(from, p), "nothing was changed"); err != nil {
		return err
	}
	warnNewWebACL(e.stderr, rep, p, nil)
	return nil
}

// warnNewWebACL warns when a live target gains bgc's blocking web ACL: an
// upgrade of bgc does that with app.yaml unchanged (loadBalancer.webAcl
// defaults to managed), and a false positive of a managed rule blocks real
// clients the moment it deploys. Targets being recreated are not live.
func warnNewWebACL(w io.Writer, rep *update.Report, p *plan.Plan, recreate []string) {
	bodies := map[string][]byte{}
	for _, s := range p.Stacks {
		bodies[s.ID] = s.Body
	}
	var targets []string
	for _, s := range rep.Stacks {
		target := s.ID[:strings.LastIndex(s.ID, "/")] // "<account name>/<region>/<stack>"
		if s.Status != update.StackChanged || slices.Contains(recreate, target) {
			continue
		}
		for _, r := range s.Resources {
			if r.Type == "AWS::WAFv2::WebACL" && r.Action == update.Add && blocks(bodies[s.ID], r.LogicalID) {
				targets = append(targets, target)
			}
		}
	}
	if len(targets) > 0 {
		fmt.Fprintf(w, "bgc: warning: the next deploy puts an AWS WAF web ACL that blocks what AWS's managed rules match in front of live target(s) %s "+
			"(loadBalancer.webAcl: managed, the default); to watch what it would block first, set loadBalancer.webAcl: count and deploy, then managed\n",
			strings.Join(targets, ", "))
	}
}

// blocks says the web ACL id of the template keeps a rule group's verdict
// (OverrideAction None): loadBalancer.webAcl managed rather than count.
func blocks(body []byte, id string) bool {
	var t struct {
		Resources map[string]struct {
			Properties struct {
				Rules []struct {
					OverrideAction map[string]any `yaml:"OverrideAction"`
				} `yaml:"Rules"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if yaml.Unmarshal(body, &t) != nil {
		return false
	}
	for _, r := range t.Resources[id].Properties.Rules {
		if _, ok := r.OverrideAction["None"]; ok {
			return true
		}
	}
	return false
}
