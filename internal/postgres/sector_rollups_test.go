package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/dashboard"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// checkKept fails unless a table kept by triggers (read by kept) equals,
// exactly, what recount computes from the source rows, in every cycle
// given.
func checkKept[T any](t *testing.T, w *dashWorld, table, when string, kept, recount func(context.Context, pgx.Tx, int64) ([]T, error), cycles ...int64) {
	t.Helper()
	for _, cy := range cycles {
		var got, want []T
		w.do(t, w.nco, func(tx pgx.Tx) (err error) {
			if got, err = kept(w.ctx, tx, cy); err != nil {
				return err
			}
			want, err = recount(w.ctx, tx, cy)
			return err
		})
		if len(want) == 0 {
			t.Fatalf("%s: cycle %d has nothing to compare", when, cy)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: cycle %d %s differs from a recount\n kept %+v\n want %+v", when, cy, table, got, want)
		}
	}
}

// checkSectorRollups compares sector_rollups with the aggregate of
// assessment_rollups, and sector_control_rollups with that of the answers.
func checkSectorRollups(t *testing.T, w *dashWorld, when string) {
	t.Helper()
	checkKept(t, w, "sector_rollups", when, postgres.SectorRollups, postgres.RecomputeSectorRollups, w.cy25, w.cy26)
	checkKept(t, w, "sector_control_rollups", when, postgres.SectorControlRollups, postgres.RecomputeSectorControlRollups, w.cy25, w.cy26)
}

// Submit, return, resubmit and accept in two sectors at once, each in its
// own transaction started together: sector_rollups must equal the
// aggregate recomputed from assessment_rollups, exactly, after all of
// them (no lost update on the shared sector rows, returned assessments
// out, resubmitted ones back in).
func TestSectorRollupsFollowTransitionsConcurrently(t *testing.T) {
	t.Parallel()
	w := newDashWorld(t)
	checkSectorRollups(t, w, "after the fixture")
	fsa := regPrincipal(t, w.db, "dash-fsa-2", regMinistryGrant("FSA"))
	// E7 completes its answers first (GV-01 is saved already; saving does
	// not touch sector_rollups): overall (1 + 4 × 0.5) / 5 = 0.6.
	w.fill(t, "E7", w.cy26, map[string]assessment.AnswerStatus{"GV-02": "partial", "PR-01": "partial", "PR-02": "partial", "DE-01": "partial"}, false)
	checkSectorRollups(t, w, "after saving answers")

	type step struct {
		who  *identity.Principal
		name string
		fn   func(tx pgx.Tx, p *identity.Principal, id int64) error
	}
	submit := func(tx pgx.Tx, p *identity.Principal, id int64) error {
		return signOffSubmit(w.ctx, tx, p, id, "test")
	}
	resubmit := func(tx pgx.Tx, p *identity.Principal, id int64) error {
		return signOffResubmit(w.ctx, tx, p, id, "test")
	}
	accept := func(tx pgx.Tx, p *identity.Principal, id int64) error {
		return postgres.Accept(w.ctx, tx, p, id, "", "test")
	}
	ret := func(tx pgx.Tx, p *identity.Principal, id int64) error {
		return postgres.Return(w.ctx, tx, p, id, "再確認をお願いします", nil, "test")
	}
	// Each chain runs its steps in order; the chains run at once.
	chains := [][]step{
		{{w.users["E7"], "E7", submit}, {w.meti, "E7", accept}},
		{{w.users["E6"], "E6", resubmit}, {w.meti, "E6", accept}},
		{{w.meti, "E2", ret}},
		{{w.meti, "E4", accept}},
		{{w.meti, "E5", ret}, {w.users["E5"], "E5", resubmit}},
		{{fsa, "F1", ret}, {w.users["F1"], "F1", resubmit}},
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, len(chains))
	for _, chain := range chains {
		wg.Go(func() {
			<-start
			for _, s := range chain {
				id := w.asm(t, w.cy26, s.name)
				if err := postgres.InTx(w.ctx, w.db.App, s.who, func(tx pgx.Tx) error { return s.fn(tx, s.who, id) }); err != nil {
					errs <- fmt.Errorf("%s: %w", s.name, err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkSectorRollups(t, w, "after the concurrent transitions")

	// The figures the dashboard shows follow: E2 returned; E1 1, E3 0.5,
	// E4 0, E5 0.6, E6 1, E7 0.6 count.
	var d dashboard.Dashboard
	w.do(t, w.nco, func(tx pgx.Tx) (err error) {
		d, err = postgres.LoadDashboard(w.ctx, tx, nil, w.cy26, []string{"electricity", "finance"}, false)
		return err
	})
	if c := d.Lookup("electricity", "overall", ""); c.N != 6 || !near(c.Score, 3.7/6) {
		t.Errorf("electricity overall after the transitions: n %d score %v, want 6 and %.4f", c.N, deref(c.Score), 3.7/6)
	}
	if c := d.Lookup("finance", "overall", ""); c.N != 1 || !near(c.Score, 1) {
		t.Errorf("finance overall after return and resubmit: %+v", c)
	}

	// Every assessment returned: the sector's rows fall to zero and the
	// dashboard shows no cell, as before sector_rollups.
	w.do(t, fsa, func(tx pgx.Tx) error {
		return postgres.Return(w.ctx, tx, fsa, w.asm(t, w.cy26, "F1"), "", []postgres.CommentInput{{Body: "差戻し"}}, "test")
	})
	checkSectorRollups(t, w, "after finance's only assessment is returned")
	w.do(t, w.nco, func(tx pgx.Tx) (err error) {
		d, err = postgres.LoadDashboard(w.ctx, tx, nil, w.cy26, []string{"finance"}, false)
		return err
	})
	if len(d.Cells) != 0 {
		t.Errorf("finance has nothing that counts, cells %+v", d.Cells)
	}
}

// The application role reads sector_rollups as its principal allows (NCO
// all, a ministry its sectors, an operator nothing) and writes it never;
// the benchmark function answers only for a sector the caller may see.
func TestSectorRollupsRLS(t *testing.T) {
	t.Parallel()
	w := newDashWorld(t)
	fsa := regPrincipal(t, w.db, "dash-fsa-2", regMinistryGrant("FSA"))
	sectorsSeen := func(p *identity.Principal) map[string]bool {
		seen := map[string]bool{}
		w.do(t, p, func(tx pgx.Tx) error {
			rows, err := postgres.SectorRollups(w.ctx, tx, w.cy26)
			for _, r := range rows {
				seen[r.Sector] = true
			}
			return err
		})
		return seen
	}
	for _, c := range []struct {
		who  string
		p    *identity.Principal
		want map[string]bool
	}{
		{"nco", w.nco, map[string]bool{"electricity": true, "finance": true}},
		{"meti", w.meti, map[string]bool{"electricity": true}},
		{"fsa", fsa, map[string]bool{"finance": true}},
		{"operator E1", w.users["E1"], map[string]bool{}},
	} {
		if got := sectorsSeen(c.p); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s sees sector_rollups of %v, want %v", c.who, got, c.want)
		}
	}

	for _, q := range []string{
		`INSERT INTO sector_rollups (cycle_id, sector_code, kind, key, assessments) VALUES ($1, 'electricity', 'overall', 'x', 1)`,
		`UPDATE sector_rollups SET sum_score = 0 WHERE cycle_id = $1`,
		`DELETE FROM sector_rollups WHERE cycle_id = $1`,
		`SELECT kijun_rebuild_sector_rollups($1)`,
	} {
		err := postgres.InTx(w.ctx, w.db.App, w.nco, func(tx pgx.Tx) error {
			_, err := tx.Exec(w.ctx, q, w.cy26)
			return err
		})
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("%s as the application role: %v, want permission denied", strings.Fields(q)[0], err)
		}
	}

	bench := func(p *identity.Principal, sector string) []dashboard.Benchmark {
		var out []dashboard.Benchmark
		w.do(t, p, func(tx pgx.Tx) (err error) {
			out, err = postgres.SectorBenchmarkTx(w.ctx, tx, w.cy26, sector)
			return err
		})
		return out
	}
	own := bench(w.users["E2"], "electricity")
	found := 0
	for _, b := range own {
		switch {
		case b.Kind == "overall" && b.Key == "":
			found++
			if b.N != 5 || !near(b.Median, 0.6) {
				t.Errorf("E2's sector benchmark overall %+v", b)
			}
		case b.Kind == "theme" && b.Key == "closed-network":
			found++
			if b.N != 4 || b.Median != nil || !b.Suppressed() {
				t.Errorf("closed-network over 4 scores must be suppressed in SQL: %+v", b)
			}
		}
	}
	if found != 2 {
		t.Errorf("E2's benchmark %+v", own)
	}
	for _, c := range []struct {
		who    string
		p      *identity.Principal
		sector string
	}{{"operator E2", w.users["E2"], "finance"}, {"operator F1", w.users["F1"], "electricity"}, {"meti", w.meti, "finance"}} {
		if got := bench(c.p, c.sector); len(got) != 0 {
			t.Errorf("%s gets a benchmark of %s: %+v", c.who, c.sector, got)
		}
	}
	if got := bench(w.users["F1"], "finance"); len(got) == 0 || got[0].Median != nil {
		t.Errorf("F1's own sector (one bank): %+v, want rows, all suppressed", got)
	}
}
