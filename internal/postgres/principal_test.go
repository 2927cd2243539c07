package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// TestLoadRequestPrincipal: every request reads its user's principal as
// it is now, grants and the ministries' oversight with it: a revoked grant
// is gone on the next read, a deleted user has none.
func TestLoadRequestPrincipal(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := context.Background()
	p := regPrincipal(t, db, "session-user", regMinistryGrant("METI"), regMinistryGrant("FSA"))
	load := func() *identity.Principal {
		t.Helper()
		got, _, err := postgres.LoadRequestPrincipal(ctx, db.App, p.UserID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := load(); got == nil || got.Name != "session-user" || len(got.Grants) != 2 || len(got.Ministries) != 2 ||
		len(got.Sectors) == 0 || !slices.Equal(got.Sectors, p.Sectors) {
		t.Fatalf("principal %+v", got)
	}
	if _, err := db.Owner.Exec(ctx, `UPDATE role_grants SET revoked_at = now() WHERE user_id = $1 AND ministry_code = 'FSA'`, p.UserID); err != nil {
		t.Fatal(err)
	}
	if got := load(); got == nil || len(got.Grants) != 1 || got.Grants[0].MinistryCode != "METI" {
		t.Fatalf("after revoking FSA: %+v", got)
	}
	for _, del := range []string{`DELETE FROM role_grants WHERE user_id = $1`, `DELETE FROM users WHERE id = $1`} {
		if _, err := db.Owner.Exec(ctx, del, p.UserID); err != nil {
			t.Fatal(err)
		}
	}
	if got := load(); got != nil {
		t.Errorf("a deleted user's principal: %+v", got)
	}
}

// TestLoadRequestPrincipalOnAFullPool: reading the principal takes one
// connection, once: a pool of one connection serves it.
func TestLoadRequestPrincipalOnAFullPool(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	p := regPrincipal(t, db, "full-pool", regMinistryGrant("METI"))
	cfg, err := pgxpool.ParseConfig(db.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for range 3 {
		got, _, err := postgres.LoadRequestPrincipal(context.Background(), pool, p.UserID)
		if err != nil || got == nil || len(got.Ministries) != 1 {
			t.Fatalf("read on a pool of one: %+v %v", got, err)
		}
	}
}

// TestInTxSetsThePrincipal: a transaction starts with the principal's
// settings exactly as they are, whatever characters its codes hold.
func TestInTxSetsThePrincipal(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := context.Background()
	p := &identity.Principal{UserID: 7, Ministries: []string{`M'1`, `M\2`}, Sectors: []string{`s"'; SELECT 1; --`}, Operators: []int64{3, 4}}
	var got [6]string
	err := postgres.InTx(ctx, db.App, p, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT current_setting('kijun.user_id'), current_setting('kijun.nco'),
			current_setting('kijun.ministries'), current_setting('kijun.sectors'), current_setting('kijun.operators'),
			current_setting('kijun.system')`).Scan(&got[0], &got[1], &got[2], &got[3], &got[4], &got[5])
	})
	want := [6]string{"7", "", `{"M'1","M\\2"}`, `{"s\"'; SELECT 1; --"}`, `{"3","4"}`, ""}
	if err != nil || got != want {
		t.Errorf("settings %q, %v; want %q", got, err, want)
	}
	var ms []string
	if err := postgres.InTx(ctx, db.App, p, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT current_setting('kijun.ministries')::text[]`).Scan(&ms)
	}); err != nil || !slices.Equal(ms, p.Ministries) {
		t.Errorf("ministries %q, %v", ms, err)
	}
}
