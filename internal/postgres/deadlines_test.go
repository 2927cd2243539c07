package postgres_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// TestExtendDue: the overseeing ministry extends one operator's due date
// with its reason; the assessment reads the new date, the history keeps
// it, the audit log records it. The operator, another ministry and the NCO
// are refused by the store, and by the database when they write directly.
func TestExtendDue(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	cy := w.openCycle(t, 2027)
	a, b := w.assessmentOf(t, cy, w.opA), w.assessmentOf(t, cy, w.opB)
	now := time.Date(2028, 1, 10, 12, 0, 0, 0, kijun.JST)
	due := time.Date(2028, 2, 29, 0, 0, 0, 0, kijun.JST)

	for name, p := range map[string]*identity.Principal{"operator": w.userA, "other ministry": w.fsa, "NCO": w.nco} {
		err := w.as(p, func(tx pgx.Tx) error {
			_, _, err := postgres.ExtendDue(w.ctx, tx, p, a, due, "理由", now, "test")
			return err
		})
		if err == nil {
			t.Errorf("%s extended the due date", name)
		}
	}
	// Refused input says what, by field, and changes nothing.
	err := w.as(w.meti, func(tx pgx.Tx) error {
		_, _, err := postgres.ExtendDue(w.ctx, tx, w.meti, a, time.Date(2028, 1, 31, 0, 0, 0, 0, kijun.JST), " ", now, "test")
		return err
	})
	if ke, ok := err.(*kijun.Error); !ok || ke.MessageID != postgres.MsgExtendInvalid || len(ke.Args["Problems"].([]assessment.Problem)) != 2 {
		t.Fatalf("same date, no reason: %v", err)
	}

	var x assessment.Extension
	w.must(t, w.meti, func(tx pgx.Tx) (err error) {
		_, x, err = postgres.ExtendDue(w.ctx, tx, w.meti, a, due, "  システム更改のため  ", now, "test")
		return err
	})
	if x.ID == 0 || x.Reason != "システム更改のため" || kijun.ISODate(x.PreviousDue) != "2028-01-31" {
		t.Errorf("extension %+v", x)
	}
	for _, p := range []struct {
		name string
		who  *identity.Principal
		sees bool
	}{{"operator", w.userA, true}, {"ministry", w.meti, true}, {"NCO", w.nco, true}, {"other operator", w.userB, false}, {"other ministry", w.fsa, false}} {
		w.must(t, p.who, func(tx pgx.Tx) error {
			list, err := postgres.ListExtensions(w.ctx, tx, a)
			if err != nil {
				return err
			}
			if p.sees != (len(list) == 1) {
				t.Errorf("%s sees %d extensions", p.name, len(list))
			}
			if p.sees {
				got, err := postgres.GetAssessment(w.ctx, tx, a)
				if err != nil {
					return err
				}
				if kijun.ISODate(got.DueOn) != "2028-02-29" || kijun.ISODate(got.CycleDueOn) != "2028-01-31" {
					t.Errorf("%s reads due %s (cycle %s)", p.name, kijun.ISODate(got.DueOn), kijun.ISODate(got.CycleDueOn))
				}
			}
			return nil
		})
	}
	var audited int
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT count(*) FROM audit_events WHERE action = 'assessment.extend'
		AND object_id = $1 AND after->>'due_on' = '2028-02-29' AND before->>'due_on' = '2028-01-31'`, strconv.FormatInt(a, 10)).Scan(&audited); err != nil || audited != 1 {
		t.Errorf("audit events %d, %v", audited, err)
	}

	// The database refuses whoever is not the overseeing ministry.
	for name, p := range map[string]*identity.Principal{"operator": w.userB, "NCO": w.nco} {
		err := w.as(p, func(tx pgx.Tx) error {
			_, err := tx.Exec(w.ctx, `UPDATE assessments SET due_on = '2028-03-01' WHERE id = $1`, b)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "42501") {
			t.Errorf("%s moved a due date in the database: %v", name, err)
		}
		err = w.as(p, func(tx pgx.Tx) error {
			_, err := tx.Exec(w.ctx, `INSERT INTO assessment_extensions (assessment_id, operator_id, sector_code, previous_due, due_on, reason, granted_by)
				SELECT id, operator_id, sector_code, '2028-01-31', '2028-03-01', 'x', $2 FROM assessments WHERE id = $1`, b, p.UserID)
			return err
		})
		if err == nil {
			t.Errorf("%s wrote an extension in the database", name)
		}
	}
	// Another ministry does not even see the row to update.
	w.must(t, w.fsa, func(tx pgx.Tx) error {
		tag, err := tx.Exec(w.ctx, `UPDATE assessments SET due_on = '2028-03-01' WHERE id = $1`, b)
		if err == nil && tag.RowsAffected() != 0 {
			t.Errorf("FSA moved an electricity due date")
		}
		return err
	})
}

// TestOverdueSQLFollowsTheRule: the lists' overdue filter and the
// dashboards' overdue count say what assessment.Overdue says, for every
// status, due dates around the database's today, with and without an
// extension.
func TestOverdueSQLFollowsTheRule(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	today := w.db.Today(t)
	now := time.Date(today.Year(), today.Month(), today.Day(), 12, 0, 0, 0, kijun.JST)
	for _, cycleDue := range []int{-1, 0, 1} {
		for _, own := range []*int{nil, ptr(-1), ptr(0), ptr(1)} {
			for _, s := range assessment.Statuses {
				var got bool
				cd := today.AddDate(0, 0, cycleDue)
				var od any
				var ownDue *time.Time
				if own != nil {
					d := today.AddDate(0, 0, *own)
					od, ownDue = d, &d
				}
				err := pgx.BeginFunc(w.ctx, w.db.Owner, func(tx pgx.Tx) error {
					return tx.QueryRow(w.ctx, `SELECT `+postgres.OverdueSQLForTest+` FROM (SELECT $1::text AS status, $2::date AS due_on) a,
						(SELECT $3::date AS due_on) c`, string(s), od, cd).Scan(&got)
				})
				if err != nil {
					t.Fatal(err)
				}
				want := assessment.Overdue(s, assessment.Due(ownDue, cd), now)
				if got != want {
					t.Errorf("%s, cycle due %+d, own %v: SQL %v, rule %v", s, cycleDue, own, got, want)
				}
			}
		}
	}
}

func ptr(n int) *int { return &n }

// TestExtensionLeavesTheOverdue: in a cycle past due, an extended
// operator leaves the overdue list and the dashboards' overdue count; the
// other stays.
func TestExtensionLeavesTheOverdue(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	today := w.db.Today(t)
	fy := kijun.FiscalYearOf(today)
	var cy assessment.Cycle
	w.must(t, w.nco, func(tx pgx.Tx) (err error) {
		cy, _, err = postgres.OpenCycle(w.ctx, tx, w.nco, postgres.CycleInput{FiscalYear: fy, CatalogID: w.catalogID,
			OpensOn: fy.Start(), DueOn: today.AddDate(0, 0, -1)}, nil, "test")
		return err
	})
	a := w.assessmentOf(t, cy.ID, w.opA)
	overdue := func() (ids []int64, count int) {
		w.must(t, w.meti, func(tx pgx.Tx) error {
			list, err := postgres.ListAssessments(w.ctx, tx, assessment.Filter{CycleID: cy.ID, Status: assessment.StatusOverdue})
			for _, x := range list.Assessments {
				ids = append(ids, x.OperatorID)
			}
			if err != nil {
				return err
			}
			d, err := postgres.LoadDashboard(w.ctx, tx, nil, cy.ID, []string{"electricity"}, false)
			for _, p := range d.Progress {
				count += p.Overdue
			}
			return err
		})
		return ids, count
	}
	if ids, n := overdue(); len(ids) != 2 || n != 2 {
		t.Fatalf("before: overdue %v, dashboard %d; want both electricity operators", ids, n)
	}
	now := time.Date(today.Year(), today.Month(), today.Day(), 9, 0, 0, 0, kijun.JST)
	w.must(t, w.meti, func(tx pgx.Tx) error {
		_, _, err := postgres.ExtendDue(w.ctx, tx, w.meti, a, today.AddDate(0, 0, 7), "被災のため", now, "test")
		return err
	})
	if ids, n := overdue(); len(ids) != 1 || ids[0] != w.opB || n != 1 {
		t.Errorf("after: overdue %v, dashboard %d; want operator B only", ids, n)
	}
	w.must(t, w.userA, func(tx pgx.Tx) error {
		got, err := postgres.GetAssessment(w.ctx, tx, a)
		if err == nil && (got.Overdue || got.DaysOverdue != 0) {
			t.Errorf("extended assessment reads overdue %v, %d days", got.Overdue, got.DaysOverdue)
		}
		return err
	})
	w.must(t, w.userB, func(tx pgx.Tx) error {
		got, err := postgres.GetAssessment(w.ctx, tx, w.assessmentOf(t, cy.ID, w.opB))
		if err == nil && (!got.Overdue || got.DaysOverdue != 1) {
			t.Errorf("operator B reads overdue %v, %d days; want 1 day", got.Overdue, got.DaysOverdue)
		}
		return err
	})
}

// TestOverduePlans: past a fiscal year's plan deadline, every ministry
// overseeing a sector without a submitted plan covering the year is
// overdue for the NCO; a ministry sees only itself; submitting a plan
// takes it off.
func TestOverduePlans(t *testing.T) {
	t.Parallel()
	w := newPlanWorld(t)
	today := w.db.Today(t)
	fy := kijun.FiscalYearOf(today)
	if _, err := w.db.Owner.Exec(w.ctx, `INSERT INTO plan_deadlines (fiscal_year, due_on) VALUES ($1, $2)`, int(fy), today.AddDate(0, 0, -1)); err != nil {
		t.Fatal(err)
	}
	overdue := func(p *identity.Principal) map[string]int {
		out := map[string]int{}
		w.must(t, p, func(tx pgx.Tx) error {
			list, err := postgres.OverduePlans(w.ctx, tx)
			for _, o := range list {
				if o.FiscalYear != fy {
					t.Errorf("overdue for FY%d", o.FiscalYear)
				}
				out[o.MinistryCode] = o.DaysOverdue
			}
			return err
		})
		return out
	}
	all := overdue(w.nco)
	if all["METI"] != 1 || all["FSA"] != 1 || len(all) < 5 {
		t.Fatalf("NCO: overdue %v; want every ministry one day late", all)
	}
	if got := overdue(w.meti); len(got) != 1 || got["METI"] != 1 {
		t.Errorf("METI sees %v, want itself only", got)
	}
	w.must(t, w.meti, func(tx pgx.Tx) error {
		id, err := postgres.CreatePlan(w.ctx, tx, w.meti, postgres.NewPlan{MinistryCode: "METI", SectorCodes: []string{"electricity"},
			PeriodStart: fy, PeriodEnd: fy + 2, CatalogID: w.catalogID, Title: kijun.Text{Ja: "電力分野 実施計画"}}, "test")
		if err != nil {
			return err
		}
		return postgres.SubmitPlan(w.ctx, tx, w.meti, id, "test")
	})
	if got := overdue(w.nco); got["METI"] != 0 || got["FSA"] != 1 {
		t.Errorf("after METI submitted: %v", got)
	}
}
