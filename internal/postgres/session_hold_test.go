package postgres_test

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// TestRememberedSessionIsHeld: a request that may be served its session
// from memory gets the one an earlier request read, and its work then runs
// only while that session is live and its user's principal unchanged
// (kijun_hold_session, migration 000016). Each way the session stops
// holding is refused with ErrSessionStale, writes nothing, and is
// forgotten, so the next find reads it afresh.
func TestRememberedSessionIsHeld(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	id := w.assessmentOf(t, w.openCycle(t, 2027), w.opA)
	tenant := w.tenantOf(t, id)
	unwritten := true
	store := postgres.NewSessionStore(w.db.App, 0, func(data []byte) (int64, bool) {
		return int64(binary.BigEndian.Uint64(data)), unwritten
	})
	data := binary.BigEndian.AppendUint64(nil, uint64(w.userA.UserID))
	commit := func() {
		t.Helper()
		if err := store.CommitCtx(w.ctx, "tok", data, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	commit()
	// find is one request's session: ctx and the principal it was read with.
	find := func(remember bool) (context.Context, *kijun.Principal) {
		t.Helper()
		rctx := postgres.WithPrincipalSlot(w.ctx, remember)
		if _, found, err := store.FindCtx(rctx, "tok"); err != nil || !found {
			t.Fatalf("find: %v %v", found, err)
		}
		p, _ := postgres.SessionPrincipal(rctx, w.userA.UserID)
		return rctx, p
	}
	version := 0
	save := func(rctx context.Context, p *kijun.Principal) error {
		saved, err := postgres.SaveAnswerAs(rctx, w.db.App, p, tenant, kijun.Answer{AssessmentID: id, Ref: "GV-01",
			Status: kijun.AnswerImplemented, How: time.Now().String()}, version, "test")
		if err == nil {
			version = saved.Version
		}
		return err
	}
	events := func() int {
		t.Helper()
		_, after := w.saveEvents(t, id, "GV-01")
		return len(after)
	}
	// mustSave reads the session afresh, which remembers it, and saves on
	// it remembered.
	mustSave := func(what string) {
		t.Helper()
		find(false)
		if err := save(find(true)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// refused: the change made by change stops a remembered session.
	refused := func(what string, change string, args ...any) {
		t.Helper()
		mustSave("before " + what)
		rctx, p := find(true)
		if _, err := w.db.Owner.Exec(w.ctx, change, args...); err != nil {
			t.Fatal(err)
		}
		n := events()
		if err := save(rctx, p); !errors.Is(err, postgres.ErrSessionStale) {
			t.Errorf("%s: save on the remembered session: %v, want ErrSessionStale", what, err)
		}
		if events() != n {
			t.Errorf("%s: the refused save wrote an event", what)
		}
	}

	const grant = `INSERT INTO role_grants (user_id, role, operator_id, sector_code, source)
		VALUES ($1, 'operator_admin', $2, 'electricity', 'directory')`
	if err := save(find(true)); err != nil { // nothing remembered yet
		t.Fatal(err)
	}
	mustSave("remembered")
	if events() != 2 {
		t.Fatalf("%d events after two saves", events())
	}

	// Revoked: the remembered principal still has the grant, the database
	// refuses it, and the next find reads the principal without it.
	refused("revoked", `UPDATE role_grants SET revoked_at = now() WHERE user_id = $1`, w.userA.UserID)
	if _, p := find(true); p == nil || len(p.Operators) != 0 {
		t.Fatalf("after the refusal the principal is %+v, want read afresh without grants", p)
	}
	// Granted again: the principal remembered without the grant is refused
	// too (the hold runs before the save).
	rctx, p := find(true)
	if _, err := w.db.Owner.Exec(w.ctx, grant, w.userA.UserID, w.opA); err != nil {
		t.Fatal(err)
	}
	if err := save(rctx, p); !errors.Is(err, postgres.ErrSessionStale) {
		t.Errorf("granted: save on the principal remembered without the grant: %v, want ErrSessionStale", err)
	}

	refused("a grant deleted", `DELETE FROM role_grants WHERE user_id = $1 AND revoked_at IS NULL`, w.userA.UserID)
	if _, err := w.db.Owner.Exec(w.ctx, grant, w.userA.UserID, w.opA); err != nil {
		t.Fatal(err)
	}
	refused("renamed", `UPDATE users SET display_name = 'userA renamed' WHERE id = $1`, w.userA.UserID)
	refused("moved with its operator", `UPDATE role_grants SET sector_code = 'gas' WHERE user_id = $1 AND revoked_at IS NULL`, w.userA.UserID)
	if _, err := w.db.Owner.Exec(w.ctx, `UPDATE role_grants SET sector_code = 'electricity' WHERE user_id = $1`, w.userA.UserID); err != nil {
		t.Fatal(err)
	}
	refused("expired", `UPDATE sessions SET expiry = now() - interval '1 second' WHERE token = 'tok'`)
	commit()
	refused("signed out elsewhere", `DELETE FROM sessions WHERE token = 'tok'`)
	commit()
	refused("given to another user", `UPDATE sessions SET user_id = $1 WHERE token = 'tok'`, w.userB.UserID)
	commit()

	// A sign-in's time changes nothing the principal carries.
	mustSave("before signing in again")
	rctx, p = find(true)
	if _, err := w.db.Owner.Exec(w.ctx, `UPDATE users SET last_login_at = now() WHERE id = $1`, w.userA.UserID); err != nil {
		t.Fatal(err)
	}
	if err := save(rctx, p); err != nil {
		t.Errorf("save after the user signed in elsewhere: %v", err)
	}

	// InTx holds it too, before the work.
	rctx, p = find(true)
	if _, err := w.db.Owner.Exec(w.ctx, `DELETE FROM sessions WHERE token = 'tok'`); err != nil {
		t.Fatal(err)
	}
	ran := false
	err := postgres.InTx(rctx, w.db.App, p, func(pgx.Tx) error { ran = true; return nil })
	if !errors.Is(err, postgres.ErrSessionStale) || ran {
		t.Errorf("InTx on an ended remembered session: %v, work ran %v", err, ran)
	}
	commit()

	// A remembered session is never written back (it could bring back a
	// session that has ended).
	mustSave("before writing")
	rctx, _ = find(true)
	if _, err := w.db.Owner.Exec(w.ctx, `DELETE FROM sessions WHERE token = 'tok'`); err != nil {
		t.Fatal(err)
	}
	if err := store.CommitCtx(rctx, "tok", data, time.Now().Add(time.Hour)); err == nil {
		t.Error("a remembered session was written back")
	}
	if _, found, _ := store.FindCtx(postgres.WithPrincipalSlot(w.ctx, false), "tok"); found {
		t.Error("writing back a remembered session brought it back after it ended")
	}
	commit()

	// Only a request that may be remembered, and whose session a request
	// now would not write, is served from memory.
	for _, c := range []struct {
		what                string
		remember, unwritten bool
	}{{"a request that may not be remembered", false, true}, {"a session due to be written", true, false}} {
		mustSave("before " + c.what)
		if _, err := w.db.Owner.Exec(w.ctx, `UPDATE users SET display_name = $2 WHERE id = $1`, w.userA.UserID, c.what); err != nil {
			t.Fatal(err)
		}
		unwritten = c.unwritten
		if _, p := find(c.remember); p == nil || p.Name != c.what {
			t.Errorf("%s: served the principal %+v from memory", c.what, p)
		}
		unwritten = true
	}
}
