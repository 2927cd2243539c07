//go:build dev

package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// TestAPITokensTenancy: row-level security keeps each tenant's tokens and
// each service account's idempotency keys to themselves, whatever the
// application asks; authentication finds a token as the system, refuses
// a revoked or expired one, and counts its requests per window.
func TestAPITokensTenancy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, ids := tenancyDB(t)
	admin := func(g identity.Grant) *identity.Principal {
		var uid int64
		if err := db.Owner.QueryRow(ctx, `INSERT INTO users (display_name) VALUES ('admin') RETURNING id`).Scan(&uid); err != nil {
			t.Fatal(err)
		}
		p := principalOf(t, db, g)
		p.UserID = uid
		return p
	}
	meti := admin(identity.Grant{Role: identity.RoleMinistryAdmin, MinistryCode: "METI"})
	fsa := admin(identity.Grant{Role: identity.RoleMinistryAdmin, MinistryCode: "FSA"})
	toto := admin(identity.Grant{Role: identity.RoleOperatorAdmin, OperatorID: ids["2010401000001"], SectorCode: "electricity"})
	now := time.Now()
	issue := func(p *identity.Principal, tok identity.APIToken) (string, error) {
		secret, hash := identity.NewTokenSecret()
		tok.Name, tok.CreatedAt, tok.ExpiresAt = "t", now, now.Add(time.Hour)
		return secret, postgres.InTx(ctx, db.App, p, func(tx pgx.Tx) error {
			_, err := postgres.IssueToken(ctx, tx, p, tok, hash, "test")
			return err
		})
	}
	metiSecret, err := issue(meti, identity.APIToken{Role: identity.RoleMinistryStaff, MinistryCode: "METI"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := issue(toto, identity.APIToken{Role: identity.RoleOperatorStaff, OperatorID: ids["2010401000001"]}); err != nil {
		t.Fatal(err)
	}
	// RLS refuses a token of another tenant, even if the application asked.
	if _, err := issue(meti, identity.APIToken{Role: identity.RoleMinistryStaff, MinistryCode: "FSA"}); err == nil {
		t.Error("a METI admin stored an FSA token")
	}
	// A ministry sees its own tokens only, not its sectors' operators'.
	for p, want := range map[*identity.Principal]int{meti: 1, fsa: 0, toto: 1} {
		var n int
		postgres.InTx(ctx, db.App, p, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM api_tokens`).Scan(&n)
		})
		if n != want {
			t.Errorf("%v sees %d tokens, want %d", p.Grants[0], n, want)
		}
	}

	// Authentication and the rate window.
	window := now.Truncate(time.Minute)
	for i := 1; i <= 3; i++ {
		use, ok, err := postgres.UseToken(ctx, db.App, identity.HashToken(metiSecret), now, time.Minute)
		if err != nil || !ok || use.Count != i || !use.Window.Equal(window) {
			t.Fatalf("use %d: %+v %v %v", i, use, ok, err)
		}
		// The same round trip reads the service account's principal.
		if p := use.Principal; p == nil || p.UserID != use.UserID || len(p.Ministries) != 1 || p.Ministries[0] != "METI" || len(p.Grants) != 1 {
			t.Fatalf("use %d: principal %+v", i, use.Principal)
		}
	}
	use, _, _ := postgres.UseToken(ctx, db.App, identity.HashToken(metiSecret), now.Add(time.Minute), time.Minute)
	if use.Count != 1 {
		t.Errorf("a new window starts at 1, got %d", use.Count)
	}
	if _, ok, _ := postgres.UseToken(ctx, db.App, identity.HashToken(metiSecret), now.Add(2*time.Hour), time.Minute); ok {
		t.Error("an expired token authenticated")
	}
	if _, ok, _ := postgres.UseToken(ctx, db.App, identity.HashToken("kijun_unknown"), now, time.Minute); ok {
		t.Error("an unknown token authenticated")
	}

	// Idempotency keys belong to one service account.
	svc, _, _ := postgres.LoadRequestPrincipal(ctx, db.App, use.UserID)
	if svc == nil || len(svc.Ministries) != 1 || svc.Ministries[0] != "METI" || svc.NCO {
		t.Fatalf("the token's principal: %+v", svc)
	}
	hash := make([]byte, 32)
	if kept, err := postgres.ReserveIdempotencyKey(ctx, db.App, svc, "k", hash, now); err != nil || kept != nil {
		t.Fatalf("reserve: %v %v", kept, err)
	}
	if kept, _ := postgres.ReserveIdempotencyKey(ctx, db.App, svc, "k", hash, now); kept == nil || kept.Status != 0 {
		t.Errorf("a second reservation while the first runs: %+v", kept)
	}
	var n int
	postgres.InTx(ctx, db.App, meti, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT count(*) FROM api_idempotency`).Scan(&n)
	})
	if n != 0 {
		t.Error("another user sees the service account's idempotency keys")
	}

	// Revoking ends authentication and the grant.
	err = postgres.InTx(ctx, db.App, meti, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `SELECT id FROM api_tokens`).Scan(&id); err != nil {
			return err
		}
		tok, err := postgres.GetToken(ctx, tx, id)
		if err != nil {
			return err
		}
		return postgres.RevokeToken(ctx, tx, meti, tok, now, "test")
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := postgres.UseToken(ctx, db.App, identity.HashToken(metiSecret), now, time.Minute); ok {
		t.Error("a revoked token authenticated")
	}
	if p, _, _ := postgres.LoadRequestPrincipal(ctx, db.App, use.UserID); p == nil || p.HasAnyGrant() {
		t.Error("the revoked token's service account keeps its grant")
	}
}
