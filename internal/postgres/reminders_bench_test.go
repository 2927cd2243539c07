package postgres_test

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/remind"
)

// benchOperators is the benchmark's national scale: 20,000 operators
// (BENCH_REMINDER_OPERATORS sets another, for a quick run).
func benchOperators(tb testing.TB) int {
	if s := os.Getenv("BENCH_REMINDER_OPERATORS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			tb.Fatalf("BENCH_REMINDER_OPERATORS=%q", s)
		}
		return n
	}
	return 20000
}

// BenchmarkReminders20000 evaluates the reminder rules of an open cycle
// for 20,000 operators (one user each) on a day every one of them is due
// a reminder, and writes their reminders, notices and mail jobs, as the
// daily job does (postgres.SendDueReminders, one system transaction):
// the target is 30 s. db-ms is the database's own time for the
// same statement (EXPLAIN ANALYZE, the notices not included) on the
// next day, which a second rule makes due as well.
func BenchmarkReminders20000(b *testing.B) {
	n := benchOperators(b)
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		w := newRegWorld(b)
		if _, err := w.db.Owner.Exec(ctx, `WITH o AS (
				INSERT INTO operators (corporate_number, name_ja, name_en, sector_code, designation)
				SELECT lpad((7000000000000 + i)::text, 13, '0'), '督促試験' || i, 'Reminder test ' || i, 'electricity', 'ci'
				FROM generate_series(1, $1) AS i RETURNING id, sector_code),
			u AS (INSERT INTO users (display_name, email) SELECT 'user ' || id, 'user' || id || '@example.jp' FROM o RETURNING id, display_name)
			INSERT INTO role_grants (user_id, role, operator_id, sector_code, source)
			SELECT u.id, 'operator_staff', o.id, o.sector_code, 'directory' FROM u JOIN o ON u.display_name = 'user ' || o.id`, n); err != nil {
			b.Fatal(err)
		}
		cy := w.openCycle(b)
		for _, days := range []int{7, 6} {
			if err := w.as(b, w.nco, func(tx pgx.Tx) error {
				_, err := postgres.AddReminderRule(ctx, tx, w.nco, remind.Rule{CycleID: cy.ID, Kind: remind.Before, Days: days}, "bench")
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
		// Statistics, as autovacuum keeps them on a live database.
		if _, err := w.db.Owner.Exec(ctx, `ANALYZE`); err != nil {
			b.Fatal(err)
		}
		day := cy.DueOn.AddDate(0, 0, -7).In(kijun.JST).Add(9 * time.Hour)
		b.StartTimer()
		var reminded int
		if err := postgres.SystemTx(ctx, w.db.App, func(tx pgx.Tx) (err error) {
			reminded, err = postgres.SendDueReminders(ctx, tx, day)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if reminded < n {
			b.Fatalf("%d reminded, want at least %d", reminded, n)
		}
		var jobs int
		if err := w.db.Owner.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'notify.mail'`).Scan(&jobs); err != nil || jobs < n {
			b.Fatalf("%d mail jobs (%v)", jobs, err)
		}
		var plan []byte
		if err := postgres.SystemTx(ctx, w.db.App, func(tx pgx.Tx) error {
			if err := tx.QueryRow(ctx, `EXPLAIN (ANALYZE, FORMAT JSON) `+postgres.DueRemindersSQL,
				day.AddDate(0, 0, 1).Format(time.DateOnly), remind.OpenStatuses()).Scan(&plan); err != nil {
				return err
			}
			return pgx.ErrTxClosed // roll back what EXPLAIN ANALYZE wrote
		}); err != nil && err != pgx.ErrTxClosed {
			b.Fatal(err)
		}
		var p []struct {
			ExecutionTime float64 `json:"Execution Time"`
		}
		if err := json.Unmarshal(plan, &p); err != nil || len(p) != 1 {
			b.Fatalf("plan %s: %v", plan, err)
		}
		b.ReportMetric(p[0].ExecutionTime, "db-ms")
		b.ReportMetric(float64(reminded), "reminded")
		b.StartTimer()
	}
}
