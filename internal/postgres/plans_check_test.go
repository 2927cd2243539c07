package postgres_test

import (
	"testing"

	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/plan"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// A KPI's or a milestone's label with control or bidi characters is
// refused at that label; tabs are text.
func TestCheckDraftFieldsRefusesControlCharactersInLabels(t *testing.T) {
	draft := func(label string) postgres.DraftFields {
		return postgres.DraftFields{Title: kijun.Text{Ja: "実施計画"}, PeriodEnd: 2028, Scope: plan.Scope{Mode: plan.ScopeAll},
			KPIs:       []plan.KPI{{Label: label, Metric: plan.KPISubmitted, Target: 90, Due: "2028-03-31"}},
			Milestones: []plan.Milestone{{Label: label, Due: "2028-03-31"}}}
	}
	for label, want := range map[string]string{
		"提出率\t九割":         "",
		"反転\u202Egpj.exe": "text.control_chars",
		"分離\u2066x\u2069": "text.control_chars",
		"ベル\a":            "text.control_chars",
		"C1\u0085":        "text.control_chars",
	} {
		got := map[string]string{}
		for _, p := range postgres.CheckDraftFields(draft(label), 2026) {
			got[p.Field] = p.MessageID
		}
		if got["kpi_0_label"] != want || got["milestone_0_label"] != want || len(got) != map[bool]int{true: 0, false: 2}[want == ""] {
			t.Errorf("label %q: problems %v, want %q at both labels", label, got, want)
		}
	}
}
