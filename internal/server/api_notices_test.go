//go:build dev

package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/remind"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestAPIServiceAccountNotices: a notice to an operator reaches the
// operator's person and its live token's service account (read through
// GET /notifications), written under row-level security by the acting
// user; not another operator's token, not a revoked or an expired token of
// the same operator. The person's notice queues a mail; the service
// account's queues none and is settled, and the escalation list's
// contacts do not count it as a person.
func TestAPIServiceAccountNotices(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	c := newContract(t, env)
	var toto, kita int64
	var totoSector string
	env.DB.Owner.QueryRow(ctx, `SELECT id, sector_code FROM operators WHERE corporate_number = '2010401000001'`).Scan(&toto, &totoSector)
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '1010401000002'`).Scan(&kita)
	if toto == 0 || kita == 0 {
		t.Fatal("demo operators missing")
	}
	env.SignIn(t, "toto-staff") // a person of the operator
	live := env.Token(t, identity.RoleOperatorStaff, "", toto)
	revoked := env.Token(t, identity.RoleOperatorAdmin, "", toto)
	expired := env.Token(t, identity.RoleOperatorStaff, "", toto)
	other := env.Token(t, identity.RoleOperatorStaff, "", kita)
	account := func(secret string) int64 {
		var u int64
		if err := env.DB.Owner.QueryRow(ctx, `SELECT user_id FROM api_tokens WHERE hash = $1`, identity.HashToken(secret)).Scan(&u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	// The token alone decides: the revoked and the expired token's grants
	// are left active.
	if _, err := env.DB.Owner.Exec(ctx, `UPDATE api_tokens SET revoked_at = now(), revoked_by = created_by WHERE hash = $1`,
		identity.HashToken(revoked)); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Owner.Exec(ctx, `UPDATE api_tokens SET created_at = now() - interval '2 days', expires_at = now() - interval '1 minute'
		WHERE hash = $1`, identity.HashToken(expired)); err != nil {
		t.Fatal(err)
	}
	var person int64
	if err := env.DB.Owner.QueryRow(ctx, `SELECT g.user_id FROM role_grants g JOIN users u ON u.id = g.user_id
		WHERE g.operator_id = $1 AND g.revoked_at IS NULL AND NOT u.service ORDER BY g.id LIMIT 1`, toto).Scan(&person); err != nil {
		t.Fatalf("no person of the operator: %v", err)
	}

	// The NCO's user notifies the operator, in its own transaction (RLS
	// notifications_insert decides what it may write).
	nco := env.NCO(t)
	e := notify.Event{Kind: notify.AssessmentReturned, Scope: authz.Resource{OperatorID: toto, SectorCode: totoSector},
		Params: notify.Params(kijun.Text{Ja: "東都電力", En: "Toto Electric"}, 2031), Link: "/assessments/1", Actor: nco.UserID}
	var notes []notify.Note
	if err := postgres.InTx(ctx, env.DB.App, nco, func(tx pgx.Tx) (err error) {
		notes, err = postgres.Notify(ctx, tx, e)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	told := map[int64]int64{} // user → notification
	for _, n := range notes {
		told[n.UserID] = n.ID
	}
	if told[person] == 0 || told[account(live)] == 0 {
		t.Fatalf("told %v: want the person %d and the live token's account %d", told, person, account(live))
	}
	for name, secret := range map[string]string{"revoked": revoked, "expired": expired, "another operator's": other} {
		if told[account(secret)] != 0 {
			t.Errorf("the %s token's account was told", name)
		}
		var n int
		env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1`, account(secret)).Scan(&n)
		if n != 0 {
			t.Errorf("the %s token's account has %d notifications", name, n)
		}
	}

	// Mail: one job for the person's notice, none for the account's, whose
	// notice is settled.
	jobs := func(id int64) (n int) {
		env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'notify.mail'
			AND (args->>'notification_id')::bigint = $1`, id).Scan(&n)
		return n
	}
	if n := jobs(told[person]); n != 1 {
		t.Errorf("%d mail jobs for the person's notice, want 1", n)
	}
	if n := jobs(told[account(live)]); n != 0 {
		t.Errorf("%d mail jobs for the service account's notice, want 0", n)
	}
	var settled bool
	env.DB.Owner.QueryRow(ctx, `SELECT mailed_at IS NOT NULL FROM notifications WHERE id = $1`, told[account(live)]).Scan(&settled)
	if !settled {
		t.Error("the service account's notice waits for a mail")
	}
	var digest []int64
	rollback := errors.New("roll back")
	if err := pgx.BeginFunc(ctx, env.DB.Owner, func(tx pgx.Tx) (err error) {
		// Even a digest preference does not make it a mail recipient.
		if _, err := tx.Exec(ctx, `INSERT INTO notification_prefs (user_id, kind, delivery) VALUES ($1, 'assessment.returned', 'digest')`,
			account(live)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE notifications SET mailed_at = NULL WHERE id = $1`, told[account(live)]); err != nil {
			return err
		}
		digest, err = postgres.DigestUsers(ctx, tx, time.Now().Add(24*time.Hour))
		if err != nil {
			return err
		}
		ts, err := postgres.LockMailTarget(ctx, tx, told[account(live)])
		if err != nil {
			return err
		}
		if !ts.Service {
			t.Error("the mail target of a service account's notice is not marked a service account")
		}
		return rollback
	}); err != rollback {
		t.Fatal(err)
	}
	for _, u := range digest {
		if u == account(live) {
			t.Error("a service account is sent a digest")
		}
	}

	// The escalation list's contacts are the operator's people only.
	asms := env.SmallCycle(t, "svc-notices", 2031)
	var cycle int64
	env.DB.Owner.QueryRow(ctx, `SELECT cycle_id FROM assessments WHERE id = $1`, asms["2010401000001"]).Scan(&cycle)
	var cands []remind.Candidate
	if err := postgres.SystemTx(ctx, env.DB.App, func(tx pgx.Tx) (err error) {
		cands, err = postgres.ListEscalation(ctx, tx, cycle, "", true)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	users := 0
	for _, cand := range cands {
		for _, k := range cand.Contacts {
			if k.User && cand.OperatorID == toto {
				users++
			}
			if k.User && strings.HasPrefix(k.Name, "test operator_") {
				t.Errorf("the escalation list names a token's service account as a contact: %+v", k)
			}
		}
	}
	if users == 0 {
		t.Error("the escalation list names none of the operator's people")
	}

	// The API: the live token reads the notice, another operator's reads none.
	me := apiCaller{t: t, env: env, contract: c, token: live}
	resp, body := me.do("GET", "/api/v1/notifications", nil)
	items := want(t, resp, body, 200)["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["id"].(float64) != float64(told[account(live)]) ||
		items[0].(map[string]any)["kind"] != "assessment.returned" {
		t.Errorf("the live token's notifications: %s", body)
	}
	resp, body = apiCaller{t: t, env: env, contract: c, token: other}.do("GET", "/api/v1/notifications", nil)
	if items := want(t, resp, body, 200)["items"].([]any); len(items) != 0 {
		t.Errorf("another operator's token reads notifications: %s", body)
	}
	resp, body = apiCaller{t: t, env: env, contract: c, token: revoked}.do("GET", "/api/v1/notifications", nil)
	want(t, resp, body, 401)

	// The database refuses a notice to a revoked token's account, whoever
	// writes it.
	err := postgres.InTx(ctx, env.DB.App, nco, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO notifications (user_id, operator_id, sector_code, kind, link)
			VALUES ($1, $2, $3, 'assessment.returned', '/assessments/1')`, account(revoked), toto, totoSector)
		return err
	})
	if err == nil {
		t.Error("the database let a notice be written to a revoked token's account")
	}
}
