package mail_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/kijun-portal/kijun/internal/jobs"
	kmail "github.com/kijun-portal/kijun/internal/mail"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// benchMails is how many mails each benchmark run delivers (BENCH_MAILS,
// default 1000; `make bench` passes its own).
func benchMails(b *testing.B) int {
	n := 1000
	if s := os.Getenv("BENCH_MAILS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			b.Fatalf("BENCH_MAILS=%q", s)
		}
		n = v
	}
	return n
}

// benchWorld is a database with n notices waiting for their mail (100
// users, each with an address), a local SMTP sink that notes when each
// notice's mail arrives, and the queue running as `kijun serve` runs it
// (river's defaults, four workers, no test shortcuts).
type benchWorld struct {
	db      *pgtest.DB
	ids     []int64
	mu      sync.Mutex
	arrived map[int64]time.Time
	done    chan struct{}
}

var noticeID = regexp.MustCompile(`Message-I[dD]: <assessment-returned\.(\d+)@`)

func newBenchWorld(b *testing.B, n int) *benchWorld {
	b.Helper()
	w := &benchWorld{db: pgtest.New(b), arrived: map[int64]time.Time{}, done: make(chan struct{})}
	ctx := context.Background()
	rows, err := w.db.Owner.Query(ctx, `WITH u AS (
			INSERT INTO users (display_name, email) SELECT '利用者 ' || i, 'user' || i || '@example.jp' FROM generate_series(1, 100) i RETURNING id)
		INSERT INTO notifications (user_id, kind, params, link)
		SELECT (SELECT id FROM u ORDER BY id OFFSET (i % 100) LIMIT 1), 'assessment.returned',
			'{"Operator": {"ja": "東都送配電株式会社", "en": "Toto Grid"}, "Year": {"ja": "2027", "en": "2027"}}', '/assessments/' || i
		FROM generate_series(1, $1) i RETURNING id`, n)
	if err != nil {
		b.Fatal(err)
	}
	if w.ids, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil || len(w.ids) != n {
		b.Fatalf("%d notices: %v", len(w.ids), err)
	}
	sk, mc := startSink(b, 0)
	sk.seen = func(raw []byte) {
		at := time.Now()
		m := noticeID.FindSubmatch(raw)
		if m == nil {
			return
		}
		id, _ := strconv.ParseInt(string(m[1]), 10, 64)
		w.mu.Lock()
		defer w.mu.Unlock()
		if _, dup := w.arrived[id]; !dup {
			w.arrived[id] = at
			if len(w.arrived) == n {
				close(w.done)
			}
		}
	}
	d := &kmail.Delivery{DB: w.db.App, Sender: kmail.New(mc, nil), BaseURL: mc.BaseURL}
	s := &jobs.Scheduler{DB: w.db.App, Workers: []func(*river.Workers){d.Register}}
	if err := s.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Stop(context.Background()) })
	return w
}

// enqueue queues the mail jobs of ids in one transaction and returns
// when it committed.
func (w *benchWorld) enqueue(b *testing.B, ids []int64) time.Time {
	args := make([]river.JobArgs, len(ids))
	for i, id := range ids {
		args[i] = notify.MailArgs{NotificationID: id}
	}
	if err := pgx.BeginFunc(context.Background(), w.db.Owner, func(tx pgx.Tx) error {
		return postgres.Enqueue(context.Background(), tx, args...)
	}); err != nil {
		b.Fatal(err)
	}
	return time.Now()
}

// wait returns once every mail arrived (or fails after ten minutes).
func (w *benchWorld) wait(b *testing.B) {
	select {
	case <-w.done:
	case <-time.After(10 * time.Minute):
		w.mu.Lock()
		defer w.mu.Unlock()
		b.Fatalf("%d of %d mails arrived in ten minutes", len(w.arrived), len(w.ids))
	}
}

// reportLatency reports the percentiles of each mail's time from its
// job's commit to its arrival at the sink.
func (w *benchWorld) reportLatency(b *testing.B, queued map[int64]time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	lat := make([]time.Duration, 0, len(w.arrived))
	for id, at := range w.arrived {
		lat = append(lat, at.Sub(queued[id]))
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

// BenchmarkMailDelivery sends BENCH_MAILS notification mails through the
// river worker (lock the notice, compose, SMTP to a local go-smtp sink,
// record mailed_at) as `kijun serve` runs it:
//
//   - burst: every job queued in one transaction (a cycle opened, a
//     catalog published); mails/s is the delivery rate, the latencies
//     (commit → arrival) how long the last of a burst waits;
//   - paced: the jobs queued one by one at 80% of the burst's rate
//     (BENCH_MAIL_RATE overrides it, mails per second); the latencies are
//     the queue's at that steady rate.
func BenchmarkMailDelivery(b *testing.B) {
	n := benchMails(b)
	var rate float64
	b.Run("burst", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			w := newBenchWorld(b, n)
			b.StartTimer()
			t0 := w.enqueue(b, w.ids)
			w.wait(b)
			b.StopTimer()
			queued := map[int64]time.Time{}
			var last time.Time
			for _, id := range w.ids {
				queued[id] = t0
				last = maxTime(last, w.arrived[id])
			}
			rate = float64(n) / last.Sub(t0).Seconds()
			b.ReportMetric(rate, "mails/s")
			w.reportLatency(b, queued)
		}
	})
	if s := os.Getenv("BENCH_MAIL_RATE"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v <= 0 {
			b.Fatalf("BENCH_MAIL_RATE=%q", s)
		}
		rate = v
	} else {
		rate *= 0.8
	}
	if rate <= 0 {
		return // the burst failed
	}
	b.Run(fmt.Sprintf("paced_%.0f_per_s", rate), func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			w := newBenchWorld(b, n)
			b.StartTimer()
			queued := map[int64]time.Time{}
			every := time.Duration(float64(time.Second) / rate)
			next := time.Now()
			for _, id := range w.ids {
				time.Sleep(time.Until(next)) // the pace is the point of this run
				queued[id] = w.enqueue(b, []int64{id})
				next = next.Add(every)
			}
			w.wait(b)
			b.StopTimer()
			b.ReportMetric(float64(n)/time.Since(queued[w.ids[0]]).Seconds(), "mails/s")
			w.reportLatency(b, queued)
		}
	})
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
