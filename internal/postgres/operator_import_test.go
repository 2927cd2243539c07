package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"golang.org/x/text/encoding/japanese"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/register"
)

// regCSV writes an operator register CSV (UTF-8 with BOM, Japanese headers)
// with the exchange package's writer.
func regCSV(t testing.TB, rows [][]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := exchange.NewCSVWriter(&buf, exchange.OperatorHeader(kijun.Ja))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// regShiftJIS re-encodes a CSV as Excel in Japan saves it: Shift_JIS, no BOM.
func regShiftJIS(t *testing.T, utf8 []byte) []byte {
	t.Helper()
	b, err := japanese.ShiftJIS.NewEncoder().Bytes(bytes.TrimPrefix(utf8, []byte("\uFEFF")))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// preview reads and parses a file for p in its own transaction, which is
// rolled back: a preview writes nothing.
func (w *regWorld) preview(t testing.TB, p *identity.Principal, file []byte, wantEncoding string) []exchange.OperatorRow {
	t.Helper()
	table, err := exchange.Read(bytes.NewReader(file), exchange.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if table.Encoding != wantEncoding {
		t.Errorf("file read as %s, want %s", table.Encoding, wantEncoding)
	}
	if probs := exchange.CheckOperatorHeader(table.Header); len(probs) > 0 {
		t.Fatalf("header problems: %+v", probs)
	}
	var rows []exchange.OperatorRow
	errRollback := errors.New("rollback")
	err = w.as(t, p, func(tx pgx.Tx) error {
		var err error
		if rows, err = postgres.ParseOperatorImport(context.Background(), tx, p, table.Rows); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	return rows
}

func (w *regWorld) count(t testing.TB) int {
	t.Helper()
	var n int
	if err := w.db.Owner.QueryRow(context.Background(), `SELECT count(*) FROM operators`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// problemsByLine maps each line to its problems' message ids.
func problemsByLine(rows []exchange.OperatorRow) map[int][]string {
	m := map[int][]string{}
	for _, r := range rows {
		for _, p := range r.Problems {
			m[r.Line] = append(m[r.Line], p.MessageID)
		}
	}
	return m
}

// mixedRows: lines 2 and 3 create, line 4 updates the electricity
// operator, lines 5–8 have problems.
func mixedRows() [][]string {
	return [][]string{
		{regCN(101), "北関東送配電株式会社", "Kita-Kanto Grid", "", "電力", "一般送配電事業", "重要インフラ事業者", "2026-04-01", "供給区域の規模"},
		{regCN(102), "南港ガス株式会社", "", "", "gas", "ガス製造事業；一般ガス導管事業", "両方", "令和8年4月1日", ""},
		{regCN(1), "東京電力パワーグリッド株式会社", "TEPCO Power Grid", "", "電力", "一般送配電事業", "両方", "2026/4/1", "名称変更"},
		{"1234567890123", "検査数字誤り株式会社", "", "", "電力", "発電事業", "重要インフラ事業者", "2026-04-01", ""},
		{regCN(103), "越境銀行株式会社", "", "", "金融", "銀行等", "重要インフラ事業者", "2026-04-01", ""},
		{regCN(3), "みずほ銀行を電力で", "", "", "電力", "発電事業", "重要インフラ事業者", "2026-04-01", ""},
		{regCN(104), "分野不明株式会社", "", "", "宇宙", "打上げ", "重要インフラ事業者", "2026-04-01", ""},
	}
}

func TestOperatorImportPreviewThenApply(t *testing.T) {
	t.Parallel()
	w := newRegWorld(t)
	ctx := context.Background()
	before := w.count(t)

	rows := w.preview(t, w.meti, regCSV(t, mixedRows()), exchange.EncodingUTF8BOM)
	got := problemsByLine(rows)
	want := map[int][]string{
		5: {"exchange.corporate_number.check_digit"},
		6: {"exchange.operator.sector_not_overseen"},
		// The finance operator is invisible to METI; the row is refused
		// instead of failing on the unique 法人番号 when written.
		7: {"exchange.operator.existing_not_overseen"},
		8: {"exchange.operator.unknown_sector"},
	}
	for line, ids := range want {
		if strings.Join(got[line], ",") != strings.Join(ids, ",") {
			t.Errorf("line %d: problems %v, want %v", line, got[line], ids)
		}
	}
	for line := range got {
		if _, ok := want[line]; !ok {
			t.Errorf("line %d: unexpected problems %v", line, got[line])
		}
	}
	if rows[2].Action != exchange.ActionUpdate || rows[2].Operator.ID != w.elec {
		t.Errorf("line 4: %s of %d, want update of %d", rows[2].Action, rows[2].Operator.ID, w.elec)
	}
	if rows[5].Operator.ID != 0 {
		t.Error("the invisible operator's id leaked into the preview")
	}
	if n := w.count(t); n != before {
		t.Fatalf("preview wrote %d operators", n-before)
	}

	var res register.ImportResult
	if err := w.as(t, w.meti, func(tx pgx.Tx) error {
		var err error
		res, err = postgres.ApplyOperatorImport(ctx, tx, w.meti, rows, "METI", "req-import")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if res.Created != 2 || res.Updated != 1 || res.Skipped != 4 || len(res.IDs) != 3 {
		t.Errorf("result %+v", res)
	}
	if n := w.count(t); n != before+2 {
		t.Errorf("%d operators written, want 2", n-before)
	}
	if err := w.as(t, w.meti, func(tx pgx.Tx) error {
		o, err := postgres.GetOperator(ctx, tx, w.elec)
		if err != nil {
			return err
		}
		if o.Name.Ja != "東京電力パワーグリッド株式会社" || o.Designation != register.DesignationBoth || o.DesignatedBy != "METI" || o.Version != 2 {
			t.Errorf("updated operator %+v", o)
		}
		page, err := postgres.SearchOperators(ctx, tx, register.Filter{Query: "南港"})
		if err != nil {
			return err
		}
		if page.Total != 1 || len(page.Operators[0].ScopeIDs) != 2 || page.Operators[0].DesignatedBy != "METI" {
			t.Errorf("created operator %+v", page.Operators)
		}
		events, err := postgres.ListAudit(ctx, tx, audit.Filter{Action: "operator."})
		if err != nil {
			return err
		}
		actions := map[string]int{}
		for _, e := range events {
			if e.RequestID == "req-import" {
				actions[e.Action]++
			}
		}
		if actions["operator.create"] != 2 || actions["operator.update"] != 1 || actions["operator.import"] != 1 {
			t.Errorf("audited %v", actions)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The finance operator the METI file named is untouched.
	var name string
	if err := w.db.Owner.QueryRow(ctx, `SELECT name_ja FROM operators WHERE id = $1`, w.fin).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != "みずほ銀行" {
		t.Errorf("finance operator renamed to %s", name)
	}
}

// TestOperatorImportShiftJIS: Excel's Shift_JIS CSV previews and applies
// like UTF-8.
func TestOperatorImportShiftJIS(t *testing.T) {
	t.Parallel()
	w := newRegWorld(t)
	before := w.count(t)
	rows := w.preview(t, w.meti, regShiftJIS(t, regCSV(t, mixedRows())), exchange.EncodingShiftJIS)
	if got := problemsByLine(rows); len(got) != 4 || got[6][0] != "exchange.operator.sector_not_overseen" {
		t.Errorf("problems %v", got)
	}
	if rows[0].Operator.Name.Ja != "北関東送配電株式会社" {
		t.Errorf("name decoded as %q", rows[0].Operator.Name.Ja)
	}
	if err := w.as(t, w.meti, func(tx pgx.Tx) error {
		_, err := postgres.ApplyOperatorImport(context.Background(), tx, w.meti, rows, "METI", "req")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n := w.count(t); n != before+2 {
		t.Errorf("%d operators written, want 2", n-before)
	}
}

// TestOperatorImportStale: what changed between preview and confirm is
// caught inside the transaction, and then nothing at all is written.
func TestOperatorImportStale(t *testing.T) {
	t.Parallel()
	w := newRegWorld(t)
	ctx := context.Background()
	rows := w.preview(t, w.meti, regCSV(t, mixedRows()[:3]), exchange.EncodingUTF8BOM)
	// Meanwhile FSA registers line 3's 法人番号 in finance, out of METI's sight.
	if err := w.as(t, w.fsa, func(tx pgx.Tx) error {
		_, err := postgres.RegisterOperator(ctx, tx, w.fsa, register.Operator{CorporateNumber: regCN(102), Name: kijun.Text{Ja: "先に登録"},
			SectorCode: "finance", Designation: register.DesignationCI, ScopeIDs: []int64{regScope(t, w.db, "finance", "銀行等")}}, "req")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	before := w.count(t)
	err := w.as(t, w.meti, func(tx pgx.Tx) error {
		_, err := postgres.ApplyOperatorImport(ctx, tx, w.meti, rows, "METI", "req")
		return err
	})
	var kerr *kijun.Error
	if !errors.As(err, &kerr) || kerr.MessageID != "operators.import.stale" || kerr.Args["Lines"] != "3" {
		t.Fatalf("stale apply: %v (%+v)", err, kerr)
	}
	if n := w.count(t); n != before {
		t.Errorf("a stale import wrote %d operators", n-before)
	}
	var name string
	if err := w.db.Owner.QueryRow(ctx, `SELECT name_ja FROM operators WHERE id = $1`, w.elec).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != "東京電力パワーグリッド" {
		t.Errorf("a stale import updated the operator: %s", name)
	}
}

// TestOperatorImportOutsideOversight: METI's file naming only finance rows
// writes nothing, even if the preview is forged to look valid.
func TestOperatorImportOutsideOversight(t *testing.T) {
	t.Parallel()
	w := newRegWorld(t)
	ctx := context.Background()
	rows := w.preview(t, w.meti, regCSV(t, mixedRows()[4:5]), exchange.EncodingUTF8BOM)
	if len(rows) != 1 || rows[0].Valid() || rows[0].Problems[0].MessageID != "exchange.operator.sector_not_overseen" {
		t.Fatalf("finance row for METI: %+v", rows)
	}
	// A forged confirm: the row stripped of its problems, sector set.
	forged := rows[0]
	forged.Problems = nil
	forged.Operator.SectorCode = "finance"
	forged.Operator.ScopeIDs = []int64{regScope(t, w.db, "finance", "銀行等")}
	before := w.count(t)
	err := w.as(t, w.meti, func(tx pgx.Tx) error {
		_, err := postgres.ApplyOperatorImport(ctx, tx, w.meti, []exchange.OperatorRow{forged}, "METI", "req")
		return err
	})
	if kijun.ErrorCode(err) != kijun.EConflict {
		t.Errorf("forged finance row: %v", err)
	}
	if n := w.count(t); n != before {
		t.Errorf("forged row written")
	}
	// The same file from FSA imports.
	rows = w.preview(t, w.fsa, regCSV(t, mixedRows()[4:5]), exchange.EncodingUTF8BOM)
	if err := w.as(t, w.fsa, func(tx pgx.Tx) error {
		res, err := postgres.ApplyOperatorImport(ctx, tx, w.fsa, rows, "FSA", "req")
		if err == nil && res.Created != 1 {
			t.Errorf("FSA result %+v", res)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
