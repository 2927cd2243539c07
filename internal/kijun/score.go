package kijun

import (
	"math"
	"slices"
	"strings"
)

// Score is the scoring of an assessment (docs/assessment.md, "Scoring"):
// its rollups, one per dimension the controls count in — overall (key ""),
// each section, each theme of a control, each distinct CSF function of a
// control (GV, ID, PR, DE, RS, RC) — in the order the dimensions first
// appear. statuses[i] is the answer to controls[i] ("": unanswered).
//
// In each dimension: Controls counts the controls, Answered those with a
// status, Applicable those answered with a status whose scale weight is
// not nil (該当なし is excluded), and one count per status. Score is the
// mean weight of the applicable answers rounded half away from zero to
// four decimals, nil when nothing is applicable. Weights are the scale's
// (two decimals), summed exactly in hundredths.
func Score(controls []AssessmentControl, statuses []AnswerStatus, scale []ScaleEntry) []Rollup {
	weight := make(map[AnswerStatus]*int64, len(scale))
	for _, s := range scale {
		if s.Weight != nil {
			w := int64(math.Round(*s.Weight * 100))
			weight[s.Code] = &w
		} else {
			weight[s.Code] = nil
		}
	}
	type dim struct {
		r   Rollup
		sum int64 // Σ weight of the applicable answers, in hundredths
	}
	var dims []*dim
	index := map[[2]string]*dim{}
	count := func(kind, key string, st AnswerStatus) {
		d := index[[2]string{kind, key}]
		if d == nil {
			d = &dim{r: Rollup{Kind: kind, Key: key}}
			index[[2]string{kind, key}] = d
			dims = append(dims, d)
		}
		d.r.Controls++
		if st == "" {
			return
		}
		d.r.Answered++
		switch st {
		case AnswerImplemented:
			d.r.Implemented++
		case AnswerPartial:
			d.r.Partial++
		case AnswerNotImplemented:
			d.r.NotImplemented++
		case AnswerNotApplicable:
			d.r.NA++
		}
		if w := weight[st]; w != nil {
			d.r.Applicable++
			d.sum += *w
		}
	}
	for i, c := range controls {
		st := statuses[i]
		count(RollupOverall, "", st)
		count(RollupSection, c.Section, st)
		for _, t := range c.Themes {
			count(RollupTheme, t, st)
		}
		var fns []string
		for _, csf := range c.CSF {
			fn, _, _ := strings.Cut(csf, ".")
			if !slices.Contains(fns, fn) {
				fns = append(fns, fn)
				count(RollupCSFFunction, fn, st)
			}
		}
	}
	out := make([]Rollup, len(dims))
	for i, d := range dims {
		if d.r.Applicable > 0 {
			s := float64(ScoreE4(d.sum, d.r.Applicable)) / 1e4
			d.r.Score = &s
		}
		out[i] = d.r
	}
	return out
}

// ScoreE4 is a score in ten-thousandths: the mean of applicable weights
// summing to sumHundredths, rounded half away from zero (all positive).
func ScoreE4(sumHundredths int64, applicable int) int64 {
	return (sumHundredths*100*2 + int64(applicable)) / (2 * int64(applicable))
}
