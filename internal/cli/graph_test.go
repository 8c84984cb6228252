package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bgc-dev/bgc/internal/cli"
	"github.com/bgc-dev/bgc/internal/testenv"
)

// planStacks are the stack names and ids of a build's plan.
func planStacks(t *testing.T, file string) (ids, names []string) {
	t.Helper()
	code, stdout, stderr := run("plan", file, "--output", "json")
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, stderr)
	}
	var p struct {
		Stacks []struct{ ID, StackName string }
	}
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Stacks {
		ids, names = append(ids, s.ID), append(names, s.StackName)
	}
	return ids, names
}

// TestGraphShowsEveryStack: both formats hold every stack of plan.json
// (as many nodes as stacks), every wave, and every dependency edge.
func TestGraphShowsEveryStack(t *testing.T) {
	for _, file := range []string{example, "../../golden/twelve-targets-two-waves/app.yaml"} {
		ids, _ := planStacks(t, file)
		for _, format := range []string{"mermaid", "dot"} {
			code, out, stderr := run("graph", file, "--format", format)
			if code != 0 {
				t.Fatalf("graph --format %s: exit %d: %s", format, code, stderr)
			}
			nodes := strings.Count(out, `["`) - strings.Count(out, "subgraph ")
			if format == "dot" {
				nodes = strings.Count(out, " [label=")
			}
			if nodes != len(ids) {
				t.Errorf("%s %s: %d stack nodes, plan has %d stacks", file, format, nodes, len(ids))
			}
			for _, id := range ids {
				kind := id[strings.LastIndex(id, "/")+1:]
				if !strings.Contains(out, kind+": ") {
					t.Errorf("%s %s: no %s stack", file, format, kind)
				}
			}
		}
	}
	_, out, _ := run("graph", "../../golden/twelve-targets-two-waves/app.yaml")
	for _, want := range []string{`subgraph wave1["wave 1"]`, `subgraph wave2["wave 2"]`, "wave1 -. manual approval .-> wave2", "-. releases .-> wave1"} {
		if !strings.Contains(out, want) {
			t.Errorf("mermaid lacks %q:\n%s", want, out)
		}
	}
	if code, _, stderr := run("graph", example, "--format", "svg"); code != cli.ExitInvalid || !strings.Contains(stderr, "mermaid or dot") {
		t.Errorf("--format svg: exit %d %s", code, stderr)
	}
}

// TestGraphRendersWithGraphviz: Graphviz's dot accepts the DOT output and
// draws every stack into an SVG that parses as XML.
func TestGraphRendersWithGraphviz(t *testing.T) {
	dot, err := exec.LookPath("dot")
	if err != nil {
		testenv.Missing(t, "Graphviz's dot (apt-get install graphviz)", err)
	}
	_, names := planStacks(t, example)
	code, src, stderr := run("graph", example, "--format", "dot")
	if code != 0 {
		t.Fatalf("graph: exit %d: %s", code, stderr)
	}
	var svg, errb bytes.Buffer
	cmd := exec.CommandContext(context.Background(), dot, "-Tsvg")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(src), &svg, &errb
	if err := cmd.Run(); err != nil || errb.Len() > 0 {
		t.Fatalf("dot -Tsvg: %v\n%s\n%s", err, errb.String(), src)
	}
	dec := xml.NewDecoder(bytes.NewReader(svg.Bytes()))
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG does not parse: %v", err)
		}
		if cd, ok := tok.(xml.CharData); ok {
			text.Write(cd)
		}
	}
	for _, n := range names {
		if !strings.Contains(text.String(), n) {
			t.Errorf("the SVG does not show stack %s", n)
		}
	}
	if !strings.Contains(text.String(), "wave 1") || !strings.Contains(text.String(), "tools account 111111111111") {
		t.Error("the SVG lacks the wave or the tools account")
	}
}

// TestExampleReadmeGraph: the example's README embeds the current graph
// (go test -update rewrites it).
func TestExampleReadmeGraph(t *testing.T) {
	readme := filepath.Join(filepath.Dir(example), "README.md")
	code, graph, stderr := run("graph", example)
	if code != 0 {
		t.Fatalf("graph: exit %d: %s", code, stderr)
	}
	block := "```mermaid\n" + graph + "```\n"
	data, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	start, end := strings.Index(string(data), "```mermaid\n"), -1
	if start >= 0 {
		if i := strings.Index(string(data)[start+len("```mermaid\n"):], "```\n"); i >= 0 {
			end = start + len("```mermaid\n") + i + len("```\n")
		}
	}
	if start < 0 || end < 0 {
		t.Fatalf("%s has no mermaid block", readme)
	}
	if got := string(data)[start:end]; got != block {
		if *testenv.Update {
			if err := os.WriteFile(readme, []byte(string(data)[:start]+block+string(data)[end:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("%s embeds an old graph; run go test ./internal/cli -run ExampleReadme -update", readme)
	}
}
