package postgres_test

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/dashboard"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// dashWorld is the dashboards' hand-computed fixture: a five-control
// catalog, seven electricity operators and one bank, two cycles, and
// answers submitted, accepted and returned through the assessment store,
// so the rollups are the real ones.
//
// FY2026 (due a month after the database's today: not overdue):
//
//	E1 all implemented                              accepted   overall 1
//	E2 GV-01 i, GV-02 p, PR-01 N/A, PR-02 n, DE-01 i submitted  overall 2.5/4 = 0.625
//	E3 all partial                                  accepted   overall 0.5
//	E4 all not implemented                          submitted  overall 0
//	E5 GV-01 i, GV-02 i, PR-01 i, PR-02 n, DE-01 n  submitted  overall 0.6
//	E6 all implemented, then returned               returned   (not counted)
//	E7 one answer saved                             in progress
//	F1 (finance) all implemented                    submitted  overall 1
//
// FY2025 (due the database's yesterday: overdue): only E1 submits (all
// implemented).
type dashWorld struct {
	db        *pgtest.DB
	ctx       context.Context
	catalogID int64
	nco, meti *identity.Principal
	ops       map[string]int64
	users     map[string]*identity.Principal
	cy25      int64
	cy26      int64
}

func dashCatalog() *catalog.Catalog {
	ctl := func(ref, section string, themes []string) catalog.Control {
		return catalog.Control{Ref: ref, Section: section, Themes: themes, CSF: []string{map[string]string{"GV": "GV.OC", "PR": "PR.DS", "DE": "DE.CM"}[section]},
			Title: kijun.Text{Ja: ref + " の表題", En: ref + " title"}, Statement: kijun.Text{Ja: ref + " の要求事項", En: ref + " statement"}}
	}
	return &catalog.Catalog{Code: "dash-test", Version: "1", Title: kijun.Text{Ja: "ダッシュボード試験", En: "Dashboard test"},
		Controls: []catalog.Control{
			ctl("GV-01", "GV", []string{"resilience"}),
			ctl("GV-02", "GV", []string{"supply-chain"}),
			ctl("PR-01", "PR", []string{"resilience", "closed-network"}),
			ctl("PR-02", "PR", nil),
			ctl("DE-01", "DE", nil),
		}}
}

var (
	allI  = map[string]assessment.AnswerStatus{"GV-01": "implemented", "GV-02": "implemented", "PR-01": "implemented", "PR-02": "implemented", "DE-01": "implemented"}
	allP  = map[string]assessment.AnswerStatus{"GV-01": "partial", "GV-02": "partial", "PR-01": "partial", "PR-02": "partial", "DE-01": "partial"}
	allN  = map[string]assessment.AnswerStatus{"GV-01": "not_implemented", "GV-02": "not_implemented", "PR-01": "not_implemented", "PR-02": "not_implemented", "DE-01": "not_implemented"}
	mixE2 = map[string]assessment.AnswerStatus{"GV-01": "implemented", "GV-02": "partial", "PR-01": "not_applicable", "PR-02": "not_implemented", "DE-01": "implemented"}
	mixE5 = map[string]assessment.AnswerStatus{"GV-01": "implemented", "GV-02": "implemented", "PR-01": "implemented", "PR-02": "not_implemented", "DE-01": "not_implemented"}
)

func newDashWorld(t *testing.T) *dashWorld {
	t.Helper()
	w := &dashWorld{db: pgtest.New(t), ctx: context.Background(), ops: map[string]int64{}, users: map[string]*identity.Principal{}}
	if err := pgx.BeginFunc(w.ctx, w.db.Owner, func(tx pgx.Tx) (err error) {
		if w.catalogID, _, err = postgres.ImportCatalog(w.ctx, tx, dashCatalog(), audit.Event{}); err != nil {
			return err
		}
		return postgres.Publish(w.ctx, tx, w.catalogID, audit.Event{})
	}); err != nil {
		t.Fatal(err)
	}
	someone := regUser(t, w.db, "dash-proposer")
	for i, name := range []string{"E1", "E2", "E3", "E4", "E5", "E6", "E7", "F1"} {
		sector := "electricity"
		if name[0] == 'F' {
			sector = "finance"
		}
		w.ops[name] = regOperator(t, w.db, 700+i, sector, "事業者"+name, someone)
		w.users[name] = regPrincipal(t, w.db, "user-"+name, regOperatorGrant(w.ops[name], sector))
	}
	w.nco = regPrincipal(t, w.db, "dash-nco", identity.Grant{Role: identity.RoleNCOAdmin})
	w.meti = regPrincipal(t, w.db, "dash-meti", regMinistryGrant("METI"))
	fsa := regPrincipal(t, w.db, "dash-fsa", regMinistryGrant("FSA"))

	today := w.db.Today(t)
	w.cy25 = w.open(t, 2025, today.AddDate(0, 0, -1))
	w.cy26 = w.open(t, 2026, today.AddDate(0, 1, 0))

	w.fill(t, "E1", w.cy25, allI, true)
	for name, answers := range map[string]map[string]assessment.AnswerStatus{
		"E1": allI, "E2": mixE2, "E3": allP, "E4": allN, "E5": mixE5, "E6": allI, "F1": allI,
	} {
		w.fill(t, name, w.cy26, answers, true)
	}
	w.fill(t, "E7", w.cy26, map[string]assessment.AnswerStatus{"GV-01": "implemented"}, false)
	w.do(t, w.meti, func(tx pgx.Tx) error {
		for _, name := range []string{"E1", "E3"} {
			if err := postgres.Accept(w.ctx, tx, w.meti, w.asm(t, w.cy26, name), "", "test"); err != nil {
				return err
			}
		}
		return postgres.Return(w.ctx, tx, w.meti, w.asm(t, w.cy26, "E6"), "要修正", nil, "test")
	})
	_ = fsa
	return w
}

func (w *dashWorld) do(t *testing.T, p *identity.Principal, fn func(pgx.Tx) error) {
	t.Helper()
	if err := postgres.InTx(w.ctx, w.db.App, p, fn); err != nil {
		t.Fatal(err)
	}
}

func (w *dashWorld) open(t *testing.T, fy int, due time.Time) int64 {
	t.Helper()
	var cy assessment.Cycle
	// A cycle opens by today (nothing is answered before) and falls due
	// within its fiscal year (an earlier year's is overdue at its end).
	opens, end := time.Date(fy, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(fy+1, 3, 31, 0, 0, 0, 0, time.UTC)
	if today := w.db.Today(t); today.Before(opens) {
		opens = today
	}
	if due.After(end) {
		due = end
	}
	w.do(t, w.nco, func(tx pgx.Tx) (err error) {
		cy, _, err = postgres.OpenCycle(w.ctx, tx, w.nco, postgres.CycleInput{FiscalYear: kijun.FiscalYear(fy), CatalogID: w.catalogID,
			OpensOn: opens, DueOn: due}, nil, "test")
		return err
	})
	return cy.ID
}

func (w *dashWorld) asm(t *testing.T, cycle int64, name string) int64 {
	t.Helper()
	var id int64
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT id FROM assessments WHERE cycle_id = $1 AND operator_id = $2`, cycle, w.ops[name]).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// fill saves answers as the operator's user, with what submitting needs,
// and submits when asked.
func (w *dashWorld) fill(t *testing.T, name string, cycle int64, answers map[string]assessment.AnswerStatus, submit bool) {
	t.Helper()
	p, id := w.users[name], w.asm(t, cycle, name)
	due := time.Date(2027, 9, 30, 0, 0, 0, 0, time.UTC)
	w.do(t, p, func(tx pgx.Tx) error {
		for ref, st := range answers {
			a := assessment.Answer{AssessmentID: id, Ref: ref, Status: st}
			switch st {
			case assessment.AnswerNotApplicable:
				a.NAReason = "対象外のため"
			case assessment.AnswerPartial, assessment.AnswerNotImplemented:
				a.Remediation = assessment.Remediation{Action: "整備する " + ref, Owner: "情報システム部", Due: &due}
			}
			if _, err := postgres.SaveAnswer(w.ctx, tx, p, a, 0, "test"); err != nil {
				return fmt.Errorf("%s %s: %w", name, ref, err)
			}
		}
		if submit {
			return signOffSubmit(w.ctx, tx, p, id, "test")
		}
		return nil
	})
}

func near(got *float64, want float64) bool { return got != nil && math.Abs(*got-want) < 1e-6 }

func TestDashboardFiguresHandComputed(t *testing.T) {
	t.Parallel()
	w := newDashWorld(t)
	sectors := []string{"electricity", "finance", "gas"}
	var d dashboard.Dashboard
	var names kijun.ReferenceNames
	w.do(t, w.nco, func(tx pgx.Tx) (err error) {
		// As the pages read it: the names and cycles in one round trip.
		var cycles []assessment.Cycle
		if names, cycles, err = postgres.LoadNamesAndCycles(w.ctx, tx); err != nil {
			return err
		}
		d, err = postgres.LoadDashboard(w.ctx, tx, cycles, 0, sectors, true)
		return err
	})
	if d.Cycle.ID != w.cy26 || len(d.Cycles) != 2 {
		t.Fatalf("default cycle %d of %d, want the newest %d", d.Cycle.ID, len(d.Cycles), w.cy26)
	}
	if kijun.Name(names.Sectors, "electricity").Ja == "" || len(names.Oversight["electricity"]) == 0 {
		t.Errorf("names without electricity or its ministry: %+v", names.Sectors)
	}
	cells := []struct {
		sector, kind, key string
		n                 int
		score             float64
		impl, applicable  int
	}{
		// E1 1, E2 0.625, E3 0.5, E4 0, E5 0.6; E6 (returned) and E7 (in progress) excluded.
		{"electricity", "overall", "", 5, 2.725 / 5, 10, 24},
		{"electricity", "section", "GV", 5, 3.25 / 5, 5, 10},
		// E2's PR is 0/1: PR-01 is N/A and leaves the denominator.
		{"electricity", "section", "PR", 5, 2.0 / 5, 3, 9},
		{"electricity", "section", "DE", 5, 2.5 / 5, 2, 5},
		// closed-network is PR-01 only: E2 has nothing applicable, so no score.
		{"electricity", "theme", "closed-network", 4, 2.5 / 4, 2, 4},
		{"finance", "overall", "", 1, 1, 5, 5},
	}
	for _, c := range cells {
		got := d.Lookup(c.sector, c.kind, c.key)
		if got.N != c.n || !near(got.Score, c.score) || got.Implemented != c.impl || got.Applicable != c.applicable {
			t.Errorf("%s %s %s: n %d score %v impl %d/%d; want n %d score %.4f impl %d/%d", c.sector, c.kind, c.key,
				got.N, deref(got.Score), got.Implemented, got.Applicable, c.n, c.score, c.impl, c.applicable)
		}
	}
	if got := d.Lookup("gas", "overall", ""); got.N != 0 || got.Score != nil {
		t.Errorf("gas has no operator, got %+v", got)
	}

	want := map[string]assessment.StatusCounts{
		"electricity": {InProgress: 1, Submitted: 3, Returned: 1, Accepted: 2, Total: 7},
		"finance":     {Submitted: 1, Total: 1},
	}
	if len(d.Progress) != 2 {
		t.Fatalf("progress %+v", d.Progress)
	}
	for _, p := range d.Progress {
		if p.StatusCounts != want[p.Sector] {
			t.Errorf("progress %s: %+v, want %+v", p.Sector, p.StatusCounts, want[p.Sector])
		}
	}

	// Trend: FY2025 only E1 counted (score 1), FY2026 the mean above.
	if tp := d.TrendOf("electricity", w.cy25); tp.N != 1 || !near(tp.Score, 1) || tp.FiscalYear != 2025 {
		t.Errorf("trend FY2025 %+v", tp)
	}
	if tp := d.TrendOf("electricity", w.cy26); tp.N != 5 || !near(tp.Score, 0.545) {
		t.Errorf("trend FY2026 %+v", tp)
	}

	// FY2025 is past due: everyone but E1 is overdue there.
	w.do(t, w.nco, func(tx pgx.Tx) (err error) {
		d, err = postgres.LoadDashboard(w.ctx, tx, nil, w.cy25, sectors, false)
		return err
	})
	for _, p := range d.Progress {
		if p.Sector == "electricity" && (p.Overdue != 6 || p.Submitted != 1 || p.NotStarted != 6) {
			t.Errorf("FY2025 electricity progress %+v", p.StatusCounts)
		}
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// A ministry's dashboard holds only its sectors, even if asked for more:
// row-level security leaves another ministry's sectors empty.
func TestDashboardMinistrySeesItsSectorsOnly(t *testing.T) {
	t.Parallel()
	w := newDashWorld(t)
	var d dashboard.Dashboard
	var att []dashboard.Attention
	w.do(t, w.meti, func(tx pgx.Tx) (err error) {
		if d, err = postgres.LoadDashboard(w.ctx, tx, nil, w.cy26, []string{"electricity", "finance"}, true); err != nil {
			return err
		}
		att, _, err = postgres.NeedingAttention(w.ctx, tx, w.cy25, []string{"electricity", "finance"}, 100)
		return err
	})
	for _, c := range d.Cells {
		if c.Sector != "electricity" {
			t.Errorf("METI sees a %s figure: %+v", c.Sector, c)
		}
	}
	for _, p := range d.Progress {
		if p.Sector != "electricity" {
			t.Errorf("METI sees %s progress", p.Sector)
		}
	}
	if len(att) != 6 {
		t.Errorf("METI's overdue list in FY2025 has %d rows, want E2–E7", len(att))
	}
	for _, a := range att {
		if a.Sector != "electricity" || !a.Overdue {
			t.Errorf("attention row %+v", a)
		}
	}
}

func TestSectorOperatorsAndWeakestControls(t *testing.T) {
	t.Parallel()
	w := newDashWorld(t)
	var list []dashboard.SectorOperator
	var total int
	var weak []dashboard.ControlFigure
	var att []dashboard.Attention
	w.do(t, w.meti, func(tx pgx.Tx) (err error) {
		list, total, err = postgres.SectorOperators(w.ctx, tx, dashboard.SectorFilter{CycleID: w.cy26, Sector: "electricity",
			Kind: "section", Key: "PR", Status: "counted", ByScore: true})
		if err != nil {
			return err
		}
		if weak, err = postgres.WeakestControls(w.ctx, tx, w.cy26, "electricity", 10); err != nil {
			return err
		}
		att, _, err = postgres.NeedingAttention(w.ctx, tx, w.cy26, []string{"electricity"}, 100)
		return err
	})
	if total != 5 || len(list) != 5 {
		t.Fatalf("counted electricity operators: %d (%d rows), want 5", total, len(list))
	}
	// PR scores: E2 0, E4 0, E3 0.5, E5 0.5, E1 1 (ties by name).
	wantOrder := []string{"事業者E2", "事業者E4", "事業者E3", "事業者E5", "事業者E1"}
	for i, o := range list {
		if o.Name.Ja != wantOrder[i] {
			t.Errorf("row %d: %s, want %s", i, o.Name.Ja, wantOrder[i])
		}
	}
	if !near(list[0].Focus, 0) || !near(list[0].Overall, 0.625) {
		t.Errorf("E2: focus %v overall %v", deref(list[0].Focus), deref(list[0].Overall))
	}

	wantWeak := []struct {
		ref   string
		score float64
		na    int
	}{{"PR-02", 0.3, 0}, {"DE-01", 0.5, 0}, {"GV-02", 0.6, 0}, {"PR-01", 0.625, 1}, {"GV-01", 0.7, 0}}
	if len(weak) != len(wantWeak) {
		t.Fatalf("weakest controls %+v", weak)
	}
	for i, wc := range wantWeak {
		if weak[i].Ref != wc.ref || !near(weak[i].Score, wc.score) || weak[i].NA != wc.na || weak[i].Title.Ja != wc.ref+" の表題" {
			t.Errorf("weakest %d: %+v score %v, want %s %.3f", i, weak[i], deref(weak[i].Score), wc.ref, wc.score)
		}
	}
	if len(att) != 1 || att[0].Name.Ja != "事業者E6" || att[0].Status != assessment.Returned {
		t.Errorf("FY2026 attention list %+v, want E6 returned", att)
	}
}

// The benchmark an operator sees: quartiles for groups of five or more,
// nothing for smaller groups (finance has one bank; closed-network has
// four scores in electricity).
func TestSectorBenchmarkSuppression(t *testing.T) {
	t.Parallel()
	w := newDashWorld(t)
	bench, err := systemBenchmark(w.ctx, w.db.App, w.cy26, "electricity")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, b := range bench {
		switch {
		case b.Kind == "overall":
			found++
			// Scores 0, 0.5, 0.6, 0.625, 1: continuous quartiles.
			if b.N != 5 || !near(b.Q1, 0.5) || !near(b.Median, 0.6) || !near(b.Q3, 0.625) {
				t.Errorf("overall benchmark n %d q %v %v %v", b.N, deref(b.Q1), deref(b.Median), deref(b.Q3))
			}
		case b.Kind == "theme" && b.Key == "closed-network":
			found++
			if b.N != 4 || b.Q1 != nil || b.Median != nil || b.Q3 != nil || !b.Suppressed() {
				t.Errorf("closed-network over 4 scores must be suppressed: %+v", b)
			}
		}
	}
	if found != 2 {
		t.Errorf("benchmark rows %+v", bench)
	}
	fin, err := systemBenchmark(w.ctx, w.db.App, w.cy26, "finance")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range fin {
		if b.Median != nil {
			t.Errorf("finance has one operator; benchmark %+v not suppressed", b)
		}
	}

	var gaps []dashboard.Gap
	w.do(t, w.users["E2"], func(tx pgx.Tx) (err error) {
		gaps, err = postgres.OwnGaps(w.ctx, tx, w.asm(t, w.cy26, "E2"))
		return err
	})
	if len(gaps) != 2 || gaps[0].Ref != "GV-02" || gaps[1].Ref != "PR-02" || gaps[0].Remediation.Due == nil {
		t.Errorf("E2 gaps %+v", gaps)
	}
}

func TestStreamAnswersFollowsRLS(t *testing.T) {
	t.Parallel()
	w := newDashWorld(t)
	count := map[string]int{}
	w.do(t, w.meti, func(tx pgx.Tx) error {
		return postgres.StreamAnswers(w.ctx, tx, w.cy26, []string{"electricity", "finance"}, func(r dashboard.AnswerExportRow) error {
			count[r.Sector]++
			return nil
		})
	})
	// E1–E6 five answers each, E7 one; finance is not METI's.
	if count["electricity"] != 31 || count["finance"] != 0 {
		t.Errorf("exported %v", count)
	}
}

// systemBenchmark reads a sector's benchmark in a system transaction, as
// the synthetic data's checks do; users read it in their own.
func systemBenchmark(ctx context.Context, db *pgxpool.Pool, cycleID int64, sector string) ([]dashboard.Benchmark, error) {
	var out []dashboard.Benchmark
	err := postgres.SystemTx(ctx, db, func(tx pgx.Tx) (err error) {
		out, err = postgres.SectorBenchmarkTx(ctx, tx, cycleID, sector)
		return err
	})
	return out, err
}

// The weakest controls are the lowest scores first, cut at the limit
// before their titles are looked up: the cut keeps the order and titles.
func TestWeakestControlsLimit(t *testing.T) {
	t.Parallel()
	w := newDashWorld(t)
	var weak []dashboard.ControlFigure
	w.do(t, w.meti, func(tx pgx.Tx) (err error) {
		weak, err = postgres.WeakestControls(w.ctx, tx, w.cy26, "electricity", 3)
		return err
	})
	want := []string{"PR-02", "DE-01", "GV-02"}
	if len(weak) != len(want) {
		t.Fatalf("weakest 3: %+v", weak)
	}
	for i, ref := range want {
		if weak[i].Ref != ref || weak[i].Title.Ja != ref+" の表題" {
			t.Errorf("weakest %d: %+v, want %s with its title", i, weak[i], ref)
		}
	}
}

// An operator's scorecard, read in one round trip, is what the single
// queries read: its assessment, its rollups only while they count (E6's
// returned rollups stay in the table but not on its scorecard), its gaps
// and its sector's benchmark.
func TestLoadScorecardMatchesItsParts(t *testing.T) {
	t.Parallel()
	w := newDashWorld(t)
	for name, want := range map[string]struct {
		status assessment.Status
		own    bool
	}{"E2": {assessment.Submitted, true}, "E6": {assessment.Returned, false}, "E7": {assessment.InProgress, false}} {
		id := w.asm(t, w.cy26, name)
		var sc postgres.Scorecard
		var rollups []assessment.Rollup
		var gaps []dashboard.Gap
		var bench []dashboard.Benchmark
		w.do(t, w.users[name], func(tx pgx.Tx) (err error) {
			if sc, err = postgres.LoadScorecard(w.ctx, tx, w.cy26, w.ops[name], "electricity"); err != nil {
				return err
			}
			if rollups, err = postgres.Rollups(w.ctx, tx, id); err != nil {
				return err
			}
			if gaps, err = postgres.OwnGaps(w.ctx, tx, id); err != nil {
				return err
			}
			bench, err = postgres.SectorBenchmarkTx(w.ctx, tx, w.cy26, "electricity")
			return err
		})
		if sc.AssessmentID != id || sc.Status != want.status {
			t.Errorf("%s: assessment %d %s, want %d %s", name, sc.AssessmentID, sc.Status, id, want.status)
		}
		if len(rollups) == 0 && name != "E7" {
			t.Fatalf("%s has no rollups to compare", name)
		}
		if want.own != (len(sc.Own) > 0) || (want.own && !reflect.DeepEqual(sc.Own, rollups)) {
			t.Errorf("%s: own rollups %+v, want %v of %+v", name, sc.Own, want.own, rollups)
		}
		if !reflect.DeepEqual(sc.Gaps, gaps) || !reflect.DeepEqual(sc.Bench, bench) || len(bench) == 0 {
			t.Errorf("%s: gaps %+v bench %+v, want %+v %+v", name, sc.Gaps, sc.Bench, gaps, bench)
		}
	}
}
