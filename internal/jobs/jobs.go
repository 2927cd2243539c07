// Package jobs runs Kijun's background work on riverqueue/river, a job
// queue in the same PostgreSQL (tables from migrations 000008–000009).
//
// Scheduled work (a Job: audit anchors now) runs once per period across
// every instance:
//
//   - river's periodic enqueuer (on the elected leader only) inserts one
//     job per (job, period) whose arguments are the job's name and the
//     period's start, computed from Scheduler.Now; the job is unique by
//     its arguments, so a second leader or a restart inserts nothing new;
//   - a worker on any instance runs it in one system transaction that
//     inserts the (job, period) row into job_runs (ON CONFLICT DO NOTHING:
//     no row inserted means the period is already done), does the work and
//     marks river's job completed (river.JobCompleteTx) — all or nothing;
//   - a failure rolls all of it back and river retries with backoff.
//
// The primary key of job_runs is the "exactly once" for effects inside
// the database; river's uniqueness saves the others from trying. Jobs with
// effects outside it (e-mail) record what they sent in the same kind of
// transaction. Other packages add their workers with Scheduler.Workers.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

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

// Scheduler runs the queue on one instance; every instance runs one.
type Scheduler struct {
	DB   *pgxpool.Pool
	Jobs []Job
	Log  *slog.Logger
	// Workers adds the workers of other packages (mail delivery) to river.
	Workers []func(*river.Workers)
	// Instance names this process in job_runs and to river (default
	// host:pid).
	Instance string
	// Now is the clock periods are computed from (default time.Now), for
	// tests.
	Now func() time.Time
	// Poll is how often river looks for jobs besides being notified
	// (default one second; tests shorten it).
	Poll time.Duration
	// Retry is river's retry policy (default: river's exponential
	// backoff, attempt⁴ seconds with jitter); tests shorten it.
	Retry river.ClientRetryPolicy

	client  *river.Client[pgx.Tx]
	metrics *metrics
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
	if s.Poll <= 0 {
		s.Poll = time.Second
	}
}

// ScheduledArgs is river's job for one period of a scheduled Job.
type ScheduledArgs struct {
	Job    string    `json:"job"`
	Period time.Time `json:"period"`
}

// Kind names the job in river_job.
func (ScheduledArgs) Kind() string { return "scheduled" }

// InsertOpts: one job per (job, period) in any state river keeps.
func (ScheduledArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type scheduledWorker struct {
	river.WorkerDefaults[ScheduledArgs]
	s *Scheduler
}

// Timeout: an audit anchor reads the whole log (docs/performance.md).
func (w *scheduledWorker) Timeout(*river.Job[ScheduledArgs]) time.Duration { return time.Hour }

func (w *scheduledWorker) Work(ctx context.Context, job *river.Job[ScheduledArgs]) error {
	for _, j := range w.s.Jobs {
		if j.Name == job.Args.Job {
			_, busy, err := w.s.run(ctx, j, job.Args.Period, func(tx pgx.Tx) error {
				_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
				return err
			})
			if busy {
				return river.JobSnooze(time.Minute)
			}
			if err != nil {
				w.s.Log.Error("scheduled job failed", "job", j.Name, "period", job.Args.Period.Format(time.RFC3339),
					"attempt", job.Attempt, "err", err.Error())
			}
			return err
		}
	}
	return river.JobCancel(fmt.Errorf("no scheduled job %q in this instance", job.Args.Job))
}

// periodSchedule fires at the start of each of j's periods.
type periodSchedule struct{ j Job }

func (p periodSchedule) Next(t time.Time) time.Time { return p.j.Period(t).Add(p.j.Every) }

// Start starts river on this instance: its workers, and (on the leader)
// the periodic enqueuer of every Job, which also enqueues the current
// period at once so that a period no instance ran while all were down is
// run on start. Stop with Stop.
func (s *Scheduler) Start(ctx context.Context) error {
	s.defaults()
	workers := river.NewWorkers()
	river.AddWorker(workers, &scheduledWorker{s: s})
	for _, add := range s.Workers {
		add(workers)
	}
	var periodic []*river.PeriodicJob
	for _, j := range s.Jobs {
		periodic = append(periodic, river.NewPeriodicJob(periodSchedule{j}, func() (river.JobArgs, *river.InsertOpts) {
			return ScheduledArgs{Job: j.Name, Period: j.Period(s.Now())}, nil
		}, &river.PeriodicJobOpts{ID: j.Name, RunOnStart: true}))
	}
	c, err := river.NewClient(riverpgxv5.New(s.DB), &river.Config{
		ID:                safeID(s.Instance),
		Logger:            s.Log,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}},
		Workers:           workers,
		PeriodicJobs:      periodic,
		FetchPollInterval: s.Poll,
		RetryPolicy:       s.Retry,
		// Reindexing river's tables needs their owner: maintenance, not
		// the server's role (docs/operations.md).
		ReindexerSchedule: river.NeverSchedule(),
	})
	if err != nil {
		return err
	}
	s.client = c
	return c.Start(ctx)
}

// safeID keeps river's client id to its allowed characters.
func safeID(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// Stop cancels running work (its transactions roll back; river retries
// the job elsewhere) and waits for river to stop.
func (s *Scheduler) Stop(ctx context.Context) error {
	if s.client == nil {
		return nil
	}
	return s.client.StopAndCancel(ctx)
}

// Client is river's client of this instance, once started.
func (s *Scheduler) Client() *river.Client[pgx.Tx] { return s.client }

// Enqueue inserts j's current period, as the periodic enqueuer does; a
// period already enqueued is not inserted again. It reports whether a job
// was inserted.
func (s *Scheduler) Enqueue(ctx context.Context, j Job) (bool, error) {
	s.defaults()
	if s.client == nil {
		return false, errors.New("jobs: Enqueue before Start")
	}
	res, err := s.client.Insert(ctx, ScheduledArgs{Job: j.Name, Period: j.Period(s.Now())}, nil)
	if err != nil {
		return false, err
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// RunDue runs j's current period in this process, now, unless it has
// run: for tests and for running a job by hand. It reports whether it ran.
func (s *Scheduler) RunDue(ctx context.Context, j Job) (bool, error) {
	s.defaults()
	ran, _, err := s.run(ctx, j, j.Period(s.Now()), nil)
	return ran, err
}

// run runs one period of j in one system transaction with its job_runs
// row and then (if not nil) also does. busy: another transaction is
// running the same period right now.
func (s *Scheduler) run(ctx context.Context, j Job, period time.Time, also func(pgx.Tx) error) (ran, busy bool, err error) {
	start := time.Now()
	err = postgres.SystemTx(ctx, s.DB, func(tx pgx.Tx) error {
		var locked bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 7283402))`,
			j.Name+"@"+period.Format(time.RFC3339Nano)).Scan(&locked); err != nil {
			return err
		}
		if !locked {
			busy = true
			return nil
		}
		tag, err := tx.Exec(ctx, `INSERT INTO job_runs (job, period, instance, started_at, finished_at)
			VALUES ($1, $2, $3, clock_timestamp(), clock_timestamp()) ON CONFLICT (job, period) DO NOTHING`,
			j.Name, period, s.Instance)
		if err != nil {
			return err
		}
		if tag.RowsAffected() > 0 {
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
		}
		if also != nil {
			return also(tx)
		}
		return nil
	})
	if err != nil {
		s.count(j.Name, "failed", start)
		return false, false, fmt.Errorf("job %s, period %s: %w", j.Name, period.Format(time.RFC3339), err)
	}
	if ran {
		s.count(j.Name, "ran", start)
		s.Log.Info("scheduled job ran", "job", j.Name, "period", period.Format(time.RFC3339),
			"instance", s.Instance, "duration_ms", time.Since(start).Milliseconds())
	}
	return ran, busy, nil
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
