package deploy

import (
	"maps"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"go.yaml.in/yaml/v3"
)

// templateResources reads the Resources section of a template, YAML or JSON
// (YAML parses both). Intrinsic short forms (!Ref) are not used by bgc's
// templates; a template that does not parse yields nil.
func templateResources(body string) map[string]any {
	var t struct {
		Resources map[string]any `yaml:"Resources"`
	}
	if yaml.Unmarshal([]byte(body), &t) != nil {
		return nil
	}
	return t.Resources
}

// countResources is the number of resources a template declares.
func countResources(body string) int { return len(templateResources(body)) }

// codeDeployServices lists the logical ids of ECS services under the
// CODE_DEPLOY deployment controller. ECS refuses CloudFormation's updates
// of such a service (CloudFormation sends every property, including the
// task definition, which only CodeDeploy may change), so the deployer
// stops a change set that modifies one before executing it.
func codeDeployServices(body string) map[string]bool {
	out := map[string]bool{}
	for id, r := range templateResources(body) {
		res, _ := r.(map[string]any)
		if res["Type"] != "AWS::ECS::Service" {
			continue
		}
		props, _ := res["Properties"].(map[string]any)
		ctrl, _ := props["DeploymentController"].(map[string]any)
		if ctrl["Type"] == "CODE_DEPLOY" {
			out[id] = true
		}
	}
	return out
}

// sameTemplate compares two templates parsed, so that formatting (or JSON
// against YAML) does not count as a change.
func sameTemplate(a, b string) bool {
	if a == b {
		return true
	}
	var x, y any
	if yaml.Unmarshal([]byte(a), &x) != nil || yaml.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func sameParameters(have []types.Parameter, want []types.Parameter) bool {
	return maps.Equal(paramMap(have), paramMap(want))
}

func paramMap(ps []types.Parameter) map[string]string {
	m := make(map[string]string, len(ps))
	for _, p := range ps {
		m[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	return m
}

func sameTags(have, want []types.Tag) bool {
	tm := func(ts []types.Tag) map[string]string {
		m := make(map[string]string, len(ts))
		for _, t := range ts {
			m[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		return m
	}
	return maps.Equal(tm(have), tm(want))
}
