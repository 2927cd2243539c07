package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/register"
)

// bulkRows are n electricity operators (METI's sector) numbered from
// 1000, named with suffix.
func bulkRows(n int, suffix string) [][]string {
	rows := make([][]string, n)
	for i := range rows {
		rows[i] = []string{regCN(1000 + i), fmt.Sprintf("一括電力%d%s", i, suffix), "", "", "電力", "一般送配電事業",
			"重要インフラ事業者", "2026-04-01", ""}
	}
	return rows
}

// importFile parses file for METI and applies it in one transaction, as
// the confirm does (the preview's parse included).
func (w *regWorld) importFile(tb testing.TB, file []byte) register.ImportResult {
	tb.Helper()
	ctx := context.Background()
	table, err := exchange.Read(bytes.NewReader(file), exchange.ReadOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	var res register.ImportResult
	if err := w.as(tb, w.meti, func(tx pgx.Tx) error {
		rows, err := postgres.ParseOperatorImport(ctx, tx, w.meti, table.Rows)
		if err != nil {
			return err
		}
		res, err = postgres.ApplyOperatorImport(ctx, tx, w.meti, rows, "METI", "req-bulk")
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return res
}

// openCycle opens the 2027 cycle, as the NCO, on a small published
// catalog, and returns it.
func (w *regWorld) openCycle(tb testing.TB) assessment.Cycle {
	tb.Helper()
	cat := importPublished(tb, w.db, smallCatalog("bulk"))
	var cy assessment.Cycle
	if err := w.as(tb, w.nco, func(tx pgx.Tx) (err error) {
		cy, _, err = postgres.OpenCycle(context.Background(), tx, w.nco, postgres.CycleInput{FiscalYear: 2027, CatalogID: cat,
			OpensOn: time.Date(2027, 4, 1, 0, 0, 0, 0, kijun.JST), DueOn: time.Date(2027, 9, 30, 0, 0, 0, 0, kijun.JST)},
			postgres.ProfileSelector(2027), "test")
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return cy
}

// BenchmarkRegisterImport10000 imports 10,000 register rows through the
// portal's path: new operators (with no cycle open, and while one is, so
// each is enrolled in it), then the same operators updated.
func BenchmarkRegisterImport10000(b *testing.B) {
	const n = 10000
	b.Run("create", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			w := newRegWorld(b)
			file := regCSV(b, bulkRows(n, ""))
			b.StartTimer()
			if res := w.importFile(b, file); res.Created != n {
				b.Fatalf("result %+v", res)
			}
		}
	})
	b.Run("create_open_cycle", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			w := newRegWorld(b)
			w.openCycle(b)
			file := regCSV(b, bulkRows(n, ""))
			b.StartTimer()
			if res := w.importFile(b, file); res.Created != n {
				b.Fatalf("result %+v", res)
			}
		}
	})
	b.Run("update", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			w := newRegWorld(b)
			w.importFile(b, regCSV(b, bulkRows(n, "")))
			file := regCSV(b, bulkRows(n, "改"))
			b.StartTimer()
			if res := w.importFile(b, file); res.Updated != n {
				b.Fatalf("result %+v", res)
			}
		}
	})
}

// BenchmarkBareCopy10000 copies the same 10,000 operators straight into
// the table as the owner: no checks, no scopes, no audit. The floor the
// import is measured against.
func BenchmarkBareCopy10000(b *testing.B) {
	const n = 10000
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		w := newRegWorld(b)
		src := make([][]any, n)
		for i, r := range bulkRows(n, "") {
			src[i] = []any{r[0], r[1], "electricity", "ci"}
		}
		b.StartTimer()
		got, err := w.db.Owner.CopyFrom(ctx, pgx.Identifier{"operators"},
			[]string{"corporate_number", "name_ja", "sector_code", "designation"}, pgx.CopyFromRows(src))
		if err != nil || got != n {
			b.Fatalf("copied %d: %v", got, err)
		}
	}
}

// TestOperatorImportTenThousand: a 10,000-row import writes exactly its
// operators, their scopes and one audit event each plus the batch's, the
// audit chains stay intact, and a row of another ministry's sector among
// 10,000 updates still stops the whole file.
func TestOperatorImportTenThousand(t *testing.T) {
	t.Parallel()
	const n = 10000
	w := newRegWorld(t)
	ctx := context.Background()
	before := w.count(t)
	if res := w.importFile(t, regCSV(t, bulkRows(n, ""))); res.Created != n || res.Updated != 0 || len(res.IDs) != n {
		t.Fatalf("result %d created, %d updated, %d ids", res.Created, res.Updated, len(res.IDs))
	}
	if got := w.count(t); got != before+n {
		t.Errorf("%d operators written, want %d", got-before, n)
	}
	counts := func() (scopes, creates, updates, batches int) {
		t.Helper()
		if err := w.db.Owner.QueryRow(ctx, `SELECT
				(SELECT count(*) FROM operator_scopes s JOIN operators o ON o.id = s.operator_id WHERE o.name_ja LIKE '一括電力%'),
				(SELECT count(*) FROM audit_events WHERE request_id = 'req-bulk' AND action = 'operator.create'),
				(SELECT count(*) FROM audit_events WHERE request_id = 'req-bulk' AND action = 'operator.update'),
				(SELECT count(*) FROM audit_events WHERE request_id = 'req-bulk' AND action = 'operator.import')`).
			Scan(&scopes, &creates, &updates, &batches); err != nil {
			t.Fatal(err)
		}
		return
	}
	if s, c, u, b := counts(); s != n || c != n || u != 0 || b != 1 {
		t.Errorf("%d scopes, audited %d creates, %d updates, %d batches; want %d, %d, 0, 1", s, c, u, b, n, n)
	}
	var audited string
	if err := w.db.Owner.QueryRow(ctx, `SELECT after->>'CorporateNumber' FROM audit_events
		WHERE request_id = 'req-bulk' AND action = 'operator.create' AND after->'Name'->>'ja' = '一括電力42'`).Scan(&audited); err != nil || audited != regCN(1042) {
		t.Errorf("operator 42's event names %q (%v)", audited, err)
	}

	// The same operators but the last updated, and a forged finance row
	// (files hold at most 10,000 rows).
	table, err := exchange.Read(bytes.NewReader(regCSV(t, append(bulkRows(n-1, "改"), mixedRows()[4]))), exchange.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = w.as(t, w.meti, func(tx pgx.Tx) error {
		rows, err := postgres.ParseOperatorImport(ctx, tx, w.meti, table.Rows)
		if err != nil {
			return err
		}
		forged := &rows[n-1]
		forged.Problems = nil
		forged.Operator.SectorCode = "finance"
		forged.Operator.ScopeIDs = []int64{regScope(t, w.db, "finance", "銀行等")}
		_, err = postgres.ApplyOperatorImport(ctx, tx, w.meti, rows, "METI", "req-bulk")
		return err
	})
	var kerr *kijun.Error
	if !errors.As(err, &kerr) || kerr.MessageID != "operators.import.stale" || kerr.Args["Lines"] != strconv.Itoa(n+1) {
		t.Fatalf("forged row among %d: %v", n, err)
	}
	if got := w.count(t); got != before+n {
		t.Errorf("the refused file wrote %d operators", got-before-n)
	}
	var renamed int
	if err := w.db.Owner.QueryRow(ctx, `SELECT count(*) FROM operators WHERE name_ja LIKE '%改'`).Scan(&renamed); err != nil || renamed != 0 {
		t.Errorf("the refused file renamed %d operators (%v)", renamed, err)
	}
	if s, c, u, b := counts(); s != n || c != n || u != 0 || b != 1 {
		t.Errorf("after the refused file: %d scopes, audited %d creates, %d updates, %d batches", s, c, u, b)
	}
	breaks, _, err := postgres.VerifyAudit(ctx, w.db.Owner)
	if err != nil || len(breaks) > 0 {
		t.Errorf("audit log: %v %+v", err, breaks)
	}

	// Without the checks, row-level security alone refuses the row.
	finance := exchange.OperatorRow{Line: 2, Action: exchange.ActionCreate, Operator: register.Operator{
		CorporateNumber: regCN(103), Name: kijun.Text{Ja: "越境銀行株式会社"}, SectorCode: "finance",
		Designation: register.DesignationCI, ScopeIDs: []int64{regScope(t, w.db, "finance", "銀行等")}}}
	err = w.as(t, w.meti, func(tx pgx.Tx) error {
		return postgres.WriteImportUnchecked(ctx, tx, []exchange.OperatorRow{finance})
	})
	if kijun.ErrorCode(err) != kijun.EForbidden {
		t.Errorf("finance row written by METI through the staging table: %v", err)
	}
	if got := w.count(t); got != before+n {
		t.Errorf("the unchecked write added %d operators", got-before-n)
	}
}

// TestOperatorImportEnrolsInOpenCycle: 1,000 operators imported while a
// cycle is open each get exactly one assessment in it, all against the
// control set the cycle gave the sector's operator it enrolled when it
// opened, each with its first history row and one assessment.create
// event shaped as a single enrolment's, and the audit chains stay intact.
func TestOperatorImportEnrolsInOpenCycle(t *testing.T) {
	t.Parallel()
	const n = 1000
	w := newRegWorld(t)
	ctx := context.Background()
	cy := w.openCycle(t)
	var set int64
	var controls int
	if err := w.db.Owner.QueryRow(ctx, `SELECT a.control_set_id, s.control_count FROM assessments a
		JOIN control_sets s ON s.id = a.control_set_id WHERE a.cycle_id = $1 AND a.operator_id = $2`, cy.ID, w.elec).
		Scan(&set, &controls); err != nil {
		t.Fatal(err)
	}
	res := w.importFile(t, regCSV(t, bulkRows(n, "")))
	if res.Created != n {
		t.Fatalf("result %+v", res)
	}
	var assessments, sets, perOperator, history, events, shaped int
	if err := w.db.Owner.QueryRow(ctx, `SELECT count(*), count(DISTINCT a.control_set_id),
			count(DISTINCT a.operator_id),
			(SELECT count(*) FROM assessment_events e WHERE e.assessment_id = ANY(array_agg(a.id))
				AND e.to_status = 'not_started' AND e.from_status IS NULL),
			(SELECT count(*) FROM audit_events WHERE request_id = 'req-bulk' AND action = 'assessment.create'),
			(SELECT count(*) FROM audit_events v JOIN assessments b ON v.object_id = b.id::text
				WHERE v.request_id = 'req-bulk' AND v.action = 'assessment.create' AND v.object_type = 'assessment'
				AND v.operator_id = b.operator_id AND v.sector_code = 'electricity' AND v.ministry_code = 'METI'
				AND v.after = jsonb_build_object('cycle_id', b.cycle_id, 'operator_id', b.operator_id,
					'control_set_id', b.control_set_id, 'controls', $3::int))
		FROM assessments a WHERE a.cycle_id = $1 AND a.operator_id = ANY($2)`, cy.ID, res.IDs, controls).
		Scan(&assessments, &sets, &perOperator, &history, &events, &shaped); err != nil {
		t.Fatal(err)
	}
	if assessments != n || perOperator != n || sets != 1 || history != n || events != n || shaped != n {
		t.Errorf("%d assessments of %d operators on %d control sets, %d history rows, %d events (%d as one enrolment's); want %d, %d, 1, %d, %d, %d",
			assessments, perOperator, sets, history, events, shaped, n, n, n, n, n)
	}
	var same int
	if err := w.db.Owner.QueryRow(ctx, `SELECT count(*) FROM assessments WHERE cycle_id = $1 AND control_set_id = $2`,
		cy.ID, set).Scan(&same); err != nil || same != n+1 {
		t.Errorf("%d assessments on the sector's control set, want %d (%v)", same, n+1, err)
	}
	breaks, _, err := postgres.VerifyAudit(ctx, w.db.Owner)
	if err != nil || len(breaks) > 0 {
		t.Errorf("audit log: %v %+v", err, breaks)
	}
}

// TestEnrolBatchRefusedWhole: a ministry enrolling its sector's operator
// with another ministry's in one batch is refused and enrols neither; the
// NCO enrols both in one call.
func TestEnrolBatchRefusedWhole(t *testing.T) {
	t.Parallel()
	w := newRegWorld(t)
	ctx := context.Background()
	cy := w.openCycle(t)
	for _, q := range []string{`DELETE FROM assessment_events WHERE assessment_id IN
			(SELECT id FROM assessments WHERE cycle_id = $1 AND operator_id = ANY($2))`,
		`DELETE FROM assessments WHERE cycle_id = $1 AND operator_id = ANY($2)`} {
		if _, err := w.db.Owner.Exec(ctx, q, cy.ID, []int64{w.elec, w.fin}); err != nil {
			t.Fatal(err)
		}
	}
	enrolled := func() int {
		t.Helper()
		var n int
		if err := w.db.Owner.QueryRow(ctx, `SELECT count(*) FROM assessments WHERE cycle_id = $1 AND operator_id = ANY($2)`,
			cy.ID, []int64{w.elec, w.fin}).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	err := w.as(t, w.meti, func(tx pgx.Tx) error {
		return postgres.EnrollInOpenCycles(ctx, tx, w.meti, "req-mixed", w.elec, w.fin)
	})
	if code := kijun.ErrorCode(err); code != kijun.EForbidden && code != kijun.ENotFound {
		t.Errorf("METI enrolling a finance operator: %v", err)
	}
	if n := enrolled(); n != 0 {
		t.Errorf("the refused batch enrolled %d operators", n)
	}
	if err := w.as(t, w.nco, func(tx pgx.Tx) error {
		return postgres.EnrollInOpenCycles(ctx, tx, w.nco, "req-mixed", w.elec, w.fin)
	}); err != nil {
		t.Fatal(err)
	}
	if n := enrolled(); n != 2 {
		t.Errorf("the NCO's batch enrolled %d operators, want 2", n)
	}
}
