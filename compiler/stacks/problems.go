package stacks

import (
	"sort"
	"strings"
)

// Problem is something a valid app.yaml generates that AWS would refuse: a
// derived name or a policy document over its limit, too many pipeline
// stages. Path names the spec element that causes it (JSON-pointer tokens,
// e.g. "accounts"), so the compiler reports it at that element's position
// like any other diagnostic; AtKey puts it at the element's key.
type Problem struct {
	Path    []string
	AtKey   bool
	Message string
	Hint    string
}

// Problems are every Problem of one app; as an error, all of them.
type Problems []Problem

func (ps Problems) Error() string {
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = strings.Join(p.Path, ".") + ": " + p.Message
	}
	return strings.Join(msgs, "; ")
}

func (ps Problems) sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := strings.Join(ps[i].Path, "/"), strings.Join(ps[j].Path, "/")
		if a != b {
			return a < b
		}
		return ps[i].Message < ps[j].Message
	})
}
