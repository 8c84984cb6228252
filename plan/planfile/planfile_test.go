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
	if !strings.HasPrefix(string(data), "{\n  \"version\": 3,\n  \"app\": \"a\",") {
		t.Errorf("plan.json starts:\n%.80s", data)
	}
	tpl := `{"Resources": {"S": {"Type": "AWS::ECS::Service"}, "T": {"Type": "AWS::SNS::Topic"}}}`
	fsys := fstest.MapFS{plan.File: {Data: data}, "x/us-east-1/a-k.template.json": {Data: []byte(tpl)}}
	got, err := planfile.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	s := got.Stacks[0]
	if string(s.Body) != tpl || s.Resources != 2 || len(s.Frozen) != 1 || s.Frozen[0].Reason != "r" {
		t.Errorf("loaded %+v", s)
	}
}

// TestVersions: plan.json of an older format lacks the facts the deployer
// guards with and is refused in one line; so is a newer one and a file
// that is not a plan.
func TestVersions(t *testing.T) {
	for name, c := range map[string]struct{ data, want string }{
		"older":   {`{"version": 1, "app": "a", "stacks": []}`, "plan.json: format 1 was written by an older bgc; rebuild the directory with this one (bgc build FILE -o DIR) and deploy that"},
		"older2":  {`{"version": 2, "app": "a", "stacks": []}`, "plan.json: format 2 was written by an older bgc; rebuild the directory with this one (bgc build FILE -o DIR) and deploy that"},
		"newer":   {`{"version": 4, "app": "a", "stacks": []}`, "plan.json: format 4 was written by a newer bgc; this one reads format 3"},
		"none":    {`{"app": "a"}`, "plan.json: no format version; this is not a plan written by bgc build"},
		"unknown": {`{"version": 3, "app": "a", "stacks": [], "extra": 1}`, `plan.json: json: unknown field "extra"`},
		"cycle": {`{"version": 3, "app": "a", "stacks": [` + stack("a", `"dependsOn": ["b"]`) + `, ` + stack("b", `"dependsOn": ["a"]`) + `]}`,
			`plan.json: stack "a" depends on "b", which is not an earlier stack`},
	} {
		_, err := planfile.Decode([]byte(c.data))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: %v, want %s", name, err, c.want)
		}
	}
}

// stack is one plan.json stack entry with valid names, plus extra fields.
func stack(id, extra string) string {
	s := `{"id": "` + id + `", "account": "111111111111", "region": "us-east-1", "stackName": "s-` + id + `", "template": "` + id + `.json"`
	if extra != "" {
		s += ", " + extra
	}
	return s + "}"
}

func TestLoadNamesMissingTemplates(t *testing.T) {
	data := `{"version": 3, "app": "a", "stacks": [` + stack("one", "") + `]}`
	_, err := planfile.Load(fstest.MapFS{plan.File: {Data: []byte(data)}})
	if err == nil || err.Error() != "plan.json: stack one: template one.json: file does not exist" {
		t.Errorf("got %v", err)
	}
}

// TestHandEditedPlans: a plan.json edited by hand gets the checks a
// compiled plan passes, and its facts are checked against its templates;
// every problem is reported.
func TestHandEditedPlans(t *testing.T) {
	producer := `{"Resources": {"B": {"Type": "AWS::S3::Bucket"}}, "Outputs": {"Name": {"Value": "x"}}}`
	consumer := `{"Parameters": {"N": {"Type": "String"}}, "Resources": {"S": {"Type": "AWS::ECS::Service"}}}`
	base := map[string]string{"p.json": producer, "c.json": consumer}
	p := `{"id": "p", "account": "111111111111", "region": "us-east-1", "stackName": "p", "template": "p.json", "resources": 1}`
	c := func(extra string) string {
		return `{"id": "c", "account": "111111111111", "region": "us-east-1", "stackName": "c", "template": "c.json", "resources": 1, "dependsOn": ["p"]` + extra + `}`
	}
	good := `, "parameters": {"N": {"from": {"stack": "p", "output": "Name"}}}, "frozen": [{"logicalId": "S", "type": "AWS::ECS::Service", "reason": "r"}]`
	for name, tc := range map[string]struct {
		stacks string
		want   []string
	}{
		"good":            {p + ", " + c(good), nil},
		"duplicate stack": {p + ", " + c(good) + ", " + strings.Replace(p, `"id": "p"`, `"id": "p2"`, 1), []string{`stack "p2": p and p2 are both stack p in account 111111111111, region us-east-1`}},
		"short account":   {strings.Replace(p, "111111111111", "4444", 1), []string{`stack "p": account "4444" is not a 12-digit AWS account id`}},
		"bad stack name":  {strings.Replace(p, `"stackName": "p"`, `"stackName": "p_1"`, 1), []string{`stack "p": "p_1" is not a CloudFormation stack name`}},
		"outside dir":     {strings.Replace(p, `"p.json"`, `"../p.json"`, 1), []string{`stack "p": template "../p.json" is not a path inside the plan's directory`}},
		"absolute path":   {strings.Replace(p, `"p.json"`, `"/etc/p.json"`, 1), []string{`stack "p": template "/etc/p.json" is not a path inside the plan's directory`}},
		"missing output":  {p + ", " + c(strings.Replace(good, `"Name"`, `"Nope"`, 1)), []string{"stack c: parameter N reads output Nope of p, whose template declares no such output"}},
		"undeclared parameter": {p + ", " + c(`, "parameters": {"N": {"value": "x"}, "M": {"value": "y"}}`),
			[]string{"stack c: the plan sets parameters [M N], template c.json declares [N]"}},
		"frozen lost":    {p + ", " + c(`, "parameters": {"N": {"value": "x"}}, "frozen": [{"logicalId": "Svc", "type": "AWS::ECS::Service", "reason": "r"}]`), []string{"stack c: frozen resource Svc (AWS::ECS::Service) is not in template c.json"}},
		"resource count": {strings.Replace(p, `"resources": 1`, `"resources": 5`, 1), []string{"stack p: the plan says 5 resources, template p.json declares 1"}},
		"cycle":          {c(good) + ", " + p, []string{`stack "c" depends on "p", which is not an earlier stack`, `stack "c" parameter "N" reads an output of "p", which is not an earlier stack`}},
	} {
		t.Run(name, func(t *testing.T) {
			fsys := fstest.MapFS{plan.File: {Data: []byte(`{"version": 3, "app": "a", "stacks": [` + tc.stacks + `], "files": []}`)}}
			for k, v := range base {
				fsys[k] = &fstest.MapFile{Data: []byte(v)}
			}
			_, err := planfile.Load(fsys)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), "plan.json: "+w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
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
		data := `{"version": 3, "app": "a", "stacks": [], "files": ["` + bad + `"]}`
		if _, err := planfile.Record([]byte(data)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	if _, err := planfile.Record([]byte(`{"something": "else"}`)); err == nil {
		t.Error("a plan.json that is not bgc's has a record")
	}
}
