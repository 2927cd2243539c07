//go:build dev

package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/demo"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// TestDevDataSeedsTwice: `kijun dev` seeds the demo operators and the
// workflow (published baseline, open cycle, a submitted and a started
// assessment) and changes nothing when it runs again.
func TestDevDataSeedsTwice(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	seed := func() {
		err := pgx.BeginFunc(ctx, db.Owner, func(tx pgx.Tx) error {
			if _, err := postgres.SeedBaseline(ctx, tx); err != nil {
				return err
			}
			if err := demo.Seed(ctx, tx); err != nil {
				return err
			}
			return demo.SeedWorkflow(ctx, tx, time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	count := func(sql string) int {
		var n int
		if err := db.Owner.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	seed()
	state := func() [4]int {
		return [4]int{count(`SELECT count(*) FROM cycles WHERE fiscal_year = 2026 AND status = 'open'`),
			count(`SELECT count(*) FROM assessments`),
			count(`SELECT count(*) FROM assessments WHERE status = 'submitted'`),
			count(`SELECT count(*) FROM answers`)}
	}
	first := state()
	if first[0] != 1 || first[1] != len(demo.Operators) || first[2] != 1 || first[3] < 100 {
		t.Fatalf("after seeding: cycles, assessments, submitted, answers = %v", first)
	}
	seed()
	if again := state(); again != first {
		t.Fatalf("seeding again changed %v → %v", first, again)
	}
	breaks, _, err := postgres.VerifyAudit(ctx, db.Owner)
	if err != nil || len(breaks) != 0 {
		t.Fatalf("audit chain after seeding: %v %v", breaks, err)
	}
}
