package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// sqlStatePlanCheck: a plan of a ministry that requires its internal check
// submitted without a current confirmation
// (kijun_plan_versions_internal_check, migration 000025).
const sqlStatePlanCheck = "KJ020"

// PlanCheckRequired reports whether ministry requires the internal check
// of its plans before they are submitted (plan.CanSubmit).
func PlanCheckRequired(ctx context.Context, q Querier, ministry string) (bool, error) {
	var required bool
	err := q.QueryRow(ctx, `SELECT required FROM ministry_plan_checks WHERE ministry_code = $1`, ministry).Scan(&required)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return required, err
}

// SetPlanCheck turns the ministry's internal check on or off (its admins;
// the caller asked the policy with the ministry), audited.
func SetPlanCheck(ctx context.Context, tx pgx.Tx, p *identity.Principal, ministry string, required bool, requestID string) error {
	i := slices.IndexFunc(p.AdminMinistries, func(m string) bool { return strings.EqualFold(m, ministry) })
	if i < 0 {
		return kijun.ErrNotFound
	}
	ministry = p.AdminMinistries[i]
	before, err := PlanCheckRequired(ctx, tx, ministry)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO ministry_plan_checks (ministry_code, required, set_by) VALUES ($1, $2, $3)
		ON CONFLICT (ministry_code) DO UPDATE SET required = EXCLUDED.required, set_by = EXCLUDED.set_by, set_at = now()`,
		ministry, required, nullInt(p.UserID)); err != nil {
		return planErr(err)
	}
	e := ActorOf(p, requestID)
	e.Action, e.ObjectType, e.ObjectID, e.MinistryCode = "plan.internal_check", "ministry", ministry, ministry
	return Audit(ctx, tx, e, map[string]any{"required": before}, map[string]any{"required": required})
}
