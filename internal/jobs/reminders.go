package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/postgres"
)

// RemindersName is the reminder job's name in job_runs.
const RemindersName = "reminders"

// Reminders is the daily job (09:00 JST, once across instances) that
// sends the day's reminders of every open cycle (postgres.SendDueReminders):
// the day is the period's date in Japan, so a period run late, or again,
// reminds for its own day and never twice.
func Reminders() Job {
	return Job{Name: RemindersName, Every: 24 * time.Hour, At: 0,
		Run: func(ctx context.Context, tx pgx.Tx, period time.Time) (any, error) {
			n, err := postgres.SendDueReminders(ctx, tx, period)
			return map[string]int{"assessments": n}, err
		}}
}
