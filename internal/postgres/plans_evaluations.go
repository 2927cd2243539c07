package postgres

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/plan"
)

// The NCO's evaluations (評価・改善) of each ministry's sectors per fiscal
// year. RLS: the NCO reads and writes all; a ministry reads its own once
// published and writes only its response (kijun_plan_evaluations_guard).

const evaluationColumns = `e.id, e.ministry_code, e.sector_code, e.fiscal_year, coalesce(e.plan_id, 0), e.findings,
	e.good_practices, e.improvement_requests, e.rating, e.status = 'published', e.published_at, e.response,
	e.responded_at, e.responded_by, e.edits, e.updated_at, e.respond_by, ` + todaySQL

func scanEvaluation(r pgx.CollectableRow) (plan.Evaluation, error) {
	var e plan.Evaluation
	var fy int
	var today time.Time
	err := r.Scan(&e.ID, &e.MinistryCode, &e.SectorCode, &fy, &e.PlanID, &e.Findings, &e.GoodPractices,
		&e.ImprovementRequests, &e.Rating, &e.Published, &e.PublishedAt, &e.Response, &e.RespondedAt, &e.RespondedBy,
		&e.Edits, &e.UpdatedAt, &e.RespondBy, &today)
	e.FiscalYear = kijun.FiscalYear(fy)
	if e.RespondBy != nil {
		d := assessment.Day(*e.RespondBy)
		e.RespondBy = &d
	}
	e.Overdue = e.ResponseOverdue(assessment.Day(today))
	return e, err
}

// ListEvaluations returns the evaluations the principal sees, of fiscal
// year fy (0: all), by year, ministry and sector.
func ListEvaluations(ctx context.Context, tx pgx.Tx, fy kijun.FiscalYear) ([]plan.Evaluation, error) {
	rows, _ := tx.Query(ctx, `SELECT `+evaluationColumns+` FROM plan_evaluations e
		JOIN ministries m ON m.code = e.ministry_code JOIN sectors s ON s.code = e.sector_code
		WHERE ($1 = 0 OR e.fiscal_year = $1) ORDER BY e.fiscal_year DESC, m.sort_order, s.sort_order`, int(fy))
	return pgx.CollectRows(rows, scanEvaluation)
}

// GetEvaluation returns one evaluation the principal sees.
func GetEvaluation(ctx context.Context, tx pgx.Tx, id int64) (plan.Evaluation, error) {
	rows, _ := tx.Query(ctx, `SELECT `+evaluationColumns+` FROM plan_evaluations e WHERE e.id = $1`, id)
	e, err := pgx.CollectExactlyOneRow(rows, scanEvaluation)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, kijun.ErrNotFound
	}
	return e, err
}

func evaluationEvent(p *identity.Principal, requestID, action string, e plan.Evaluation) audit.Event {
	ev := ActorOf(p, requestID)
	ev.Action, ev.ObjectType, ev.ObjectID = action, "evaluation", strconv.FormatInt(e.ID, 10)
	ev.MinistryCode, ev.SectorCode = e.MinistryCode, e.SectorCode
	return ev
}

// CheckEvaluation returns the problems of an evaluation's texts.
func CheckEvaluation(e plan.Evaluation) []plan.FieldProblem {
	var ps []plan.FieldProblem
	add := func(field, id string) { ps = append(ps, plan.FieldProblem{Field: field, MessageID: id}) }
	if e.Rating != "" && !slices.Contains(plan.EvaluationRatings, e.Rating) {
		add("rating", "plans.error.rating")
	}
	for f, s := range map[string]string{"findings": e.Findings, "good_practices": e.GoodPractices,
		"improvement_requests": e.ImprovementRequests, "response": e.Response} {
		if id := kijun.CheckText(s, plan.MaxEvalText, "plans.error.too_long"); id != "" {
			add(f, id)
		}
	}
	return ps
}

// CreateEvaluation starts the NCO's evaluation of a ministry's sector for
// a fiscal year, linked to the ministry's plan covering it if there is one.
func CreateEvaluation(ctx context.Context, tx pgx.Tx, p *identity.Principal, e plan.Evaluation, requestID string) (int64, error) {
	if !p.NCO {
		return 0, kijun.Errorf(kijun.EForbidden, msgPlanForbidden, nil)
	}
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM sector_oversight WHERE ministry_code = $1 AND sector_code = $2)`,
		e.MinistryCode, e.SectorCode).Scan(&ok); err != nil {
		return 0, err
	}
	var ps []plan.FieldProblem
	if !ok {
		ps = append(ps, plan.FieldProblem{Field: "sector", MessageID: msgPlanSectors})
	}
	if e.FiscalYear < 2019 || e.FiscalYear > 2200 {
		ps = append(ps, plan.FieldProblem{Field: "fiscal_year", MessageID: msgPlanPeriod})
	}
	ps = append(ps, CheckEvaluation(e)...)
	if len(ps) > 0 {
		return 0, kijun.Errorf(kijun.EInvalid, msgPlanInvalid, map[string]any{"Problems": ps})
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM plan_evaluations WHERE ministry_code = $1 AND sector_code = $2 AND fiscal_year = $3)`,
		e.MinistryCode, e.SectorCode, int(e.FiscalYear)).Scan(&exists); err != nil {
		return 0, err
	}
	if exists {
		return 0, kijun.Errorf(kijun.EConflict, "plans.error.evaluation_exists", nil)
	}
	err := tx.QueryRow(ctx, `INSERT INTO plan_evaluations (ministry_code, sector_code, fiscal_year, plan_id, findings,
			good_practices, improvement_requests, rating)
		VALUES ($1, $2, $3, (SELECT id FROM plans WHERE ministry_code = $1 AND $2 = ANY (sector_codes)
			AND $3 BETWEEN period_start AND period_end ORDER BY period_start DESC LIMIT 1), $4, $5, $6, $7) RETURNING id`,
		e.MinistryCode, e.SectorCode, int(e.FiscalYear), strings.TrimSpace(e.Findings), strings.TrimSpace(e.GoodPractices),
		strings.TrimSpace(e.ImprovementRequests), string(e.Rating)).Scan(&e.ID)
	if err != nil {
		return 0, planErr(err)
	}
	return e.ID, Audit(ctx, tx, evaluationEvent(p, requestID, "evaluation.create", e), nil, e)
}

// UpdateEvaluation replaces the NCO's texts and rating, if still at edits.
func UpdateEvaluation(ctx context.Context, tx pgx.Tx, p *identity.Principal, e plan.Evaluation, edits int, requestID string) error {
	if !p.NCO {
		return kijun.Errorf(kijun.EForbidden, msgPlanForbidden, nil)
	}
	if ps := CheckEvaluation(e); len(ps) > 0 {
		return kijun.Errorf(kijun.EInvalid, msgPlanInvalid, map[string]any{"Problems": ps})
	}
	before, err := GetEvaluation(ctx, tx, e.ID)
	if err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `UPDATE plan_evaluations SET findings = $3, good_practices = $4, improvement_requests = $5,
			rating = $6, edits = edits + 1, updated_at = now() WHERE id = $1 AND edits = $2`,
		e.ID, edits, strings.TrimSpace(e.Findings), strings.TrimSpace(e.GoodPractices), strings.TrimSpace(e.ImprovementRequests), string(e.Rating))
	if err != nil {
		return planErr(err)
	}
	if tag.RowsAffected() == 0 {
		return kijun.Errorf(kijun.EConflict, msgPlanConflict, nil)
	}
	after := before
	after.Findings, after.GoodPractices, after.ImprovementRequests, after.Rating = e.Findings, e.GoodPractices, e.ImprovementRequests, e.Rating
	return Audit(ctx, tx, evaluationEvent(p, requestID, "evaluation.update", before), before, after)
}

// PublishEvaluation shows the evaluation to its ministry; it needs a
// rating. respondBy, if not nil, is by when the ministry answers
// (plan.CheckRespondBy at now, the caller's clock).
func PublishEvaluation(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64, respondBy *time.Time, now time.Time, requestID string) error {
	if !p.NCO {
		return kijun.Errorf(kijun.EForbidden, msgPlanForbidden, nil)
	}
	e, err := GetEvaluation(ctx, tx, id)
	if err != nil {
		return err
	}
	if e.Published {
		return kijun.Errorf(kijun.EConflict, msgPlanTransition, nil)
	}
	if e.Rating == "" {
		return kijun.Errorf(kijun.EInvalid, "plans.error.rating", nil)
	}
	var by *string
	if respondBy != nil {
		if ps := plan.CheckRespondBy(e.FiscalYear, *respondBy, now); len(ps) > 0 {
			return kijun.Errorf(kijun.EInvalid, msgPlanInvalid, map[string]any{"Problems": ps})
		}
		d := kijun.ISODate(*respondBy)
		by = &d
	}
	if _, err := tx.Exec(ctx, `UPDATE plan_evaluations SET status = 'published', published_at = now(), updated_at = now(),
			respond_by = $2::date
		WHERE id = $1`, id, by); err != nil {
		return planErr(err)
	}
	after := map[string]string{"status": "published"}
	if by != nil {
		after["respond_by"] = *by
	}
	return Audit(ctx, tx, evaluationEvent(p, requestID, "evaluation.publish", e), map[string]string{"status": "draft"}, after)
}

// RespondEvaluation records the ministry's answer to a published evaluation.
func RespondEvaluation(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64, response, requestID string) error {
	e, err := GetEvaluation(ctx, tx, id)
	if err != nil {
		return err
	}
	if !containsFold(p.Ministries, e.MinistryCode) || !e.Published {
		return kijun.ErrNotFound
	}
	response = strings.TrimSpace(response)
	if response == "" || len([]rune(response)) > plan.MaxEvalText {
		return kijun.Errorf(kijun.EInvalid, "plans.error.response", nil)
	}
	if id := kijun.TextProblem(response); id != "" {
		return kijun.Errorf(kijun.EInvalid, id, nil)
	}
	if _, err := tx.Exec(ctx, `UPDATE plan_evaluations SET response = $2, responded_at = now(), responded_by = $3, updated_at = now()
		WHERE id = $1`, id, response, p.Name); err != nil {
		return planErr(err)
	}
	return Audit(ctx, tx, evaluationEvent(p, requestID, "evaluation.respond", e), map[string]string{"response": e.Response},
		map[string]string{"response": response})
}
