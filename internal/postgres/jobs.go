package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// DeadJob is a job river gave up on (state discarded: its attempts ran
// out, or it was cancelled as unworkable).
type DeadJob struct {
	ID          int64
	Kind        string
	Args        string // JSON: ids and periods, never tenant data
	Attempts    int
	MaxAttempts int
	Errors      []string // the last attempts' errors, newest first
	FinalizedAt time.Time
}

// ListDeadJobs lists the newest discarded jobs, at most limit.
func ListDeadJobs(ctx context.Context, tx pgx.Tx, limit int) ([]DeadJob, error) {
	rows, err := tx.Query(ctx, `SELECT id, kind, args::text, attempt, max_attempts,
			ARRAY(SELECT e->>'error' FROM unnest(errors) WITH ORDINALITY AS x(e, n) ORDER BY n DESC LIMIT 3),
			coalesce(finalized_at, scheduled_at)
		FROM river_job WHERE state = 'discarded' ORDER BY finalized_at DESC NULLS LAST, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (DeadJob, error) {
		var j DeadJob
		err := r.Scan(&j.ID, &j.Kind, &j.Args, &j.Attempts, &j.MaxAttempts, &j.Errors, &j.FinalizedAt)
		return j, err
	})
}
