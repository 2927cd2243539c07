package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kijun-portal/kijun/internal/config"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/server"
)

func cmdServe(ctx context.Context, args []string) error {
	cfg := config.FromEnv()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.Flags(fs)
	jobsCfg.flags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.Finish(); err != nil {
		return err
	}
	return serve(ctx, cfg, nil, nil)
}

// serve runs the server until ctx ends (SIGTERM or SIGINT in main), with
// the development identity provider dev if it is not nil. ready, if set,
// receives the listening address once the server accepts connections.
// Once ctx ends, the process exits by cfg.ShutdownDeadline() whatever
// still runs (docs/operations.md, "Shutdown").
func serve(ctx context.Context, cfg config.Config, dev *server.DevIdentity, ready func(addr string)) error {
	log := newLogger(cfg.LogLevel)
	done := make(chan struct{})
	defer close(done) // after every other deferred step: the pool closed, the jobs stopped
	go exitAtDeadline(ctx, done, cfg.ShutdownDeadline(), log, os.Exit)
	db, err := postgres.Open(ctx, cfg.AppDatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := postgres.CheckSchema(ctx, db); err != nil {
		return err
	}
	l, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return err
	}
	srv, err := server.New(cfg, db, log, prometheus.DefaultRegisterer, dev)
	if err != nil {
		l.Close()
		return err
	}
	stopMetrics, err := serveMetrics(cfg.MetricsAddr, srv.Metrics(), log)
	if err != nil {
		l.Close()
		return err
	}
	defer stopMetrics()
	if dev != nil {
		log.Warn("the development identity provider is on: anyone can sign in as a demo user; never do this in production")
	}
	defer startJobs(ctx, jobsCfg, cfg, db, log, prometheus.DefaultRegisterer)()
	go srv.DiscoverProviders(ctx) // once listening: the development provider is served here
	log.Info("serving", "addr", l.Addr().String(), "base_url", cfg.BaseURL)
	if ready != nil {
		ready(l.Addr().String())
	}
	return srv.Serve(ctx, l)
}

// exitAtDeadline calls exit(1) if done is not closed within deadline
// after ctx ends: a request or job that ignores its cancelled context, or
// a connection that does not close, cannot keep the process alive past
// the time its orchestrator was promised.
func exitAtDeadline(ctx context.Context, done <-chan struct{}, deadline time.Duration, log *slog.Logger, exit func(int)) {
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	t := time.NewTimer(deadline)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		log.Error("shutdown overran its deadline; exiting now", "deadline", deadline.String())
		exit(1)
	}
}

func newLogger(level string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		fmt.Fprintf(os.Stderr, "kijun: LOG_LEVEL %q unknown, using info\n", level)
		lv = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
}
