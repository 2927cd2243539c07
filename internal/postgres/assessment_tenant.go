package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// AssessmentTenant returns the operator and sector of an assessment p may
// see: all the policy needs on the hot path of saving one answer, where
// GetAssessment's progress counts would be wasted work. It reads in one
// round trip of its own (QueryRowAs), so that the autosave can ask the
// policy before it sends the save.
func AssessmentTenant(ctx context.Context, db *pgxpool.Pool, p *kijun.Principal, id int64) (operatorID int64, sector string, err error) {
	err = QueryRowAs(ctx, db, p, `SELECT operator_id, sector_code FROM assessments WHERE id = $1`, id).Scan(&operatorID, &sector)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", kijun.ErrNotFound
	}
	return operatorID, sector, err
}
