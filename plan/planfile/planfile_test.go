package planfile_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/bgc-dev/bgc/plan"
	"github.com/bgc-dev/bgc/plan/planfile"
)

func TestRoundTrip(t *testing.T) {
	p := &plan.Plan{App: "a", Stacks: []plan.Stack{{
		ID: "x/us-east-1/k", Account: "111111111111", Region: "us-east-1", StackName: "a-k",
		Template: "x/us-east-1/a-k.template.json", Resources: 2,
		Frozen: []plan.Frozen{{LogicalID: "S", Type: "AWS::ECS::Service", Reason: "r"}},
	}}}
	data, err := planfile.Encode(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "{\n  \"version\": 2,\n  \"app\": \"a\",") {
		t.Errorf("plan.json starts:\n%.80s", data)
	}
	fsys := fstest.MapFS{plan.File: {Data: data}, "x/us-east-1/a-k.template.json": {Data: []byte("{}")}}
	got, err := planfile.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	s := got.Stacks[0]
	if string(s.Body) != "{}" || s.Resources != 2 || len(s.Frozen) != 1 || s.Frozen[0].Reason != "r" {
		t.Errorf("loaded %+v", s)
	}
}

// TestVersions: plan.json of an older format lacks the facts the deployer
// guards with and is refused in one line; so is a newer one and a file
// that is not a plan.
func TestVersions(t *testing.T) {
	for name, c := range map[string]struct{ data, want string }{
		"older":   {`{"version": 1, "app": "a", "stacks": []}`, "plan.json: format 1 was written by an older bgc; rebuild the directory with this one (bgc build FILE -o DIR) and deploy that"},
		"newer":   {`{"version": 3, "app": "a", "stacks": []}`, "plan.json: format 3 was written by a newer bgc; this one reads format 2"},
		"none":    {`{"app": "a"}`, "plan.json: no format version; this is not a plan written by bgc build"},
		"unknown": {`{"version": 2, "app": "a", "stacks": [], "extra": 1}`, `plan.json: json: unknown field "extra"`},
		"cycle": {`{"version": 2, "app": "a", "stacks": [{"id": "a", "dependsOn": ["b"]}, {"id": "b"}]}`,
			`plan.json: stack "a" depends on "b", which is not an earlier stack`},
	} {
		_, err := planfile.Decode([]byte(c.data))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: %v, want %s", name, err, c.want)
		}
	}
}

func TestLoadNamesMissingTemplates(t *testing.T) {
	data := `{"version": 2, "app": "a", "stacks": [{"id": "a/r/one", "template": "a/r/one.template.yaml"}]}`
	_, err := planfile.Load(fstest.MapFS{plan.File: {Data: []byte(data)}})
	if err == nil || err.Error() != "stack a/r/one: template a/r/one.template.yaml: file does not exist" {
		t.Errorf("got %v", err)
	}
}

// TestRecord: the record of a build lists only paths inside the directory,
// so a crafted plan.json cannot make a build remove anything else.
func TestRecord(t *testing.T) {
	got, err := planfile.Record([]byte(`{"version": 2, "app": "a", "stacks": [], "files": ["plan.json", "a/r/x.template.yaml", "buildspec.yml"]}`))
	if err != nil || strings.Join(got, " ") != "a/r/x.template.yaml buildspec.yml plan.json" {
		t.Errorf("record %v, %v", got, err)
	}
	for _, bad := range []string{"../x/y/z.template.yaml", "/etc/passwd", "a/../../b.template.yaml", "a/r/../x.template.yaml", "notes.txt"} {
		data := `{"version": 2, "app": "a", "stacks": [], "files": ["` + bad + `"]}`
		if _, err := planfile.Record([]byte(data)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	if _, err := planfile.Record([]byte(`{"something": "else"}`)); err == nil {
		t.Error("a plan.json that is not bgc's has a record")
	}
}
