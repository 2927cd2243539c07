package postgres_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// TestDelegationInDatabase: the store and the database refuse a deputy of
// another operator or oneself, and a delegation recorded for someone
// else; a reviewer's absence makes staff its deputy, whose check records
// on whose behalf; the deputyship ends with the absent user's role, for
// the database too; only the absent user or an admin cancels.
func TestDelegationInDatabase(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	id := w.assessmentOf(t, w.openCycle(t, 2027), w.opA)
	staff := regPrincipal(t, w.db, "staffA", identity.Grant{Role: identity.RoleOperatorStaff, OperatorID: w.opA, SectorCode: "electricity"})
	reviewer := regPrincipal(t, w.db, "reviewerA", identity.Grant{Role: identity.RoleOperatorReviewer, OperatorID: w.opA, SectorCode: "electricity"})
	today := w.db.Today(t)
	in := func(deputy int64) postgres.DelegationInput {
		return postgres.DelegationInput{OperatorID: w.opA, DeputyID: deputy, From: today, To: today.AddDate(0, 0, 2)}
	}
	set := func(p *identity.Principal, in postgres.DelegationInput) (assessment.Delegation, error) {
		var d assessment.Delegation
		err := w.as(p, func(tx pgx.Tx) (err error) {
			d, err = postgres.SetDelegation(w.ctx, tx, p, in, "test")
			return err
		})
		return d, err
	}
	for _, c := range []struct {
		p            *identity.Principal
		deputy       int64
		field, msgID string
	}{
		{reviewer, w.userB.UserID, "deputy", assessment.MsgDelegDeputy}, // another operator's user
		{reviewer, reviewer.UserID, "deputy", assessment.MsgDelegSelf},
		{staff, reviewer.UserID, "operator", assessment.MsgDelegOperator}, // staff do no internal check
	} {
		_, err := set(c.p, in(c.deputy))
		var ps postgres.DelegationProblems
		if !errors.As(err, &ps) || ps[c.field] != c.msgID {
			t.Errorf("%s naming %d: %v, want %s on %s", c.p.Name, c.deputy, err, c.msgID, c.field)
		}
	}
	// The database, whatever the store says: row-level security refuses a
	// delegation recorded for someone else, or by another operator's
	// admin; the trigger a deputy of another operator (for the owner
	// too); the table's check the user themselves.
	raw := `INSERT INTO operator_delegations (operator_id, sector_code, user_id, deputy_id, starts_on, ends_on, created_by)
		VALUES ($1, 'electricity', $2, $3, current_date, current_date, $4)`
	for name, c := range map[string]struct {
		p                   *identity.Principal
		user, deputy, by    int64
		wantCode, wantCode2 string
	}{
		"for someone else":          {w.userA, reviewer.UserID, staff.UserID, w.userA.UserID, "42501", ""},
		"by another operator's":     {w.userB, w.userB.UserID, staff.UserID, w.userB.UserID, "42501", "KJ024"},
		"another operator's deputy": {reviewer, reviewer.UserID, w.userB.UserID, reviewer.UserID, "KJ024", ""},
		"oneself":                   {reviewer, reviewer.UserID, reviewer.UserID, reviewer.UserID, "42501", "23514"},
	} {
		err := w.as(c.p, func(tx pgx.Tx) error {
			_, err := tx.Exec(w.ctx, raw, w.opA, c.user, c.deputy, c.by)
			return err
		})
		if code := planPGCode(err); code != c.wantCode && code != c.wantCode2 {
			t.Errorf("%s: %v, want SQLSTATE %s", name, err, c.wantCode)
		}
	}
	for _, deputy := range []int64{w.userB.UserID, reviewer.UserID} {
		if _, err := w.db.Owner.Exec(w.ctx, raw, w.opA, reviewer.UserID, deputy, reviewer.UserID); err == nil {
			t.Errorf("the owner recorded deputy %d", deputy)
		}
	}

	// The reviewer names staff; staff's principal now carries it.
	d, err := set(reviewer, in(staff.UserID))
	if err != nil {
		t.Fatal(err)
	}
	load := func() *identity.Principal {
		var p *identity.Principal
		if err := postgres.SystemTx(w.ctx, w.db.App, func(tx pgx.Tx) (err error) {
			p, err = postgres.LoadPrincipal(w.ctx, tx, staff.UserID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	deputy := load()
	if len(deputy.Deputyships) != 1 || deputy.Deputyships[0].ID != d.ID || deputy.Deputyships[0].ForUserID != reviewer.UserID {
		t.Fatalf("deputyships %+v", deputy.Deputyships)
	}
	w.answerAll(t, staff, id)
	var s assessment.SignOff
	w.must(t, deputy, func(tx pgx.Tx) (err error) {
		s, err = postgres.SignOff(w.ctx, tx, deputy, id, assessment.SignOffSentBack, "GV を見直してください", "test")
		return err
	})
	list, err := postgres.ListSignOffs(w.ctx, w.db.Owner, id)
	if err != nil || len(list) != 1 || list[0].ID != s.ID || list[0].ByID != staff.UserID || list[0].OnBehalfOf != reviewer.UserID ||
		list[0].OnBehalfName != "reviewerA" || list[0].DelegationID != d.ID {
		t.Fatalf("the deputy's check: %+v (%v)", list, err)
	}

	// The absent user loses the role: the deputyship ends, and the
	// database refuses a principal that still carries it.
	if _, err := w.db.Owner.Exec(w.ctx, `UPDATE role_grants SET revoked_at = now() WHERE user_id = $1`, reviewer.UserID); err != nil {
		t.Fatal(err)
	}
	if p := load(); len(p.Deputyships) != 0 {
		t.Errorf("deputyships after the revocation: %+v", p.Deputyships)
	}
	err = w.as(deputy, func(tx pgx.Tx) error {
		_, err := postgres.SignOff(w.ctx, tx, deputy, id, assessment.SignOffSentBack, "もう一度", "test")
		return err
	})
	if kijun.ErrorCode(err) != kijun.EForbidden {
		t.Errorf("a stale deputyship checked: %v", err)
	}

	// Only the absent user or an admin cancels; the deputy does not.
	cancel := func(p *identity.Principal) error {
		return w.as(p, func(tx pgx.Tx) error {
			_, err := postgres.CancelDelegation(w.ctx, tx, p, d.ID, "test")
			return err
		})
	}
	if err := cancel(staff); !errors.Is(err, kijun.ErrNotFound) {
		t.Errorf("the deputy cancelling: %v", err)
	}
	if err := cancel(w.userB); !errors.Is(err, kijun.ErrNotFound) {
		t.Errorf("another operator's admin cancelling: %v", err)
	}
	if err := cancel(w.userA); err != nil {
		t.Errorf("the admin cancelling: %v", err)
	}
	var events int
	w.db.Owner.QueryRow(w.ctx, `SELECT count(*) FROM audit_events WHERE action IN ('delegation.set', 'delegation.cancel')
		AND chain = $1`, fmt.Sprintf("operator:%d", w.opA)).Scan(&events)
	if events != 2 {
		t.Errorf("%d delegation events audited", events)
	}
}
