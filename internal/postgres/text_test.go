package postgres_test

import (
	"testing"

	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/plan"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// An evaluation's text with a bidi override is refused on its field.
func TestCheckEvaluationRefusesControlCharacters(t *testing.T) {
	ps := postgres.CheckEvaluation(plan.Evaluation{Findings: "所見\u202Eです", Response: "回答\r\n二行目"})
	if len(ps) != 1 || ps[0].Field != "findings" || ps[0].MessageID != kijun.MsgTextControl {
		t.Errorf("problems %+v, want findings: %s", ps, kijun.MsgTextControl)
	}
}
