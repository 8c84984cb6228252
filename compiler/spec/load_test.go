package spec_test

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/bgc-dev/bgc/compiler/model"
	"github.com/bgc-dev/bgc/compiler/spec"
)

func readExample(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "global-bluegreen", "app.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestResolveExample pins every default the example relies on.
func TestResolveExample(t *testing.T) {
	loaded, ds, err := spec.Load("app.yaml", readExample(t))
	if err != nil || len(ds) > 0 {
		t.Fatalf("err %v\n%s", err, ds.Error())
	}
	app := loaded.App
	net := model.Network{CIDR: "10.0.0.0/16", AZs: 2, NAT: model.NATPerAZ}
	tl := model.TestListener{Port: 8080, CIDR: "10.0.0.0/16"}
	role := "OrganizationAccountAccessRole"
	want := &model.App{
		Name:   "poc",
		Tools:  model.Tools{AccountID: "111111111111", Region: "ap-south-1", DeployRole: role},
		Key:    model.Key{Alias: "alias/ecs-codepipeline-crossaccounts", PrimaryRegion: "ap-south-1", DeletionWindowDays: 30},
		Source: model.Source{Repository: "Poc", Branch: "main", PullRequestsFrom: "development", OutputDir: "deploy"},
		Accounts: []model.Account{
			{Name: "test1", ID: "222222222222", Wave: 1, DeployRole: role, Regions: []string{"ap-south-1"}},
			{Name: "test2", ID: "333333333333", Wave: 1, DeployRole: role, Regions: []string{"eu-central-1"}},
			{Name: "test3", ID: "444444444444", Wave: 1, DeployRole: role, Regions: []string{"us-east-1"}},
		},
		Targets: []model.Target{
			{Account: "test1", AccountID: "222222222222", Region: "ap-south-1", Wave: 1, DeployRole: role, Network: net, TestListener: tl},
			{Account: "test2", AccountID: "333333333333", Region: "eu-central-1", Wave: 1, DeployRole: role, Network: net, TestListener: tl},
			{Account: "test3", AccountID: "444444444444", Region: "us-east-1", Wave: 1, DeployRole: role, Network: net, TestListener: tl},
		},
		Service: model.Service{
			Name: "web", Port: 80, CPU: 256, Memory: 512, DesiredCount: 2,
			HealthCheck: model.HealthCheck{Path: "/", Matcher: "200-399", IntervalSeconds: 15, TimeoutSeconds: 5,
				HealthyThreshold: 2, UnhealthyThreshold: 3, GracePeriodSeconds: 60},
			Dockerfile: "Dockerfile", BuildContext: ".", ImageKMS: true,
			ReadonlyRoot: true, WritablePaths: []string{"/tmp"},
			LogRetentionDays: 365,
		},
		Deployment: model.Deployment{Strategy: "CodeDeployDefault.ECSAllAtOnce", TerminationWaitMinutes: 5,
			AutoRollback: true, Max5xxPerMinute: 10, MaxUnhealthyPercent: 50, AlarmRollback: true, DeregistrationDelaySeconds: 30,
			SmokeTest: &model.SmokeTest{Checks: []model.Check{{Path: "/", Matcher: "200-399"}}}},
		LoadBalancer: model.LoadBalancer{AllowedCIDRs: []string{"0.0.0.0/0"}, WebACL: model.WebACLManaged},
		Tags:         []model.KV{{Key: "bgc:app", Value: "poc"}},
	}
	if diff := cmp.Diff(want, app); diff != "" {
		t.Errorf("resolved model (-want +got):\n%s", diff)
	}
}

func TestResolveOverrides(t *testing.T) {
	src := `version: 1
name: shop
tools: {account: "111111111111", region: eu-west-1}
key: {alias: shop, primaryRegion: eu-central-1}
source: {repository: shop}
network: {cidr: 10.10.0.0/16, azs: 3}
accounts:
  - name: prod
    id: "222222222222"
    regions: [eu-central-1, us-east-1]
    wave: 2
    network: {nat: single}
    certificates:
      us-east-1: arn:aws:acm:us-east-1:222222222222:certificate/abc-123
  - name: canary
    id: "333333333333"
    regions: [eu-central-1]
service: {name: api, port: 8080, cpu: 512, memory: 1024, desiredCount: 3, bootstrapImage: "public.ecr.aws/docker/library/httpd:2.4",
  autoscaling: {max: 9}, environment: {B: "2", A: "1"},
  user: "1000:1000", readonlyRootFilesystem: false, writablePaths: [/var/cache/api, /tmp]}
deployment: {testListener: {port: 9000, cidr: 192.168.0.0/24}}
tags: {team: platform}
`
	loaded, ds, err := spec.Load("app.yaml", []byte(src))
	if err != nil || len(ds) > 0 {
		t.Fatalf("err %v\n%s", err, ds.Error())
	}
	app := loaded.App
	var got []string
	for _, tg := range app.Targets {
		got = append(got, strings.Join([]string{tg.ID(), tg.Network.CIDR, string(tg.Network.NAT), tg.CertificateARN, tg.TestListener.CIDR}, " "))
	}
	want := []string{
		"canary/eu-central-1 10.10.0.0/16 perAz  192.168.0.0/24",
		"prod/eu-central-1 10.10.0.0/16 single  192.168.0.0/24",
		"prod/us-east-1 10.10.0.0/16 single arn:aws:acm:us-east-1:222222222222:certificate/abc-123 192.168.0.0/24",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	if app.Targets[0].Network.AZs != 3 || app.Targets[0].Wave != 1 || app.Targets[1].Wave != 2 {
		t.Errorf("network/wave defaults wrong: %+v", app.Targets)
	}
	if as := app.Service.Autoscaling; as == nil || as.Min != 3 || as.Max != 9 || as.TargetCPUPercent != 60 {
		t.Errorf("autoscaling = %+v", as)
	}
	if s := app.Service; s.User != "1000:1000" || s.ReadonlyRoot || !slices.Equal(s.WritablePaths, []string{"/var/cache/api", "/tmp"}) {
		t.Errorf("file system options: user %q, read-only %v, writable %q", s.User, s.ReadonlyRoot, s.WritablePaths)
	}
	if diff := cmp.Diff([]model.KV{{Key: "A", Value: "1"}, {Key: "B", Value: "2"}}, app.Service.Environment); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff([]model.KV{{Key: "bgc:app", Value: "shop"}, {Key: "team", Value: "platform"}}, app.Tags); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff([]string{"eu-central-1", "eu-west-1", "us-east-1"}, app.ArtifactRegions()); diff != "" {
		t.Error(diff)
	}
}

func TestLoadFile(t *testing.T) {
	fsys := fstest.MapFS{
		"app.yaml": {Data: readExample(t)},
		"dir/x":    {Data: []byte("x")},
	}
	tests := map[string]struct {
		name, want string
	}{
		"valid":     {"app.yaml", ""},
		"missing":   {"nope.yaml", "nope.yaml: no such file"},
		"directory": {"dir", "dir: is a directory, not an app.yaml file"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, ds, err := spec.LoadFile(fsys, tc.name, tc.name)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if len(ds) > 0 {
				got = ds[0].File + ": " + ds[0].Message
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSchemaMatchesTypes is the drift guard: every schema property is a
// field of the spec types (by yaml tag) and every field is a property.
func TestSchemaMatchesTypes(t *testing.T) {
	props := spec.SchemaProperties()
	fields := map[string]bool{}
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct {
			return
		}
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			name := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if name == "-" {
				continue
			}
			p := name
			if prefix != "" {
				p = prefix + "." + name
			}
			fields[p] = true
			walk(p, f.Type)
		}
	}
	walk("", reflect.TypeOf(spec.File{}))
	var missing, extra []string
	for p := range props {
		if !fields[p] {
			missing = append(missing, p)
		}
	}
	for p := range fields {
		if !props[p] {
			extra = append(extra, p)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("schema properties without a spec field: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("spec fields without a schema property: %v", extra)
	}
}
