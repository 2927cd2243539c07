//go:build dev

package devidp

import (
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-chi/chi/v5"
	"golang.org/x/oauth2"

	"github.com/kijun-portal/kijun/internal/kijun"
)

const (
	clientID     = "kijun-portal"
	clientSecret = "dev-secret"
)

var (
	staff = User{
		Subject: "dev-meti-staff",
		Name:    "経済産業省 山田 花子",
		Email:   "yamada.hanako@meti.example.jp",
		Groups:  []string{"kijun:ministry_staff:METI"},
		Label:   kijun.Text{Ja: "所管省庁の担当者(経済産業省)", En: "Ministry staff (METI)"},
	}
	operator = User{
		Subject:         "dev-operator-admin",
		Name:            "東都電力株式会社 佐藤 一郎",
		Email:           "sato.ichiro@toto-denryoku.example.jp",
		Groups:          []string{"kijun:operator_admin"},
		CorporateNumber: "6010001000001",
		Label:           kijun.Text{Ja: "重要インフラ事業者の管理者", En: "Operator administrator"},
	}
)

// rig is a test server carrying the provider under /dev-idp, as the
// portal mounts it, and a relying party built the way the portal's is:
// go-oidc for discovery and verification, x/oauth2 for the code flow.
type rig struct {
	t        *testing.T
	srv      *httptest.Server
	idp      *Provider
	provider *oidc.Provider
	oauth    oauth2.Config
	browser  *http.Client
}

func newRig(t *testing.T) *rig {
	t.Helper()
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)

	idp, err := New(Config{
		Issuer: srv.URL + "/dev-idp",
		Users:  []User{staff, operator},
		Clients: []Client{{
			ID: clientID, Secret: clientSecret,
			RedirectURIs:           []string{srv.URL + "/auth/callback"},
			PostLogoutRedirectURIs: []string{srv.URL + "/"},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Mounted in a chi router, as the portal's server does.
	mux := chi.NewRouter()
	mux.Mount("/dev-idp", http.StripPrefix("/dev-idp", idp))
	mux.HandleFunc("/auth/callback", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the browser should have stopped before the callback, got %s", r.URL)
	})
	handler = mux

	ctx := oidc.ClientContext(t.Context(), srv.Client())
	provider, err := oidc.NewProvider(ctx, srv.URL+"/dev-idp")
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{
		Jar: jar,
		// Stop at the relying party's callback, where the test takes over.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Path == "/auth/callback" {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	return &rig{
		t: t, srv: srv, idp: idp, provider: provider, browser: browser,
		oauth: oauth2.Config{
			ClientID: clientID, ClientSecret: clientSecret,
			Endpoint:    provider.Endpoint(),
			RedirectURL: srv.URL + "/auth/callback",
			Scopes:      []string{oidc.ScopeOpenID, "profile", "email"},
		},
	}
}

func (g *rig) ctx() context.Context {
	return oidc.ClientContext(g.t.Context(), g.srv.Client())
}

// authorize sends the browser to the authorization endpoint and returns
// the response it ends on: the picker page, or a redirect to the callback.
func (g *rig) authorize(state string, opts ...oauth2.AuthCodeOption) (*http.Response, string) {
	g.t.Helper()
	resp, err := g.browser.Get(g.oauth.AuthCodeURL(state, opts...))
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var requestIDField = regexp.MustCompile(`<input type="hidden" name="id" value="([^"]+)"`)

// pick submits the picker form on page as a browser would, choosing the
// user with subject, and returns the callback URL the provider sent the
// browser to.
func (g *rig) pick(page, subject string) *url.URL {
	g.t.Helper()
	m := requestIDField.FindStringSubmatch(page)
	if m == nil {
		g.t.Fatalf("picker page has no request id:\n%s", page)
	}
	resp, err := g.browser.PostForm(g.idp.Issuer()+"/login", url.Values{"id": {html.UnescapeString(m[1])}, "subject": {subject}})
	if err != nil {
		g.t.Fatal(err)
	}
	resp.Body.Close()
	return g.callback(resp)
}

func (g *rig) callback(resp *http.Response) *url.URL {
	g.t.Helper()
	loc, err := resp.Location()
	if err != nil || loc.Path != "/auth/callback" {
		g.t.Fatalf("expected a redirect to the callback, got %s (Location %v)", resp.Status, loc)
	}
	return loc
}

// signIn runs the flow up to the callback for subject and returns the
// code, the PKCE verifier and the nonce it used.
func (g *rig) signIn(subject string) (code, verifier, nonce string) {
	g.t.Helper()
	verifier, nonce, state := oauth2.GenerateVerifier(), "nonce-"+subject, "state-"+subject
	resp, page := g.authorize(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce))
	if resp.StatusCode != http.StatusOK {
		g.t.Fatalf("authorize: got %s, want the picker page", resp.Status)
	}
	cb := g.pick(page, subject)
	if got := cb.Query().Get("state"); got != state {
		g.t.Errorf("state = %q, want %q", got, state)
	}
	code = cb.Query().Get("code")
	if code == "" {
		g.t.Fatalf("no code in callback %s", cb)
	}
	return code, verifier, nonce
}

func (g *rig) verifier() *oidc.IDTokenVerifier {
	return g.provider.Verifier(&oidc.Config{ClientID: clientID})
}

func TestDiscovery(t *testing.T) {
	g := newRig(t)
	var meta struct {
		CodeChallengeMethods []string `json:"code_challenge_methods_supported"`
		TokenAuthMethods     []string `json:"token_endpoint_auth_methods_supported"`
		SigningAlgs          []string `json:"id_token_signing_alg_values_supported"`
		Claims               []string `json:"claims_supported"`
		EndSession           string   `json:"end_session_endpoint"`
		UserInfo             string   `json:"userinfo_endpoint"`
	}
	if err := g.provider.Claims(&meta); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(meta.CodeChallengeMethods, []string{"S256"}) {
		t.Errorf("code_challenge_methods_supported = %v, want only S256", meta.CodeChallengeMethods)
	}
	for _, m := range []string{"client_secret_basic", "client_secret_post"} {
		if !slices.Contains(meta.TokenAuthMethods, m) {
			t.Errorf("token_endpoint_auth_methods_supported = %v, missing %s", meta.TokenAuthMethods, m)
		}
	}
	if !slices.Equal(meta.SigningAlgs, []string{"RS256"}) {
		t.Errorf("id_token_signing_alg_values_supported = %v", meta.SigningAlgs)
	}
	for _, c := range []string{"sub", "name", "email", "groups", "corporate_number"} {
		if !slices.Contains(meta.Claims, c) {
			t.Errorf("claims_supported lacks %s", c)
		}
	}
	if meta.EndSession != g.idp.Issuer()+"/end_session" || meta.UserInfo == "" {
		t.Errorf("end_session_endpoint = %q, userinfo_endpoint = %q", meta.EndSession, meta.UserInfo)
	}
	resp, err := g.srv.Client().Get(g.idp.Issuer() + "/keys")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if body, _ := io.ReadAll(resp.Body); !strings.Contains(string(body), `"alg":"RS256"`) {
		t.Errorf("JWKS: %s", body)
	}
}

func TestPickerPage(t *testing.T) {
	g := newRig(t)
	resp, page := g.authorize("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("got %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		"開発用IDプロバイダ", "Development identity provider", clientID,
		`<link rel="stylesheet" href="/static/kijun.css">`,
		staff.Label.Ja, staff.Label.En, staff.Name, "kijun:ministry_staff:METI",
		operator.Label.Ja, operator.Name, operator.CorporateNumber,
		`name="subject" value="dev-meti-staff"`, `name="subject" value="dev-operator-admin"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("picker page lacks %q", want)
		}
	}
	if n := strings.Count(page, "<form"); n != 1 {
		t.Errorf("picker has %d forms, want one", n)
	}
	// The portal's CSP forbids inline script and style.
	for _, banned := range []string{"<script", "<style", " style=", " onclick="} {
		if strings.Contains(page, banned) {
			t.Errorf("picker page contains %q", banned)
		}
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("picker page may be framed")
	}

	// An unknown subject does not sign anyone in.
	id := html.UnescapeString(requestIDField.FindStringSubmatch(page)[1])
	r2, err := g.browser.PostForm(g.idp.Issuer()+"/login", url.Values{"id": {id}, "subject": {"nobody"}})
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown subject: got %s, want 400", r2.Status)
	}
	// The request is still open: the page shows again.
	r3, err := g.browser.Get(g.idp.Issuer() + "/login?id=" + url.QueryEscape(id))
	if err != nil {
		t.Fatal(err)
	}
	r3.Body.Close()
	if r3.StatusCode != http.StatusOK {
		t.Errorf("picker after a bad pick: got %s", r3.Status)
	}
}

func TestSignIn(t *testing.T) {
	cases := []struct {
		name  string
		user  User
		style oauth2.AuthStyle
	}{
		{"ministry staff, client_secret_basic", staff, oauth2.AuthStyleInHeader},
		{"operator, client_secret_post", operator, oauth2.AuthStyleInParams},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := newRig(t)
			g.oauth.Endpoint.AuthStyle = tc.style
			code, verifier, nonce := g.signIn(tc.user.Subject)

			tok, err := g.oauth.Exchange(g.ctx(), code, oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			raw, _ := tok.Extra("id_token").(string)
			idt, err := g.verifier().Verify(g.ctx(), raw)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if idt.Issuer != g.idp.Issuer() || !slices.Equal(idt.Audience, []string{clientID}) {
				t.Errorf("iss = %q, aud = %v", idt.Issuer, idt.Audience)
			}
			if idt.Nonce != nonce {
				t.Errorf("nonce = %q, want %q", idt.Nonce, nonce)
			}
			if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
				t.Errorf("at_hash: %v", err)
			}
			var claims userClaims
			if err := idt.Claims(&claims); err != nil {
				t.Fatal(err)
			}
			claims.check(t, "ID token", tc.user)

			info, err := g.provider.UserInfo(g.ctx(), oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatalf("userinfo: %v", err)
			}
			var uc userClaims
			if err := info.Claims(&uc); err != nil {
				t.Fatal(err)
			}
			uc.check(t, "userinfo", tc.user)
		})
	}
}

type userClaims struct {
	Subject         string   `json:"sub"`
	Name            string   `json:"name"`
	Email           string   `json:"email"`
	Groups          []string `json:"groups"`
	CorporateNumber *string  `json:"corporate_number"`
}

func (c userClaims) check(t *testing.T, where string, u User) {
	t.Helper()
	if c.Subject != u.Subject || c.Name != u.Name || c.Email != u.Email || !slices.Equal(c.Groups, u.Groups) {
		t.Errorf("%s claims = %+v, want %+v", where, c, u)
	}
	switch {
	case u.CorporateNumber == "" && c.CorporateNumber != nil:
		t.Errorf("%s has corporate_number %q for a user without one", where, *c.CorporateNumber)
	case u.CorporateNumber != "" && (c.CorporateNumber == nil || *c.CorporateNumber != u.CorporateNumber):
		t.Errorf("%s corporate_number = %v, want %s", where, c.CorporateNumber, u.CorporateNumber)
	}
}

func TestPKCES256Required(t *testing.T) {
	g := newRig(t)
	cases := map[string][]oauth2.AuthCodeOption{
		"missing": nil,
		"plain": {
			oauth2.SetAuthURLParam("code_challenge", "a-plain-challenge-that-is-long-enough-0123456789"),
			oauth2.SetAuthURLParam("code_challenge_method", "plain"),
		},
		"method omitted (means plain)": {
			oauth2.SetAuthURLParam("code_challenge", "a-plain-challenge-that-is-long-enough-0123456789"),
		},
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			resp, _ := g.authorize("st", opts...)
			cb := g.callback(resp)
			if q := cb.Query(); q.Get("error") != "invalid_request" || q.Get("code") != "" || q.Get("state") != "st" {
				t.Errorf("callback %s, want error=invalid_request with the state and no code", cb)
			}
		})
	}
}

func TestTokenEndpointRejects(t *testing.T) {
	g := newRig(t)
	cases := []struct {
		name string
		opts []oauth2.AuthCodeOption
		want string
	}{
		{"wrong verifier", []oauth2.AuthCodeOption{oauth2.VerifierOption(oauth2.GenerateVerifier())}, "invalid_grant"},
		{"no verifier", nil, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, _ := g.signIn(staff.Subject)
			_, err := g.oauth.Exchange(g.ctx(), code, tc.opts...)
			wantOAuthError(t, err, tc.want)
		})
	}
	t.Run("wrong client secret", func(t *testing.T) {
		code, verifier, _ := g.signIn(staff.Subject)
		bad := g.oauth
		bad.ClientSecret = "guess"
		_, err := bad.Exchange(g.ctx(), code, oauth2.VerifierOption(verifier))
		wantOAuthError(t, err, "invalid_client")
	})
}

func TestCodeIsSingleUse(t *testing.T) {
	g := newRig(t)
	code, verifier, _ := g.signIn(operator.Subject)
	tok, err := g.oauth.Exchange(g.ctx(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("first exchange: %v", err)
	}
	_, err = g.oauth.Exchange(g.ctx(), code, oauth2.VerifierOption(verifier))
	wantOAuthError(t, err, "invalid_grant")
	// A replay suggests the code was stolen: what it bought is revoked.
	if _, err := g.provider.UserInfo(g.ctx(), oauth2.StaticTokenSource(tok)); err == nil {
		t.Error("userinfo still accepts the access token of a replayed code")
	}
}

// TestCodeRace exchanges one code from many goroutines at once: exactly
// one may get tokens.
func TestCodeRace(t *testing.T) {
	g := newRig(t)
	g.oauth.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	code, verifier, _ := g.signIn(staff.Subject)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := g.oauth.Exchange(g.ctx(), code, oauth2.VerifierOption(verifier)); err == nil {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Errorf("%d exchanges of one code succeeded, want 1", n)
	}
}

func wantOAuthError(t *testing.T, err error, code string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("got %v, want an OAuth error %s", err, code)
	}
	if re.ErrorCode != code {
		t.Errorf("error = %q (%s), want %q", re.ErrorCode, re.ErrorDescription, code)
	}
}

func TestTampering(t *testing.T) {
	g := newRig(t)
	// exchange signs in and returns the raw ID token, with the nonce
	// requested.
	exchange := func(t *testing.T) (string, string) {
		t.Helper()
		code, verifier, nonce := g.signIn(staff.Subject)
		tok, err := g.oauth.Exchange(g.ctx(), code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		raw, _ := tok.Extra("id_token").(string)
		return raw, nonce
	}

	t.Run("unknown key", func(t *testing.T) {
		g.idp.Tamper(Tampering{UnknownKey: true})
		raw, _ := exchange(t)
		if _, err := g.verifier().Verify(g.ctx(), raw); err == nil || !strings.Contains(err.Error(), "signature") {
			t.Errorf("verify = %v, want a signature error", err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		g.idp.Tamper(Tampering{Expired: true})
		raw, _ := exchange(t)
		var expired *oidc.TokenExpiredError
		if _, err := g.verifier().Verify(g.ctx(), raw); !errors.As(err, &expired) {
			t.Errorf("verify = %v, want TokenExpiredError", err)
		}
	})
	t.Run("wrong nonce", func(t *testing.T) {
		g.idp.Tamper(Tampering{WrongNonce: true})
		raw, nonce := exchange(t)
		idt, err := g.verifier().Verify(g.ctx(), raw)
		if err != nil {
			t.Fatalf("verify: %v", err)
		}
		if idt.Nonce == nonce || idt.Nonce == "" {
			t.Errorf("nonce = %q, want one other than %q", idt.Nonce, nonce)
		}
	})
	t.Run("reset", func(t *testing.T) {
		g.idp.Tamper(Tampering{})
		raw, nonce := exchange(t)
		idt, err := g.verifier().Verify(g.ctx(), raw)
		if err != nil {
			t.Fatalf("verify after reset: %v", err)
		}
		if idt.Nonce != nonce {
			t.Errorf("nonce = %q, want %q", idt.Nonce, nonce)
		}
	})
}

// TestTamperConcurrently lets the race detector watch Tamper run while
// tokens are being issued.
func TestTamperConcurrently(t *testing.T) {
	g := newRig(t)
	code, verifier, _ := g.signIn(staff.Subject)
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 100 {
			g.idp.Tamper(Tampering{WrongNonce: true})
			g.idp.Tamper(Tampering{})
		}
	})
	if _, err := g.oauth.Exchange(g.ctx(), code, oauth2.VerifierOption(verifier)); err != nil {
		t.Error(err)
	}
	wg.Wait()
}

func TestEndSession(t *testing.T) {
	g := newRig(t)
	code, verifier, _ := g.signIn(staff.Subject)
	tok, err := g.oauth.Exchange(g.ctx(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	endSession := g.idp.Issuer() + "/end_session?"
	hint, _ := tok.Extra("id_token").(string)

	t.Run("unregistered post-logout URI", func(t *testing.T) {
		resp, err := g.browser.Get(endSession + url.Values{
			"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://evil.example/"},
		}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Request.URL.Host == "evil.example" || resp.StatusCode != http.StatusBadRequest {
			t.Errorf("got %s at %s, want 400 and no redirect", resp.Status, resp.Request.URL)
		}
	})
	t.Run("registered post-logout URI", func(t *testing.T) {
		noFollow := *g.browser
		noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := noFollow.Get(endSession + url.Values{
			"id_token_hint": {hint}, "post_logout_redirect_uri": {g.srv.URL + "/"}, "state": {"bye"},
		}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != g.srv.URL+"/?state=bye" {
			t.Errorf("got %s to %q, want a redirect to the post-logout URI with the state", resp.Status, loc)
		}
		if _, err := g.provider.UserInfo(g.ctx(), oauth2.StaticTokenSource(tok)); err == nil {
			t.Error("the access token still works after end-session")
		}
	})
	t.Run("no post-logout URI", func(t *testing.T) {
		resp, err := g.browser.Get(endSession + url.Values{"client_id": {clientID}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "ログアウトしました") {
			t.Errorf("got %s at %s", resp.Status, resp.Request.URL)
		}
	})
}

func TestCancel(t *testing.T) {
	g := newRig(t)
	_, page := g.authorize("keep-me", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	id := html.UnescapeString(requestIDField.FindStringSubmatch(page)[1])
	resp, err := g.browser.PostForm(g.idp.Issuer()+"/login", url.Values{"id": {id}, "cancel": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb := g.callback(resp)
	if q := cb.Query(); q.Get("error") != "access_denied" || q.Get("state") != "keep-me" || q.Get("code") != "" {
		t.Errorf("callback %s, want error=access_denied with the state", cb)
	}
}

// TestLoginRefusesCrossSitePost checks that a page on another site cannot
// make a developer's browser sign in as a user of its choosing.
func TestLoginRefusesCrossSitePost(t *testing.T) {
	g := newRig(t)
	_, page := g.authorize("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	id := html.UnescapeString(requestIDField.FindStringSubmatch(page)[1])
	req, _ := http.NewRequest(http.MethodPost, g.idp.Issuer()+"/login",
		strings.NewReader(url.Values{"id": {id}, "subject": {staff.Subject}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := g.browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: got %s, want 403", resp.Status)
	}
	// The same pick from the page itself still works.
	g.pick(page, staff.Subject)
}

func TestNewRejectsBadConfig(t *testing.T) {
	good := Config{
		Issuer:  "http://127.0.0.1:8080/dev-idp",
		Users:   []User{staff, operator},
		Clients: []Client{{ID: clientID, Secret: clientSecret, RedirectURIs: []string{"http://127.0.0.1:8080/auth/callback"}}},
	}
	if _, err := New(good); err != nil {
		t.Fatalf("good config: %v", err)
	}
	cases := map[string]func(*Config){
		"relative issuer":       func(c *Config) { c.Issuer = "/dev-idp" },
		"no users":              func(c *Config) { c.Users = nil },
		"duplicate subject":     func(c *Config) { c.Users = []User{staff, staff} },
		"client without secret": func(c *Config) { c.Clients = []Client{{ID: "x", RedirectURIs: []string{"http://x/cb"}}} },
		"client without redirect": func(c *Config) {
			c.Clients = []Client{{ID: "x", Secret: "y"}}
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := good
			mutate(&cfg)
			if _, err := New(cfg); err == nil {
				t.Error("New accepted it")
			}
		})
	}
}
