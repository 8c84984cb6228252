package deploy

import (
	"strings"
	"testing"

	"github.com/bgc-dev/bgc/plan"
)

func TestCheckTemplatesRejectsLargeBodies(t *testing.T) {
	stacks := []plan.Stack{
		{ID: "a/r/ok", Template: "ok.json", Body: []byte(`{"Resources":{}}`)},
		{ID: "a/r/big", Template: "./big.yaml", Body: []byte(strings.Repeat("#", MaxTemplateBody+1))},
		{ID: "a/r/gone", Template: "gone.json"},
	}
	err := checkTemplates(stacks)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"stack a/r/big: template ./big.yaml is 51201 bytes", "stack a/r/gone: template gone.json is empty"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "a/r/ok") {
		t.Errorf("error names the good template: %v", err)
	}
}

func TestInputHashCoversEveryInput(t *testing.T) {
	s := plan.Stack{Tags: map[string]string{"a": "1"}, Capabilities: []string{"CAPABILITY_IAM"},
		Parameters: map[string]plan.ParamValue{"P": plan.Literal("x")}}
	params, err := resolveParams(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := inputHash("body", params, s)
	if inputHash("body", params, s) != base {
		t.Fatal("hash is not stable")
	}
	changed := map[string]func() string{
		"template": func() string { return inputHash("body2", params, s) },
		"param": func() string {
			s2 := s
			s2.Parameters = map[string]plan.ParamValue{"P": plan.Literal("y")}
			p2, _ := resolveParams(s2, nil)
			return inputHash("body", p2, s2)
		},
		"tag":  func() string { s2 := s; s2.Tags = map[string]string{"a": "2"}; return inputHash("body", params, s2) },
		"caps": func() string { s2 := s; s2.Capabilities = nil; return inputHash("body", params, s2) },
	}
	for name, h := range changed {
		if h() == base {
			t.Errorf("changing the %s does not change the hash", name)
		}
	}
}

func TestOptionsValidation(t *testing.T) {
	for name, o := range map[string]Options{
		"method": {Method: "yolo"},
		"output": {Common: Common{Output: "xml"}},
		"run id": {Common: Common{RunID: "has space"}},
	} {
		if err := o.normalize(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	var o Options
	if err := o.normalize(); err != nil || o.Method != MethodChangeSet || o.Concurrency != 8 || o.PerTargetConcurrency != 3 || o.RunID == "" {
		t.Errorf("defaults: %+v %v", o, err)
	}
}
