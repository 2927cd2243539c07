//go:build dev

package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/auth/devidp"
	"github.com/kijun-portal/kijun/internal/config"
	"github.com/kijun-portal/kijun/internal/demo"
	"github.com/kijun-portal/kijun/internal/devmail"
	"github.com/kijun-portal/kijun/internal/pgboot"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/server"
)

// Only builds with the dev tag have `kijun dev`, the demo data and the
// development identity provider.
func init() {
	commands["dev"] = cmdDev
	usageCommands += `  dev                   find or start PostgreSQL, migrate, seed and serve
                        with demo data and demo logins (development only)
`
}

// cmdDev runs a complete development portal: it finds or starts
// PostgreSQL, creates the database, migrates, seeds and serves.
func cmdDev(ctx context.Context, args []string) error {
	cfg := config.FromEnv()
	if os.Getenv("SHUTDOWN_DRAIN") == "" {
		cfg.ShutdownDrain = 0 // no load balancer to drain: Ctrl+C stops at once
	}
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	cfg.Flags(fs)
	dataDir := fs.String("data-dir", ".data", "where a private PostgreSQL cluster is kept if one is needed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// DATABASE_URL names the server and the database to use; without it,
	// the local server or a private cluster, database kijun. Either way
	// what is missing there (the database, the application role's LOGIN)
	// is created when the URL's user may, else the error says what to run.
	if cfg.DatabaseURL == "" {
		admin, err := pgboot.AdminURL(ctx, *dataDir)
		if err != nil {
			return err
		}
		cfg.DatabaseURL = pgboot.WithDatabase(admin, "kijun")
	}
	owner, app, err := pgboot.Prepare(ctx, cfg.DatabaseURL, cfg.AppDatabaseURL == "")
	if err != nil {
		return err
	}
	cfg.DatabaseURL = owner
	if cfg.AppDatabaseURL == "" {
		cfg.AppDatabaseURL = app
	}
	if err := cfg.Finish(); err != nil {
		return err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	err = postgres.MigrateUp(ctx, db)
	if err == nil {
		err = pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
			if err := seedAll(ctx, tx); err != nil {
				return err
			}
			if err := demo.Seed(ctx, tx); err != nil {
				return err
			}
			return demo.SeedWorkflow(ctx, tx, time.Now())
		})
	}
	db.Close()
	if err != nil {
		return err
	}
	idp, err := devidp.New(demo.DevIDPConfig(cfg.BaseURL))
	if err != nil {
		return fmt.Errorf("development identity provider: %w", err)
	}
	dev := &server.DevIdentity{Handler: idp, Provider: demo.DevProvider(cfg.BaseURL)}
	// Without a relay of one's own (SMTP_HOST), every mail is caught in
	// this process and shown at /dev/mail.
	mailNote := "Mail goes to the relay " + cfg.Mail.String() + "."
	if cfg.Mail.Host == "" {
		box, err := devmail.Start(0)
		if err != nil {
			return err
		}
		defer box.Close()
		from := cfg.Mail.From
		if from == "" {
			from = "noreply@kijun.localhost"
		}
		cfg.Mail = box.Relay(from, cfg.Mail.BaseURL)
		dev.Mailbox = box.Handler()
		mailNote = "Mail it sends is caught at " + cfg.BaseURL + "/dev/mail."
	}
	return serve(ctx, cfg, dev, func(addr string) {
		fmt.Fprintf(os.Stderr, "\n  Kijun is running at %s\n  Sign in at %s/login with a demo user (README.md lists them).\n  %s\n  Press Ctrl+C to stop.\n\n", cfg.BaseURL, cfg.BaseURL, mailNote)
	})
}
