package guard_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/bgc-dev/bgc/internal/guard"
	"github.com/bgc-dev/bgc/internal/testenv"
	"go.yaml.in/yaml/v3"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func tool(t *testing.T) guard.Tool {
	t.Helper()
	tl, err := guard.Find(filepath.Join("..", ".."))
	if err != nil {
		testenv.Missing(t, "cfn-guard with the Control Tower rules (npm ci --prefix tools/cfn-guard --omit=peer --ignore-scripts)", err)
	}
	return tl
}

// TestSuppressions: a registry rule suppressed on the resource is skipped
// by cfn-guard, a Control Tower control (which reads no metadata) by the
// gate; other failures remain; a suppression without a reason and a
// reason without a suppression are problems.
func TestSuppressions(t *testing.T) {
	rep, err := tool(t).Check(context.Background(), []string{filepath.Join("testdata", "suppressed.template.yaml")}, 1)
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, f := range rep.Findings {
		if f.LogicalID != "Bucket" || f.Type != "AWS::S3::Bucket" {
			t.Errorf("finding not attributed to the bucket: %v", f)
		}
		rules = append(rules, f.Rule+"/"+f.Control)
	}
	for _, gone := range []string{"S3_BUCKET_LOGGING_ENABLED/", "s3_bucket_logging_enabled_check/CT.S3.PR.2", "S3_BUCKET_REPLICATION_ENABLED/"} {
		if slices.Contains(rules, gone) {
			t.Errorf("suppressed %s still reported", gone)
		}
	}
	if !slices.Contains(rules, "s3_bucket_object_lock_enabled_check/CT.S3.PR.9") || !slices.Contains(rules, "S3_BUCKET_DEFAULT_LOCK_ENABLED/") {
		t.Errorf("unsuppressed failures missing: %v", rules)
	}
	if rep.Suppressed["CT.S3.PR.2"] != 1 {
		t.Errorf("suppressed: %v", rep.Suppressed)
	}
	problems := strings.Join(rep.Problems, "\n")
	for _, want := range []string{"Bucket suppresses S3_BUCKET_REPLICATION_ENABLED without a reason", "Bucket justifies CT.S3.PR.9, which it does not suppress"} {
		if !strings.Contains(problems, want) {
			t.Errorf("problems lack %q:\n%s", want, problems)
		}
	}
}

// TestExampleIsClean is the gate over the example's templates (CI runs it
// over every committed template): no finding a template does not justify.
func TestExampleIsClean(t *testing.T) {
	templates, err := filepath.Glob(filepath.Join("..", "..", "examples", "global-bluegreen", "deploy", "*", "*", "*.template.yaml"))
	if err != nil || len(templates) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	rep, err := tool(t).Check(context.Background(), templates, runtime.NumCPU())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		t.Errorf("unjustified: %s", f)
	}
	for _, p := range rep.Problems {
		t.Error(p)
	}
}

// TestEveryExceptionIsDocumented: every rule a committed template
// suppresses has its row in docs/security.md, so the summary a reader sees
// cannot fall behind the reasons in the templates.
func TestEveryExceptionIsDocumented(t *testing.T) {
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "security.md"))
	if err != nil {
		t.Fatal(err)
	}
	var templates []string
	for _, dir := range []string{"golden", "examples"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".template.yaml") {
				templates = append(templates, path)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(templates) == 0 {
		t.Fatal("no committed templates")
	}
	seen := map[string]string{}
	for _, path := range templates {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var tpl struct {
			Resources map[string]struct {
				Metadata struct {
					Guard struct {
						SuppressedRules []string `yaml:"SuppressedRules"`
					} `yaml:"guard"`
				} `yaml:"Metadata"`
			} `yaml:"Resources"`
		}
		if err := yaml.Unmarshal(data, &tpl); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, r := range tpl.Resources {
			for _, rule := range r.Metadata.Guard.SuppressedRules {
				seen[rule] = path
			}
		}
	}
	for rule, path := range seen {
		if !strings.Contains(string(doc), "`"+rule+"`") {
			t.Errorf("docs/security.md does not explain %s (suppressed in %s)", rule, path)
		}
	}
}
