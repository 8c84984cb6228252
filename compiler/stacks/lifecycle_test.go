package stacks_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/bgc-dev/bgc/compiler/stacks"
)

// image is one image in a repository.
type image struct {
	digest   string
	pushedAt int // later is younger
	tags     []string
}

// rule is one ECR lifecycle rule as the policy document holds it.
type rule struct {
	RulePriority int `json:"rulePriority"`
	Selection    struct {
		TagStatus     string   `json:"tagStatus"`
		TagPrefixList []string `json:"tagPrefixList"`
		CountType     string   `json:"countType"`
		CountNumber   int      `json:"countNumber"`
	} `json:"selection"`
	Action struct {
		Type string `json:"type"`
	} `json:"action"`
}

// selects says an image meets a rule's tag requirements: "When using the
// tagPrefixList, an image is successfully matched if all of the tags in the
// tagPrefixList value are matched against any of the image's tags."
func (r rule) selects(im image) bool {
	switch r.Selection.TagStatus {
	case "any":
		return true
	case "untagged":
		return len(im.tags) == 0
	}
	for _, prefix := range r.Selection.TagPrefixList {
		if !slices.ContainsFunc(im.tags, func(t string) bool { return strings.HasPrefix(t, prefix) }) {
			return false
		}
	}
	return len(im.tags) > 0
}

// expire evaluates a lifecycle policy the way ECR documents it
// (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html):
// rules apply lowest priority number first; "An image is expired by exactly
// one or zero rules."; "An image that matches the tagging requirements of a
// rule cannot be expired by a rule with a lower priority."; "Rules can never
// mark images that are marked by higher priority rules, but can still
// identify them as if they haven't been expired."; "With countType =
// imageCountMoreThan, images are sorted from youngest to oldest based on
// pushed_at_time and then all images greater than the specified count are
// expired." It returns the digests that expire.
func expire(t *testing.T, policy map[string]any, images []image) map[string]bool {
	t.Helper()
	raw, _ := json.Marshal(policy)
	var doc struct{ Rules []rule }
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	sort.Slice(doc.Rules, func(i, j int) bool { return doc.Rules[i].RulePriority < doc.Rules[j].RulePriority })
	for i, r := range doc.Rules {
		if r.Selection.TagStatus == "any" && i != len(doc.Rules)-1 {
			t.Fatalf("a tagStatus any rule must have the highest rulePriority")
		}
		if r.Selection.CountType != "imageCountMoreThan" || r.Action.Type != "expire" {
			t.Fatalf("the evaluator knows only imageCountMoreThan/expire, not %+v", r)
		}
	}
	expired := map[string]bool{}
	protected := map[string]bool{} // matched the tags of a higher-priority rule
	for _, r := range doc.Rules {
		var matched []image
		for _, im := range images {
			if r.selects(im) {
				matched = append(matched, im)
			}
		}
		sort.Slice(matched, func(i, j int) bool { return matched[i].pushedAt > matched[j].pushedAt })
		for n, im := range matched {
			if n >= r.Selection.CountNumber && !protected[im.digest] && !expired[im.digest] {
				expired[im.digest] = true
			}
		}
		for _, im := range matched {
			protected[im.digest] = true
		}
	}
	return expired
}

// TestReleasedImagesSurvive: the image production runs (released, then
// followed by many builds no wave ever released) survives a lifecycle
// evaluation of the generated policy; unreleased images beyond the count
// and released ones beyond the rollback depth expire.
func TestReleasedImagesSurvive(t *testing.T) {
	var images []image
	at := 0
	push := func(tags ...string) string {
		at++
		d := fmt.Sprintf("sha256:%04d", at)
		images = append(images, image{digest: d, pushedAt: at, tags: tags})
		return d
	}
	var released []string
	for i := range 25 { // 25 releases, each after a few unreleased builds
		push(fmt.Sprintf("c%d-1", i))
		released = append(released, push(fmt.Sprintf("c%d-2", i), "released-d-"+fmt.Sprint(i)))
	}
	production := released[len(released)-1]
	for i := range 80 { // builds that wave 1 rejected, or that never reached production
		push(fmt.Sprintf("unreleased-%d", i))
	}
	gone := expire(t, stacks.LifecyclePolicy(), images)
	if gone[production] {
		t.Fatalf("the image production runs (%s) expires", production)
	}
	for i, d := range released {
		if want := i < len(released)-20; gone[d] != want {
			t.Errorf("release %d (%s): expired %v, want %v (the last 20 releases are kept)", i, d, gone[d], want)
		}
	}
	for _, im := range images[len(images)-50:] {
		if gone[im.digest] {
			t.Errorf("%s, among the 50 newest, expires", im.digest)
		}
	}
	if oldest := images[len(images)-51]; !gone[oldest.digest] {
		t.Errorf("%s, the 51st newest image and unreleased, is kept", oldest.digest)
	}
}

// TestCountRuleAloneWouldExpireProduction shows the evaluator is not
// trivially kind: the earlier policy (one count rule over every image)
// expires the image production runs in the same history.
func TestCountRuleAloneWouldExpireProduction(t *testing.T) {
	var images []image
	images = append(images, image{digest: "sha256:prod", pushedAt: 1, tags: []string{"c1-1", "released-d-1"}})
	for i := range 60 {
		images = append(images, image{digest: fmt.Sprint("sha256:u", i), pushedAt: 2 + i, tags: []string{fmt.Sprint("u", i)}})
	}
	old := map[string]any{"rules": []any{map[string]any{"rulePriority": 1,
		"selection": map[string]any{"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 50},
		"action":    map[string]any{"type": "expire"}}}}
	if !expire(t, old, images)["sha256:prod"] {
		t.Fatal("the single count rule keeps the old production image; the evaluator is wrong")
	}
	if expire(t, stacks.LifecyclePolicy(), images)["sha256:prod"] {
		t.Fatal("the generated policy expires the production image")
	}
}
