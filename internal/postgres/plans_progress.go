package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/plan"
)

// Live progress of a plan: every figure is read from assessment_rollups
// (written at submit and accept), never from answers,
// for the operators the plan's scope selects now, in the latest cycle.

// LatestCycle returns the newest cycle (by fiscal year), or 0.
func LatestCycle(ctx context.Context, q Querier) (int64, kijun.FiscalYear, error) {
	var id int64
	var fy int
	err := q.QueryRow(ctx, `SELECT id, fiscal_year FROM cycles ORDER BY fiscal_year DESC, id DESC LIMIT 1`).Scan(&id, &fy)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, nil
	}
	return id, kijun.FiscalYear(fy), err
}

// ComputePlanProgress works out v's KPIs and per-section figures for the
// operators its scope selects in sectors, from the rollups of the latest
// cycle, as of now.
func ComputePlanProgress(ctx context.Context, tx pgx.Tx, sectors []string, v *plan.Version, now time.Time) (plan.Progress, error) {
	cycleID, fy, err := LatestCycle(ctx, tx)
	if err != nil {
		return plan.Progress{}, err
	}
	return ComputePlanProgressIn(ctx, tx, cycleID, fy, sectors, v, now)
}

// ComputePlanProgressIn is ComputePlanProgress on a given cycle (0: none),
// as the annual report reads its year's.
func ComputePlanProgressIn(ctx context.Context, tx pgx.Tx, cycleID int64, fy kijun.FiscalYear, sectors []string, v *plan.Version, now time.Time) (plan.Progress, error) {
	pr := plan.Progress{CycleID: cycleID, FiscalYear: fy}
	var err error
	scope := mustJSON(v.Scope)
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM kijun_plan_scope_operators($1, $2)`, sectors, scope).Scan(&pr.Operators); err != nil {
		return pr, err
	}
	for _, k := range v.KPIs {
		kp := plan.KPIProgress{KPI: k, Operators: pr.Operators}
		kind, key := assessment.RollupSection, k.Key
		if k.Key == "" || k.Metric == plan.KPISubmitted {
			kind, key = assessment.RollupOverall, ""
		}
		if pr.CycleID != 0 {
			err := tx.QueryRow(ctx, `SELECT count(DISTINCT r.operator_id) FILTER (WHERE CASE $5
					WHEN 'implemented' THEN r.applicable > 0 AND r.implemented = r.applicable
					WHEN 'score' THEN r.score >= $6::numeric / 100
					ELSE true END)
				FROM assessment_rollups r
				WHERE r.cycle_id = $1 AND r.kind = $3 AND r.key = $4
				  AND r.operator_id IN (SELECT kijun_plan_scope_operators($2, $7))`,
				pr.CycleID, sectors, kind, key, string(k.Metric), k.Threshold, scope).Scan(&kp.Meeting)
			if err != nil {
				return pr, err
			}
		}
		if pr.CycleID != 0 && kp.Operators > 0 {
			pct := float64(kp.Meeting) * 100 / float64(kp.Operators)
			kp.Percent = &pct
		}
		kp.State = kpiState(kp, now)
		pr.KPIs = append(pr.KPIs, kp)
	}
	if pr.CycleID == 0 {
		return pr, nil
	}
	rows, _ := tx.Query(ctx, `SELECT r.key, count(*), count(*) FILTER (WHERE r.applicable > 0 AND r.implemented = r.applicable),
			avg(r.score)::float8
		FROM assessment_rollups r JOIN baseline_sections b ON b.code = r.key
		WHERE r.cycle_id = $1 AND r.kind = 'section' AND r.operator_id IN (SELECT kijun_plan_scope_operators($2, $3))
		GROUP BY r.key, b.sort_order ORDER BY b.sort_order`, pr.CycleID, sectors, scope)
	pr.Sections, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (plan.SectionFigure, error) {
		var f plan.SectionFigure
		err := r.Scan(&f.Section, &f.Submitted, &f.Implemented, &f.AvgScore)
		return f, err
	})
	return pr, err
}

func kpiState(kp plan.KPIProgress, now time.Time) string {
	if kp.Percent == nil {
		return plan.KPINoData
	}
	switch {
	case *kp.Percent >= float64(kp.Target):
		return plan.KPIAchieved
	case !kp.Due.Time().IsZero() && now.After(kp.Due.Time().AddDate(0, 0, 1)):
		return plan.KPIMissed
	}
	return plan.KPIInProgress
}
