package postgres_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/dashboard"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/plan"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/register"
)

// The rules are defined in Go; where the database still checks part of a
// rule (its triggers, functions and CHECKs), these tests derive the
// check's expected behaviour from the Go definition, so the two cannot
// drift: every pair of states, every status, the group sizes around the
// threshold, every bounded column.

// ownerTx runs fn in a system transaction of the owner that is rolled back.
// fn may set session_replication_role to put rows into a state without the
// triggers that guard transitions into it.
func ownerTx(t *testing.T, w *asmWorld, fn func(tx pgx.Tx) error) error {
	t.Helper()
	tx, err := w.db.Owner.Begin(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(w.ctx)
	if _, err := tx.Exec(w.ctx, `SELECT set_config('kijun.system', 'true', true)`); err != nil {
		t.Fatal(err)
	}
	return fn(tx)
}

// setUnguarded runs sql with the triggers off, then turns them on again.
func setUnguarded(tx pgx.Tx, w *asmWorld, sql string, args ...any) error {
	if _, err := tx.Exec(w.ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		return err
	}
	if _, err := tx.Exec(w.ctx, sql, args...); err != nil {
		return err
	}
	_, err := tx.Exec(w.ctx, `SET LOCAL session_replication_role = origin`)
	return err
}

// kijun_assessments_transition accepts exactly the pairs that
// assessment.Status.CanMoveTo accepts.
func TestAssessmentTransitionTriggerIsCanMoveTo(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	id := w.assessmentOf(t, w.openCycle(t, 2027), w.opA)
	for _, from := range assessment.Statuses {
		for _, to := range assessment.Statuses {
			if from == to {
				continue
			}
			err := ownerTx(t, w, func(tx pgx.Tx) error {
				if err := setUnguarded(tx, w, `UPDATE assessments SET status = $2, submitted_at = now(), accepted_at = now()
					WHERE id = $1`, id, string(from)); err != nil {
					t.Fatal(err)
				}
				// A submission names a current confirmation (its own rule,
				// TestSubmitNeedsCurrentSignOffInDatabase).
				var signoff int64
				if err := tx.QueryRow(w.ctx, `INSERT INTO assessment_signoffs (assessment_id, operator_id, sector_code, decision, by_user)
					SELECT id, operator_id, sector_code, 'confirmed', $2 FROM assessments WHERE id = $1 RETURNING id`,
					id, w.userA.UserID).Scan(&signoff); err != nil {
					t.Fatal(err)
				}
				_, err := tx.Exec(w.ctx, `UPDATE assessments SET status = $2, signoff_id = $3 WHERE id = $1`, id, string(to), signoff)
				return err
			})
			switch {
			case err != nil && planPGCode(err) != "KJ003":
				t.Fatalf("%s → %s: %v", from, to, err)
			case (err == nil) != from.CanMoveTo(to):
				t.Errorf("%s → %s: the database accepts it: %v, CanMoveTo: %v", from, to, err == nil, from.CanMoveTo(to))
			}
		}
	}
}

// kijun_answers_guard locks answers and evidence in exactly the statuses
// in which assessment.Status.Editable is false.
func TestAnswersGuardIsEditable(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	id := w.assessmentOf(t, w.openCycle(t, 2027), w.opA)
	for _, s := range assessment.Statuses {
		err := ownerTx(t, w, func(tx pgx.Tx) error {
			if err := setUnguarded(tx, w, `UPDATE assessments SET status = $2, submitted_at = now(), accepted_at = now()
				WHERE id = $1`, id, string(s)); err != nil {
				t.Fatal(err)
			}
			_, err := tx.Exec(w.ctx, `INSERT INTO answers (assessment_id, ref, operator_id, sector_code, status)
				VALUES ($1, 'GV-01', $2, 'electricity', 'implemented')`, id, w.opA)
			return err
		})
		switch {
		case err != nil && planPGCode(err) != "KJ002":
			t.Fatalf("%s: %v", s, err)
		case (err == nil) != s.Editable():
			t.Errorf("%s: the database takes an answer: %v, Editable: %v", s, err == nil, s.Editable())
		}
	}
}

// kijun_plan_versions_guard accepts exactly the pairs that
// plan.Status.CanMoveTo accepts (a draft's edits, draft → draft,
// are not a transition).
func TestPlanVersionTransitionTriggerIsCanMoveTo(t *testing.T) {
	t.Parallel()
	w := newPlanWorld(t)
	planID := w.createPlan(t)
	var id int64
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT id FROM plan_versions WHERE plan_id = $1`, planID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	for _, from := range plan.Statuses {
		for _, to := range plan.Statuses {
			if from == to {
				continue
			}
			err := func() error {
				tx, err := w.db.Owner.Begin(w.ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer tx.Rollback(w.ctx)
				for _, q := range []string{`SELECT set_config('kijun.system', 'true', true)`, `SET LOCAL session_replication_role = replica`} {
					if _, err := tx.Exec(w.ctx, q); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := tx.Exec(w.ctx, `UPDATE plan_versions SET status = $2, submitted_at = now(), decided_at = now()
					WHERE id = $1`, id, string(from)); err != nil {
					t.Fatal(err)
				}
				if _, err := tx.Exec(w.ctx, `SET LOCAL session_replication_role = origin`); err != nil {
					t.Fatal(err)
				}
				_, err = tx.Exec(w.ctx, `UPDATE plan_versions SET status = $2 WHERE id = $1`, id, string(to))
				return err
			}()
			switch {
			case err != nil && planPGCode(err) != "KJ004":
				t.Fatalf("%s → %s: %v", from, to, err)
			case (err == nil) != from.CanMoveTo(to):
				t.Errorf("%s → %s: the database accepts it: %v, CanMoveTo: %v", from, to, err == nil, from.CanMoveTo(to))
			}
		}
	}
}

// kijun_sector_benchmark gives quartiles for a group of exactly
// dashboard.MinBenchmarkGroup scores or more, and none below.
func TestSectorBenchmarkThresholdIsMinBenchmarkGroup(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	// Electricity has opA and opB; enough more operators for a group of
	// MinBenchmarkGroup.
	for i := range dashboard.MinBenchmarkGroup {
		if _, err := w.db.Owner.Exec(w.ctx, `INSERT INTO operators (corporate_number, name_ja, sector_code, designation)
			VALUES ($1, $2, 'electricity', 'ci')`, fmt.Sprintf("80000000000%02d", i), fmt.Sprintf("電力%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	var cy assessment.Cycle
	w.must(t, w.nco, func(tx pgx.Tx) (err error) {
		cy, _, err = postgres.OpenCycle(w.ctx, tx, w.nco, postgres.CycleInput{FiscalYear: 2027, CatalogID: w.catalogID,
			OpensOn: time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC), DueOn: time.Date(2028, 1, 31, 0, 0, 0, 0, time.UTC)}, nil, "test")
		return err
	})
	err := ownerTx(t, w, func(tx pgx.Tx) error {
		if err := setUnguarded(tx, w, `UPDATE assessments SET status = 'submitted', submitted_at = now()
			WHERE cycle_id = $1 AND sector_code = 'electricity'`, cy.ID); err != nil {
			return err
		}
		rows, _ := tx.Query(w.ctx, `SELECT id, operator_id FROM assessments WHERE cycle_id = $1 AND sector_code = 'electricity'
			ORDER BY id LIMIT $2`, cy.ID, dashboard.MinBenchmarkGroup)
		type asm struct{ ID, Operator int64 }
		ids, err := pgx.CollectRows(rows, pgx.RowToStructByPos[asm])
		if err != nil {
			return err
		}
		if len(ids) != dashboard.MinBenchmarkGroup {
			t.Fatalf("%d electricity assessments", len(ids))
		}
		for n, a := range ids {
			var suppressed bool
			if err := tx.QueryRow(w.ctx, `SELECT coalesce(bool_and(quartiles IS NULL), true)
				FROM kijun_sector_benchmark($1, 'electricity') WHERE kind = 'overall'`, cy.ID).Scan(&suppressed); err != nil {
				return err
			}
			if want := n < dashboard.MinBenchmarkGroup; suppressed != want {
				t.Errorf("%d scores: suppressed %v, want %v", n, suppressed, want)
			}
			if _, err := tx.Exec(w.ctx, `INSERT INTO assessment_rollups (assessment_id, cycle_id, operator_id, sector_code, kind, key,
					controls, answered, applicable, implemented, partial, not_implemented, na, score, written_status)
				VALUES ($1, $2, $3, 'electricity', 'overall', '', 1, 1, 1, 1, 0, 0, 0, 1, 'submitted')`, a.ID, cy.ID, a.Operator); err != nil {
				return err
			}
		}
		var suppressed bool
		err = tx.QueryRow(w.ctx, `SELECT quartiles IS NULL FROM kijun_sector_benchmark($1, 'electricity') WHERE kind = 'overall'`,
			cy.ID).Scan(&suppressed)
		if err == nil && suppressed {
			t.Errorf("%d scores: suppressed", dashboard.MinBenchmarkGroup)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The CHECKs that bound a text's length (or a number) are the Go limits
// that validation applies first: each column's CHECK says exactly the Go
// constant.
func TestCheckLimitsAreGo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	for _, c := range []struct {
		table, column string
		length        bool // a bound on length(column), else on the column itself
		limit         int
	}{
		{"answers", "how", true, assessment.MaxHowLen},
		{"operators", "name_ja", true, register.MaxNameLen},
		{"operators", "name_en", true, register.MaxNameLen},
		{"operators", "reason", true, register.MaxReasonLen},
		{"answers", "na_reason", true, assessment.MaxReasonLen},
		{"answers", "remediation_action", true, assessment.MaxActionLen},
		{"answers", "remediation_owner", true, assessment.MaxOwnerLen},
		{"answers", "maturity", false, assessment.MaxMaturity},
		{"review_comments", "body", true, assessment.MaxCommentLen},
		{"assessment_events", "note", true, assessment.MaxCommentLen},
		{"assessment_extensions", "reason", true, assessment.MaxExtensionReasonLen},
		{"evidence", "file_name", true, assessment.MaxEvidenceName},
		{"evidence", "size", false, assessment.MaxEvidenceCeiling},
		{"plan_versions", "title_ja", true, plan.MaxTitle},
		{"plan_versions", "title_en", true, plan.MaxTitle},
		{"plan_versions", "internal_note", true, plan.MaxNote},
		{"plan_profile_controls", "na_reason", true, plan.MaxProfileText},
		{"plan_profile_controls", "reflection_reason", true, plan.MaxProfileText},
		{"plan_profile_controls", "tailoring_note", true, plan.MaxTailoring},
		{"plan_profile_controls", "standard_doc", true, plan.MaxStandardText},
		{"plan_profile_controls", "standard_clause", true, plan.MaxStandardText},
		{"plan_supplementary_controls", "reflection_reason", true, plan.MaxProfileText},
		{"plan_supplementary_controls", "standard_doc", true, plan.MaxStandardText},
		{"plan_supplementary_controls", "standard_clause", true, plan.MaxStandardText},
		{"plan_comments", "body", true, plan.MaxComment},
		{"plan_evaluations", "findings", true, plan.MaxEvalText},
		{"plan_evaluations", "good_practices", true, plan.MaxEvalText},
		{"plan_evaluations", "improvement_requests", true, plan.MaxEvalText},
		{"plan_evaluations", "response", true, plan.MaxEvalText},
		{"api_tokens", "name", true, identity.MaxTokenNameLen},
		{"api_oauth_clients", "client_id", true, identity.MaxClientIDLen},
	} {
		rows, _ := db.Owner.Query(ctx, `SELECT pg_get_constraintdef(oid) FROM pg_constraint
			WHERE conrelid = $1::regclass AND contype = 'c'`, c.table)
		defs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		bound := `\(` + c.column + ` <= (\d+)\)`
		if c.length {
			bound = `\(length\(` + c.column + `\) <= (\d+)\)`
		}
		re := regexp.MustCompile(bound)
		found := false
		for _, d := range defs {
			for _, m := range re.FindAllStringSubmatch(d, -1) {
				found = true
				if n, _ := strconv.Atoi(m[1]); n != c.limit {
					t.Errorf("%s.%s: the database's bound is %d, Go's %d", c.table, c.column, n, c.limit)
				}
			}
		}
		if !found {
			t.Errorf("%s.%s: no CHECK bounds it (%s)", c.table, c.column, defs)
		}
	}
}

// The statuses the CHECKs allow are the Go lists of statuses.
func TestStatusChecksAreGo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	var asm, remediation []string
	for _, s := range assessment.Statuses {
		asm = append(asm, string(s))
	}
	for _, s := range plan.Statuses {
		remediation = append(remediation, string(s))
	}
	quoted := regexp.MustCompile(`'([a-z_]+)'::text`)
	for _, c := range []struct {
		table string
		want  []string
	}{
		{"assessments", asm},
		{"sector_status_counts", asm},
		{"plan_versions", remediation},
	} {
		var def string
		if err := db.Owner.QueryRow(ctx, `SELECT pg_get_constraintdef(oid) FROM pg_constraint
			WHERE conrelid = $1::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE 'CHECK ((status = ANY%'`,
			c.table).Scan(&def); err != nil {
			t.Fatalf("%s: the CHECK on status: %v", c.table, err)
		}
		var got []string
		for _, m := range quoted.FindAllStringSubmatch(def, -1) {
			got = append(got, m[1])
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(c.want))
		if !slices.Equal(got, want) {
			t.Errorf("%s.status: the database allows %v, Go has %v", c.table, got, want)
		}
	}
}
