package synthetic_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/register"
	"github.com/kijun-portal/kijun/internal/synthetic"
)

func TestMemberCount(t *testing.T) {
	for in, want := range map[string]int{
		"1,216社": 1216, "270社 7機関": 277, "47都道府県 1,741市区町村": 1788, "1グループ 21機関": 22,
		"8水道事業体": 8, "30社 9団体 7地方公共団体": 46, "": 0,
	} {
		if got := synthetic.MemberCount(in); got != want {
			t.Errorf("MemberCount(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestAllocate(t *testing.T) {
	w := []synthetic.SectorWeight{{"a", 1}, {"b", 1}, {"c", 1}}
	got := synthetic.Allocate(w, 10)
	if fmt.Sprint(got) != "[4 3 3]" {
		t.Errorf("Allocate 10 over three equal sectors = %v, want [4 3 3]", got)
	}
}

func TestCorporateNumbers(t *testing.T) {
	seen := map[string]bool{}
	for i := 1; i <= 50000; i++ {
		cn := synthetic.CorporateNumber(i)
		if _, err := register.ParseCorporateNumber(cn); err != nil {
			t.Fatalf("CorporateNumber(%d) = %s: %v", i, cn, err)
		}
		if seen[cn] {
			t.Fatalf("CorporateNumber(%d) = %s twice", i, cn)
		}
		seen[cn] = true
	}
}

// TestGenerate generates 300 operators × 2 cycles and checks the counts,
// the sector proportions, the identifiers, the statuses and, for every
// submitted or accepted assessment, that the rollups equal what the
// store writes at submit and accept (postgres.WriteRollups) from the
// answers in the database.
func TestGenerate(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	if err := pgx.BeginFunc(ctx, db.Owner, func(tx pgx.Tx) error { _, err := postgres.SeedBaseline(ctx, tx); return err }); err != nil {
		t.Fatal(err)
	}
	const n, cycles = 300, 2
	today := time.Date(2026, 11, 29, 10, 0, 0, 0, kijun.JST)
	res, err := synthetic.Generate(ctx, db.Owner, synthetic.Config{Operators: n, Cycles: cycles, Seed: 7, Today: today, OperatorUsers: 4, Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	q := func(sql string, args ...any) int64 {
		t.Helper()
		var v int64
		if err := db.Owner.QueryRow(ctx, sql, args...).Scan(&v); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return v
	}

	// Counts and proportions.
	if res.Operators != n || q(`SELECT count(*) FROM operators WHERE name_en LIKE '%(synthetic)'`) != n {
		t.Errorf("operators: result %d, want %d", res.Operators, n)
	}
	weights, err := synthetic.LoadSectorWeights(ctx, db.Owner)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, w := range weights {
		total += w.Members
	}
	if len(weights) != 15 || total < 4000 {
		t.Errorf("sector weights: %d sectors, %d members; want the 15 seeded sectors", len(weights), total)
	}
	for _, w := range weights {
		got := q(`SELECT count(*) FROM operators WHERE sector_code = $1 AND name_en LIKE '%(synthetic)'`, w.Code)
		exact := float64(n) * float64(w.Members) / float64(total)
		if math.Abs(float64(got)-exact) >= 1 {
			t.Errorf("sector %s: %d operators, exact share %.2f", w.Code, got, exact)
		}
	}
	// 法人番号: valid and unique.
	rows, _ := db.Owner.Query(ctx, `SELECT corporate_number FROM operators`)
	cns, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, cn := range cns {
		if _, err := register.ParseCorporateNumber(cn); err != nil || seen[cn] {
			t.Errorf("法人番号 %s: invalid or repeated (%v)", cn, err)
		}
		seen[cn] = true
	}
	// Cycles, assessments, answers.
	if len(res.Cycles) != cycles || q(`SELECT count(*) FROM cycles`) != cycles {
		t.Fatalf("cycles: %d", len(res.Cycles))
	}
	latest := res.Cycles[cycles-1].ID
	if got := q(`SELECT count(*) FROM assessments`); got != n*cycles || int(got) != res.Assessments {
		t.Errorf("assessments: %d, result %d, want %d", got, res.Assessments, n*cycles)
	}
	if got := q(`SELECT count(*) FROM answers`); got != res.Answers || got < n*cycles*50 {
		t.Errorf("answers: %d in the database, %d reported", got, res.Answers)
	}
	if got := q(`SELECT count(*) FROM assessments a JOIN control_sets s ON s.id = a.control_set_id
		WHERE a.status IN ('submitted', 'returned', 'accepted')
		AND (SELECT count(*) FROM answers x WHERE x.assessment_id = a.id AND x.status IS NOT NULL) <> s.control_count`); got != 0 {
		t.Errorf("%d submitted assessments have unanswered controls", got)
	}
	// The load skips per-row foreign-key checks: check every reference.
	if got := q(`SELECT count(*) FROM answers x WHERE NOT EXISTS (SELECT FROM assessments a
		JOIN control_set_items i ON i.set_id = a.control_set_id
		WHERE a.id = x.assessment_id AND a.operator_id = x.operator_id AND a.sector_code = x.sector_code AND i.ref = x.ref)`); got != 0 {
		t.Errorf("%d answers reference no assessment or control of its set", got)
	}
	if got := q(`SELECT count(*) FROM answers x WHERE x.status IS NOT NULL AND NOT EXISTS (SELECT FROM answer_scale s WHERE s.code = x.status)`); got != 0 {
		t.Errorf("%d answers off the scale", got)
	}
	// Every status in the latest cycle, and overdue ones.
	for _, s := range assessment.Statuses {
		if got := q(`SELECT count(*) FROM assessments WHERE cycle_id = $1 AND status = $2`, latest, string(s)); got == 0 {
			t.Errorf("latest cycle: no %s assessment", s)
		}
	}
	if got := q(`SELECT count(*) FROM assessments a JOIN cycles c ON c.id = a.cycle_id
		WHERE a.cycle_id = $1 AND a.status IN ('not_started', 'in_progress', 'returned') AND c.due_on < $2::date`, latest, today); got == 0 {
		t.Error("latest cycle: nothing overdue")
	}
	// Submitted answers are complete: N/A with a reason, gaps with a plan.
	if got := q(`SELECT count(*) FROM answers WHERE status = 'not_applicable'`); got == 0 {
		t.Error("no N/A answers")
	}
	if got := q(`SELECT count(*) FROM answers x JOIN assessments a ON a.id = x.assessment_id
		WHERE a.status IN ('submitted', 'returned', 'accepted') AND (
			(x.status = 'not_applicable' AND btrim(x.na_reason) = '') OR
			(x.status IN ('partial', 'not_implemented') AND (x.remediation_action = '' OR x.remediation_owner = '' OR x.remediation_due IS NULL)))`); got != 0 {
		t.Errorf("%d submitted answers lack a reason or a remediation plan", got)
	}
	if got := q(`SELECT count(*) FROM review_comments`); got != q(`SELECT count(*) FROM assessments WHERE status = 'returned'`) || got == 0 {
		t.Errorf("%d review comments for the returned assessments", got)
	}
	// Patterns: better in the later cycle, finance ahead of government.
	avg := func(where string, args ...any) float64 {
		var v float64
		if err := db.Owner.QueryRow(ctx, `SELECT avg(score)::float8 FROM assessment_rollups WHERE kind = 'overall' AND `+where, args...).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	first, second := avg(`cycle_id = $1`, res.Cycles[0].ID), avg(`cycle_id = $1`, latest)
	if second <= first {
		t.Errorf("mean score does not improve: %.3f then %.3f", first, second)
	}
	if f, g := avg(`sector_code = 'finance'`), avg(`sector_code = 'government'`); f <= g {
		t.Errorf("finance %.3f not ahead of government %.3f", f, g)
	}
	// Rollups equal the store's own computation.
	if got := q(`SELECT count(DISTINCT assessment_id) FROM assessment_rollups`); got != q(`SELECT count(*) FROM assessments WHERE status IN ('submitted', 'returned', 'accepted')`) {
		t.Errorf("rollups for %d assessments", got)
	}
	// sector_rollups (what the national dashboards read) equals the
	// aggregate of the rollups that count, in every cycle.
	for _, cy := range res.Cycles {
		var kept, want []postgres.SectorRollup
		if err := postgres.SystemTx(ctx, db.Owner, func(tx pgx.Tx) (err error) {
			if kept, err = postgres.SectorRollups(ctx, tx, cy.ID); err != nil {
				return err
			}
			want, err = postgres.RecomputeSectorRollups(ctx, tx, cy.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 || !slices.Equal(kept, want) {
			t.Errorf("cycle %d: sector_rollups (%d rows) differ from the recomputed aggregate (%d rows)", cy.ID, len(kept), len(want))
		}
		// sector_status_counts (submission progress) equals a recount of
		// the cycle's assessments by sector and status.
		var counts, recount []postgres.SectorStatusCount
		if err := postgres.SystemTx(ctx, db.Owner, func(tx pgx.Tx) (err error) {
			if counts, err = postgres.SectorStatusCounts(ctx, tx, cy.ID); err != nil {
				return err
			}
			recount, err = postgres.RecomputeSectorStatusCounts(ctx, tx, cy.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(recount) == 0 || !slices.Equal(counts, recount) {
			t.Errorf("cycle %d: sector_status_counts differ from a recount\n kept %+v\n want %+v", cy.ID, counts, recount)
		}
	}
	const snapshot = `SELECT coalesce(string_agg(concat_ws(' ', kind, key, controls, answered, applicable, implemented, partial,
		not_implemented, na, score, written_status, cycle_id, operator_id, sector_code), E'\n' ORDER BY kind, key), '')
		FROM assessment_rollups WHERE assessment_id = $1`
	rows, _ = db.Owner.Query(ctx, `SELECT id FROM assessments WHERE status IN ('submitted', 'accepted') ORDER BY id`)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ids) < 100 {
		t.Fatalf("%d submitted or accepted assessments: %v", len(ids), err)
	}
	tx, err := db.Owner.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT set_config('kijun.system', 'true', true)`); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		var ours, store string
		if err := tx.QueryRow(ctx, snapshot, id).Scan(&ours); err != nil {
			t.Fatal(err)
		}
		if _, err := postgres.WriteRollups(ctx, tx, id); err != nil {
			t.Fatal(err)
		}
		if err := tx.QueryRow(ctx, snapshot, id).Scan(&store); err != nil {
			t.Fatal(err)
		}
		if ours != store || ours == "" {
			t.Fatalf("assessment %d: generated rollups\n%s\npostgres.WriteRollups\n%s", id, ours, store)
		}
	}
	// Users for the bench.
	if got := q(`SELECT count(*) FROM users u JOIN role_grants g ON g.user_id = u.id WHERE u.email LIKE '%@synthetic.invalid'`); got != int64(res.Users) || res.Users != 1+5+4 {
		t.Errorf("bench users: %d grants, %d reported, want 10", got, res.Users)
	}
}
