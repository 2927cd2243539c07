//go:build dev

package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/kijun-portal/kijun/internal/auth"
	"github.com/kijun-portal/kijun/internal/auth/devidp"
	"github.com/kijun-portal/kijun/internal/config"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// auditCount counts events of action (as the owner, who sees them all).
func auditCount(t *testing.T, env *servertest.Env, action, detail string) int {
	t.Helper()
	var n int
	err := env.DB.Owner.QueryRow(context.Background(),
		`SELECT count(*) FROM audit_events WHERE action = $1 AND ($2 = '' OR after->>'reason' = $2)`, action, detail).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSignInThroughTheDevelopmentProvider(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := env.SignIn(t, "toto-staff")
	status, body := env.Get(t, c, "/account")
	if status != http.StatusOK || !strings.Contains(body, "東都送配電 担当 六子") || !strings.Contains(body, "事業者 担当者") {
		t.Fatalf("account page %d lacks the user or the operator_staff role from the corporate number:\n%.2000s", status, body)
	}
	if !strings.Contains(body, "法人番号の連携") {
		t.Error("the grant should say it came from the corporate number")
	}
	if n := auditCount(t, env, "auth.signin", ""); n != 1 {
		t.Errorf("%d sign-in events, want 1", n)
	}
	// A second sign-in of the same identity is the same user.
	env.SignIn(t, "toto-staff")
	var users int
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT count(*) FROM users`).Scan(&users); err != nil {
		t.Fatal(err)
	}
	if users != 1 {
		t.Errorf("%d users after signing in twice, want 1", users)
	}
}

// TestSignInRejections tampers with each step of the flow; each attempt
// must end on the failure page with its reason and an audit event.
func TestSignInRejections(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	idp := env.IDP

	expectFailure := func(t *testing.T, reason string, status int, body string) {
		t.Helper()
		if status != http.StatusBadRequest || !strings.Contains(body, `id="signin-error"`) {
			t.Fatalf("want the sign-in failure page (400), got %d:\n%.1500s", status, body)
		}
		if n := auditCount(t, env, "auth.signin_failed", reason); n < 1 {
			t.Errorf("no auth.signin_failed event with reason %q", reason)
		}
	}
	signedIn := func(t *testing.T, c *http.Client) bool {
		s, _ := env.Get(t, c, "/account")
		return s == http.StatusOK
	}

	t.Run("wrong state", func(t *testing.T) {
		c := env.Client(t)
		f := env.Begin(t, c, "meti-staff")
		u, _ := url.Parse(f.Callback)
		q := u.Query()
		q.Set("state", "forged")
		u.RawQuery = q.Encode()
		f.Callback = u.String()
		status, _, body := f.Finish(t)
		expectFailure(t, "state", status, body)
		if signedIn(t, c) {
			t.Error("signed in despite a wrong state")
		}
	})

	t.Run("replayed code", func(t *testing.T) {
		first := env.Begin(t, env.Client(t), "meti-staff")
		if status, _, _ := first.Finish(t); status != http.StatusSeeOther {
			t.Fatalf("first use of the code: %d", status)
		}
		// An attacker with the used code starts a sign-in of their own and
		// presents the old code with their valid state.
		c := env.Client(t)
		theirs := env.Begin(t, c, "fsa-staff")
		stolen, _ := url.Parse(first.Callback)
		u, _ := url.Parse(theirs.Callback)
		q := u.Query()
		q.Set("code", stolen.Query().Get("code"))
		u.RawQuery = q.Encode()
		theirs.Callback = u.String()
		status, _, body := theirs.Finish(t)
		expectFailure(t, "exchange", status, body)
		if signedIn(t, c) {
			t.Error("signed in with a replayed code")
		}
		// Presenting the same callback twice in one session fails too: the
		// state is used once.
		status, _, body = first.Finish(t)
		expectFailure(t, "state", status, body)
	})

	for _, tc := range []struct {
		name   string
		tamper devidp.Tampering
		reason string
	}{
		{"wrong nonce", devidp.Tampering{WrongNonce: true}, "nonce"},
		{"token signed by another key", devidp.Tampering{UnknownKey: true}, "token"},
		{"expired token", devidp.Tampering{Expired: true}, "token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := env.Client(t)
			f := env.Begin(t, c, "nco-admin")
			idp.Tamper(tc.tamper)
			status, _, body := f.Finish(t)
			idp.Tamper(devidp.Tampering{})
			expectFailure(t, tc.reason, status, body)
			if signedIn(t, c) {
				t.Error("signed in despite the bad token")
			}
		})
	}

	// And after all that, an honest sign-in still works.
	if c := env.SignIn(t, "nco-admin"); !signedIn(t, c) {
		t.Fatal("honest sign-in failed")
	}
}

func sessionCookie(t *testing.T, env *servertest.Env, c *http.Client) string {
	t.Helper()
	u, _ := url.Parse(env.HTTP.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if strings.HasSuffix(ck.Name, "kijun_session") {
			return ck.Value
		}
	}
	return ""
}

// sha256Hex is how the sessions table keys a session: the hex SHA-256 of
// its cookie's token.
func sha256Hex(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// withCookie is a fresh client that presents only the given session id.
func withCookie(t *testing.T, env *servertest.Env, token string) *http.Client {
	c := env.Client(t)
	u, _ := url.Parse(env.HTTP.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: "kijun_session", Value: token, Path: "/"}})
	return c
}

func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)

	// The session id changes at sign-in: an id planted before sign-in is
	// worthless after it.
	c := env.Client(t)
	f := env.Begin(t, c, "meti-staff")
	before := sessionCookie(t, env, c)
	if before == "" {
		t.Fatal("no session before sign-in (the flow must live in the session)")
	}
	if status, _, _ := f.Finish(t); status != http.StatusSeeOther {
		t.Fatal("sign-in failed")
	}
	after := sessionCookie(t, env, c)
	if after == "" || after == before {
		t.Fatalf("session id did not change at sign-in: %q → %q", before, after)
	}
	if s, _ := env.Get(t, withCookie(t, env, before), "/account"); s == http.StatusOK {
		t.Error("the pre-sign-in session id still works")
	}
	if s, _ := env.Get(t, withCookie(t, env, after), "/account"); s != http.StatusOK {
		t.Fatalf("the session id does not work: %d", s)
	}
	// The sessions table never holds a cookie's token, only its SHA-256:
	// a copy of the table (a backup, a read of it) signs nobody in.
	var clear int
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT count(*) FROM sessions
		WHERE token IN ($1, $2)`, before, after).Scan(&clear); err != nil || clear != 0 {
		t.Fatalf("%d session rows hold a cookie's token (%v)", clear, err)
	}
	// The session is scs's row, in scs's own codec: the signed-in user's id
	// is in its data, and each request reads the principal by it.
	var data []byte
	var user int64
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT s.data, i.user_id FROM sessions s, identities i
		WHERE s.token = $1 AND i.subject = 'meti-staff'`, sha256Hex(after)).Scan(&data, &user); err != nil {
		t.Fatal(err)
	}
	if _, values, err := (scs.GobCodec{}).Decode(data); err != nil || values["uid"] != user {
		t.Fatalf("the session's data: %v (%v), want meti-staff's user %d", values, err, user)
	}

	// Sign-out ends the session on the server, not only in the browser.
	resp, err := c.PostForm(env.HTTP.URL+"/logout", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "/dev-idp/end_session") {
		t.Errorf("sign-out should go on to the provider's end_session_endpoint: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if s, _ := env.Get(t, withCookie(t, env, after), "/account"); s != http.StatusSeeOther {
		t.Errorf("the old session id still works after sign-out: %d", s)
	}
	if n := auditCount(t, env, "auth.signout", ""); n != 1 {
		t.Errorf("%d sign-out events, want 1", n)
	}
}

// TestSignedInSession: a session row written with auth.SignedInSession
// (as the load generator writes them) is one the server serves as signed
// in, like one left by a sign-in.
func TestSignedInSession(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	env.SignIn(t, "meti-staff")
	var user int64
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT user_id FROM identities WHERE subject = 'meti-staff'`).Scan(&user); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Hour)
	data, err := auth.SignedInSession(user, "bench", deadline)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Owner.Exec(context.Background(), `INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3)`, auth.SessionKey("written"), data, deadline); err != nil {
		t.Fatal(err)
	}
	if s, body := env.Get(t, withCookie(t, env, "written"), "/account"); s != http.StatusOK || !strings.Contains(body, "経済産業省") {
		t.Fatalf("a written session: %d", s)
	}
}

// TestSessionTimeouts: a sign-in must finish within its flow's timeout; a
// session ends after its idle timeout, and however busy, at its absolute
// lifetime. The idle time is the server's clock's,
// which the test moves. The absolute lifetime is scs's deadline, written
// as the session row's expiry and compared with the database's clock when
// the session is read (pgxstore's lookup); the test checks the deadline
// written and that requests never move it, then moves it into the
// database's past.
func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	clock := servertest.NewClock(time.Date(2026, 6, 1, 9, 0, 0, 0, kijun.JST))
	const idleFor, lifetime = 30 * time.Minute, 12 * time.Hour
	env := servertest.NewWith(t, db, db.App, func(c *config.Config) {
		c.SessionIdle, c.SessionAbsolute, c.Now = idleFor, lifetime, clock.Now
	})
	signedIn := func(c *http.Client) bool {
		s, _ := env.Get(t, c, "/account")
		return s == http.StatusOK
	}

	// A sign-in left at the provider for longer than 15 minutes fails.
	slow := env.Begin(t, env.Client(t), "nco-analyst")
	clock.Advance(16 * time.Minute)
	if status, _, _ := slow.Finish(t); status != http.StatusBadRequest {
		t.Errorf("a sign-in finished 16 minutes after it began: %d, want 400", status)
	}

	idle := env.SignIn(t, "nco-analyst")
	clock.Advance(idleFor - time.Minute)
	if !signedIn(idle) {
		t.Fatal("a session ended before its idle timeout")
	}
	clock.Advance(idleFor + time.Second)
	if signedIn(idle) {
		t.Error("session survived its idle timeout")
	}

	signInAt := time.Now()
	busy := env.SignIn(t, "nco-analyst")
	token := sessionCookie(t, env, busy)
	expiry := func() time.Time {
		t.Helper()
		var e time.Time
		if err := db.Owner.QueryRow(context.Background(), `SELECT expiry FROM sessions WHERE token = $1`, sha256Hex(token)).Scan(&e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	deadline := expiry()
	if d := deadline.Sub(signInAt); d < lifetime || d > lifetime+time.Minute {
		t.Fatalf("the session's deadline is %s after sign-in, want its lifetime %s", d, lifetime)
	}
	// Twice the idle timeout of requests, each writing the time of the
	// last request back: the session lives on, its deadline stays.
	for range 4 {
		clock.Advance(idleFor / 2)
		if !signedIn(busy) {
			t.Fatalf("an active session ended at %s", clock.Now())
		}
	}
	if got := expiry(); !got.Equal(deadline) {
		t.Errorf("requests moved the session's deadline from %s to %s", deadline, got)
	}
	if _, err := db.Owner.Exec(context.Background(), `UPDATE sessions SET expiry = current_timestamp - interval '1 second' WHERE token = $1`, sha256Hex(token)); err != nil {
		t.Fatal(err)
	}
	if signedIn(busy) {
		t.Error("an active session outlived its absolute lifetime")
	}
}

func TestUserWithoutRoleSeesPendingPage(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := env.SignIn(t, "newcomer")
	// Sign-in lands on the home page; a protected page: both lead to the
	// page that says access is pending.
	for _, path := range []string{"/", "/audit"} {
		resp, err := c.Get(env.HTTP.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/pending" {
			t.Fatalf("no-role user on %s: %d %q, want 303 /pending", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	s, body := env.Get(t, c, "/pending")
	if s != http.StatusOK || !strings.Contains(body, "newcomer@example.jp") || !strings.Contains(body, "管理者") {
		t.Fatalf("pending page %d does not say whom to ask:\n%.1500s", s, body)
	}
}

func TestGrantAndRevokeTakeEffectOnNextRequest(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	staff := env.SignIn(t, "toto-staff")
	admin := env.SignIn(t, "meti-admin")
	uid := fmt.Sprint(userOf(t, env, "toto-staff"))
	toto := fmt.Sprint(operatorOf(t, env, "2010401000001"))

	// A ministry admin cannot give a role of another ministry.
	resp, err := admin.PostForm(env.HTTP.URL+"/grants", url.Values{"user": {uid}, "role": {"ministry_staff"}, "ministry": {"FSA"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("METI admin granting FSA staff: %d, want 422", resp.StatusCode)
	}
	// A user not in the admin's list comes back with a message.
	resp, err = admin.PostForm(env.HTTP.URL+"/grants", url.Values{"user": {"999999"}, "role": {"operator_admin"}, "operator": {toto}})
	if err != nil {
		t.Fatal(err)
	}
	b := readAll(resp)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(b, "一覧にある利用者を選択してください") {
		t.Fatalf("unknown user: %d, form not returned with the message:\n%.2000s", resp.StatusCode, b)
	}

	if s, _ := env.Get(t, staff, "/audit"); s != http.StatusNotFound {
		t.Fatalf("operator staff on /audit: %d, want 404", s)
	}
	resp, err = admin.PostForm(env.HTTP.URL+"/grants", url.Values{"user": {uid}, "role": {"operator_admin"}, "operator": {toto}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/users/"+uid {
		t.Fatalf("grant: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if s, _ := env.Get(t, staff, "/audit"); s != http.StatusOK {
		t.Fatalf("after the grant, /audit answers %d on the very next request", s)
	}
	var grantID string
	if err := env.DB.Owner.QueryRow(context.Background(),
		`SELECT id::text FROM role_grants WHERE source = 'directory' AND revoked_at IS NULL`).Scan(&grantID); err != nil {
		t.Fatal(err)
	}
	// Other ministries' staff cannot revoke it (and do not learn it exists).
	fsa := env.SignIn(t, "fsa-staff")
	resp, err = fsa.PostForm(env.HTTP.URL+"/grants/"+grantID+"/revoke", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("FSA staff revoking a METI grant: %d, want 404", resp.StatusCode)
	}
	resp, err = admin.PostForm(env.HTTP.URL+"/grants/"+grantID+"/revoke", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if s, _ := env.Get(t, staff, "/audit"); s != http.StatusNotFound {
		t.Fatalf("after the revocation, /audit answers %d, want 404", s)
	}
	for _, action := range []string{"grant.create", "grant.revoke"} {
		if n := auditCount(t, env, action, ""); n != 1 {
			t.Errorf("%d %s events, want 1", n, action)
		}
	}
}

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}
