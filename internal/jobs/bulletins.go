package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/postgres"
)

// BulletinAcksName is the acknowledgement reminder job's name in job_runs.
const BulletinAcksName = "bulletin-acks"

// BulletinAcks is the daily job (once across instances) that first gives
// the bulletins still asking for an acknowledgement to operators that
// entered their audience since publication (postgres.
// DeliverToLaterOperators), then tells the recipients of a bulletin that
// have not acknowledged it, on the day its acknowledgement is due
// (postgres.SendBulletinAckReminders): the day is the period's date in
// Japan, so a period run late, or again, reminds for its own day and
// never twice.
func BulletinAcks() Job {
	return Job{Name: BulletinAcksName, Every: 24 * time.Hour, At: 0,
		Run: func(ctx context.Context, tx pgx.Tx, period time.Time) (any, error) {
			late, err := postgres.DeliverToLaterOperators(ctx, tx, period)
			if err != nil {
				return nil, err
			}
			n, err := postgres.SendBulletinAckReminders(ctx, tx, period)
			return map[string]int{"recipients": n, "later_recipients": late}, err
		}}
}
