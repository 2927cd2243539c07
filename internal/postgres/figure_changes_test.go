package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/figcache"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// The triggers of migration 000010 notify the figure cache of every
// committed change to what the dashboards show, and of nothing else: not
// of draft answer saves (the busiest writes), not of rolled-back changes.
func TestFigureChangesNotify(t *testing.T) {
	w := newDashWorld(t)
	ctx := w.ctx
	listener, err := pgx.Connect(ctx, w.db.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close(ctx)
	if _, err := listener.Exec(ctx, "LISTEN "+figcache.Channel); err != nil {
		t.Fatal(err)
	}
	// changes returns the tables that notified since the last call: a
	// barrier notification is sent after them, and notifications arrive in
	// commit order.
	changes := func() []string {
		t.Helper()
		if _, err := w.db.App.Exec(ctx, `SELECT pg_notify($1, 'barrier')`, figcache.Channel); err != nil {
			t.Fatal(err)
		}
		var got []string
		for {
			n, err := listener.WaitForNotification(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n.Payload == "barrier" {
				slices.Sort(got)
				return slices.Compact(got)
			}
			got = append(got, n.Payload)
		}
	}
	e7 := w.asm(t, w.cy26, "E7")
	w.do(t, w.users["E7"], func(tx pgx.Tx) error {
		_, err := postgres.SaveAnswer(ctx, tx, w.users["E7"], kijun.Answer{AssessmentID: e7, Ref: "GV-02", Status: kijun.AnswerImplemented}, 0, "test")
		return err
	})
	if got := changes(); len(got) > 0 {
		t.Errorf("a draft answer save notified %v", got)
	}

	w.fill(t, "E7", w.cy26, map[string]kijun.AnswerStatus{"PR-01": "implemented", "PR-02": "implemented", "DE-01": "implemented"}, true)
	if got := changes(); !slices.Contains(got, "assessments") || !slices.Contains(got, "assessment_rollups") {
		t.Errorf("a submit notified %v, want assessments and assessment_rollups among them", got)
	}

	rename := func(commit bool) {
		t.Helper()
		tx, err := w.db.Owner.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(context.WithoutCancel(ctx))
		if _, err := tx.Exec(ctx, `UPDATE operators SET name_ja = name_ja || '（改称）' WHERE id = $1`, w.ops["E1"]); err != nil {
			t.Fatal(err)
		}
		if commit {
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	rename(false)
	if got := changes(); len(got) > 0 {
		t.Errorf("a rolled-back rename notified %v", got)
	}
	rename(true)
	if got := changes(); !slices.Equal(got, []string{"operators"}) {
		t.Errorf("a rename notified %v, want [operators]", got)
	}
}
