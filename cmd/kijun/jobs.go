package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/kijun-portal/kijun/internal/config"
	"github.com/kijun-portal/kijun/internal/jobs"
	"github.com/kijun-portal/kijun/internal/mail"
	"github.com/kijun-portal/kijun/internal/webhook"
	"github.com/kijun-portal/kijun/internal/webhook/deliver"
)

// jobsConfig is the scheduler's part of `kijun serve`'s configuration
// (docs/operations.md). It lives here rather than in internal/config so
// that the scheduler stays one file of wiring.
type jobsConfig struct {
	// Enabled works river's queue in this process (JOBS_ENABLED, default
	// true). Every instance may: each job, and each period of a scheduled
	// job, runs once in all.
	Enabled bool
	// AnchorEvery is the audit-anchor job's period (JOBS_AUDIT_ANCHOR_EVERY,
	// default 24h, starting 03:00 JST).
	AnchorEvery time.Duration
	// AnchorFile, if set, is a file the audit-anchor job appends every
	// chain's head to, one JSON line each (AUDIT_ANCHOR_FILE): a copy of
	// the anchors outside the database, for `kijun audit verify -anchors`.
	AnchorFile string
}

// jobsCfg is read from the environment; cmdServe's flags override it.
var jobsCfg = jobsConfig{
	Enabled:     !strings.EqualFold(os.Getenv("JOBS_ENABLED"), "false"),
	AnchorEvery: envDur("JOBS_AUDIT_ANCHOR_EVERY", 24*time.Hour),
	AnchorFile:  os.Getenv("AUDIT_ANCHOR_FILE"),
}

func (c *jobsConfig) flags(fs *flag.FlagSet) {
	fs.BoolVar(&c.Enabled, "jobs", c.Enabled, "run scheduled jobs in this process; each runs once per period across all instances (JOBS_ENABLED)")
	fs.DurationVar(&c.AnchorEvery, "jobs-audit-anchor-every", c.AnchorEvery, "period of the audit-anchor job (JOBS_AUDIT_ANCHOR_EVERY)")
	fs.StringVar(&c.AnchorFile, "audit-anchor-file", c.AnchorFile, "file the audit-anchor job appends chain heads to, one JSON line each (AUDIT_ANCHOR_FILE)")
}

// startJobs starts the scheduler on db (the server's pool) unless it is
// disabled, and returns a function that stops it and waits.
func startJobs(ctx context.Context, c jobsConfig, cfg config.Config, db *pgxpool.Pool, log *slog.Logger, reg prometheus.Registerer) (stop func()) {
	if !c.Enabled {
		log.Info("scheduled jobs are off in this instance (JOBS_ENABLED=false)")
		return func() {}
	}
	at := 18 * time.Hour // 03:00 JST for a daily period
	if c.AnchorEvery < 24*time.Hour {
		at = 0
	}
	mc := cfg.Mail
	log.Info("notification mail", "relay", mc)
	delivery := &mail.Delivery{DB: db, Sender: mail.New(mc, log), BaseURL: mc.BaseURL}
	workers := []func(*river.Workers){delivery.Register}
	// Outgoing webhooks: with WEBHOOK_SECRET_KEY only (docs/webhooks.md);
	// without it no endpoint exists to send to.
	if box, err := webhook.NewBox(cfg.WebhookSecretKey); err == nil {
		if cfg.WebhookAllowLoopback {
			log.Warn("webhooks may reach loopback addresses (WEBHOOK_ALLOW_LOOPBACK): for tests only")
		}
		sender := &deliver.Sender{DB: db, Box: box, Log: log, AllowLoopback: cfg.WebhookAllowLoopback}
		workers = append(workers, sender.Register)
	} else {
		log.Info("outgoing webhooks are off", "reason", err.Error())
	}
	s := &jobs.Scheduler{DB: db, Log: log,
		Jobs: []jobs.Job{jobs.AuditAnchor(c.AnchorEvery, at, log, c.AnchorFile), mail.DigestJob(), jobs.Reminders(),
			jobs.BulletinAcks(), jobs.CatalogsInForce(), jobs.PurgeAPI()},
		Workers: workers}
	if reg != nil {
		if err := s.Register(reg); err != nil {
			log.Warn("job metrics not registered", "err", err.Error())
		}
	}
	if err := s.Start(context.WithoutCancel(ctx)); err != nil {
		log.Error("the job queue did not start", "err", err.Error())
		return func() {}
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			log.Warn("stopping the job queue", "err", err.Error())
		}
	}
}

func envDur(k string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(k)); err == nil && d > 0 {
		return d
	}
	return def
}
