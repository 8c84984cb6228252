package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bgc-dev/bgc/compiler"
	"github.com/bgc-dev/bgc/compiler/model"
	"github.com/bgc-dev/bgc/plan"
)

func newGraphCmd(e *env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "graph [FILE|-]",
		Short: "Draw the delivery system: tools account, waves, targets and their stacks",
		Long: `Graph compiles FILE (default ./app.yaml; - reads stdin) and prints the
delivery system as a Mermaid flowchart (GitHub renders it in Markdown) or,
with --format dot, as Graphviz DOT: the tools account and its regions (key,
artifact buckets, source, build, pipeline), the waves in the order the
pipeline releases them with the manual approvals between them, and each
target (account and region) with its stacks. Solid arrows are the
dependencies of plan.json (a stack deploys after the ones pointing at it);
dashed arrows are the pipeline's releases.`,
		Example: `  bgc graph > system.mmd
  bgc graph --format dot | dot -Tsvg > system.svg`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "mermaid" && format != "dot" {
				return fail(ExitInvalid, "--format must be mermaid or dot, not %q", format)
			}
			file, err := appFile(args)
			if err != nil {
				return err
			}
			out, err := e.compile(file, compiler.Options{})
			if err != nil {
				return err
			}
			g := newSystemGraph(out.App, out.Plan)
			if format == "dot" {
				g.dot(e.stdout)
			} else {
				g.mermaid(e.stdout)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "mermaid", "mermaid or dot")
	return cmd
}

// systemGraph is the picture of one build: groups of stacks (tools
// regions, targets inside waves) and the edges between them.
type systemGraph struct {
	app      *model.App
	node     map[string]string // stack id -> node id
	label    map[string]string // stack id -> label
	tools    []group           // one per tools region
	waves    []wave
	edges    [][2]string // stack ids: dependency -> dependent
	pipeline string      // stack id of the pipeline ("" when none)
}

type group struct {
	id, label string
	stacks    []string // stack ids, in plan order
}

type wave struct {
	id, label string
	approval  bool // a manual approval comes before this wave
	targets   []group
}

// workloadKinds are the stacks of a target; the rest are the tools
// account's.
var workloadKinds = map[string]bool{"logs": true, "network": true, "registry": true, "service": true, "delivery": true}

func newSystemGraph(app *model.App, p *plan.Plan) *systemGraph {
	g := &systemGraph{app: app, node: map[string]string{}, label: map[string]string{}}
	targetOf := map[string]string{} // stack id -> target id
	toolsRegions := map[string]*group{}
	var regions []string
	for i, s := range p.Stacks {
		g.node[s.ID] = fmt.Sprintf("s%d", i+1)
		kind := s.ID[strings.LastIndex(s.ID, "/")+1:]
		g.label[s.ID] = kind + ": " + s.StackName
		if kind == "pipeline" {
			g.pipeline = s.ID
		}
		for _, d := range s.DependsOn {
			g.edges = append(g.edges, [2]string{d, s.ID})
		}
		if workloadKinds[kind] {
			targetOf[s.ID] = s.AccountName + "/" + s.Region
			continue
		}
		grp := toolsRegions[s.Region]
		if grp == nil {
			grp = &group{id: "tools_" + ident(s.Region), label: s.Region}
			toolsRegions[s.Region] = grp
			regions = append(regions, s.Region)
		}
		grp.stacks = append(grp.stacks, s.ID)
	}
	sort.Strings(regions)
	for _, r := range regions {
		g.tools = append(g.tools, *toolsRegions[r])
	}
	for i, ts := range app.Waves() {
		w := wave{id: fmt.Sprintf("wave%d", ts[0].Wave), label: fmt.Sprintf("wave %d", ts[0].Wave), approval: i > 0 && app.Deployment.ApprovalBetweenWaves}
		for _, t := range ts {
			tg := group{id: "t_" + ident(t.ID()), label: fmt.Sprintf("%s %s (%s)", t.Account, t.Region, t.AccountID)}
			for _, s := range p.Stacks {
				if targetOf[s.ID] == t.ID() {
					tg.stacks = append(tg.stacks, s.ID)
				}
			}
			w.targets = append(w.targets, tg)
		}
		g.waves = append(g.waves, w)
	}
	return g
}

// ident is s with every character Mermaid and DOT identifiers do not
// allow as "_".
func ident(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}

func (g *systemGraph) toolsLabel() string {
	return fmt.Sprintf("tools account %s", g.app.Tools.AccountID)
}

// mermaid writes the graph as a Mermaid flowchart.
func (g *systemGraph) mermaid(w io.Writer) {
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, "#quot;") + `"` }
	fmt.Fprintln(w, "flowchart LR")
	fmt.Fprintf(w, "  subgraph tools[%s]\n", q(g.toolsLabel()))
	for _, r := range g.tools {
		fmt.Fprintf(w, "    subgraph %s[%s]\n", r.id, q(r.label))
		for _, s := range r.stacks {
			fmt.Fprintf(w, "      %s[%s]\n", g.node[s], q(g.label[s]))
		}
		fmt.Fprintln(w, "    end")
	}
	fmt.Fprintln(w, "  end")
	for _, wv := range g.waves {
		fmt.Fprintf(w, "  subgraph %s[%s]\n", wv.id, q(wv.label))
		for _, t := range wv.targets {
			fmt.Fprintf(w, "    subgraph %s[%s]\n", t.id, q(t.label))
			for _, s := range t.stacks {
				fmt.Fprintf(w, "      %s[%s]\n", g.node[s], q(g.label[s]))
			}
			fmt.Fprintln(w, "    end")
		}
		fmt.Fprintln(w, "  end")
	}
	for _, e := range g.edges {
		fmt.Fprintf(w, "  %s --> %s\n", g.node[e[0]], g.node[e[1]])
	}
	for i, wv := range g.waves {
		switch {
		case i == 0 && g.pipeline != "":
			fmt.Fprintf(w, "  %s -. releases .-> %s\n", g.node[g.pipeline], wv.id)
		case i > 0 && wv.approval:
			fmt.Fprintf(w, "  %s -. manual approval .-> %s\n", g.waves[i-1].id, wv.id)
		case i > 0:
			fmt.Fprintf(w, "  %s -. then .-> %s\n", g.waves[i-1].id, wv.id)
		}
	}
}

// dot writes the graph as Graphviz DOT. Edges between waves run between
// a stack of each wave, clipped to the waves' clusters (compound).
func (g *systemGraph) dot(w io.Writer) {
	q := func(s string) string { return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"` }
	fmt.Fprintln(w, "digraph bgc {")
	fmt.Fprintln(w, "  rankdir=LR; compound=true;")
	fmt.Fprintln(w, `  node [shape=box, style=rounded, fontname="Helvetica"]; edge [fontname="Helvetica"];`)
	fmt.Fprintf(w, "  subgraph cluster_tools {\n    label=%s;\n", q(g.toolsLabel()))
	for _, r := range g.tools {
		fmt.Fprintf(w, "    subgraph cluster_%s {\n      label=%s;\n", r.id, q(r.label))
		for _, s := range r.stacks {
			fmt.Fprintf(w, "      %s [label=%s];\n", g.node[s], q(g.label[s]))
		}
		fmt.Fprintln(w, "    }")
	}
	fmt.Fprintln(w, "  }")
	anchor := make([]string, len(g.waves)) // a stack inside each wave
	for i, wv := range g.waves {
		fmt.Fprintf(w, "  subgraph cluster_%s {\n    label=%s;\n", wv.id, q(wv.label))
		for _, t := range wv.targets {
			fmt.Fprintf(w, "    subgraph cluster_%s {\n      label=%s;\n", t.id, q(t.label))
			for _, s := range t.stacks {
				fmt.Fprintf(w, "      %s [label=%s];\n", g.node[s], q(g.label[s]))
				if anchor[i] == "" {
					anchor[i] = g.node[s]
				}
			}
			fmt.Fprintln(w, "    }")
		}
		fmt.Fprintln(w, "  }")
	}
	for _, e := range g.edges {
		fmt.Fprintf(w, "  %s -> %s;\n", g.node[e[0]], g.node[e[1]])
	}
	for i, wv := range g.waves {
		if anchor[i] == "" {
			continue
		}
		switch {
		case i == 0 && g.pipeline != "":
			fmt.Fprintf(w, "  %s -> %s [lhead=cluster_%s, style=dashed, label=\"releases\"];\n", g.node[g.pipeline], anchor[i], wv.id)
		case i > 0 && anchor[i-1] != "":
			label := "then"
			if wv.approval {
				label = "manual approval"
			}
			fmt.Fprintf(w, "  %s -> %s [ltail=cluster_%s, lhead=cluster_%s, style=dashed, label=%s];\n", anchor[i-1], anchor[i], g.waves[i-1].id, wv.id, q(label))
		}
	}
	fmt.Fprintln(w, "}")
}
