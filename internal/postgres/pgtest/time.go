package pgtest

import (
	"context"
	"testing"
	"time"
)

// Await returns once cond, a query of one boolean run as the owner, is
// true. A test waits for what it waits for (a backend waiting for a lock
// or for its client, a row written) and never for a fixed time; after
// fifteen seconds without it the test fails, saying what it awaited.
func (db *DB) Await(t testing.TB, what, cond string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		var ok bool
		if err := db.Owner.QueryRow(ctx, cond, args...).Scan(&ok); err != nil {
			t.Fatalf("awaiting %s: %v", what, err)
		}
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("gave up awaiting %s", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Today is the date in Japan by the database's clock. The database
// decides what is overdue (a cycle's due date passed) by its own clock, so
// a fixture that wants a cycle not yet due, or past due, dates it from
// here: no test then depends on the day it runs.
func (db *DB) Today(t testing.TB) time.Time {
	t.Helper()
	var d time.Time
	if err := db.Owner.QueryRow(context.Background(), `SELECT (now() AT TIME ZONE 'Asia/Tokyo')::date`).Scan(&d); err != nil {
		t.Fatal(err)
	}
	return d
}
