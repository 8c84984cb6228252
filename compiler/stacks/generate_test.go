package stacks_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/bgc-dev/bgc/compiler/cfn"
	"github.com/bgc-dev/bgc/compiler/model"
	"github.com/bgc-dev/bgc/compiler/stacks"
	"github.com/bgc-dev/bgc/compiler/update"
	"github.com/bgc-dev/bgc/plan"
	"github.com/bgc-dev/bgc/plan/planfile"
	"github.com/google/go-cmp/cmp"
)

func generate(t testing.TB, app *model.App, format cfn.Format) map[string][]byte {
	t.Helper()
	res, err := stacks.Generate(app, stacks.Options{Format: format})
	if err != nil {
		t.Fatal(err)
	}
	return res.Files
}

func TestDeterministic(t *testing.T) {
	for name, app := range variants() {
		t.Run(name, func(t *testing.T) {
			for _, format := range []cfn.Format{cfn.YAML, cfn.JSON} {
				a, b := generate(t, app, format), generate(t, app, format)
				if diff := cmp.Diff(a, b); diff != "" {
					t.Errorf("%s: two runs differ (-first +second):\n%s", format, diff)
				}
				for path, body := range a {
					if !bytes.HasSuffix(body, []byte("\n")) || bytes.HasSuffix(body, []byte("\n\n")) {
						t.Errorf("%s: want exactly one final newline", path)
					}
				}
			}
		})
	}
}

func TestUnknownFormat(t *testing.T) {
	if _, err := stacks.Generate(seedApp(), stacks.Options{Format: "toml"}); err == nil {
		t.Fatal("format toml accepted")
	}
}

func TestBadNetworkFails(t *testing.T) {
	app := seedApp()
	app.Targets[0].Network.CIDR = "10.0.0.1/16"
	if _, err := stacks.Generate(app, stacks.Options{}); err == nil || !strings.Contains(err.Error(), "test1/ap-south-1") {
		t.Fatalf("want an error naming the target, got %v", err)
	}
}

// TestPlan checks plan.json parses, points at generated templates, binds
// parameters the templates declare to outputs the producers declare, and
// marks exactly the stateful stacks (key, artifacts, logs, registry,
// source) retained.
func TestPlan(t *testing.T) {
	for name, app := range variants() {
		t.Run(name, func(t *testing.T) {
			files := generate(t, app, cfn.JSON)
			p, err := planfile.Decode(files[plan.File])
			if err != nil {
				t.Fatal(err)
			}
			templates := map[string]map[string]any{}
			for _, s := range p.Stacks {
				body, ok := files[s.Template]
				if !ok {
					t.Fatalf("%s: template %s not generated", s.ID, s.Template)
				}
				var tpl map[string]any
				if err := json.Unmarshal(body, &tpl); err != nil {
					t.Fatal(err)
				}
				templates[s.ID] = tpl
				declared, _ := tpl["Parameters"].(map[string]any)
				if len(declared) != len(s.Parameters) {
					t.Errorf("%s: template declares %d parameters, plan binds %d", s.ID, len(declared), len(s.Parameters))
				}
				for k, v := range s.Parameters {
					if _, ok := declared[k]; !ok {
						t.Errorf("%s: plan binds undeclared parameter %s", s.ID, k)
					}
					if v.From != nil {
						outs, _ := templates[v.From.Stack]["Outputs"].(map[string]any)
						if _, ok := outs[v.From.Output]; !ok {
							t.Errorf("%s: parameter %s reads missing output %s of %s", s.ID, k, v.From.Output, v.From.Stack)
						}
					}
				}
				kind := s.ID[strings.LastIndex(s.ID, "/")+1:]
				if want := kind == "key" || kind == "artifacts" || kind == "logs" || kind == "registry" || kind == "source"; s.Retain != want {
					t.Errorf("%s: retain = %v", s.ID, s.Retain)
				}
				if s.Tags["bgc:app"] != app.Name {
					t.Errorf("%s: tags %v lack bgc:app", s.ID, s.Tags)
				}
			}
			want := 2*len(app.ArtifactRegions()) + 5*len(app.Targets) + 3
			if len(p.Stacks) != want {
				t.Errorf("%d stacks, want %d", len(p.Stacks), want)
			}
		})
	}
}

// TestTaskdefMatchesTemplate checks taskdef.json carries the placeholder
// and the same log configuration, roles and sizes as the CFN task definition.
func TestTaskdefMatchesTemplate(t *testing.T) {
	app := variants()["three-azs-single-nat-https"]
	files := generate(t, app, cfn.JSON)
	for _, target := range app.Targets {
		var td map[string]any
		if err := json.Unmarshal(files[target.ID()+"/taskdef.json"], &td); err != nil {
			t.Fatal(err)
		}
		var tpl map[string]any
		if err := json.Unmarshal(files[target.ID()+"/poc-web-service.template.json"], &tpl); err != nil {
			t.Fatal(err)
		}
		props := tpl["Resources"].(map[string]any)["TaskDefinition"].(map[string]any)["Properties"].(map[string]any)
		cfnC := props["ContainerDefinitions"].([]any)[0].(map[string]any)
		c := td["containerDefinitions"].([]any)[0].(map[string]any)
		if c["image"] != "<IMAGE1_NAME>" {
			t.Errorf("%s: image %v", target.ID(), c["image"])
		}
		if diff := cmp.Diff(cfnC["LogConfiguration"].(map[string]any)["Options"], c["logConfiguration"].(map[string]any)["options"]); diff != "" {
			t.Errorf("%s: log options differ:\n%s", target.ID(), diff)
		}
		if td["cpu"] != props["Cpu"] || td["memory"] != props["Memory"] || td["family"] != props["Family"] {
			t.Errorf("%s: sizes or family differ", target.ID())
		}
		if len(c["secrets"].([]any)) != 2 || len(c["environment"].([]any)) != 1 {
			t.Errorf("%s: secrets/environment missing: %v", target.ID(), c)
		}
		if !bytes.Contains(files[target.ID()+"/appspec.yaml"], []byte("TaskDefinition: <TASK_DEFINITION>")) {
			t.Errorf("%s: appspec lacks <TASK_DEFINITION>", target.ID())
		}
	}
}

// TestPipelineSplitsWaves checks stage layout: approvals between waves and
// no stage above 50 actions (two waves of 51 targets).
func TestPipelineSplitsWaves(t *testing.T) {
	app := scaled(102)
	app.Deployment.ApprovalBetweenWaves = true
	for i := range app.Targets {
		app.Targets[i].Wave = 0
		if i >= 51 {
			app.Targets[i].Wave = 1
		}
	}
	files := generate(t, app, cfn.JSON)
	var tpl map[string]any
	if err := json.Unmarshal(files["tools/ap-south-1/poc-pipeline.template.json"], &tpl); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range tpl["Resources"].(map[string]any)["Pipeline"].(map[string]any)["Properties"].(map[string]any)["Stages"].([]any) {
		stage := s.(map[string]any)
		names = append(names, stage["Name"].(string))
		if n := len(stage["Actions"].([]any)); n > 50 {
			t.Errorf("stage %s has %d actions", stage["Name"], n)
		}
	}
	want := []string{"Source", "Build", "Wave0-Part1", "Wave0-Part2", "ApproveWave1", "Wave1-Part1", "Wave1-Part2"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("stages (-want +got):\n%s", diff)
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		app := scaled(n)
		b.Run(fmt.Sprintf("%03d-targets", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := stacks.Generate(app, stacks.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestPolicyLimits: past about 140 targets the pipeline and build roles'
// inline policies exceed IAM's limit, and Generate says so by name, as a
// problem of the spec's accounts.
func TestPolicyLimits(t *testing.T) {
	if _, err := stacks.Generate(scaled(100), stacks.Options{}); err != nil {
		t.Fatalf("100 targets: %v", err)
	}
	_, err := stacks.Generate(scaled(150), stacks.Options{})
	var problems stacks.Problems
	if !errors.As(err, &problems) || len(problems) != 2 {
		t.Fatalf("150 targets: %v, want the pipeline and build role limits", err)
	}
	for i, role := range []string{"BuildRole", "PipelineRole"} {
		p := problems[i]
		if !strings.Contains(p.Message, "inline policies of "+role) || !strings.HasSuffix(p.Message, "AWS allows 10240") ||
			!slices.Equal(p.Path, []string{"accounts"}) || !p.AtKey {
			t.Errorf("problem %d: %+v", i, p)
		}
	}
}

// TestStageLimit: a pipeline over CodePipeline's 50 stages is a problem of
// the spec's accounts, counted on the stages actually built.
func TestStageLimit(t *testing.T) {
	app := scaled(49)
	app.Deployment.ApprovalBetweenWaves = true
	for i := range app.Targets {
		app.Targets[i].Wave = i + 1 // 49 waves + 48 approvals + source + build
	}
	_, err := stacks.Generate(app, stacks.Options{})
	var problems stacks.Problems
	if !errors.As(err, &problems) || len(problems) != 1 || !strings.Contains(problems[0].Message, "would need 99 stages; CodePipeline allows 50") {
		t.Fatalf("got %v", err)
	}
}

// TestDerivedNames: every named resource type the builders emit has its
// AWS name limit checked (or is known to take no name) and its create-only
// properties known to bgc diff, and a name over
// its limit is reported once per kind, longest first, at name.
func TestDerivedNames(t *testing.T) {
	for name, app := range variants() {
		res, err := stacks.Generate(app, stacks.Options{Format: cfn.JSON})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range res.Plan.Stacks {
			var tpl struct {
				Resources map[string]struct{ Type string }
			}
			if err := json.Unmarshal(s.Body, &tpl); err != nil {
				t.Fatal(err)
			}
			for id, r := range tpl.Resources {
				if !stacks.KnownNameType(r.Type) {
					t.Errorf("%s %s: %s %s is neither in physicalNames nor in unnamedTypes", name, s.ID, id, r.Type)
				}
				if !update.KnownType(r.Type) {
					t.Errorf("%s %s: %s %s is not in compiler/update/types.txt (add it and run go generate ./compiler/update)", name, s.ID, id, r.Type)
				}
			}
		}
	}
	app := seedApp()
	app.Name, app.Service.Name = "payments-platform", "checkout-api" // target group names grow past 32
	_, err := stacks.Generate(app, stacks.Options{})
	var problems stacks.Problems
	if !errors.As(err, &problems) {
		t.Fatalf("got %v", err)
	}
	var msgs []string
	for _, p := range problems {
		msgs = append(msgs, p.Message)
		if !slices.Equal(p.Path, []string{"name"}) || p.Hint != "shorten name or service.name" {
			t.Errorf("%+v", p)
		}
	}
	if len(msgs) != 1 || msgs[0] != `the derived target group name "payments-platform-checkout-api-green" is 36 characters; AWS allows 32` {
		t.Errorf("problems: %q", msgs)
	}
}

// TestPlanFacts: each plan entry counts its template's resources and names
// the CODE_DEPLOY service as frozen, so the deployer never parses a template.
func TestPlanFacts(t *testing.T) {
	res, err := stacks.Generate(seedApp(), stacks.Options{Format: cfn.JSON})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Plan.Stacks {
		var tpl struct{ Resources map[string]any }
		if err := json.Unmarshal(s.Body, &tpl); err != nil {
			t.Fatal(err)
		}
		if s.Resources != len(tpl.Resources) || s.Resources == 0 {
			t.Errorf("%s: %d resources in the plan, %d in the template", s.ID, s.Resources, len(tpl.Resources))
		}
		if !bytes.Equal(s.Body, res.Files[s.Template]) {
			t.Errorf("%s: the plan's body is not the file at %s", s.ID, s.Template)
		}
		var frozen []string
		for _, f := range s.Frozen {
			frozen = append(frozen, f.LogicalID+" "+f.Type)
		}
		var want []string
		if strings.HasSuffix(s.ID, "/service") {
			want = []string{"Service AWS::ECS::Service"}
		}
		if !slices.Equal(frozen, want) {
			t.Errorf("%s: frozen %v, want %v", s.ID, frozen, want)
		}
	}
}
