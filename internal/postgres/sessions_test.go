package postgres_test

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// TestSessionStoreReadsThePrincipal: the store writes the session's user
// with it, and finding the session reads that user's principal as it is
// now (a revoked grant is gone on the next find).
func TestSessionStoreReadsThePrincipal(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := context.Background()
	p := regPrincipal(t, db, "session-user", regMinistryGrant("METI"), regMinistryGrant("FSA"))
	// The data here is just the user's id; scs's codec is the server's business.
	facts := func(data []byte) (int64, bool) {
		if len(data) != 8 {
			return 0, true
		}
		return int64(binary.BigEndian.Uint64(data)), true
	}
	store := postgres.NewSessionStore(db.App, 0, facts)
	signedIn := binary.BigEndian.AppendUint64(nil, uint64(p.UserID))
	if err := store.CommitCtx(ctx, "signed-in", signedIn, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := store.CommitCtx(ctx, "anonymous", []byte("flow"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := store.CommitCtx(ctx, "expired", signedIn, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}

	find := func(token string) (context.Context, []byte, bool) {
		t.Helper()
		rctx := postgres.WithPrincipalSlot(ctx, false)
		data, found, err := store.FindCtx(rctx, token)
		if err != nil {
			t.Fatal(err)
		}
		return rctx, data, found
	}
	rctx, data, found := find("signed-in")
	got, ok := postgres.SessionPrincipal(rctx, p.UserID)
	if !found || string(data) != string(signedIn) || !ok || got == nil || got.Name != "session-user" ||
		len(got.Grants) != 2 || len(got.Ministries) != 2 {
		t.Fatalf("signed-in session: found %v, principal %+v (%v)", found, got, ok)
	}
	if _, ok := postgres.SessionPrincipal(rctx, p.UserID+1); ok {
		t.Error("the principal read for one user is handed out for another")
	}

	// Revoked: the next find reads the principal without the grant.
	if _, err := db.Owner.Exec(ctx, `UPDATE role_grants SET revoked_at = now() WHERE user_id = $1 AND ministry_code = 'FSA'`, p.UserID); err != nil {
		t.Fatal(err)
	}
	rctx, _, _ = find("signed-in")
	if got, _ := postgres.SessionPrincipal(rctx, p.UserID); got == nil || len(got.Grants) != 1 || got.Grants[0].MinistryCode != "METI" {
		t.Fatalf("after revoking FSA: %+v", got)
	}

	// No user, no principal; an expired session is not found.
	rctx, data, found = find("anonymous")
	if _, ok := postgres.SessionPrincipal(rctx, 0); !found || string(data) != "flow" || ok {
		t.Errorf("anonymous session: found %v, principal read %v", found, ok)
	}
	if _, _, found := find("expired"); found {
		t.Error("an expired session was found")
	}
	// Without a slot (scs outside a request) the store just finds.
	if data, found, err := store.Find("signed-in"); err != nil || !found || string(data) != string(signedIn) {
		t.Errorf("Find: %q %v %v", data, found, err)
	}

	// A user who is deleted takes their sessions along.
	for _, del := range []string{`DELETE FROM role_grants WHERE user_id = $1`, `DELETE FROM users WHERE id = $1`} {
		if _, err := db.Owner.Exec(ctx, del, p.UserID); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, found := find("signed-in"); found {
		t.Error("the session outlived its deleted user")
	}
}

// TestSessionStoreOnAFullPool: the principal is built after the batch's
// connection goes back, because refreshing the oversight cache takes one.
// With every connection held by a request reading its session, building
// it first deadlocked the server a minute after it started (found by make
// bench); a pool of one connection shows it at once.
func TestSessionStoreOnAFullPool(t *testing.T) {
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
	store := postgres.NewSessionStore(pool, 0, func([]byte) (int64, bool) { return p.UserID, true })
	if err := store.CommitCtx(context.Background(), "t", []byte("x"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		postgres.ExpireOversightCache()
		ctx, cancel := context.WithTimeout(postgres.WithPrincipalSlot(context.Background(), false), 10*time.Second)
		_, found, err := store.FindCtx(ctx, "t")
		got, ok := postgres.SessionPrincipal(ctx, p.UserID)
		cancel()
		if err != nil || !found || !ok || got == nil || len(got.Ministries) != 1 {
			t.Fatalf("find on a pool of one after the oversight expired: %v %v %+v", found, err, got)
		}
	}
	if _, err := postgres.LoadRequestPrincipal(context.Background(), pool, p.UserID); err != nil {
		t.Fatal(err)
	}
}
