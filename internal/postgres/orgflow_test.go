package postgres_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// assignmentProblems returns the field problems of an Assign refusal.
func assignmentProblems(t *testing.T, err error) postgres.AssignmentProblems {
	t.Helper()
	var ps postgres.AssignmentProblems
	if !errors.As(err, &ps) {
		t.Fatalf("assign: %v, want field problems", err)
	}
	return ps
}

// TestAssignReadySignOffSubmit walks the work inside an operator: the
// admin assigns, staff mark ready, the admin confirms, and only then the
// assessment is submitted, naming who confirmed.
func TestAssignReadySignOffSubmit(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	id := w.assessmentOf(t, w.openCycle(t, 2027), w.opA)
	staff := regPrincipal(t, w.db, "staffA", identity.Grant{Role: identity.RoleOperatorStaff, OperatorID: w.opA, SectorCode: "electricity"})
	today := w.db.Today(t)
	due := today.AddDate(0, 0, 7)
	if cut := time.Date(2028, 1, 31, 0, 0, 0, 0, time.UTC); due.After(cut) {
		due = cut
	}

	// Refusals by field: no such section, someone of another operator, a
	// day after the assessment's due date.
	err := w.as(w.userA, func(tx pgx.Tx) error {
		_, err := postgres.Assign(w.ctx, tx, w.userA, postgres.AssignInput{AssessmentID: id, Section: "XX", AssigneeID: w.userB.UserID,
			DueOn: time.Date(2028, 2, 1, 0, 0, 0, 0, kijun.JST)}, "test")
		return err
	})
	ps := assignmentProblems(t, err)
	if ps["section"] != assessment.MsgAssignNoSection || ps["assignee"] != assessment.MsgAssignNotStaff || ps["due_on"] != assessment.MsgAssignDueAfter {
		t.Errorf("problems %v", ps)
	}
	// Staff do not assign (the database's policy, behind authz).
	err = w.as(staff, func(tx pgx.Tx) error {
		_, err := postgres.Assign(w.ctx, tx, staff, postgres.AssignInput{AssessmentID: id, Section: "GV", AssigneeID: staff.UserID, DueOn: due}, "test")
		return err
	})
	if err == nil {
		t.Error("staff assigned a section")
	}

	var gv, de assessment.Assignment
	w.must(t, w.userA, func(tx pgx.Tx) (err error) {
		if gv, err = postgres.Assign(w.ctx, tx, w.userA, postgres.AssignInput{AssessmentID: id, Section: "GV", AssigneeID: staff.UserID, DueOn: due}, "test"); err != nil {
			return err
		}
		de, err = postgres.Assign(w.ctx, tx, w.userA, postgres.AssignInput{AssessmentID: id, Section: "DE", Ref: "DE-01", AssigneeID: w.userA2.UserID, DueOn: due}, "test")
		return err
	})
	var mine []assessment.Assignment
	w.must(t, staff, func(tx pgx.Tx) (err error) {
		mine, err = postgres.ListMyAssignments(w.ctx, tx, staff.UserID, nil)
		return err
	})
	if len(mine) != 1 || mine[0].Section != "GV" || mine[0].Ready() || mine[0].OperatorName != "電力A" {
		t.Fatalf("assigned to staff: %+v", mine)
	}

	w.answerAll(t, staff, id)
	// Not all ready: no confirmation, so no submission.
	err = w.as(w.userA, func(tx pgx.Tx) error {
		_, err := postgres.SignOff(w.ctx, tx, w.userA, id, assessment.SignOffConfirmed, "", "test")
		return err
	})
	wantKijunError(t, err, kijun.EConflict, assessment.MsgNotAllReady)
	err = w.as(w.userA, func(tx pgx.Tx) error { return postgres.Submit(w.ctx, tx, w.userA, id, "test") })
	wantKijunError(t, err, kijun.EConflict, assessment.MsgNotConfirmed)

	// Someone else's assignment is not staff's to mark.
	err = w.as(staff, func(tx pgx.Tx) error {
		_, err := postgres.MarkReady(w.ctx, tx, staff, id, de.ID, true, "test")
		return err
	})
	wantKijunError(t, err, kijun.EForbidden, "assessment.forbidden")
	w.must(t, staff, func(tx pgx.Tx) error {
		all, err := postgres.MarkReady(w.ctx, tx, staff, id, gv.ID, true, "test")
		if all {
			t.Error("all ready with DE open")
		}
		return err
	})
	w.must(t, w.userA2, func(tx pgx.Tx) error {
		all, err := postgres.MarkReady(w.ctx, tx, w.userA2, id, de.ID, true, "test")
		if !all {
			t.Error("not all ready after the last")
		}
		return err
	})

	// Staff do not confirm.
	err = w.as(staff, func(tx pgx.Tx) error {
		_, err := postgres.SignOff(w.ctx, tx, staff, id, assessment.SignOffConfirmed, "", "test")
		return err
	})
	wantKijunError(t, err, kijun.EForbidden, "assessment.forbidden")
	err = w.as(staff, func(tx pgx.Tx) error {
		_, err := tx.Exec(w.ctx, `INSERT INTO assessment_signoffs (assessment_id, operator_id, sector_code, decision, by_user)
			VALUES ($1, $2, 'electricity', 'confirmed', $3)`, id, w.opA, staff.UserID)
		return err
	})
	if pgCodeOf(err) != "42501" {
		t.Errorf("staff confirming in SQL: %v, want 42501", err)
	}

	// Sent back: a comment is needed; every assignment is not ready again.
	err = w.as(w.userA, func(tx pgx.Tx) error {
		_, err := postgres.SignOff(w.ctx, tx, w.userA, id, assessment.SignOffSentBack, "  ", "test")
		return err
	})
	wantKijunError(t, err, kijun.EInvalid, assessment.MsgSendBackComment)
	w.must(t, w.userA, func(tx pgx.Tx) error {
		_, err := postgres.SignOff(w.ctx, tx, w.userA, id, assessment.SignOffSentBack, "GV-02 の計画を見直してください。", "test")
		return err
	})
	w.must(t, staff, func(tx pgx.Tx) error {
		list, err := postgres.ListAssignments(w.ctx, tx, id)
		for _, a := range list {
			if a.Ready() {
				t.Errorf("still ready after sending back: %+v", a)
			}
		}
		return err
	})
	w.must(t, staff, func(tx pgx.Tx) error {
		_, err := postgres.MarkReady(w.ctx, tx, staff, id, gv.ID, true, "test")
		return err
	})
	w.must(t, w.userA2, func(tx pgx.Tx) error {
		_, err := postgres.MarkReady(w.ctx, tx, w.userA2, id, de.ID, true, "test")
		return err
	})

	var conf assessment.SignOff
	w.must(t, w.userA, func(tx pgx.Tx) (err error) {
		conf, err = postgres.SignOff(w.ctx, tx, w.userA, id, assessment.SignOffConfirmed, "", "test")
		return err
	})
	// Any edit voids the confirmation: the submission is refused.
	w.save(t, staff, assessment.Answer{AssessmentID: id, Ref: "GV-01", Status: assessment.AnswerImplemented, How: "改めて確認"})
	w.must(t, staff, func(tx pgx.Tx) error {
		cur, err := postgres.CurrentSignOff(w.ctx, tx, id)
		if cur != nil {
			t.Errorf("a confirmation holds after an edit: %+v", cur)
		}
		list, _ := postgres.ListSignOffs(w.ctx, tx, id)
		if len(list) == 0 || list[0].ID != conf.ID || list[0].VoidedWhy != assessment.VoidAnswerChanged {
			t.Errorf("signoffs %+v", list)
		}
		return err
	})
	err = w.as(staff, func(tx pgx.Tx) error { return postgres.Submit(w.ctx, tx, staff, id, "test") })
	wantKijunError(t, err, kijun.EConflict, assessment.MsgNotConfirmed)

	// Confirmed again, staff submit; the submission names the confirmation.
	w.must(t, w.userA, func(tx pgx.Tx) (err error) {
		conf, err = postgres.SignOff(w.ctx, tx, w.userA, id, assessment.SignOffConfirmed, "", "test")
		return err
	})
	w.must(t, staff, func(tx pgx.Tx) error { return postgres.Submit(w.ctx, tx, staff, id, "test") })
	var signoff, by int64
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT a.signoff_id, s.by_user FROM assessments a JOIN assessment_signoffs s ON s.id = a.signoff_id
		WHERE a.id = $1`, id).Scan(&signoff, &by); err != nil || signoff != conf.ID || by != w.userA.UserID {
		t.Errorf("submission's confirmation %d by %d (%v), want %d by %d", signoff, by, err, conf.ID, w.userA.UserID)
	}
	var audited int
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT count(*) FROM audit_events WHERE action IN ('assessment.assign',
		'assessment.assignment_ready', 'assessment.signoff.confirmed', 'assessment.signoff.sent_back')`).Scan(&audited); err != nil || audited != 2+4+2+1 {
		t.Errorf("audited %d (%v), want 9", audited, err)
	}

	// The ministry's return voids it: resubmitting needs a new one.
	w.must(t, w.meti, func(tx pgx.Tx) error {
		return postgres.Return(w.ctx, tx, w.meti, id, "再確認してください", nil, "test")
	})
	err = w.as(staff, func(tx pgx.Tx) error { return postgres.Resubmit(w.ctx, tx, staff, id, "test") })
	wantKijunError(t, err, kijun.EConflict, assessment.MsgNotConfirmed)
	w.must(t, w.userA, func(tx pgx.Tx) error {
		_, err := postgres.SignOff(w.ctx, tx, w.userA, id, assessment.SignOffConfirmed, "", "test")
		return err
	})
	w.must(t, staff, func(tx pgx.Tx) error { return postgres.Resubmit(w.ctx, tx, staff, id, "test") })
}

// kijun_assessments_signoff accepts a move to submitted exactly when
// assessment.CanSubmit does: every status, with no confirmation, a
// current one, one voided and a send-back (any writer but the system).
func TestSubmitNeedsCurrentSignOffInDatabase(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	id := w.assessmentOf(t, w.openCycle(t, 2027), w.opA)
	voided := time.Now()
	kinds := map[string]*assessment.SignOff{
		"none":      nil,
		"current":   {Decision: assessment.SignOffConfirmed},
		"voided":    {Decision: assessment.SignOffConfirmed, VoidedAt: &voided, VoidedWhy: assessment.VoidAnswerChanged},
		"sent back": {Decision: assessment.SignOffSentBack, Comment: "x"},
	}
	for _, from := range assessment.Statuses {
		for name, so := range kinds {
			// As the owner but not the system (which the trigger lets through).
			err := func(fn func(tx pgx.Tx) error) error {
				tx, err := w.db.Owner.Begin(w.ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer tx.Rollback(w.ctx)
				// The operator's session (the transition trigger asks who).
				if _, err := tx.Exec(w.ctx, `SELECT set_config('kijun.operators', $1, true)`, fmt.Sprintf("{%d}", w.opA)); err != nil {
					t.Fatal(err)
				}
				return fn(tx)
			}(func(tx pgx.Tx) error {
				if err := setUnguarded(tx, w, `UPDATE assessments SET status = $2, submitted_at = now(), accepted_at = now()
					WHERE id = $1`, id, string(from)); err != nil {
					t.Fatal(err)
				}
				var signoff *int64
				if so != nil {
					var sid int64
					if err := tx.QueryRow(w.ctx, `INSERT INTO assessment_signoffs (assessment_id, operator_id, sector_code, decision, comment,
							by_user, voided_at, voided_why)
						SELECT id, operator_id, sector_code, $2, $3, $4, $5, nullif($6, '') FROM assessments WHERE id = $1 RETURNING id`,
						id, string(so.Decision), so.Comment, w.userA.UserID, so.VoidedAt, string(so.VoidedWhy)).Scan(&sid); err != nil {
						t.Fatal(err)
					}
					signoff = &sid
				}
				_, err := tx.Exec(w.ctx, `UPDATE assessments SET status = 'submitted', signoff_id = $2 WHERE id = $1`, id, signoff)
				return err
			})
			want := assessment.CanSubmit(from, so) == ""
			if from == assessment.Submitted { // no move: the trigger lets it be
				want = true
			}
			switch {
			case err != nil && planPGCode(err) != "KJ019" && planPGCode(err) != "KJ003":
				t.Fatalf("%s with %s: %v", from, name, err)
			case (err == nil) != want:
				t.Errorf("%s → submitted with %s: the database accepts it: %v, CanSubmit: %v", from, name, err == nil, want)
			}
		}
	}
}

// TestServiceAccountsAreNoMembers: an API token's service account holds a
// grant of the operator, but work is never assigned to it and it is not
// offered as an assignee or deputy.
func TestServiceAccountsAreNoMembers(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	id := w.assessmentOf(t, w.openCycle(t, 2027), w.opA)
	var account int64
	w.must(t, w.userA, func(tx pgx.Tx) error {
		_, hash := identity.NewTokenSecret()
		now := time.Now()
		tokenID, err := postgres.IssueToken(w.ctx, tx, w.userA, identity.APIToken{Name: "grc", Role: identity.RoleOperatorStaff,
			OperatorID: w.opA, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, hash, "test")
		if err != nil {
			return err
		}
		return tx.QueryRow(w.ctx, `SELECT user_id FROM api_tokens WHERE id = $1`, tokenID).Scan(&account)
	})
	var members []postgres.Member
	w.must(t, w.userA, func(tx pgx.Tx) (err error) {
		members, err = postgres.OperatorMembers(w.ctx, tx, w.opA)
		return err
	})
	if len(members) == 0 {
		t.Fatal("no members of operator A")
	}
	for _, m := range members {
		if m.ID == account {
			t.Errorf("the token's service account is offered as a member: %+v", members)
		}
	}
	err := w.as(w.userA, func(tx pgx.Tx) error {
		_, err := postgres.Assign(w.ctx, tx, w.userA, postgres.AssignInput{AssessmentID: id, Section: "GV", AssigneeID: account,
			DueOn: w.db.Today(t).AddDate(0, 0, 7)}, "test")
		return err
	})
	if ps := assignmentProblems(t, err); ps["assignee"] != assessment.MsgAssignNotStaff {
		t.Errorf("assigning to a service account: %v", ps)
	}
}
