package postgres_test

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/annualreport"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/plan"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// reportWorld is the dashboards' fixture (FY2025: E1 submitted; FY2026:
// E1, E3 accepted, E2, E4, E5 submitted, E6 returned, E7 in progress, F1
// submitted) with a METI electricity plan accepted for FY2026–2028 with
// two KPIs, and the NCO's published evaluation of METI's electricity.
func newReportWorld(t *testing.T) *dashWorld {
	t.Helper()
	w := newDashWorld(t)
	var id int64
	w.do(t, w.meti, func(tx pgx.Tx) (err error) {
		id, err = postgres.CreatePlan(w.ctx, tx, w.meti, postgres.NewPlan{MinistryCode: "METI", SectorCodes: []string{"electricity"},
			PeriodStart: 2026, PeriodEnd: 2028, CatalogID: w.catalogID, Title: kijun.Text{Ja: "電力分野 安全基準等の実施計画", En: "Electricity plan"}}, "test")
		if err != nil {
			return err
		}
		v, err := postgres.GetPlanVersion(w.ctx, tx, id, 0)
		if err != nil {
			return err
		}
		return postgres.UpdateDraft(w.ctx, tx, w.meti, id, v.Edits, postgres.DraftFields{Title: v.Title, Scope: plan.Scope{Mode: plan.ScopeAll},
			KPIs: []plan.KPI{
				{Label: "自己評価の提出", Metric: plan.KPISubmitted, Target: 80, Due: "2027-03-31"},
				{Label: "GVの全面実施", Metric: plan.KPIImplemented, Key: "GV", Target: 50, Due: "2026-12-31"},
			}, PeriodEnd: 2028}, "test")
	})
	w.do(t, w.meti, func(tx pgx.Tx) error { return postgres.SubmitPlan(w.ctx, tx, w.meti, id, "test") })
	w.do(t, w.nco, func(tx pgx.Tx) error { return postgres.StartReview(w.ctx, tx, w.nco, id, "test") })
	w.do(t, w.nco, func(tx pgx.Tx) error { return postgres.AcceptPlan(w.ctx, tx, w.nco, id, "test") })
	w.do(t, w.nco, func(tx pgx.Tx) error {
		eid, err := postgres.CreateEvaluation(w.ctx, tx, w.nco, plan.Evaluation{MinistryCode: "METI", SectorCode: "electricity",
			FiscalYear: 2026, Findings: "提出率は高い。", GoodPractices: "経営層が四半期ごとに進捗を確認している。",
			ImprovementRequests: "未提出の事業者への督促を強めてください。", Rating: "B"}, "test")
		if err != nil {
			return err
		}
		return postgres.PublishEvaluation(w.ctx, tx, w.nco, eid, nil, time.Now(), "test")
	})
	return w
}

func approx(got *float64, want float64) bool { return got != nil && math.Abs(*got-want) < 1e-9 }

// TestAnnualReportFiguresHandComputed: the FY2026 report's figures, each
// worked out by hand from the fixture.
func TestAnnualReportFiguresHandComputed(t *testing.T) {
	t.Parallel()
	w := newReportWorld(t)
	var f annualreport.Figures
	var in annualreport.Inputs
	w.do(t, w.nco, func(tx pgx.Tx) (err error) {
		in, err = postgres.LoadAnnualReportInputs(w.ctx, tx, 2026)
		f = annualreport.Compile(in)
		return err
	})
	if f.CycleID != w.cy26 || !slices.Equal(f.Years, []kijun.FiscalYear{2025, 2026}) {
		t.Fatalf("cycle %d years %v, want %d [2025 2026]", f.CycleID, f.Years, w.cy26)
	}
	rate := func(list []annualreport.Rate, code string) annualreport.Rate {
		for _, r := range list {
			if r.Code == code {
				return r
			}
		}
		t.Fatalf("no rate for %s", code)
		return annualreport.Rate{}
	}
	// Electricity: 7 assessments; submitted or accepted E1–E5 (5), accepted E1, E3.
	if r := rate(f.BySector, "electricity"); r.Total != 7 || r.Submitted != 5 || r.Accepted != 2 ||
		!approx(r.SubmittedShare, 5.0/7) || !approx(r.AcceptedShare, 2.0/7) {
		t.Errorf("electricity %+v", r)
	}
	// Finance: one operator, under the small-group rule: counts, no shares.
	if r := rate(f.BySector, "finance"); r.Total != 1 || r.Submitted != 1 || r.SubmittedShare != nil || r.AcceptedShare != nil {
		t.Errorf("finance %+v, want its shares suppressed", r)
	}
	if r := rate(f.BySector, "gas"); r.Total != 0 || r.SubmittedShare != nil {
		t.Errorf("gas %+v", r)
	}
	if r := f.National; r.Total != 8 || r.Submitted != 6 || r.Accepted != 2 || !approx(r.SubmittedShare, 0.75) || !approx(r.AcceptedShare, 0.25) {
		t.Errorf("national %+v", r)
	}
	if r := rate(f.ByMinistry, "METI"); r.Total != 7 || r.Submitted != 5 || !approx(r.SubmittedShare, 5.0/7) {
		t.Errorf("METI %+v", r)
	}
	if r := rate(f.ByMinistry, "FSA"); r.Total != 1 || r.SubmittedShare != nil {
		t.Errorf("FSA %+v", r)
	}

	score := func(kind, key string) annualreport.Score {
		for _, s := range f.Scores {
			if s.Kind == kind && s.Key == key {
				return s
			}
		}
		t.Fatalf("no score %s %s", kind, key)
		return annualreport.Score{}
	}
	// Overall FY2026: electricity E1 1, E2 0.625, E3 0.5, E4 0, E5 0.6; finance F1 1.
	o := score("overall", "")
	if o.N != 6 || !approx(o.Score, (2.725+1)/6) {
		t.Errorf("overall %+v, want n 6 score %.4f", o, (2.725+1)/6)
	}
	// Like with like: FY2025 scored electricity only, so finance is left
	// out of the line; FY2025's single operator is suppressed.
	if !slices.Equal(o.Compared, []string{"electricity"}) || !slices.Equal(o.Left, []string{"finance"}) || len(o.Trend) != 2 ||
		o.Trend[0].FiscalYear != 2025 || o.Trend[0].N != 1 || o.Trend[0].Score != nil ||
		o.Trend[1].FiscalYear != 2026 || o.Trend[1].N != 5 || !approx(o.Trend[1].Score, 0.545) {
		t.Errorf("overall trend %+v compared %v left %v", o.Trend, o.Compared, o.Left)
	}
	// GV FY2026: electricity 3.25 over 5, finance 1.
	if g := score("section", "GV"); g.N != 6 || !approx(g.Score, 4.25/6) {
		t.Errorf("GV %+v", g)
	}
	// closed-network: electricity 4 scored (2.5), finance 1 (1): 3.5 / 5.
	if c := score("theme", "closed-network"); c.N != 5 || !approx(c.Score, 3.5/5) {
		t.Errorf("closed-network %+v", c)
	}
	for _, s := range f.SectorScores {
		switch s.Sector {
		case "electricity":
			if s.N != 5 || !approx(s.Score, 0.545) {
				t.Errorf("electricity score %+v", s)
			}
		case "finance":
			if s.N != 1 || s.Score != nil {
				t.Errorf("finance score %+v, want suppressed", s)
			}
		}
	}

	// KPIs on FY2026's cycle, judged on 31 March 2027: 7 operators in
	// scope; E1–E6 have rollups (E6's stays when returned): 6/7 ≥ 80%
	// achieved; GV all 実施済: E1, E5, E6 = 3/7 < 50%, due 2026-12-31: missed.
	if len(f.Plans) != 1 || f.Plans[0].Operators != 7 || len(f.Plans[0].KPIs) != 2 {
		t.Fatalf("plans %+v", f.Plans)
	}
	k := f.Plans[0].KPIs
	if k[0].Meeting != 6 || !approx(k[0].Percent, 600.0/7) || k[0].State != plan.KPIAchieved {
		t.Errorf("KPI 1 %+v", k[0])
	}
	if k[1].Meeting != 3 || !approx(k[1].Percent, 300.0/7) || k[1].State != plan.KPIMissed {
		t.Errorf("KPI 2 %+v", k[1])
	}

	// Evaluated: METI electricity only; the plan is evaluated through it.
	if !slices.Equal(f.Evaluated, []annualreport.Pair{{Ministry: "METI", Sector: "electricity"}}) ||
		len(f.NotEvaluated) != len(in.Oversight)-1 || !slices.Contains(f.NotEvaluated, annualreport.Pair{Ministry: "FSA", Sector: "finance"}) {
		t.Errorf("evaluated %v, not evaluated %d of %d", f.Evaluated, len(f.NotEvaluated), len(in.Oversight))
	}
	if len(f.PlansNotEval) != 0 || f.Ratings["B"] != 1 {
		t.Errorf("plans not evaluated %v ratings %v", f.PlansNotEval, f.Ratings)
	}
	if len(f.Practices) != 1 || f.Practices[0].Text != "経営層が四半期ごとに進捗を確認している。" ||
		len(f.Requests) != 1 || f.Requests[0].Text != "未提出の事業者への督促を強めてください。" {
		t.Errorf("practices %v requests %v", f.Practices, f.Requests)
	}
	if f.AsOf.IsZero() {
		t.Error("no date from the data")
	}
}

// TestAnnualReportSteps: no final without an opinion; the opinion is
// recorded (again) until final; the final report keeps its figures with
// their hash and refuses every change, in the store and in SQL; every
// step is audited.
func TestAnnualReportSteps(t *testing.T) {
	t.Parallel()
	w := newReportWorld(t)
	now := time.Date(2027, 6, 1, 10, 0, 0, 0, kijun.JST)
	err := postgres.InTx(w.ctx, w.db.App, w.nco, func(tx pgx.Tx) error {
		_, err := postgres.FinalizeAnnualReport(w.ctx, tx, w.nco, 2026, 0, now, "test")
		return err
	})
	if kijun.ErrorCode(err) != kijun.EInvalid {
		t.Fatalf("final without an opinion: %v", err)
	}
	err = postgres.InTx(w.ctx, w.db.App, w.nco, func(tx pgx.Tx) error {
		return postgres.RecordReportOpinion(w.ctx, tx, w.nco, 2026, "  ", "第1回推進専門家会議", "2027-05-20", 0, now, "test")
	})
	var ke *kijun.Error
	if !errors.As(err, &ke) || ke.Code != kijun.EInvalid || ke.Args["Problems"].(map[string]string)["opinion"] == "" {
		t.Fatalf("empty opinion: %v", err)
	}
	// A ministry cannot record one (nor read the report).
	err = postgres.InTx(w.ctx, w.db.App, w.meti, func(tx pgx.Tx) error {
		return postgres.RecordReportOpinion(w.ctx, tx, w.meti, 2026, "意見", "会議", "2027-05-20", 0, now, "test")
	})
	if kijun.ErrorCode(err) != kijun.EForbidden {
		t.Errorf("ministry records an opinion: %v", err)
	}
	w.do(t, w.nco, func(tx pgx.Tx) error {
		return postgres.RecordReportOpinion(w.ctx, tx, w.nco, 2026, "概ね妥当。", "第1回推進専門家会議", "2027-05-20", 0, now, "test")
	})
	w.do(t, w.nco, func(tx pgx.Tx) error {
		return postgres.RecordReportOpinion(w.ctx, tx, w.nco, 2026, "概ね妥当である。提出率の向上を評価する。", "第1回推進専門家会議", "2027-05-20", 1, now, "test")
	})
	var sha string
	w.do(t, w.nco, func(tx pgx.Tx) (err error) {
		sha, err = postgres.FinalizeAnnualReport(w.ctx, tx, w.nco, 2026, 2, now, "test")
		return err
	})
	var r annualreport.Record
	var live annualreport.Figures
	w.do(t, w.nco, func(tx pgx.Tx) (err error) {
		if r, err = postgres.GetAnnualReport(w.ctx, tx, 2026); err != nil {
			return err
		}
		in, err := postgres.LoadAnnualReportInputs(w.ctx, tx, 2026)
		live = annualreport.Compile(in)
		return err
	})
	if r.Status != annualreport.StatusFinal || r.SHA256 != sha || r.Figures == nil || r.Opinion != "概ね妥当である。提出率の向上を評価する。" ||
		r.MeetingOn != "2027-05-20" || r.FinalizedBy == "" {
		t.Fatalf("final record %+v", r)
	}
	a, _ := json.Marshal(r.Figures)
	b, _ := json.Marshal(live)
	if string(a) != string(b) {
		t.Errorf("stored figures differ from the compiled ones:\n%s\n%s", a, b)
	}
	// Final: no new opinion, no second final, no SQL update or delete.
	err = postgres.InTx(w.ctx, w.db.App, w.nco, func(tx pgx.Tx) error {
		return postgres.RecordReportOpinion(w.ctx, tx, w.nco, 2026, "変更", "会議", "2027-05-20", 3, now, "test")
	})
	if kijun.ErrorCode(err) != kijun.EConflict {
		t.Errorf("opinion on a final report: %v", err)
	}
	for _, sql := range []string{`UPDATE annual_reports SET opinion = 'x' WHERE fiscal_year = 2026`,
		`DELETE FROM annual_reports WHERE fiscal_year = 2026`} {
		if _, err := w.db.Owner.Exec(w.ctx, sql); planPGCode(err) != "KJ001" {
			t.Errorf("%s: %v, want KJ001", sql, err)
		}
	}
	rows, _ := w.db.Owner.Query(w.ctx, `SELECT action FROM audit_events WHERE object_type = 'annual_report' ORDER BY id`)
	actions, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || !slices.Equal(actions, []string{"annual_report.opinion", "annual_report.opinion", "annual_report.finalize"}) {
		t.Errorf("audit %v %v", actions, err)
	}
}
