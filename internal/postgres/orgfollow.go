package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/plan"
)

// What waits for an internal check (社内確認), for the home page's to-do
// (docs/assessment.md, "Inside the operator"; docs/plans.md, "The
// ministry's internal check"). Callers narrow the rows to those the
// policy lets the reader check.

// AssessmentsAwaitingCheck lists the assessments of operators, in every
// cycle still open, that wait for their internal check: the operator
// still edits them, they have assignments, every one is ready (what
// assessment.signoff_waiting tells), and no confirmation holds. Oldest
// fiscal year first.
func AssessmentsAwaitingCheck(ctx context.Context, tx pgx.Tx, operators []int64) ([]assessment.Assessment, error) {
	if len(operators) == 0 {
		return nil, nil
	}
	rows, _ := tx.Query(ctx, `SELECT `+assessmentColumns+assessmentFrom+`
		WHERE a.operator_id = ANY ($1) AND c.status = 'open' AND a.status IN ('not_started', 'in_progress', 'returned')
		AND EXISTS (SELECT FROM assessment_assignments x WHERE x.assessment_id = a.id)
		AND NOT EXISTS (SELECT FROM assessment_assignments x WHERE x.assessment_id = a.id AND x.ready_at IS NULL)
		AND NOT EXISTS (SELECT FROM assessment_signoffs s WHERE s.assessment_id = a.id AND s.decision = 'confirmed' AND s.voided_at IS NULL)
		ORDER BY c.fiscal_year, o.name_ja, a.id`, operators)
	return pgx.CollectRows(rows, scanAssessment)
}

// PlansAwaitingCheck lists the plans of ministries, of every period,
// whose latest version is a draft whose internal check was asked for and
// not yet decided, while the ministry requires the check.
func PlansAwaitingCheck(ctx context.Context, tx pgx.Tx, ministries []string) ([]plan.Plan, error) {
	var out []plan.Plan
	for _, m := range ministries {
		required, err := PlanCheckRequired(ctx, tx, m)
		if err != nil {
			return nil, err
		}
		if !required {
			continue
		}
		list, err := ListPlans(ctx, tx, PlanFilter{Ministry: m, Status: plan.Draft})
		if err != nil {
			return nil, err
		}
		for _, pl := range list {
			if pl.LatestStatus == plan.Draft && pl.CheckStep == plan.SignOffRequested {
				out = append(out, pl)
			}
		}
	}
	return out, nil
}
