//go:build dev

package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/kijun-portal/kijun/internal/config"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// oidcStub is an OpenID provider that goes only as far as the code
// exchange, which it refuses: invalid_client if the client secret is not
// the one it expects (quoting the secret it got, as a careless provider
// might), else invalid_grant. It serves one issuer per path prefix; the
// issuer "down" names a token endpoint on which nothing listens.
type oidcStub struct {
	hs     *httptest.Server
	closed string
	mu     sync.Mutex
	secret string // the client secret it expects
	cancel bool   // answer the authorization request with error=access_denied
}

func newOIDCStub(t *testing.T, secret string) *oidcStub {
	s := &oidcStub{secret: secret, closed: closedURL(t)}
	s.hs = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.hs.Close)
	return s
}

func (s *oidcStub) set(secret string, cancel bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secret, s.cancel = secret, cancel
}

func (s *oidcStub) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	secret, cancel := s.secret, s.cancel
	s.mu.Unlock()
	switch {
	case strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
		issuer := s.hs.URL + strings.TrimSuffix(r.URL.Path, "/.well-known/openid-configuration")
		token := s.hs.URL + "/token"
		if strings.HasSuffix(issuer, "/down") {
			token = s.closed + "/token"
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": issuer, "authorization_endpoint": s.hs.URL + "/authorize", "token_endpoint": token,
			"jwks_uri": s.hs.URL + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"},
		})
	case r.URL.Path == "/authorize":
		q := r.URL.Query()
		back, _ := url.Parse(q.Get("redirect_uri"))
		v := url.Values{"state": {q.Get("state")}}
		if cancel {
			v.Set("error", "access_denied")
			v.Set("error_description", "the user cancelled")
		} else {
			v.Set("code", "stub-code")
		}
		back.RawQuery = v.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	case r.URL.Path == "/token":
		_, got, ok := r.BasicAuth()
		if ok {
			got, _ = url.QueryUnescape(got)
		} else {
			got = r.PostFormValue("client_secret")
		}
		w.Header().Set("Content-Type", "application/json")
		if got != secret {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client",
				"error_description": "client secret " + got + " is wrong; header " + r.Header.Get("Authorization")})
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": "code expired"})
	default:
		http.NotFound(w, r)
	}
}

// closedURL is an http URL on which nothing listens.
func closedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

const stubSecret = "Stub-Secret/never+logged"

// providersEnv is a server whose providers file lists the stub ("stub",
// and "stubdown" with its token endpoint down) and a provider on a closed
// port ("gone"), besides the development provider.
func providersEnv(t *testing.T) (*servertest.Env, *oidcStub) {
	stub := newOIDCStub(t, stubSecret)
	file := filepath.Join(t.TempDir(), "providers.yaml")
	var b strings.Builder
	for _, p := range [][2]string{{"stub", stub.hs.URL + "/stub"}, {"stubdown", stub.hs.URL + "/down"}, {"gone", closedURL(t)}} {
		fmt.Fprintf(&b, "- id: %s\n  issuer: %s\n  client_id: kijun-portal\n  client_secret: %q\n", p[0], p[1], stubSecret)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	db := pgtest.New(t)
	env := servertest.NewWith(t, db, db.App, func(c *config.Config) { c.ProvidersFile = file })
	return env, stub
}

// TestBrokenProviderShowsInReadiness: a provider whose discovery fails
// does not stop the portal; /readyz names it and why, and stays ready
// while other providers work.
func TestBrokenProviderShowsInReadiness(t *testing.T) {
	t.Parallel()
	env, _ := providersEnv(t)
	status, body := env.Get(t, env.Client(t), "/readyz")
	if status != http.StatusOK {
		t.Fatalf("readyz with working providers and one broken: %d, want 200\n%s", status, body)
	}
	for _, want := range []string{"provider dev: ok", "provider stub: ok", "provider gone: failing (unreachable), 1 failed attempts"} {
		if !strings.Contains(body, want) {
			t.Errorf("readyz does not say %q:\n%s", want, body)
		}
	}
	if logs := env.Logs.String(); !strings.Contains(logs, `msg="identity provider discovery failed" provider=gone`) {
		t.Errorf("no log line for the failing provider:\n%s", logs)
	}
	env.SignIn(t, "meti-staff") // the other providers keep working
}

var signInError = regexp.MustCompile(`id="signin-error">([^<]+)<`)

// TestSignInFailuresSayWhatToDo: a wrong client secret, a provider that
// cannot be reached, a user who cancels and an invalid code each give
// their own message; the client secret appears neither in the log nor in
// the audit log, even when the provider quotes it.
func TestSignInFailuresSayWhatToDo(t *testing.T) {
	t.Parallel()
	env, stub := providersEnv(t)
	// signIn starts a sign-in at provider and follows the redirects
	// through the stub back to the portal's answer.
	signIn := func(t *testing.T, provider string) (int, string) {
		t.Helper()
		c := env.Client(t)
		u := env.HTTP.URL + "/login/" + provider
		for range 5 {
			resp, err := c.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusFound {
				return resp.StatusCode, string(b)
			}
			next, _ := resp.Request.URL.Parse(resp.Header.Get("Location"))
			u = next.String()
		}
		t.Fatal("too many redirects")
		return 0, ""
	}

	messages := map[string]string{}
	for _, tc := range []struct {
		name, provider, reason string
		secret                 string // the secret the stub expects
		cancel                 bool
		status                 int
		says                   string
	}{
		{"wrong client secret", "stub", "config", "another secret", false, http.StatusBadGateway, "システム管理者にお問い合わせください"},
		{"token endpoint unreachable", "stubdown", "unreachable", stubSecret, false, http.StatusBadGateway, "時間をおいて再度お試しください"},
		{"user cancels", "stub", "cancelled", stubSecret, true, http.StatusBadRequest, "サインインが取り消された"},
		{"invalid code", "stub", "exchange", stubSecret, false, http.StatusBadRequest, "有効期限が切れていました"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stub.set(tc.secret, tc.cancel)
			status, body := signIn(t, tc.provider)
			m := signInError.FindStringSubmatch(body)
			if status != tc.status || m == nil {
				t.Fatalf("status %d, want %d and the failure page:\n%.1500s", status, tc.status, body)
			}
			if !strings.Contains(m[1], tc.says) {
				t.Errorf("the page says %q, want %q", m[1], tc.says)
			}
			for other, msg := range messages {
				if msg == m[1] {
					t.Errorf("same message as for %s: %q", other, msg)
				}
			}
			messages[tc.name] = m[1]
			if n := auditCount(t, env, "auth.signin_failed", tc.reason); n != 1 {
				t.Errorf("%d auth.signin_failed events with reason %q, want 1", n, tc.reason)
			}
		})
	}

	for _, form := range []string{stubSecret, url.QueryEscape(stubSecret)} {
		if logs := env.Logs.String(); strings.Contains(logs, form) {
			t.Errorf("the log holds the client secret (%s):\n%s", form, logs)
		}
		var n int
		if err := env.DB.Owner.QueryRow(context.Background(),
			`SELECT count(*) FROM audit_events WHERE strpos(after::text, $1) > 0`, form).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			t.Errorf("%d audit events hold the client secret (%s)", n, form)
		}
	}
	if logs := env.Logs.String(); !strings.Contains(logs, "[redacted]") {
		t.Errorf("the stub quoted the secret, but nothing was redacted: the test proves nothing\n%s", logs)
	}
}
