//go:build dev

package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// TestOAuthClientsTenancy: row-level security keeps each tenant's OAuth
// client links to itself and refuses a link for another tenant whatever
// the application asks; a client has one live link across tenants;
// authentication finds a live link as the system and counts its requests,
// and a revoked link no longer authenticates.
func TestOAuthClientsTenancy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := tenancyDB(t)
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
	now := time.Now()
	const iss = "https://idp.example"
	link := func(p *identity.Principal, c identity.OAuthClient) (int64, error) {
		c.Issuer, c.CreatedAt = iss, now
		var id int64
		err := postgres.InTx(ctx, db.App, p, func(tx pgx.Tx) (err error) {
			id, err = postgres.LinkOAuthClient(ctx, tx, p, c, "test")
			return err
		})
		return id, err
	}
	id, err := link(meti, identity.OAuthClient{ClientID: "ledger", Role: identity.RoleMinistryStaff, MinistryCode: "METI"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := link(meti, identity.OAuthClient{ClientID: "fsa-tool", Role: identity.RoleMinistryStaff, MinistryCode: "FSA"}); err == nil {
		t.Error("a METI admin stored a link for FSA")
	}
	if _, err := link(fsa, identity.OAuthClient{ClientID: "ledger", Role: identity.RoleMinistryStaff, MinistryCode: "FSA"}); !errors.Is(err, postgres.ErrClientLinked) {
		t.Errorf("another tenant linking a linked client: %v, want ErrClientLinked", err)
	}
	for p, want := range map[*identity.Principal]int{meti: 1, fsa: 0} {
		var n int
		postgres.InTx(ctx, db.App, p, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT count(*) FROM api_oauth_clients`).Scan(&n)
		})
		if n != want {
			t.Errorf("%v sees %d links, want %d", p.Grants[0], n, want)
		}
	}
	// FSA cannot revoke METI's link, even by id: it does not see it.
	err = postgres.InTx(ctx, db.App, fsa, func(tx pgx.Tx) error {
		_, err := postgres.GetOAuthClient(ctx, tx, id)
		return err
	})
	if !errors.Is(err, kijun.ErrNotFound) {
		t.Errorf("FSA reading METI's link: %v", err)
	}

	for i := 1; i <= 2; i++ {
		use, ok, err := postgres.UseOAuthClient(ctx, db.App, iss, "ledger", now, time.Minute)
		if err != nil || !ok || use.Count != i || use.Principal == nil || use.Principal.UserID != use.UserID || len(use.Principal.Grants) != 1 {
			t.Fatalf("use %d: %+v %v %v", i, use, ok, err)
		}
	}
	if _, ok, _ := postgres.UseOAuthClient(ctx, db.App, "https://other.example", "ledger", now, time.Minute); ok {
		t.Error("the client of another issuer authenticated")
	}
	err = postgres.InTx(ctx, db.App, meti, func(tx pgx.Tx) error {
		c, err := postgres.GetOAuthClient(ctx, tx, id)
		if err != nil {
			return err
		}
		return postgres.RevokeOAuthClient(ctx, tx, meti, c, now, "test")
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := postgres.UseOAuthClient(ctx, db.App, iss, "ledger", now, time.Minute); ok {
		t.Error("a revoked link authenticated")
	}
}
