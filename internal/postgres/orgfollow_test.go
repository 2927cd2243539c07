package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// TestDeputyMarksReadyInDatabase: during a reviewer's absence its deputy
// marks the reviewer's assignment ready, audited on whose behalf; staff
// without the delegation cannot, and row-level security
// (kijun_deputy_for) refuses a principal that believes in a delegation
// not holding today.
func TestDeputyMarksReadyInDatabase(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	id := w.assessmentOf(t, w.openCycle(t, 2027), w.opA)
	staff := regPrincipal(t, w.db, "staffA", identity.Grant{Role: identity.RoleOperatorStaff, OperatorID: w.opA, SectorCode: "electricity"})
	reviewer := regPrincipal(t, w.db, "reviewerA", identity.Grant{Role: identity.RoleOperatorReviewer, OperatorID: w.opA, SectorCode: "electricity"})
	today := w.db.Today(t)
	var aid, did int64
	if err := w.db.Owner.QueryRow(w.ctx, `INSERT INTO assessment_assignments (assessment_id, operator_id, sector_code, section_code, assignee_id, due_on)
		SELECT a.id, a.operator_id, a.sector_code, 'GV', $2, c.due_on FROM assessments a JOIN cycles c ON c.id = a.cycle_id
		WHERE a.id = $1 RETURNING id`, id, reviewer.UserID).Scan(&aid); err != nil {
		t.Fatal(err)
	}
	mark := func(p *identity.Principal, ready bool) (bool, error) {
		var all bool
		err := w.as(p, func(tx pgx.Tx) (err error) {
			all, err = postgres.MarkReady(w.ctx, tx, p, id, aid, ready, "test")
			return err
		})
		return all, err
	}
	if _, err := mark(staff, true); kijun.ErrorCode(err) != kijun.EForbidden {
		t.Fatalf("staff without a delegation: %v", err)
	}
	w.must(t, reviewer, func(tx pgx.Tx) error {
		d, err := postgres.SetDelegation(w.ctx, tx, reviewer, postgres.DelegationInput{OperatorID: w.opA, DeputyID: staff.UserID,
			From: today, To: today.AddDate(0, 0, 2)}, "test")
		did = d.ID
		return err
	})
	deputy := *staff
	deputy.Deputyships = []identity.Deputyship{{ID: did, OperatorID: w.opA, ForUserID: reviewer.UserID, ForName: "reviewerA",
		From: today, To: today.AddDate(0, 0, 2)}}
	if all, err := mark(&deputy, true); err != nil || !all {
		t.Fatalf("the deputy marking ready: %v (all ready %v)", err, all)
	}
	var audited int
	w.db.Owner.QueryRow(w.ctx, `SELECT count(*) FROM audit_events WHERE action = 'assessment.assignment_ready'
		AND actor_user_id = $1 AND (after->>'on_behalf_of')::bigint = $2 AND (after->>'delegation')::bigint = $3`,
		staff.UserID, reviewer.UserID, did).Scan(&audited)
	if audited != 1 {
		t.Errorf("audited %d times on whose behalf", audited)
	}
	// The delegation moved to next week: the principal still carries it
	// for today, the database does not.
	if _, err := w.db.Owner.Exec(w.ctx, `UPDATE operator_delegations SET starts_on = $2, ends_on = $3 WHERE id = $1`,
		did, today.AddDate(0, 0, 7), today.AddDate(0, 0, 8)); err != nil {
		t.Fatal(err)
	}
	if _, err := mark(&deputy, false); kijun.ErrorCode(err) != kijun.EForbidden {
		t.Errorf("a stale deputyship marked: %v", err)
	}
	var ready bool
	w.db.Owner.QueryRow(w.ctx, `SELECT ready_at IS NOT NULL FROM assessment_assignments WHERE id = $1`, aid).Scan(&ready)
	if !ready {
		t.Error("the stale deputyship's change was written")
	}
}
