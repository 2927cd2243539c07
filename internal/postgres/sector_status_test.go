package postgres_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/dashboard"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// checkStatusCounts fails unless sector_status_counts equals, exactly, a
// recount of assessments by sector and status in every cycle given.
func checkStatusCounts(t *testing.T, w *dashWorld, when string, cycles ...int64) {
	t.Helper()
	checkKept(t, w, "sector_status_counts", when, postgres.SectorStatusCounts, postgres.RecomputeSectorStatusCounts, cycles...)
}

// sector_status_counts follows every way an assessment's cycle, sector or
// status changes: OpenCycle's bulk insert, first saves (not_started →
// in_progress, concurrently in one sector), submit, return, resubmit,
// accept, and an operator moving to another sector (the cascade), and the
// dashboards' progress figures follow it.
func TestSectorStatusCountsFollowEveryChange(t *testing.T) {
	t.Parallel()
	w := newDashWorld(t) // OpenCycle ×2, saves, submits, accepts, a return
	checkStatusCounts(t, w, "after the fixture", w.cy25, w.cy26)

	// Resubmit the returned one, accept two, return one.
	w.do(t, w.users["E6"], func(tx pgx.Tx) error {
		return signOffResubmit(w.ctx, tx, w.users["E6"], w.asm(t, w.cy26, "E6"), "test")
	})
	checkStatusCounts(t, w, "after resubmit", w.cy26)
	w.do(t, w.meti, func(tx pgx.Tx) error {
		for _, name := range []string{"E2", "E6"} {
			if err := postgres.Accept(w.ctx, tx, w.meti, w.asm(t, w.cy26, name), "", "test"); err != nil {
				return err
			}
		}
		return postgres.Return(w.ctx, tx, w.meti, w.asm(t, w.cy26, "E4"), "要修正", nil, "test")
	})
	checkStatusCounts(t, w, "after accept and return", w.cy26)

	// A new cycle, then every electricity operator's first save at once:
	// each moves its assessment not_started → in_progress on the same two
	// sector rows.
	cy27 := w.open(t, 2027, time.Date(2028, 1, 31, 0, 0, 0, 0, time.UTC))
	checkStatusCounts(t, w, "after OpenCycle", cy27)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for _, name := range []string{"E1", "E2", "E3", "E4", "E5", "E6", "E7"} {
		wg.Go(func() {
			p, id := w.users[name], w.asm(t, cy27, name)
			errs <- postgres.InTx(w.ctx, w.db.App, p, func(tx pgx.Tx) error {
				_, err := postgres.SaveAnswer(w.ctx, tx, p, assessment.Answer{AssessmentID: id, Ref: "GV-01", Status: "implemented"}, 0, "test")
				if err != nil {
					err = fmt.Errorf("%s: %w", name, err)
				}
				return err
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	checkStatusCounts(t, w, "after concurrent first saves", cy27)
	w.fill(t, "E3", cy27, map[string]assessment.AnswerStatus{"GV-02": "partial", "PR-01": "partial", "PR-02": "partial", "DE-01": "partial"}, true)
	checkStatusCounts(t, w, "after a submit in the new cycle", cy27)

	// E7 moves from electricity to finance: its three assessments go with
	// it (ON UPDATE CASCADE).
	if _, err := w.db.Owner.Exec(w.ctx, `UPDATE operators SET sector_code = 'finance' WHERE id = $1`, w.ops["E7"]); err != nil {
		t.Fatal(err)
	}
	checkStatusCounts(t, w, "after E7 moves to finance", w.cy25, w.cy26, cy27)

	// The dashboard's progress is the hand-computed count (FY2026:
	// electricity E1 E2 E3 E6 accepted, E4 returned, E5 submitted;
	// finance F1 submitted, E7 in progress).
	var d dashboard.Dashboard
	w.do(t, w.nco, func(tx pgx.Tx) (err error) {
		d, err = postgres.LoadDashboard(w.ctx, tx, nil, w.cy26, []string{"electricity", "finance"}, false)
		return err
	})
	want := []dashboard.SectorProgress{
		{Sector: "electricity", StatusCounts: assessment.StatusCounts{Submitted: 1, Returned: 1, Accepted: 4, Total: 6}},
		{Sector: "finance", StatusCounts: assessment.StatusCounts{InProgress: 1, Submitted: 1, Total: 2}},
	}
	if !reflect.DeepEqual(d.Progress, want) {
		t.Errorf("progress after the changes\n got %+v\nwant %+v", d.Progress, want)
	}
	// Once FY2026 is past due by the database's clock, which decides it,
	// the returned E4 and the unsubmitted E7 are overdue.
	if _, err := w.db.Owner.Exec(w.ctx, `UPDATE cycles SET due_on = $2 WHERE id = $1`, w.cy26, w.db.Today(t).AddDate(0, 0, -1)); err != nil {
		t.Fatal(err)
	}
	w.do(t, w.nco, func(tx pgx.Tx) (err error) {
		d, err = postgres.LoadDashboard(w.ctx, tx, nil, w.cy26, []string{"electricity", "finance"}, false)
		return err
	})
	want[0].Overdue, want[1].Overdue = 1, 1
	if !reflect.DeepEqual(d.Progress, want) {
		t.Errorf("progress past due\n got %+v\nwant %+v", d.Progress, want)
	}

	// Deleting assessments takes them out (no store path deletes them;
	// the trigger still covers it).
	for _, q := range []string{
		`DELETE FROM assessment_events WHERE assessment_id IN (SELECT id FROM assessments WHERE cycle_id = $1 AND status = 'not_started')`,
		`DELETE FROM assessments WHERE cycle_id = $1 AND status = 'not_started'`,
	} {
		if _, err := w.db.Owner.Exec(w.ctx, q, w.cy25); err != nil {
			t.Fatal(err)
		}
	}
	checkStatusCounts(t, w, "after deleting FY2025's unstarted assessments", w.cy25)

	// The owner's rebuild gives the same rows.
	var before []postgres.SectorStatusCount
	w.do(t, w.nco, func(tx pgx.Tx) (err error) { before, err = postgres.SectorStatusCounts(w.ctx, tx, cy27); return err })
	if _, err := postgres.RebuildSectorStatusCounts(w.ctx, w.db.Owner, cy27); err != nil {
		t.Fatal(err)
	}
	checkStatusCounts(t, w, "after rebuild", cy27)
	var after []postgres.SectorStatusCount
	w.do(t, w.nco, func(tx pgx.Tx) (err error) { after, err = postgres.SectorStatusCounts(w.ctx, tx, cy27); return err })
	if !reflect.DeepEqual(before, after) {
		t.Errorf("rebuild changed the counts: %+v → %+v", before, after)
	}
}

// The application role reads sector_status_counts as its principal allows
// (NCO all, a ministry its sectors, an operator nothing) and never writes
// it or rebuilds it.
func TestSectorStatusCountsRLS(t *testing.T) {
	t.Parallel()
	w := newDashWorld(t)
	fsa := regPrincipal(t, w.db, "dash-fsa-2", regMinistryGrant("FSA"))
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
		seen := map[string]bool{}
		w.do(t, c.p, func(tx pgx.Tx) error {
			rows, err := postgres.SectorStatusCounts(w.ctx, tx, w.cy26)
			for _, r := range rows {
				seen[r.Sector] = true
			}
			return err
		})
		if !reflect.DeepEqual(seen, c.want) {
			t.Errorf("%s sees sector_status_counts of %v, want %v", c.who, seen, c.want)
		}
	}
	for _, q := range []string{
		`INSERT INTO sector_status_counts (cycle_id, sector_code, status, n) VALUES ($1, 'electricity', 'accepted', 1)`,
		`UPDATE sector_status_counts SET n = 0 WHERE cycle_id = $1`,
		`DELETE FROM sector_status_counts WHERE cycle_id = $1`,
		`SELECT kijun_rebuild_sector_status_counts($1)`,
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
}
