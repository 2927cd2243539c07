package annualreport

import (
	"testing"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/kijun"
)

func TestSteps(t *testing.T) {
	for _, c := range []struct {
		s                Status
		opinion, finalOK bool
	}{{StatusDraft, true, false}, {StatusOpinion, true, true}, {StatusFinal, false, false}} {
		if CanRecordOpinion(c.s) != c.opinion || CanFinalize(c.s) != c.finalOK {
			t.Errorf("%s: opinion %v final %v", c.s, CanRecordOpinion(c.s), CanFinalize(c.s))
		}
	}
	if ps := CheckOpinion(" ", "", ""); len(ps) != 3 {
		t.Errorf("empty opinion: %v", ps)
	}
	if ps := CheckOpinion("妥当", "第1回推進専門家会議", "2027-05-20"); len(ps) != 0 {
		t.Errorf("good opinion: %v", ps)
	}
}

// A ministry's rates sum the sectors it oversees; under five operators a
// share is not shown, at five it is.
func TestRatesAndSmallGroups(t *testing.T) {
	in := Inputs{FiscalYear: 2027, Cycles: []assessment.Cycle{{ID: 1, FiscalYear: 2027}},
		Sectors: []string{"a", "b"}, Ministries: []string{"M", "N"},
		Oversight: []Pair{{"M", "a"}, {"M", "b"}, {"N", "b"}},
		Status: map[string]assessment.StatusCounts{
			"a": {Submitted: 1, Accepted: 1, InProgress: 1, Total: 3},
			"b": {Accepted: 2, Total: 2},
		}}
	f := Compile(in)
	if f.BySector[0].SubmittedShare != nil || f.BySector[1].AcceptedShare != nil {
		t.Errorf("small sectors shown: %+v", f.BySector)
	}
	m := f.ByMinistry[0]
	if m.Total != 5 || m.Submitted != 4 || m.Accepted != 3 || m.SubmittedShare == nil || *m.SubmittedShare != 0.8 || *m.AcceptedShare != 0.6 {
		t.Errorf("ministry M %+v", m)
	}
	if n := f.ByMinistry[1]; n.Total != 2 || n.SubmittedShare != nil {
		t.Errorf("ministry N %+v", n)
	}
	if !f.AsOf.Equal(YearEnd(kijun.FiscalYear(2027))) {
		t.Errorf("as of %v without evaluations", f.AsOf)
	}
}
