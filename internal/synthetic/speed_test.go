package synthetic_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/synthetic"
)

// TestSpeed is a manual probe: SYNTHETIC_SPEED=2000 go test -run TestSpeed -v
func TestSpeed(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SYNTHETIC_SPEED"))
	if n == 0 {
		t.Skip("set SYNTHETIC_SPEED=N")
	}
	ctx := context.Background()
	for _, trig := range []bool{false, os.Getenv("SYNTHETIC_TRIGGERS") != ""}[:1+len(os.Getenv("SYNTHETIC_TRIGGERS"))%2] {
		db := pgtest.New(t)
		if err := pgx.BeginFunc(ctx, db.Owner, func(tx pgx.Tx) error { _, err := postgres.SeedBaseline(ctx, tx); return err }); err != nil {
			t.Fatal(err)
		}
		if os.Getenv("SYNTHETIC_NOIDX") != "" {
			if _, err := db.Owner.Exec(ctx, `DROP INDEX answers_sector; ALTER TABLE answers DROP CONSTRAINT answers_pkey`); err != nil {
				t.Fatal(err)
			}
		}
		res, err := synthetic.Generate(ctx, db.Owner, synthetic.Config{Operators: n, Cycles: 1, Triggers: trig, Log: t.Logf})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("triggers=%v: %d answers in %s (%.0f/s)", trig, res.Answers, res.Elapsed, float64(res.Answers)/res.Elapsed.Seconds())
	}
}
