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
