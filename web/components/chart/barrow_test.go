package chart

import (
	"context"
	"strings"
	"testing"
)

// TestBarRowEscapesAndLaysOut: a bar's segments carry their series'
// fill and an escaped tooltip; a segment too narrow for its count has no
// badge, a wide one has its count on a badge.
func TestBarRowEscapesAndLaysOut(t *testing.T) {
	s := StackedBars{ID: `p"x`, Title: "t",
		Series: []Series{{Label: "<done>", Pattern: 0}, {Label: "open & late", Pattern: 1}},
		Bars:   []Bar{{Label: Label{Text: "Electricity"}, Values: []int{1, 99}}}}
	var b strings.Builder
	if err := StackedBarsSVG(s).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		`<title>&lt;done&gt;: 1</title>`,           // the narrow segment, escaped
		`<title>open &amp; late: 99</title>`,       // the wide one
		`fill="url(#p&#34;x-pat1)" class="ch-seg"`, // the chart's pattern, escaped
		`class="ch-cnt">99</text>`,                 // the wide segment's count
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in %s", want, got)
		}
	}
	if strings.Contains(got, `class="ch-cnt">1</text>`) {
		t.Errorf("a 1%% segment has a badge: %s", got)
	}
	if n := strings.Count(got, `class="ch-badge"`); n != 1 {
		t.Errorf("%d badges, want 1", n)
	}
}
