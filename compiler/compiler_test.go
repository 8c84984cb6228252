package compiler_test

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/bgc-dev/bgc/compiler"
)

// appWithTargets writes an app.yaml with n targets: accounts of up to three
// regions each, split over two waves.
func appWithTargets(n int) string {
	regions := []string{"us-east-1", "eu-west-1", "ap-south-1"}
	var b strings.Builder
	b.WriteString("version: 1\nname: bench\ntools: {account: \"111111111111\", region: us-east-1}\nkey: {alias: bench}\nsource: {repository: bench, pullRequestsFrom: develop}\naccounts:\n")
	for i := 0; n > 0; i++ {
		k := min(n, len(regions))
		wave := 1
		if i > 0 {
			wave = 2
		}
		fmt.Fprintf(&b, "  - {name: a%03d, id: \"%012d\", regions: [%s], wave: %d}\n", i, 200000000000+i, strings.Join(regions[:k], ", "), wave)
		n -= k
	}
	b.WriteString("service: {name: web, port: 80, cpu: 256, memory: 512, desiredCount: 2}\n")
	return b.String()
}

func TestCompileCountsTargets(t *testing.T) {
	for _, n := range []int{1, 10} {
		fsys := fstest.MapFS{"app.yaml": {Data: []byte(appWithTargets(n))}}
		out, ds, err := compiler.Compile(fsys, "app.yaml", "app.yaml", compiler.Options{})
		if err != nil || len(ds) > 0 {
			t.Fatalf("%d targets: %v\n%s", n, err, ds.Error())
		}
		if len(out.App.Targets) != n {
			t.Errorf("got %d targets, want %d", len(out.App.Targets), n)
		}
		taskdefs := 0
		for p := range out.Files {
			if strings.HasSuffix(p, "/taskdef.json") {
				taskdefs++
			}
		}
		if taskdefs != n {
			t.Errorf("%d taskdef.json files for %d targets", taskdefs, n)
		}
	}
}

// BenchmarkBuild measures a whole build (load, validate, generate) for 1, 10
// and 100 targets.
func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		fsys := fstest.MapFS{"app.yaml": {Data: []byte(appWithTargets(n))}}
		b.Run(fmt.Sprintf("%03d-targets", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ds, err := compiler.Compile(fsys, "app.yaml", "app.yaml", compiler.Options{}); err != nil || len(ds) > 0 {
					b.Fatal(err, ds)
				}
			}
		})
	}
}

// TestPolicyLimitsAreDiagnostics: a fleet too large for the pipeline role's
// inline policy is invalid input (a positioned diagnostic), not an
// internal error.
func TestPolicyLimitsAreDiagnostics(t *testing.T) {
	fsys := fstest.MapFS{"app.yaml": {Data: []byte(appWithTargets(150))}}
	out, ds, err := compiler.Compile(fsys, "app.yaml", "app.yaml", compiler.Options{})
	if err != nil || out != nil {
		t.Fatalf("want diagnostics, got output %v, error %v", out != nil, err)
	}
	all := ds.Error()
	if !strings.Contains(all, "PipelineRole") || !strings.Contains(all, "AWS allows 10240") || !strings.Contains(all, "hint: ") {
		t.Fatalf("diagnostics:\n%s", all)
	}
}
