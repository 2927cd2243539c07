package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// inserter is an insert-only river client: it needs no pool, only the
// transaction it inserts in (internal/jobs works the jobs).
var inserter = func() *river.Client[pgx.Tx] {
	c, err := river.NewClient(riverpgxv5.New(nil), &river.Config{})
	if err != nil {
		panic(err)
	}
	return c
}()

// Enqueue inserts jobs in tx, so that they exist exactly when the change
// of tx does. Each is unique by its arguments: a job already queued (or
// done and kept) is not inserted again.
func Enqueue(ctx context.Context, tx pgx.Tx, args ...river.JobArgs) error {
	if len(args) == 0 {
		return nil
	}
	ps := make([]river.InsertManyParams, len(args))
	for i, a := range args {
		ps[i] = river.InsertManyParams{Args: a, InsertOpts: &river.InsertOpts{MaxAttempts: 12, UniqueOpts: river.UniqueOpts{ByArgs: true}}}
	}
	_, err := inserter.InsertManyTx(ctx, tx, ps)
	return err
}
