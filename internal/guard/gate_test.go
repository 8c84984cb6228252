package guard_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bgc-dev/bgc/internal/guard"
	"github.com/bgc-dev/bgc/internal/testenv"
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
