package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// Tenant is whose an assessment is: all the policy needs to decide on it.
type Tenant struct {
	OperatorID int64
	SectorCode string
}

// ErrTenantMoved is SaveAnswerAs's refusal when the assessment is not (or
// no longer, or not visibly to the principal) the tenant the caller's
// policy decided on: ask AssessmentTenant again.
var ErrTenantMoved = errors.New("postgres: the assessment is not the tenant the policy decided on")

const sqlStateTenantMoved = "KJ011"

// AssessmentTenant returns the tenant of an assessment p may see: all the
// policy needs on the hot path of saving one answer, where GetAssessment's
// progress counts would be wasted work. It reads in one round trip of its
// own (QueryRowAs), so that the autosave can ask the policy before it
// sends the save.
func AssessmentTenant(ctx context.Context, db *pgxpool.Pool, p *kijun.Principal, id int64) (Tenant, error) {
	var t Tenant
	err := QueryRowAs(ctx, db, p, `SELECT operator_id, sector_code FROM assessments WHERE id = $1`, id).Scan(&t.OperatorID, &t.SectorCode)
	if errors.Is(err, pgx.ErrNoRows) {
		return Tenant{}, kijun.ErrNotFound
	}
	return t, err
}
