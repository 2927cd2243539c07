package postgres_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// TestQueryRowAs: the principal's settings hold for the statement and end
// with it, and an error rolls the statement's writes back.
func TestQueryRowAs(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	id := w.assessmentOf(t, w.openCycle(t, 2027), w.opA)
	w.save(t, w.userA, kijun.Answer{AssessmentID: id, Ref: "GV-01", How: "kept"})
	cfg, err := pgxpool.ParseConfig(w.db.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1 // every call below runs on the same connection
	pool, err := pgxpool.NewWithConfig(w.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var user, ops string
	if err := postgres.QueryRowAs(w.ctx, pool, w.userA, `SELECT current_setting('kijun.user_id'), current_setting('kijun.operators')`).
		Scan(&user, &ops); err != nil {
		t.Fatal(err)
	}
	if user != fmt.Sprint(w.userA.UserID) || ops != fmt.Sprintf(`{"%d"}`, w.opA) {
		t.Errorf("settings in the statement: %q %q", user, ops)
	}
	if err := pool.QueryRow(w.ctx, `SELECT coalesce(current_setting('kijun.user_id', true), '')`).Scan(&user); err != nil || user != "" {
		t.Errorf("after the statement the connection still runs as %q (%v)", user, err)
	}
	var n int
	if err := postgres.QueryRowAs(w.ctx, pool, w.userB, `SELECT count(*) FROM answers`).Scan(&n); err != nil || n != 0 {
		t.Errorf("operator B sees %d answers (%v)", n, err)
	}
	err = postgres.QueryRowAs(w.ctx, pool, w.userA, `WITH u AS (UPDATE answers SET how = 'lost' WHERE assessment_id = $1 RETURNING 1)
		SELECT count(*) / 0 FROM u`, id).Scan(&n)
	if pgCodeOf(err) != "22012" {
		t.Errorf("division by zero: %v", err)
	}
	var how string
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT how FROM answers WHERE assessment_id = $1`, id).Scan(&how); err != nil || how != "kept" {
		t.Errorf("after the failed statement: how %q (%v), want kept", how, err)
	}
	if err := postgres.QueryRowAs(w.ctx, pool, w.userA, `SELECT 1 WHERE false`).Scan(&n); !errors.Is(err, pgx.ErrNoRows) {
		t.Errorf("no row: %v", err)
	}
}
