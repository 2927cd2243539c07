package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/postgres"
)

// CatalogsInForceName names the daily job that brings decided catalog
// versions into force on their 施行日.
const CatalogsInForceName = "catalogs-in-force"

// CatalogsInForce runs daily at 00:00 JST (15:00 UTC): every decided
// baseline version whose 施行日 has come comes into force, supersedes the
// version before it, and its catalog.published fan-out is queued
// (postgres.BringDecidedIntoForce).
func CatalogsInForce() Job {
	return Job{Name: CatalogsInForceName, Every: 24 * time.Hour, At: 15 * time.Hour,
		Run: func(ctx context.Context, tx pgx.Tx, period time.Time) (any, error) {
			ids, err := postgres.BringDecidedIntoForce(ctx, tx)
			return map[string]any{"catalogs": ids}, err
		}}
}
