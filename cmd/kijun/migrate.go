package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/config"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/refdata"
)

// ownerConfig parses the flags of a command that connects as the schema
// owner.
func ownerConfig(name string, args []string, extra ...func(*flag.FlagSet)) (config.Config, []string, error) {
	cfg := config.FromEnv()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	cfg.Flags(fs)
	for _, f := range extra {
		f(fs)
	}
	if err := fs.Parse(args); err != nil {
		return cfg, nil, err
	}
	if cfg.DatabaseURL == "" {
		return cfg, nil, fmt.Errorf("DATABASE_URL is not set: %s connects as the schema owner", name)
	}
	return cfg, fs.Args(), nil
}

func cmdMigrate(ctx context.Context, args []string) error {
	cfg, rest, err := ownerConfig("migrate", args)
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	switch {
	case len(rest) == 1 && rest[0] == "up":
		if err := postgres.MigrateUp(ctx, db); err != nil {
			return err
		}
	case len(rest) == 2 && rest[0] == "down":
		n, err := strconv.Atoi(rest[1])
		if err != nil || n < 1 {
			return fmt.Errorf("migrate down needs a positive number of steps, got %q", rest[1])
		}
		if err := postgres.MigrateDown(ctx, db, n); err != nil {
			return err
		}
	case len(rest) == 1 && rest[0] == "version":
	default:
		return fmt.Errorf("usage: kijun migrate up | down N | version")
	}
	v, dirty, err := postgres.SchemaVersion(ctx, db)
	if err != nil {
		return err
	}
	fmt.Printf("schema version %d (this binary needs %d)", v, postgres.LatestVersion())
	if dirty {
		fmt.Print(", dirty: a migration failed half-way")
	}
	fmt.Println()
	return nil
}

func cmdSeed(ctx context.Context, args []string) error {
	var syn syntheticFlags
	cfg, _, err := ownerConfig("seed", args, syn.register)
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := postgres.CheckSchema(ctx, db); err != nil {
		return err
	}
	if err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error { return seedAll(ctx, tx) }); err != nil {
		return err
	}
	fmt.Println("reference data and the draft baseline catalog loaded")
	if syn.on {
		return seedSynthetic(ctx, cfg.DatabaseURL, syn)
	}
	return nil
}

// seedAll loads the reference data and the shipped draft baseline catalog;
// both are idempotent.
func seedAll(ctx context.Context, tx pgx.Tx) error {
	if err := refdata.Seed(ctx, tx); err != nil {
		return err
	}
	_, err := postgres.SeedBaseline(ctx, tx)
	return err
}
