package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// AssessmentTenant returns the operator and sector of an assessment the
// principal may see: all the policy needs on the hot path of saving one
// answer, where GetAssessment's progress counts would be wasted work.
func AssessmentTenant(ctx context.Context, tx pgx.Tx, id int64) (operatorID int64, sector string, err error) {
	err = tx.QueryRow(ctx, `SELECT operator_id, sector_code FROM assessments WHERE id = $1`, id).Scan(&operatorID, &sector)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", kijun.ErrNotFound
	}
	return operatorID, sector, err
}
