package postgres_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/plan"
	"github.com/kijun-portal/kijun/internal/postgres"
)

var errRollback = errors.New("rollback")

// currentCheck reports the plan's latest version's check state.
func (w *planWorld) checkState(t *testing.T, planID int64) plan.CheckState {
	t.Helper()
	var state plan.CheckState
	w.must(t, w.meti, func(tx pgx.Tx) error {
		v, err := postgres.GetPlanVersion(w.ctx, tx, planID, 0)
		if err != nil {
			return err
		}
		steps, err := postgres.ListPlanSignOffs(w.ctx, tx, v.ID)
		state, _ = plan.StateOf(steps)
		return err
	})
	return state
}

// TestPlanSignOffFlow walks the ministry's internal check: with the check
// required, staff cannot submit (the store, and the database for a direct
// update); staff ask, an admin sends back with a comment, staff ask
// again, the admin confirms; an edit voids the confirmation; confirmed
// again, staff submit and the version names who confirmed. Staff do not
// decide; another ministry's admin does not see the plan.
func TestPlanSignOffFlow(t *testing.T) {
	t.Parallel()
	w := newPlanWorld(t)
	admin := regPrincipal(t, w.db, "経産 管理者", identity.Grant{Role: identity.RoleMinistryAdmin, MinistryCode: "METI"})
	fsaAdmin := regPrincipal(t, w.db, "金融 管理者", identity.Grant{Role: identity.RoleMinistryAdmin, MinistryCode: "FSA"})
	id := w.createPlan(t)
	// Off: asking is refused, submitting needs no check.
	err := w.as(w.meti, func(tx pgx.Tx) error { return postgres.RequestPlanSignOff(w.ctx, tx, w.meti, id, "test") })
	wantKijunError(t, err, kijun.EConflict, plan.MsgCheckOff)
	w.must(t, admin, func(tx pgx.Tx) error { return postgres.SetPlanCheck(w.ctx, tx, admin, "METI", true, "test") })

	submit := func(p *identity.Principal) error {
		return w.as(p, func(tx pgx.Tx) error { return postgres.SubmitPlan(w.ctx, tx, p, id, "test") })
	}
	decide := func(p *identity.Principal, step plan.SignOffStep, comment string) (int64, error) {
		var asked int64
		err := w.as(p, func(tx pgx.Tx) (err error) {
			asked, err = postgres.DecidePlanSignOff(w.ctx, tx, p, id, step, comment, "test")
			return err
		})
		return asked, err
	}
	request := func() {
		t.Helper()
		w.must(t, w.meti, func(tx pgx.Tx) error { return postgres.RequestPlanSignOff(w.ctx, tx, w.meti, id, "test") })
	}
	wantKijunError(t, submit(w.meti), kijun.EConflict, plan.MsgNotChecked)
	wantKijunError(t, submit(admin), kijun.EConflict, plan.MsgNotChecked) // an admin too: the check is the rule
	err = w.as(w.meti, func(tx pgx.Tx) error {
		_, err := tx.Exec(w.ctx, `UPDATE plan_versions SET status = 'submitted', submitted_at = now() WHERE plan_id = $1`, id)
		return err
	})
	if pgCodeOf(err) != "KJ020" {
		t.Errorf("submitting in SQL without a check: %v, want KJ020", err)
	}
	_, err = decide(admin, plan.SignOffConfirmed, "")
	wantKijunError(t, err, kijun.EConflict, plan.MsgCheckNoRequest)

	request()
	err = w.as(w.meti, func(tx pgx.Tx) error { return postgres.RequestPlanSignOff(w.ctx, tx, w.meti, id, "test") })
	wantKijunError(t, err, kijun.EConflict, plan.MsgCheckRequested)
	if _, err := decide(w.meti, plan.SignOffConfirmed, ""); kijun.ErrorCode(err) != kijun.EForbidden {
		t.Errorf("staff confirming: %v", err)
	}
	// Nor in SQL: the row policy wants an admin.
	err = w.as(w.meti, func(tx pgx.Tx) error {
		_, err := tx.Exec(w.ctx, `INSERT INTO plan_signoffs (version_id, ministry_code, step, by_user)
			SELECT id, ministry_code, 'confirmed', $2 FROM plan_versions WHERE plan_id = $1`, id, w.meti.UserID)
		return err
	})
	if pgCodeOf(err) != "42501" {
		t.Errorf("staff confirming in SQL: %v, want 42501", err)
	}
	if _, err := decide(fsaAdmin, plan.SignOffConfirmed, ""); kijun.ErrorCode(err) != kijun.ENotFound {
		t.Errorf("another ministry's admin confirming: %v", err)
	}
	_, err = decide(admin, plan.SignOffSentBack, "  ")
	wantKijunError(t, err, kijun.EInvalid, plan.MsgCheckComment)
	asked, err := decide(admin, plan.SignOffSentBack, "KPI の期日を見直してください。")
	if err != nil || asked != w.meti.UserID {
		t.Fatalf("send back: asked by %d (%v)", asked, err)
	}
	if s := w.checkState(t, id); s != plan.CheckSentBack {
		t.Errorf("after the send-back: %s", s)
	}
	wantKijunError(t, submit(w.meti), kijun.EConflict, plan.MsgNotChecked)

	request()
	if _, err := decide(admin, plan.SignOffConfirmed, ""); err != nil {
		t.Fatal(err)
	}
	if s := w.checkState(t, id); s != plan.CheckConfirmed {
		t.Fatalf("after the confirmation: %s", s)
	}
	// An edit voids it.
	v := w.version(t, w.meti, id, 0)
	w.must(t, w.meti, func(tx pgx.Tx) error {
		return postgres.UpdateDraft(w.ctx, tx, w.meti, id, v.Edits, postgres.DraftFields{Title: kijun.Text{Ja: "電力分野 実施計画（改）"},
			Scope: v.Scope, Gathering: v.Gathering, PeriodEnd: 2028}, "test")
	})
	if s := w.checkState(t, id); s != plan.CheckNone {
		t.Errorf("after an edit: %s, want none", s)
	}
	wantKijunError(t, submit(w.meti), kijun.EConflict, plan.MsgNotChecked)

	request()
	if _, err := decide(admin, plan.SignOffConfirmed, ""); err != nil {
		t.Fatal(err)
	}
	if err := submit(w.meti); err != nil { // staff submit a confirmed plan
		t.Fatal(err)
	}
	v = w.version(t, w.nco, id, 0)
	if v.Status != plan.Submitted || v.SubmittedBy != w.meti.Name || v.CheckedBy != admin.Name || v.CheckedAt == nil {
		t.Errorf("submitted version: %s by %q, checked by %q at %v", v.Status, v.SubmittedBy, v.CheckedBy, v.CheckedAt)
	}
	// A submitted version's check is over.
	err = w.as(w.meti, func(tx pgx.Tx) error { return postgres.RequestPlanSignOff(w.ctx, tx, w.meti, id, "test") })
	wantKijunError(t, err, kijun.EConflict, plan.MsgCheckNotDraft)

	var audited map[string]int = map[string]int{}
	rows, _ := w.db.Owner.Query(w.ctx, `SELECT action, count(*) FROM audit_events WHERE action LIKE 'plan.signoff.%' GROUP BY action`)
	for rows.Next() {
		var a string
		var n int
		if err := rows.Scan(&a, &n); err != nil {
			t.Fatal(err)
		}
		audited[a] = n
	}
	if fmt.Sprint(audited) != "map[plan.signoff.confirm:2 plan.signoff.request:3 plan.signoff.send_back:1]" {
		t.Errorf("audited: %v", audited)
	}
}

// Every edit plan.SignOffVoidedBy names voids a confirmation in the
// database, whoever writes it; naming the confirmation (signoff_id) or
// touching updated_at does not.
func TestPlanSignOffVoidedByEveryEdit(t *testing.T) {
	t.Parallel()
	w := newPlanWorld(t)
	admin := regPrincipal(t, w.db, "経産 管理者", identity.Grant{Role: identity.RoleMinistryAdmin, MinistryCode: "METI"})
	id := w.createPlan(t)
	w.must(t, admin, func(tx pgx.Tx) error { return postgres.SetPlanCheck(w.ctx, tx, admin, "METI", true, "test") })
	w.must(t, w.meti, func(tx pgx.Tx) error {
		return postgres.SaveSupplementary(w.ctx, tx, w.meti, id, supplementary("ELECTRICITY-S01"), false, "test")
	})
	edits := map[string]string{
		"general":       `UPDATE plan_versions SET internal_note = internal_note || 'x' WHERE plan_id = $1`,
		"profile":       `UPDATE plan_profile_controls SET tailoring_note = tailoring_note || 'x' WHERE version_id = (SELECT id FROM plan_versions WHERE plan_id = $1)`,
		"supplementary": `DELETE FROM plan_supplementary_controls WHERE version_id = (SELECT id FROM plan_versions WHERE plan_id = $1)`,
		"period":        `UPDATE plans SET period_end = period_end + 1 WHERE id = $1`,
	}
	harmless := map[string]string{
		"updated_at": `UPDATE plan_versions SET updated_at = now() + interval '1 minute' WHERE plan_id = $1`,
		"signoff_id": `UPDATE plan_versions SET signoff_id = (SELECT max(id) FROM plan_signoffs) WHERE plan_id = $1`,
	}
	try := func(name, sql string, wantVoided bool) {
		t.Helper()
		err := w.as(admin, func(tx pgx.Tx) error {
			if err := postgres.RequestPlanSignOff(w.ctx, tx, admin, id, "test"); err != nil {
				return err
			}
			if _, err := postgres.DecidePlanSignOff(w.ctx, tx, admin, id, plan.SignOffConfirmed, "", "test"); err != nil {
				return err
			}
			if _, err := tx.Exec(w.ctx, sql, id); err != nil {
				return err
			}
			var voided bool
			if err := tx.QueryRow(w.ctx, `SELECT voided_at IS NOT NULL FROM plan_signoffs WHERE step = 'confirmed' ORDER BY id DESC LIMIT 1`).Scan(&voided); err != nil {
				return err
			}
			if voided != wantVoided {
				t.Errorf("%s: voided %v, want %v", name, voided, wantVoided)
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for _, why := range plan.SignOffVoidedBy {
		sql, ok := edits[why]
		if !ok {
			t.Fatalf("no edit of %q to try", why)
		}
		try(why, sql, true)
	}
	for name, sql := range harmless {
		try(name, sql, false)
	}
}

// kijun_plan_versions_internal_check accepts a move to submitted exactly
// when plan.CanSubmit does: with the check required or not, naming no
// step, a current confirmation, a voided one, a send-back or a request.
func TestPlanSubmitNeedsCurrentCheckInDatabase(t *testing.T) {
	t.Parallel()
	w := newPlanWorld(t)
	admin := regPrincipal(t, w.db, "経産 管理者", identity.Grant{Role: identity.RoleMinistryAdmin, MinistryCode: "METI"})
	id := w.createPlan(t)
	voided := time.Now()
	kinds := map[string]*plan.SignOff{
		"none":      nil,
		"current":   {Step: plan.SignOffConfirmed},
		"voided":    {Step: plan.SignOffConfirmed, VoidedAt: &voided, VoidedWhy: plan.VoidEdited},
		"sent back": {Step: plan.SignOffSentBack, Comment: "x"},
		"requested": {Step: plan.SignOffRequested},
	}
	for _, required := range []bool{false, true} {
		for name, so := range kinds {
			var submitErr error
			err := w.as(admin, func(tx pgx.Tx) error {
				if _, err := tx.Exec(w.ctx, `INSERT INTO ministry_plan_checks (ministry_code, required) VALUES ('METI', $1)
					ON CONFLICT (ministry_code) DO UPDATE SET required = EXCLUDED.required`, required); err != nil {
					return err
				}
				if so != nil {
					if _, err := tx.Exec(w.ctx, `INSERT INTO plan_signoffs (version_id, ministry_code, step, comment, by_user, voided_at, voided_why)
							SELECT id, ministry_code, $2, $3, $4, $5, nullif($6, '') FROM plan_versions WHERE plan_id = $1`,
						id, string(so.Step), so.Comment, admin.UserID, so.VoidedAt, so.VoidedWhy); err != nil {
						return err
					}
					if _, err := tx.Exec(w.ctx, `UPDATE plan_versions SET signoff_id = (SELECT max(id) FROM plan_signoffs) WHERE plan_id = $1`, id); err != nil {
						return err
					}
				}
				_, submitErr = tx.Exec(w.ctx, `UPDATE plan_versions SET status = 'submitted', submitted_at = now() WHERE plan_id = $1`, id)
				return errRollback
			})
			if !errors.Is(err, errRollback) {
				t.Fatalf("required %v, %s: %v", required, name, err)
			}
			var cur *plan.SignOff
			if so != nil && so.Current() {
				cur = so
			}
			want := plan.CanSubmit(required, cur) == ""
			switch {
			case submitErr != nil && pgCodeOf(submitErr) != "KJ020":
				t.Fatalf("required %v, %s: %v", required, name, submitErr)
			case (submitErr == nil) != want:
				t.Errorf("required %v, %s: the database accepts it: %v, CanSubmit: %v", required, name, submitErr == nil, want)
			}
		}
	}
}
