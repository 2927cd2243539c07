package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/plan"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// One statement that writes many answers or files (an import, a carry
// forward and its confirmation) voids the confirmation of each assessment
// it touches once: the voiding trigger runs once for the statement and
// writes one void an assessment, however many of its rows change; an
// update that changes nothing voids nothing.
func TestSignOffVoidedOnceAStatement(t *testing.T) {
	t.Parallel()
	const n = 60
	ctx := context.Background()
	db := pgtest.New(t)
	controls := make([]catalog.Control, n)
	for i := range controls {
		ref := fmt.Sprintf("PR-%03d", i+1)
		controls[i] = catalog.Control{Ref: ref, Section: "PR", CSF: []string{"PR.DS"},
			Title: kijun.Text{Ja: ref + " の表題", En: ref + " title"}, Statement: kijun.Text{Ja: ref + " の要求事項", En: ref + " statement"}}
	}
	catalogID := importPublished(t, db, &catalog.Catalog{Code: "void-test", Version: "1", Title: kijun.Text{Ja: "試験", En: "Test"}, Controls: controls})
	someone := regUser(t, db, "proposer")
	opA := regOperator(t, db, 11, "electricity", "電力A", someone)
	opB := regOperator(t, db, 12, "electricity", "電力B", someone)
	nco := regPrincipal(t, db, "nco", identity.Grant{Role: identity.RoleNCOAdmin})
	admin := regPrincipal(t, db, "userA", regOperatorGrant(opA, "electricity"))
	if err := postgres.InTx(ctx, db.App, nco, func(tx pgx.Tx) error {
		_, _, err := postgres.OpenCycle(ctx, tx, nco, postgres.CycleInput{FiscalYear: 2027, CatalogID: catalogID,
			OpensOn: db.Today(t), DueOn: time.Date(2028, 1, 31, 0, 0, 0, 0, time.UTC)}, nil, "test")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ids := map[int64]int64{}
	for _, op := range []int64{opA, opB} {
		var id int64
		if err := db.Owner.QueryRow(ctx, `SELECT id FROM assessments WHERE operator_id = $1`, op).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[op] = id
	}
	a, b := ids[opA], ids[opB]
	// Both assessments have the first 50 answers (as an import writes
	// them) and a file.
	if _, err := db.Owner.Exec(ctx, `INSERT INTO answers (assessment_id, ref, operator_id, sector_code, status, how)
		SELECT assessment_id, ref, operator_id, sector_code, 'implemented', '規程で定めています'
		FROM assessment_controls WHERE assessment_id = ANY($1) AND ref <= 'PR-050'`, []int64{a, b}); err != nil {
		t.Fatal(err)
	}
	addFiles := `INSERT INTO evidence (assessment_id, ref, operator_id, sector_code, file_name, content_type, size, sha256, bytes)
		SELECT assessment_id, ref, operator_id, sector_code, ref || '.txt', 'text/plain', 1, sha256('x'), 'x'
		FROM assessment_controls WHERE assessment_id = ANY($1) AND ref <= 'PR-020'`
	if _, err := db.Owner.Exec(ctx, addFiles, []int64{a, b}); err != nil {
		t.Fatal(err)
	}

	// Each statement writes the rows of the assessments $1.
	cases := []struct {
		name string
		sql  string
		on   []int64
		want []int64 // the assessments voided
	}{
		{"insert 10 answers of A", `INSERT INTO answers (assessment_id, ref, operator_id, sector_code, status)
			SELECT assessment_id, ref, operator_id, sector_code, 'partial' FROM assessment_controls
			WHERE assessment_id = ANY($1) AND ref > 'PR-050'`, []int64{a}, []int64{a}},
		{"update 50 answers of A", `UPDATE answers SET how = how || '。' WHERE assessment_id = ANY($1)`, []int64{a}, []int64{a}},
		{"update one answer of A", `UPDATE answers SET maturity = 2 WHERE assessment_id = ANY($1) AND ref = 'PR-007'`, []int64{a}, []int64{a}},
		{"update 100 answers of A and B", `UPDATE answers SET status = 'partial' WHERE assessment_id = ANY($1)`, []int64{a, b}, []int64{a, b}},
		{"delete 50 answers of A", `DELETE FROM answers WHERE assessment_id = ANY($1)`, []int64{a}, []int64{a}},
		{"add 20 files to A", `INSERT INTO evidence (assessment_id, ref, operator_id, sector_code, file_name, content_type, size, sha256, bytes)
			SELECT assessment_id, ref, operator_id, sector_code, 'more.txt', 'text/plain', 1, sha256('y'), 'y'
			FROM assessment_controls WHERE assessment_id = ANY($1) AND ref <= 'PR-020'`, []int64{a}, []int64{a}},
		{"rename 40 files of A and B", `UPDATE evidence SET file_name = 'renamed-' || file_name WHERE assessment_id = ANY($1)`, []int64{a, b}, []int64{a, b}},
		{"remove 20 files of B", `DELETE FROM evidence WHERE assessment_id = ANY($1)`, []int64{b}, []int64{b}},
		{"50 answers of A left as they are", `UPDATE answers SET how = how, sector_code = sector_code WHERE assessment_id = ANY($1)`, []int64{a}, nil},
		{"no answer", `UPDATE answers SET how = 'x' WHERE assessment_id = ANY($1)`, []int64{-1}, nil},
	}
	for _, c := range cases {
		err := func() error {
			tx, err := db.Owner.Begin(ctx)
			if err != nil {
				return err
			}
			defer tx.Rollback(ctx)
			// Count the calls of the trigger function (the owner may).
			if _, err := tx.Exec(ctx, `SET LOCAL track_functions = 'pl'`); err != nil {
				return err
			}
			for _, id := range []int64{a, b} {
				if _, err := tx.Exec(ctx, `INSERT INTO assessment_signoffs (assessment_id, operator_id, sector_code, decision, by_user)
					SELECT id, operator_id, sector_code, 'confirmed', $2 FROM assessments WHERE id = $1`, id, admin.UserID); err != nil {
					return err
				}
			}
			// What the backend counted before the statement.
			updatedBefore, callsBefore, err := voidCounts(ctx, tx)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, c.sql, c.on); err != nil {
				return err
			}
			rows, _ := tx.Query(ctx, `SELECT assessment_id FROM assessment_signoffs
				WHERE voided_at IS NOT NULL AND voided_why = $1 ORDER BY assessment_id`, string(assessment.VoidAnswerChanged))
			voided, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil {
				return err
			}
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(voided, want) {
				t.Errorf("%s: voided %v, want %v", c.name, voided, want)
			}
			updated, calls, err := voidCounts(ctx, tx)
			if err != nil {
				return err
			}
			if updated-updatedBefore != int64(len(want)) {
				t.Errorf("%s: %d confirmations written, want %d", c.name, updated-updatedBefore, len(want))
			}
			if calls-callsBefore != 1 {
				t.Errorf("%s: the voiding trigger ran %d times, want once", c.name, calls-callsBefore)
			}
			return nil
		}()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
}

// voidCounts is what the backend has counted so far of rows updated in
// assessment_signoffs and of calls of the voiding trigger function.
func voidCounts(ctx context.Context, tx pgx.Tx) (updated, calls int64, err error) {
	err = tx.QueryRow(ctx, `SELECT (SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'assessment_signoffs'),
		(SELECT coalesce(sum(calls), 0) FROM pg_stat_xact_user_functions WHERE funcname = 'kijun_signoff_void_on_edit')`).Scan(&updated, &calls)
	return updated, calls, err
}

// The same for a plan: one statement that changes many rows of a draft
// (its profile, its supplementary controls) or several drafts voids each
// draft's confirmation once, with one run of the voiding trigger; an
// update that changes nothing voids nothing.
func TestPlanSignOffVoidedOnceAStatement(t *testing.T) {
	t.Parallel()
	w := newPlanWorld(t)
	admin := regPrincipal(t, w.db, "経産 管理者", identity.Grant{Role: identity.RoleMinistryAdmin, MinistryCode: "METI"})
	id := w.createPlan(t)
	for _, ref := range []string{"ELECTRICITY-S01", "ELECTRICITY-S02", "ELECTRICITY-S03"} {
		w.must(t, w.meti, func(tx pgx.Tx) error {
			return postgres.SaveSupplementary(w.ctx, tx, w.meti, id, supplementary(ref), false, "test")
		})
	}
	var version int64
	var profileRows int
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT v.id, (SELECT count(*) FROM plan_profile_controls p WHERE p.version_id = v.id)
		FROM plan_versions v WHERE v.plan_id = $1`, id).Scan(&version, &profileRows); err != nil {
		t.Fatal(err)
	}
	if profileRows < 2 {
		t.Fatalf("%d profile rows: want a few to change at once", profileRows)
	}
	cases := []struct {
		name   string
		sql    string
		voided bool
	}{
		{"every profile row", `UPDATE plan_profile_controls SET tailoring_note = tailoring_note || 'x' WHERE version_id = $1`, true},
		{"every supplementary control", `DELETE FROM plan_supplementary_controls WHERE version_id = $1`, true},
		{"the period", `UPDATE plans SET period_end = period_end + 1 WHERE id = (SELECT plan_id FROM plan_versions WHERE id = $1)`, true},
		{"the general fields", `UPDATE plan_versions SET internal_note = internal_note || 'x' WHERE id = $1`, true},
		{"profile rows left as they are", `UPDATE plan_profile_controls SET tailoring_note = tailoring_note WHERE version_id = $1`, false},
		{"the period left as it is", `UPDATE plans SET period_end = period_end WHERE id = (SELECT plan_id FROM plan_versions WHERE id = $1)`, false},
	}
	for _, c := range cases {
		err := func() error {
			tx, err := w.db.Owner.Begin(w.ctx)
			if err != nil {
				return err
			}
			defer tx.Rollback(w.ctx)
			if _, err := tx.Exec(w.ctx, `SET LOCAL track_functions = 'pl'`); err != nil {
				return err
			}
			if _, err := tx.Exec(w.ctx, `INSERT INTO plan_signoffs (version_id, ministry_code, step, by_user)
				SELECT id, ministry_code, 'confirmed', $2 FROM plan_versions WHERE id = $1`, version, admin.UserID); err != nil {
				return err
			}
			counts := func() (updated, calls int64, err error) {
				err = tx.QueryRow(w.ctx, `SELECT (SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'plan_signoffs'),
					(SELECT coalesce(sum(calls), 0) FROM pg_stat_xact_user_functions WHERE funcname = 'kijun_plan_signoff_void_on_edit')`).
					Scan(&updated, &calls)
				return updated, calls, err
			}
			updatedBefore, callsBefore, err := counts()
			if err != nil {
				return err
			}
			if _, err := tx.Exec(w.ctx, c.sql, version); err != nil {
				return err
			}
			var voided bool
			if err := tx.QueryRow(w.ctx, `SELECT voided_at IS NOT NULL AND voided_why = $2 FROM plan_signoffs
				WHERE version_id = $1 AND step = 'confirmed'`, version, plan.VoidEdited).Scan(&voided); err != nil {
				return err
			}
			updated, calls, err := counts()
			if err != nil {
				return err
			}
			want := int64(0)
			if c.voided {
				want = 1
			}
			if voided != c.voided || updated-updatedBefore != want {
				t.Errorf("%s: voided %v with %d confirmations written, want %v and %d", c.name, voided, updated-updatedBefore, c.voided, want)
			}
			if calls-callsBefore != 1 {
				t.Errorf("%s: the voiding trigger ran %d times, want once", c.name, calls-callsBefore)
			}
			return nil
		}()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
}
