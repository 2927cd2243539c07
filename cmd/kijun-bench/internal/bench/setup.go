package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/pgboot"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/refdata"
	"github.com/kijun-portal/kijun/internal/synthetic"
)

// Database describes the bench database after Prepare.
type Database struct {
	OwnerURL, AppURL string
	Operators        int
	Cycles           int
	Seeded           bool          // generated in this run
	SeedTime         time.Duration // of the synthetic seed, when Seeded
	Result           synthetic.Result
}

// Prepare finds or starts PostgreSQL as make dev does, and makes sure the
// database name holds operators × cycles of synthetic data: an existing
// one with exactly that much is reused unless reseed; otherwise it is
// dropped, created, migrated, seeded and filled.
func Prepare(ctx context.Context, dataDir, name string, operators, cycles int, seed uint64, reseed bool, logf func(string, ...any)) (Database, error) {
	d := Database{Operators: operators, Cycles: cycles}
	admin, err := pgboot.AdminURL(ctx, dataDir)
	if err != nil {
		return d, err
	}
	d.OwnerURL, d.AppURL, err = pgboot.EnsureDatabase(ctx, admin, name)
	if err != nil {
		return d, err
	}
	if !reseed {
		var ops, cys int
		c, err := pgx.Connect(ctx, d.OwnerURL)
		if err != nil {
			return d, err
		}
		err = c.QueryRow(ctx, `SELECT (SELECT count(*) FROM operators WHERE name_en LIKE '%'||$1),
			(SELECT count(*) FROM cycles)`, synthetic.Marker).Scan(&ops, &cys)
		c.Close(ctx)
		if err == nil && ops == operators && cys == cycles {
			logf("reusing database %s (%d synthetic operators × %d cycles; -reseed to regenerate)", name, ops, cys)
			return d, migrateUp(ctx, d.OwnerURL) // to this binary's schema
		}
	}
	logf("creating database %s", name)
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		return d, err
	}
	_, err = c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	c.Close(ctx)
	if err != nil {
		return d, err
	}
	if d.OwnerURL, d.AppURL, err = pgboot.EnsureDatabase(ctx, admin, name); err != nil {
		return d, err
	}
	if err := migrateUp(ctx, d.OwnerURL); err != nil {
		return d, err
	}
	db, err := postgres.Open(ctx, d.OwnerURL)
	if err != nil {
		return d, err
	}
	defer db.Close()
	if err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if err := refdata.Seed(ctx, tx); err != nil {
			return err
		}
		_, err := postgres.SeedBaseline(ctx, tx)
		return err
	}); err != nil {
		return d, err
	}
	logf("generating %d operators × %d cycles (kijun seed --synthetic)", operators, cycles)
	start := time.Now()
	d.Result, err = synthetic.Generate(ctx, db, synthetic.Config{Operators: operators, Cycles: cycles, Seed: seed, Log: logf})
	if err != nil {
		return d, fmt.Errorf("synthetic seed: %w", err)
	}
	d.Seeded, d.SeedTime = true, time.Since(start)
	logf("synthetic seed: %d answers in %s", d.Result.Answers, d.SeedTime.Round(time.Second))
	return d, nil
}

func migrateUp(ctx context.Context, ownerURL string) error {
	db, err := postgres.Open(ctx, ownerURL)
	if err != nil {
		return err
	}
	defer db.Close()
	return postgres.MigrateUp(ctx, db)
}
