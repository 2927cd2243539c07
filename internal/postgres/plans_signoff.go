package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/plan"
)

// The ministry's internal check of a plan draft (docs/plans.md, "The
// ministry's internal check"; the rules are internal/plan/signoff.go):
// staff ask for it, an admin confirms or sends back for rework, any edit
// voids a confirmation (the database's triggers), and SubmitPlan names
// the current confirmation when the ministry requires one.

// ListPlanSignOffs returns the steps of a version's internal check,
// newest first.
func ListPlanSignOffs(ctx context.Context, q Querier, versionID int64) ([]plan.SignOff, error) {
	rows, _ := q.Query(ctx, `SELECT id, version_id, step, comment, by_user, by_name, at, voided_at, coalesce(voided_why, '')
		FROM plan_signoffs WHERE version_id = $1 ORDER BY id DESC`, versionID)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (plan.SignOff, error) {
		var s plan.SignOff
		err := r.Scan(&s.ID, &s.VersionID, &s.Step, &s.Comment, &s.ByID, &s.ByName, &s.At, &s.VoidedAt, &s.VoidedWhy)
		return s, err
	})
}

// signOffHead reads the plan's latest version, locked, with whether its
// ministry requires the check and where the check stands.
func signOffHead(ctx context.Context, tx pgx.Tx, p *identity.Principal, planID int64) (h planHead, required bool, state plan.CheckState, steps []plan.SignOff, err error) {
	if h, err = readPlanHead(ctx, tx, planID, "FOR UPDATE"); err != nil {
		return
	}
	if !containsFold(p.Ministries, h.Ministry) {
		err = kijun.ErrNotFound
		return
	}
	if required, err = PlanCheckRequired(ctx, tx, h.Ministry); err != nil {
		return
	}
	if steps, err = ListPlanSignOffs(ctx, tx, h.VersionID); err != nil {
		return
	}
	state, _ = plan.StateOf(steps)
	return
}

func insertPlanSignOff(ctx context.Context, tx pgx.Tx, p *identity.Principal, h planHead, step plan.SignOffStep, comment string) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO plan_signoffs (version_id, ministry_code, step, comment, by_user, by_name)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, h.VersionID, h.Ministry, string(step), comment, p.UserID, p.Name).Scan(&id)
	return id, planErr(err)
}

// RequestPlanSignOff asks the ministry's admins to check the plan's draft
// (plan.CanRequest), audited as plan.signoff.request.
func RequestPlanSignOff(ctx context.Context, tx pgx.Tx, p *identity.Principal, planID int64, requestID string) error {
	h, required, state, _, err := signOffHead(ctx, tx, p, planID)
	if err != nil {
		return err
	}
	if m := plan.CanRequest(required, h.Status, state); m != "" {
		return kijun.Errorf(kijun.EConflict, m, nil)
	}
	id, err := insertPlanSignOff(ctx, tx, p, h, plan.SignOffRequested, "")
	if err != nil {
		return err
	}
	return Audit(ctx, tx, h.event(p, requestID, "plan.signoff.request"), map[string]any{"state": state},
		map[string]any{"state": plan.CheckRequested, "signoff_id": id})
}

// DecidePlanSignOff records an admin's decision on the check asked for
// (plan.CanDecide): confirmed, or sent back for rework with a comment.
// It returns who asked for the check (told of the decision). Audited as
// plan.signoff.confirm or plan.signoff.send_back.
func DecidePlanSignOff(ctx context.Context, tx pgx.Tx, p *identity.Principal, planID int64, step plan.SignOffStep, comment, requestID string) (askedBy int64, err error) {
	h, required, state, steps, err := signOffHead(ctx, tx, p, planID)
	if err != nil {
		return 0, err
	}
	if !containsFold(p.AdminMinistries, h.Ministry) {
		return 0, kijun.Errorf(kijun.EForbidden, msgPlanForbidden, nil)
	}
	comment = strings.TrimSpace(comment)
	if m := plan.CanDecide(required, h.Status, state, step, comment); m != "" {
		code := kijun.EConflict
		if m == plan.MsgCheckComment || m == plan.MsgCheckDecision {
			code = kijun.EInvalid
		}
		return 0, kijun.Errorf(code, m, nil)
	}
	if len([]rune(comment)) > plan.MaxComment {
		return 0, kijun.Errorf(kijun.EInvalid, "plans.signoff.error.comment_long", map[string]any{"Max": plan.MaxComment})
	}
	if m := kijun.TextProblem(comment); m != "" {
		return 0, kijun.Errorf(kijun.EInvalid, m, nil)
	}
	for _, s := range steps { // newest first: the request decided on
		if s.Step == plan.SignOffRequested {
			askedBy = s.ByID
			break
		}
	}
	id, err := insertPlanSignOff(ctx, tx, p, h, step, comment)
	if err != nil {
		return 0, err
	}
	action := map[plan.SignOffStep]string{plan.SignOffConfirmed: "plan.signoff.confirm", plan.SignOffSentBack: "plan.signoff.send_back"}[step]
	return askedBy, Audit(ctx, tx, h.event(p, requestID, action), map[string]any{"state": state},
		map[string]any{"state": step, "signoff_id": id, "comment": comment})
}

// currentPlanSignOff returns the version's confirmation that still holds,
// or nil.
func currentPlanSignOff(ctx context.Context, q Querier, versionID int64) (*plan.SignOff, error) {
	steps, err := ListPlanSignOffs(ctx, q, versionID)
	if err != nil {
		return nil, err
	}
	_, cur := plan.StateOf(steps)
	return cur, nil
}
