package export

import (
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/assessment"
)

// The hash of a 提出控え follows what was submitted, and only that: an
// answer's text changes it, who saved it and when do not.
func TestContentHashCoversTheAnswersOnly(t *testing.T) {
	at := time.Date(2027, 6, 1, 9, 0, 0, 0, time.UTC)
	mk := func(how string, by string) Assessment {
		return Assessment{Assessment: assessment.Assessment{ID: 7, OperatorID: 3, SectorCode: "electricity", FiscalYear: 2027, SubmittedAt: &at},
			Controls: []Control{
				{Control: assessment.Control{Ref: "GV-01"}, Answer: assessment.Answer{Status: "implemented", How: how, UpdatedByName: by}},
				{Control: assessment.Control{Ref: "GV-02"}, Answer: assessment.Answer{Status: "not_applicable", NAReason: "対象外"}},
			}}
	}
	a := ContentHash(mk("方針を定めた", "甲"))
	if len(a) != 64 {
		t.Fatalf("hash %q", a)
	}
	if b := ContentHash(mk("方針を定めた", "乙")); b != a {
		t.Error("the editor's name changed the hash")
	}
	if c := ContentHash(mk("方針を定めている", "甲")); c == a {
		t.Error("a changed answer kept the hash")
	}
	later := at.Add(time.Hour)
	x := mk("方針を定めた", "甲")
	x.Assessment.SubmittedAt = &later
	if ContentHash(x) == a {
		t.Error("another submission kept the hash")
	}
}
