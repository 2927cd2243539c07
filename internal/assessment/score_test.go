package assessment

import (
	"fmt"
	"strings"
	"testing"
)

func TestScore(t *testing.T) {
	w := func(v float64) *float64 { return &v }
	scale := []ScaleEntry{
		{Code: AnswerImplemented, Weight: w(1)},
		{Code: AnswerPartial, Weight: w(0.5)},
		{Code: AnswerNotImplemented, Weight: w(0)},
		{Code: AnswerNotApplicable}, // excluded
	}
	controls := []Control{
		{Ref: "GV-01", Section: "GV", Themes: []string{"bcp"}, CSF: []string{"GV.OC", "GV.RM", "ID.AM"}},
		{Ref: "GV-02", Section: "GV", Themes: []string{"bcp", "supply"}, CSF: []string{"GV.SC"}},
		{Ref: "GV-03", Section: "GV"},
		{Ref: "PR-01", Section: "PR", Themes: []string{"supply"}, CSF: []string{"PR.AA"}},
		{Ref: "PR-02", Section: "PR", CSF: []string{"PR.DS"}},
		{Ref: "PR-03", Section: "PR"},
	}
	statuses := []AnswerStatus{AnswerImplemented, AnswerPartial, AnswerImplemented, AnswerNotApplicable, "", AnswerNotImplemented}
	got := Score(controls, statuses, scale)
	var b strings.Builder
	for _, r := range got {
		s := "-"
		if r.Score != nil {
			s = fmt.Sprintf("%.4f", *r.Score)
		}
		fmt.Fprintf(&b, "%s %s: %d %d %d %d %d %d %d %s\n", r.Kind, r.Key, r.Controls, r.Answered, r.Applicable,
			r.Implemented, r.Partial, r.NotImplemented, r.NA, s)
	}
	// Overall: 1 + 0.5 + 1 + 0 over 4 applicable (N/A and unanswered out).
	// GV: (1 + 0.5 + 1) / 3 = 0.8333…; a control counts once per CSF
	// function however many of its categories share it.
	want := `overall : 6 5 4 2 1 1 1 0.6250
section GV: 3 3 3 2 1 0 0 0.8333
theme bcp: 2 2 2 1 1 0 0 0.7500
csf_function GV: 2 2 2 1 1 0 0 0.7500
csf_function ID: 1 1 1 1 0 0 0 1.0000
theme supply: 2 2 1 0 1 0 1 0.5000
section PR: 3 2 1 0 0 1 1 0.0000
csf_function PR: 2 1 0 0 0 0 1 -
`
	if b.String() != want {
		t.Errorf("Score:\n%s\nwant:\n%s", b.String(), want)
	}
}
