package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/plan"
)

// Deadlines (docs/deadlines.md): a ministry's extension of one
// operator's due date. The rule is assessment.CheckExtension; RLS and the
// trigger kijun_assessments_due_by_overseer let only the ministry
// overseeing the sector write it.

// MsgExtendInvalid is the refusal of an extension; its argument Problems
// ([]assessment.Problem) says what, by field.
const MsgExtendInvalid = "asmui.extend.error.invalid"

// ExtendDue moves assessment id's due date to due, with reason, for the
// ministry overseeing its sector; now is the caller's clock (the new date
// may not be before today). It writes the assessment's due date, the
// extension's row and the audit event in tx, and returns the assessment
// as it was before and the extension.
func ExtendDue(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64, due time.Time, reason string, now time.Time, requestID string) (assessment.Assessment, assessment.Extension, error) {
	var x assessment.Extension
	h, err := readHead(ctx, tx, id, "FOR UPDATE")
	if err != nil {
		return assessment.Assessment{}, x, err
	}
	if !p.OverseesSector(h.SectorCode) {
		return assessment.Assessment{}, x, errAsmForbidden
	}
	a, err := GetAssessment(ctx, tx, id)
	if err != nil {
		return a, x, err
	}
	if ps := assessment.CheckExtension(a.FiscalYear, a.Status, a.DueOn, due, reason, now); len(ps) > 0 {
		return a, x, kijun.Errorf(kijun.EInvalid, MsgExtendInvalid, map[string]any{"Problems": ps})
	}
	x = assessment.Extension{AssessmentID: id, PreviousDue: a.DueOn, DueOn: assessment.Day(due),
		Reason: strings.TrimSpace(reason), GrantedBy: p.UserID, GrantedByName: p.Name}
	day := func(t time.Time) string { return kijun.ISODate(t) }
	if _, err := tx.Exec(ctx, `UPDATE assessments SET due_on = $2::date WHERE id = $1`, id, day(x.DueOn)); err != nil {
		return a, x, asmErr(err)
	}
	if err := tx.QueryRow(ctx, `INSERT INTO assessment_extensions (assessment_id, operator_id, sector_code, previous_due, due_on,
			reason, granted_by, granted_by_name)
		VALUES ($1, $2, $3, $4::date, $5::date, $6, $7, left($8, 200)) RETURNING id, granted_at`,
		id, h.OperatorID, h.SectorCode, day(x.PreviousDue), day(x.DueOn), x.Reason, p.UserID, p.Name).Scan(&x.ID, &x.GrantedAt); err != nil {
		return a, x, asmErr(err)
	}
	return a, x, Audit(ctx, tx, h.event(p, requestID, "assessment.extend", "assessment", ""),
		map[string]any{"due_on": day(x.PreviousDue)}, map[string]any{"due_on": day(x.DueOn), "reason": x.Reason})
}

// ListExtensions returns the extensions of an assessment the principal
// sees, oldest first.
func ListExtensions(ctx context.Context, tx pgx.Tx, assessmentID int64) ([]assessment.Extension, error) {
	rows, _ := tx.Query(ctx, `SELECT id, assessment_id, previous_due, due_on, reason, granted_by, granted_by_name, granted_at
		FROM assessment_extensions WHERE assessment_id = $1 ORDER BY granted_at, id`, assessmentID)
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[assessment.Extension])
	for i := range list {
		list[i].PreviousDue, list[i].DueOn = assessment.Day(list[i].PreviousDue), assessment.Day(list[i].DueOn)
	}
	return list, err
}

// SetPlanDeadline sets by when the ministries submit their plans covering
// fiscal year fy (the NCO), checked by plan.CheckPlanDeadline at now.
func SetPlanDeadline(ctx context.Context, tx pgx.Tx, p *identity.Principal, fy kijun.FiscalYear, due, now time.Time, requestID string) error {
	if !p.NCO {
		return kijun.Errorf(kijun.EForbidden, msgPlanForbidden, nil)
	}
	if ps := plan.CheckPlanDeadline(fy, due, now); len(ps) > 0 {
		return kijun.Errorf(kijun.EInvalid, msgPlanInvalid, map[string]any{"Problems": ps})
	}
	var before *time.Time
	if err := tx.QueryRow(ctx, `SELECT (SELECT due_on FROM plan_deadlines WHERE fiscal_year = $1)`, int(fy)).Scan(&before); err != nil {
		return err
	}
	d := kijun.ISODate(due)
	if _, err := tx.Exec(ctx, `INSERT INTO plan_deadlines (fiscal_year, due_on, set_by) VALUES ($1, $2::date, $3)
		ON CONFLICT (fiscal_year) DO UPDATE SET due_on = excluded.due_on, set_by = excluded.set_by, set_at = now()`,
		int(fy), d, nullInt(p.UserID)); err != nil {
		return planErr(err)
	}
	ev := ActorOf(p, requestID)
	ev.Action, ev.ObjectType, ev.ObjectID = "plan.deadline.set", "plan_deadline", strconv.Itoa(int(fy))
	var old any
	if before != nil {
		old = map[string]string{"due_on": kijun.ISODate(assessment.Day(*before))}
	}
	return Audit(ctx, tx, ev, old, map[string]string{"due_on": d})
}

// ListPlanDeadlines returns the plan deadlines, latest fiscal year first.
func ListPlanDeadlines(ctx context.Context, tx pgx.Tx) ([]plan.PlanDeadline, error) {
	rows, _ := tx.Query(ctx, `SELECT fiscal_year, due_on FROM plan_deadlines ORDER BY fiscal_year DESC`)
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[plan.PlanDeadline])
	for i := range list {
		list[i].DueOn = assessment.Day(list[i].DueOn)
	}
	return list, err
}

// OverduePlans lists, for the ministries the principal answers for (the
// NCO: every ministry overseeing a sector), the fiscal years whose plan
// deadline has passed (by the database's today) while no version of a
// plan of the ministry covering the year has been submitted; years that
// have ended are left out. By year and ministry.
func OverduePlans(ctx context.Context, tx pgx.Tx) ([]plan.PlanOverdue, error) {
	rows, _ := tx.Query(ctx, `SELECT m.code, d.fiscal_year, d.due_on, `+todaySQL+` - d.due_on
		FROM plan_deadlines d CROSS JOIN ministries m
		WHERE NOT m.is_coordinator AND EXISTS (SELECT FROM sector_oversight o WHERE o.ministry_code = m.code)
			AND (kijun_nco() OR m.code = ANY (kijun_ministries()))
			AND d.due_on < `+todaySQL+` AND `+todaySQL+` <= make_date(d.fiscal_year + 1, 3, 31)
			AND NOT EXISTS (SELECT FROM plans pl JOIN plan_versions v ON v.plan_id = pl.id
				WHERE pl.ministry_code = m.code AND d.fiscal_year BETWEEN pl.period_start AND pl.period_end
					AND v.status <> 'draft')
		ORDER BY d.fiscal_year, m.sort_order`)
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[plan.PlanOverdue])
	for i := range list {
		list[i].DueOn = assessment.Day(list[i].DueOn)
	}
	return list, err
}

// OverdueEvaluations lists the published evaluations the principal sees
// whose answer is overdue (plan.Evaluation.ResponseOverdue at the
// database's today), oldest due first.
func OverdueEvaluations(ctx context.Context, tx pgx.Tx) ([]plan.Evaluation, error) {
	rows, _ := tx.Query(ctx, `SELECT `+evaluationColumns+` FROM plan_evaluations e
		WHERE e.status = 'published' AND e.response = '' AND e.respond_by < `+todaySQL+`
		ORDER BY e.respond_by, e.id`)
	return pgx.CollectRows(rows, scanEvaluation)
}
