package stacks_test

import (
	"encoding/json"
	"testing"

	"github.com/bgc-dev/bgc/compiler/cfn"
)

// motoSkipped are resource types moto's CloudFormation silently skips: a
// GetAtt to one fails the whole stack there and a Ref resolves to nothing.
var motoSkipped = map[string]bool{
	"AWS::CodeDeploy::Application": true, "AWS::CodeDeploy::DeploymentGroup": true,
	"AWS::CodeBuild::Project": true, "AWS::CodePipeline::Pipeline": true,
	"AWS::CodeCommit::Repository": true, "AWS::CloudWatch::Alarm": true,
	"AWS::S3::BucketPolicy": true, "AWS::KMS::ReplicaKey": true,
	"AWS::WAFv2::WebACL": true, "AWS::WAFv2::WebACLAssociation": true, "AWS::WAFv2::LoggingConfiguration": true,
}

// TestNoIntrinsicsIntoMotoSkippedTypes keeps templates deployable on moto:
// those resources are named in Fn::Sub strings instead.
func TestNoIntrinsicsIntoMotoSkippedTypes(t *testing.T) {
	for name, app := range variants() {
		files := generate(t, app, cfn.JSON)
		for path, body := range files {
			if len(path) < 14 || path[len(path)-14:] != ".template.json" {
				continue
			}
			var tpl map[string]any
			if err := json.Unmarshal(body, &tpl); err != nil {
				t.Fatal(err)
			}
			resources := tpl["Resources"].(map[string]any)
			typeOf := func(id string) string {
				r, _ := resources[id].(map[string]any)
				s, _ := r["Type"].(string)
				return s
			}
			var walk func(v any)
			walk = func(v any) {
				switch x := v.(type) {
				case map[string]any:
					if id, ok := x["Ref"].(string); ok && motoSkipped[typeOf(id)] {
						t.Errorf("%s %s: Ref to %s (%s)", name, path, id, typeOf(id))
					}
					if l, ok := x["Fn::GetAtt"].([]any); ok && motoSkipped[typeOf(l[0].(string))] {
						t.Errorf("%s %s: GetAtt to %s (%s)", name, path, l[0], typeOf(l[0].(string)))
					}
					for _, e := range x {
						walk(e)
					}
				case []any:
					for _, e := range x {
						walk(e)
					}
				}
			}
			// A skipped resource may refer to another: moto evaluates
			// neither.
			for _, r := range resources {
				if rt, _ := r.(map[string]any)["Type"].(string); !motoSkipped[rt] {
					walk(r)
				}
			}
			walk(tpl["Outputs"])
		}
	}
}
