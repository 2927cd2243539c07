package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/jobs"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// TestOncePerPeriod races eight schedulers (as eight instances would) over
// one period: exactly one runs the job. The run holds the period until
// every other scheduler has tried it three times.
func TestOncePerPeriod(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	const schedulers, tries = 8, 3
	var runs atomic.Int32
	tried := make(chan struct{}, schedulers*tries)
	job := jobs.Job{Name: "count", Every: time.Hour, Run: func(ctx context.Context, tx pgx.Tx, _ time.Time) (any, error) {
		runs.Add(1)
		for range (schedulers - 1) * tries {
			select {
			case <-tried:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return map[string]int{"n": 1}, nil
	}}
	// A second run at once would wait for tries that never come.
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	now := time.Date(2026, 5, 1, 10, 30, 0, 0, time.UTC)
	var wg sync.WaitGroup
	var ran atomic.Int32
	for i := 0; i < schedulers; i++ {
		s := &jobs.Scheduler{DB: db.App, Instance: "i" + string(rune('0'+i)), Now: func() time.Time { return now }}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < tries; k++ {
				ok, err := s.RunDue(ctx, job)
				if err != nil {
					t.Error(err)
				}
				if ok {
					ran.Add(1)
				}
				tried <- struct{}{}
			}
		}()
	}
	wg.Wait()
	if runs.Load() != 1 || ran.Load() != 1 {
		t.Fatalf("job ran %d times (%d reported) in one period, want 1", runs.Load(), ran.Load())
	}
	var n int
	var period time.Time
	if err := db.Owner.QueryRow(ctx, `SELECT count(*), min(period) FROM job_runs WHERE job = 'count'`).Scan(&n, &period); err != nil {
		t.Fatal(err)
	}
	if n != 1 || !period.Equal(time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("job_runs: %d rows, period %s", n, period)
	}
	// The next period runs again.
	now = now.Add(time.Hour)
	s := &jobs.Scheduler{DB: db.App, Now: func() time.Time { return now }}
	job.Run = func(context.Context, pgx.Tx, time.Time) (any, error) { return nil, nil }
	if ok, err := s.RunDue(ctx, job); err != nil || !ok {
		t.Fatalf("next period: ran %v, %v", ok, err)
	}
}

// TestFailureRollsBack: a failed run leaves no row and no effect, and the
// period runs again (river retries it with backoff).
func TestFailureRollsBack(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	fail := true
	job := jobs.Job{Name: "flaky", Every: time.Hour, Run: func(ctx context.Context, tx pgx.Tx, p time.Time) (any, error) {
		if err := postgres.Audit(ctx, tx, audit.Event{Action: "test.flaky"}, nil, nil); err != nil {
			return nil, err
		}
		if fail {
			return nil, errors.New("boom")
		}
		return nil, nil
	}}
	now := time.Date(2026, 5, 1, 10, 30, 0, 0, time.UTC)
	a := &jobs.Scheduler{DB: db.App, Now: func() time.Time { return now }}
	if _, err := a.RunDue(ctx, job); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("failing job: %v", err)
	}
	var rows, events int
	if err := db.Owner.QueryRow(ctx, `SELECT (SELECT count(*) FROM job_runs), (SELECT count(*) FROM audit_events WHERE action = 'test.flaky')`).Scan(&rows, &events); err != nil {
		t.Fatal(err)
	}
	if rows != 0 || events != 0 {
		t.Fatalf("a failed run left %d job rows and %d events", rows, events)
	}
	fail = false
	b := &jobs.Scheduler{DB: db.App, Now: func() time.Time { return now }}
	if ok, err := b.RunDue(ctx, job); err != nil || !ok {
		t.Fatalf("another instance retrying: %v %v", ok, err)
	}
}

// TestAuditAnchor records heads, then catches a tail rewritten so well
// that VerifyAudit alone finds nothing.
func TestAuditAnchor(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	for i := 0; i < 4; i++ {
		err := postgres.SystemTx(ctx, db.App, func(tx pgx.Tx) error {
			return postgres.Audit(ctx, tx, audit.Event{Action: "test.anchor", MinistryCode: "METI"}, nil, map[string]int{"i": i})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 5, 1, 10, 30, 0, 0, time.UTC)
	s := &jobs.Scheduler{DB: db.App, Now: func() time.Time { return now }}
	var logged bytes.Buffer
	file := filepath.Join(t.TempDir(), "anchors.jsonl")
	job := jobs.AuditAnchor(24*time.Hour, 18*time.Hour, slog.New(slog.NewJSONHandler(&logged, nil)), file)
	if ok, err := s.RunDue(ctx, job); err != nil || !ok {
		t.Fatalf("first anchor: %v %v", ok, err)
	}
	// The heads are also outside the database: a line per chain in the log
	// and in the anchors file, each read back as the chain's head.
	var head []byte
	if err := db.Owner.QueryRow(ctx, `SELECT last_hash FROM audit_chain_heads WHERE chain = 'ministry:METI'`).Scan(&head); err != nil {
		t.Fatal(err)
	}
	want := audit.ChainHead{Chain: "ministry:METI", Events: 4, Hash: head}
	for name, src := range map[string]io.Reader{"log": &logged, "file": mustOpen(t, file)} {
		got, err := audit.ReadAnchors(grepAnchors(t, src))
		if err != nil || len(got) != 1 || fmt.Sprint(got[0]) != fmt.Sprint(want) {
			t.Errorf("anchors in the %s: %v (%v), want %v", name, got, err, want)
		}
	}
	var intact bool
	var events int64
	if err := db.Owner.QueryRow(ctx, `SELECT intact, events FROM audit_anchors ORDER BY id DESC LIMIT 1`).Scan(&intact, &events); err != nil {
		t.Fatal(err)
	}
	if !intact || events != 4 {
		t.Fatalf("first anchor: intact %v, %d events", intact, events)
	}

	// Rewrite the last event and re-seal the chain: internally consistent.
	_, err := db.Owner.Exec(ctx, `UPDATE audit_events SET after = '{"i": 99}' WHERE chain = 'ministry:METI' AND seq = 4;
		UPDATE audit_events e SET hash = kijun_audit_hash(e) WHERE chain = 'ministry:METI' AND seq = 4;
		UPDATE audit_chain_heads h SET last_hash = e.hash FROM audit_events e WHERE e.chain = h.chain AND e.seq = 4 AND h.chain = 'ministry:METI'`)
	if err != nil {
		t.Fatal(err)
	}
	if breaks, _, err := postgres.VerifyAudit(ctx, db.Owner); err != nil || len(breaks) != 0 {
		t.Fatalf("the rewrite should fool VerifyAudit alone: %v %v", breaks, err)
	}
	now = now.Add(24 * time.Hour)
	if ok, err := s.RunDue(ctx, job); err != nil || !ok {
		t.Fatalf("second anchor: %v %v", ok, err)
	}
	var breaks string
	if err := db.Owner.QueryRow(ctx, `SELECT intact, breaks::text FROM audit_anchors ORDER BY id DESC LIMIT 1`).Scan(&intact, &breaks); err != nil {
		t.Fatal(err)
	}
	if intact || !strings.Contains(breaks, "rewritten since") || !strings.Contains(breaks, "ministry:METI") {
		t.Fatalf("second anchor: intact %v, breaks %s", intact, breaks)
	}
}

func mustOpen(t *testing.T, name string) io.Reader {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

// grepAnchors keeps the "audit anchor" lines of a log (every line of an
// anchors file is one), as an operator would grep them out of shipped logs.
func grepAnchors(t *testing.T, r io.Reader) io.Reader {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, l := range bytes.Split(b, []byte("\n")) {
		if !bytes.Contains(l, []byte(`"msg":`)) || bytes.Contains(l, []byte(`"msg":"audit anchor"`)) {
			out.Write(l)
			out.WriteByte('\n')
		}
	}
	return &out
}

// TestTwoInstancesOnRiver: two instances, each with its own river client,
// both enqueue the same period (as two leaders in turn would): river keeps
// one job, one of them works it, and the job ran once; the next period is
// a new job.
func TestTwoInstancesOnRiver(t *testing.T) {
	db := pgtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var runs atomic.Int32
	job := jobs.Job{Name: "count", Every: time.Hour, Run: func(ctx context.Context, tx pgx.Tx, _ time.Time) (any, error) {
		runs.Add(1)
		return nil, nil
	}}
	var mu sync.Mutex
	now := time.Date(2026, 5, 1, 10, 30, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var inst []*jobs.Scheduler
	for i := range 2 {
		s := &jobs.Scheduler{DB: db.App, Jobs: []jobs.Job{job}, Instance: fmt.Sprintf("i%d", i), Now: clock, Poll: 100 * time.Millisecond}
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Stop(context.Background()) })
		inst = append(inst, s)
	}
	// The leader's periodic enqueuer may have inserted the period already
	// (RunOnStart); either way the second insert is a duplicate.
	inserted := 0
	for _, s := range inst {
		ok, err := s.Enqueue(ctx, job)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			inserted++
		}
	}
	if inserted > 1 {
		t.Errorf("both instances inserted the period")
	}
	db.Await(t, "the period's job completed", `SELECT count(*) = 1 FROM river_job WHERE kind = 'scheduled' AND state = 'completed' AND args->>'period' = '2026-05-01T10:00:00Z'`)
	var jobsN, rows int
	if err := db.Owner.QueryRow(ctx, `SELECT (SELECT count(*) FROM river_job WHERE kind = 'scheduled'), (SELECT count(*) FROM job_runs WHERE job = 'count')`).Scan(&jobsN, &rows); err != nil {
		t.Fatal(err)
	}
	if jobsN != 1 || rows != 1 || runs.Load() != 1 {
		t.Fatalf("one period: %d river jobs, %d job_runs rows, %d runs; want 1 each", jobsN, rows, runs.Load())
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	if ok, err := inst[1].Enqueue(ctx, job); err != nil || !ok {
		t.Fatalf("next period: %v %v", ok, err)
	}
	db.Await(t, "the next period ran", `SELECT count(*) = 2 FROM job_runs WHERE job = 'count'`)
	if runs.Load() != 2 {
		t.Fatalf("%d runs after two periods", runs.Load())
	}
}
