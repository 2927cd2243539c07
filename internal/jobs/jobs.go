// Package jobs runs scheduled work exactly once per period across every
// instance of the portal, with nothing but PostgreSQL.
//
// Each instance ticks; on a tick, for each job whose current period has no
// run yet, it opens one transaction that
//
//  1. takes pg_try_advisory_xact_lock on (job, period) — an instance that
//     finds it taken skips at once instead of queueing behind the runner;
//  2. inserts the (job, period) row into job_runs with ON CONFLICT DO
//     NOTHING — no row inserted means the period is already done;
//  3. does the job's work in the same transaction, as the system;
//  4. commits.
//
// The primary key of job_runs is the "exactly once"; the advisory lock only
// saves the others from waiting. A job that fails, or an instance that dies
// half-way, rolls back its row with its work, so another instance (or the
// same one after a back-off) runs the period again. Work is therefore
// exactly once for effects inside the database; a future job with effects
// outside it (e-mail) must record what it has sent, in the same
// transaction, and skip it on a retry.
//
// Why not riverqueue/river: river is a general queue with its own schema,
// migrations and client in every instance. Kijun needs periodic singletons
// (audit anchors now; rollup refreshes and reminders later), which this
// table and a lock give in a page of code that anyone can read in one
// sitting. If the portal needs event-driven jobs with fan-out and retries
// per item, move to river then.
package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kijun-portal/kijun/internal/postgres"
)

// Job is a piece of work that runs once per period.
type Job struct {
	// Name identifies the job in job_runs and metrics: lower-case letters,
	// digits and hyphens.
	Name string
	// Every is the length of a period.
	Every time.Duration
	// At shifts period boundaries from multiples of Every counted from
	// 0001-01-01 00:00 UTC: Every 24h, At 18h starts each period at
	// 03:00 JST.
	At time.Duration
	// Run does the work in tx, a system transaction that also records the
	// run. It returns a detail stored with the run (JSON), or an error to
	// roll everything back.
	Run func(ctx context.Context, tx pgx.Tx, period time.Time) (detail any, err error)
}

// Period returns the start of the period that t falls in.
func (j Job) Period(t time.Time) time.Time {
	return t.Add(-j.At).Truncate(j.Every).Add(j.At).UTC()
}

// Scheduler runs jobs on one instance; every instance runs one.
type Scheduler struct {
	DB   *pgxpool.Pool
	Jobs []Job
	Log  *slog.Logger
	// Tick is how often due jobs are looked for (default one minute).
	Tick time.Duration
	// Backoff is how long this instance waits after a failure before it
	// tries the same job again (default five minutes; others may sooner).
	Backoff time.Duration
	// Instance names this process in job_runs (default host:pid).
	Instance string
	// Now is the clock (default time.Now), for tests.
	Now func() time.Time

	mu       sync.Mutex
	failedAt map[string]time.Time
	metrics  *metrics
}

type metrics struct {
	runs     *prometheus.CounterVec
	duration *prometheus.HistogramVec
	last     *prometheus.GaugeVec
}

// Register adds the scheduler's metrics to reg:
// kijun_job_runs_total{job,result} (result ran, failed),
// kijun_job_duration_seconds{job} and kijun_job_last_success_timestamp_seconds{job}
// (set on the instance that ran it).
func (s *Scheduler) Register(reg prometheus.Registerer) error {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kijun_job_runs_total", Help: "Scheduled job runs on this instance by result (ran, failed).",
		}, []string{"job", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kijun_job_duration_seconds", Help: "Duration of scheduled job runs on this instance.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 9),
		}, []string{"job"}),
		last: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kijun_job_last_success_timestamp_seconds", Help: "When this instance last completed the job.",
		}, []string{"job"}),
	}
	for _, c := range []prometheus.Collector{m.runs, m.duration, m.last} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	s.metrics = m
	return nil
}

func (s *Scheduler) defaults() {
	if s.Tick <= 0 {
		s.Tick = time.Minute
	}
	if s.Backoff <= 0 {
		s.Backoff = 5 * time.Minute
	}
	if s.Instance == "" {
		h, _ := os.Hostname()
		s.Instance = fmt.Sprintf("%s:%d", h, os.Getpid())
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	if s.failedAt == nil {
		s.failedAt = map[string]time.Time{}
	}
}

// Run ticks until ctx ends. The first tick is immediate, so a period that
// no instance ran while all were down is run on start.
func (s *Scheduler) Run(ctx context.Context) {
	s.mu.Lock()
	s.defaults()
	s.mu.Unlock()
	t := time.NewTicker(s.Tick)
	defer t.Stop()
	for {
		for _, j := range s.Jobs {
			if ctx.Err() != nil {
				return
			}
			if _, err := s.RunDue(ctx, j); err != nil && ctx.Err() == nil {
				s.Log.Error("scheduled job failed", "job", j.Name, "err", err.Error())
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunDue runs j for its current period unless the period is done or
// another instance is running it. ran reports whether this call did.
func (s *Scheduler) RunDue(ctx context.Context, j Job) (ran bool, err error) {
	s.mu.Lock()
	s.defaults()
	now := s.Now()
	if f, ok := s.failedAt[j.Name]; ok && now.Sub(f) < s.Backoff {
		s.mu.Unlock()
		return false, nil
	}
	s.mu.Unlock()
	period := j.Period(now)
	start := time.Now()
	err = postgres.SystemTx(ctx, s.DB, func(tx pgx.Tx) error {
		var locked bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 7283402))`,
			j.Name+"@"+period.Format(time.RFC3339Nano)).Scan(&locked); err != nil || !locked {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO job_runs (job, period, instance, started_at, finished_at)
			VALUES ($1, $2, $3, clock_timestamp(), clock_timestamp()) ON CONFLICT (job, period) DO NOTHING`,
			j.Name, period, s.Instance)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		detail, err := j.Run(ctx, tx, period)
		if err != nil {
			return err
		}
		b, err := json.Marshal(detail)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE job_runs SET finished_at = clock_timestamp(), detail = $3
			WHERE job = $1 AND period = $2`, j.Name, period, b); err != nil {
			return err
		}
		ran = true
		return nil
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.failedAt[j.Name] = s.Now()
		s.count(j.Name, "failed", start)
		return false, fmt.Errorf("job %s, period %s: %w", j.Name, period.Format(time.RFC3339), err)
	}
	delete(s.failedAt, j.Name)
	if ran {
		s.count(j.Name, "ran", start)
		s.Log.Info("scheduled job ran", "job", j.Name, "period", period.Format(time.RFC3339),
			"instance", s.Instance, "duration_ms", time.Since(start).Milliseconds())
	}
	return ran, nil
}

func (s *Scheduler) count(job, result string, start time.Time) {
	if s.metrics == nil {
		return
	}
	s.metrics.runs.WithLabelValues(job, result).Inc()
	if result == "ran" {
		s.metrics.duration.WithLabelValues(job).Observe(time.Since(start).Seconds())
		s.metrics.last.WithLabelValues(job).SetToCurrentTime()
	}
}
