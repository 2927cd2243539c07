package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// TestInvitationGoesOnlyToTheAccountProvingTheAddress: an open invitation
// is accepted by the account signing in with the address verified, unless
// that account was known under another address before; expired ones are
// not accepted at all.
func TestInvitationGoesOnlyToTheAccountProvingTheAddress(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	ctx := context.Background()
	signIn := func(subject, email string, verified bool) postgres.SignInResult {
		t.Helper()
		var res postgres.SignInResult
		err := postgres.SystemTx(ctx, db.App, func(tx pgx.Tx) (err error) {
			res, err = postgres.SignIn(ctx, tx, postgres.Identity{Provider: "p", Issuer: "https://idp.example", Subject: subject,
				Email: email, EmailVerified: verified})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	invite := func(email, expires string) {
		t.Helper()
		if _, err := db.Owner.Exec(ctx, `INSERT INTO invitations (email, role, ministry_code, invited_by, expires_at)
			VALUES ($1, 'ministry_staff', 'METI', (SELECT min(id) FROM users), now() + $2::interval)`, email, expires); err != nil {
			t.Fatal(err)
		}
	}
	// An account known as old@ before the invitation to new@.
	known := signIn("known", "old@example.jp", true)
	invite("new@example.jp", "14 days")
	if res := signIn("known", "New@example.jp", true); len(res.Accepted) != 0 || len(res.Conflicting) != 1 {
		t.Fatalf("an account known under another address: accepted %v, conflicting %v", res.Accepted, res.Conflicting)
	}
	if res := signIn("other", "new@example.jp", false); len(res.Accepted) != 0 {
		t.Fatalf("an unverified address accepted %v", res.Accepted)
	}
	res := signIn("fresh", "new@example.jp", true)
	if len(res.Accepted) != 1 || res.Accepted[0].GrantID == 0 || res.UserID == known.UserID {
		t.Fatalf("the new account proving the address: %+v", res)
	}
	invite("late@example.jp", "1 second")
	if _, err := db.Owner.Exec(ctx, `UPDATE invitations SET invited_at = invited_at - interval '1 hour', expires_at = expires_at - interval '1 hour'
		WHERE email = 'late@example.jp'`); err != nil {
		t.Fatal(err)
	}
	if res := signIn("late", "late@example.jp", true); len(res.Accepted) != 0 {
		t.Fatalf("an expired invitation was accepted: %v", res.Accepted)
	}
}
