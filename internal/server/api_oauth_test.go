//go:build dev

package server_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/config"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// testIssuer is an OAuth 2.0 authorization server as far as the API needs
// one: discovery and a JWKS with the public half of a key generated here,
// and the access tokens (RFC 9068 JWTs, RS256) it would issue by the
// client credentials grant.
type testIssuer struct {
	hs  *httptest.Server
	key *rsa.PrivateKey
}

func newTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &testIssuer{key: key}
	is.hs = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]any{
				"issuer": is.hs.URL, "authorization_endpoint": is.hs.URL + "/authorize", "token_endpoint": is.hs.URL + "/token",
				"jwks_uri": is.hs.URL + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"},
				"grant_types_supported": []string{"client_credentials"},
			})
		case "/jwks":
			_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
				{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(is.hs.Close)
	return is
}

// token signs claims with key (the issuer's own unless another is given),
// filling iss and the times unless claims set them.
func (is *testIssuer) token(t *testing.T, claims map[string]any, key ...*rsa.PrivateKey) string {
	t.Helper()
	k := is.key
	if len(key) > 0 {
		k = key[0]
	}
	now := time.Now()
	c := map[string]any{"iss": is.hs.URL, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": fmt.Sprint(now.UnixNano())}
	for n, v := range claims {
		c[n] = v
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(c)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const apiAudience = "https://kijun.example/api"

// oauthEnv is a server whose providers file lists "corp", an issuer of
// access tokens for the API (api_audience), and "plain", a provider for
// sign-in only whose tokens the API does not accept.
func oauthEnv(t *testing.T) (*servertest.Env, *testIssuer, *testIssuer) {
	corp, plain := newTestIssuer(t), newTestIssuer(t)
	file := filepath.Join(t.TempDir(), "providers.yaml")
	yaml := fmt.Sprintf(`- id: corp
  name: {ja: 社内IdP, en: Corporate IdP}
  issuer: %s
  client_id: kijun-portal
  client_secret: s3cret
  api_audience: %s
- id: plain
  issuer: %s
  client_id: kijun-portal
  client_secret: s3cret
`, corp.hs.URL, apiAudience, plain.hs.URL)
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	db := pgtest.New(t)
	env := servertest.NewWith(t, db, db.App, func(c *config.Config) { c.ProvidersFile = file })
	return env, corp, plain
}

// postPage posts form and returns the status and the page.
func postPage(t *testing.T, env *servertest.Env, c *http.Client, path string, form url.Values) (int, string) {
	t.Helper()
	status, _, body := postForm(t, env, c, path, form)
	return status, body
}

// TestAPIOAuthClientCredentials: an admin links an OAuth client of an
// API-enabled provider on /tokens; an access token the provider issued
// to that client acts with the link's role and scope, records its last
// use, and is refused (401 invalid_token, in the caller's language) when
// its audience, expiry, signature or issuer is wrong, when the client is
// not linked, and at once when the link is revoked. An admin links only
// for its own tenant and revokes only its own tenant's links.
func TestAPIOAuthClientCredentials(t *testing.T) {
	t.Parallel()
	env, corp, plain := oauthEnv(t)
	ctx := context.Background()
	contract := newContract(t, env)
	admin := env.SignIn(t, "meti-admin")

	_, page := env.Get(t, admin, "/tokens")
	if !strings.Contains(page, `id="oauth-client_id"`) || !strings.Contains(page, corp.hs.URL) || strings.Contains(page, plain.hs.URL) {
		t.Fatalf("the link form does not offer exactly the API-enabled provider:\n%s", page)
	}
	// Bad input comes back next to its field, with what was typed.
	code, page := postPage(t, env, admin, "/tokens/oauth", url.Values{"provider": {plain.hs.URL}, "client_id": {"  "},
		"choice": {"ministry_staff:METI"}})
	if code != 422 || !strings.Contains(page, `id="oauth-provider-error"`) || !strings.Contains(page, "IDプロバイダを選んでください。") ||
		!strings.Contains(page, `id="oauth-client_id-error"`) || !strings.Contains(page, "OAuth クライアントIDを入力してください。") ||
		!strings.Contains(page, `<option value="ministry_staff:METI" selected>`) {
		t.Fatalf("bad link form: %d\n%s", code, page)
	}
	// … in English for a caller who prefers it.
	req, _ := http.NewRequest("POST", env.HTTP.URL+"/tokens/oauth", strings.NewReader(url.Values{"provider": {corp.hs.URL},
		"client_id": {strings.Repeat("x", 256)}, "choice": {"ministry_staff:METI"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", "en")
	req.Header.Set("Origin", env.HTTP.URL)
	if resp, err := admin.Do(req); err != nil {
		t.Fatal(err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 422 || !strings.Contains(string(b), "The OAuth client ID must be at most 255 characters.") {
			t.Errorf("bad link form in English: %d\n%s", resp.StatusCode, b)
		}
	}
	// A ministry admin cannot link a client for another tenant.
	code, page = postPage(t, env, admin, "/tokens/oauth", url.Values{"provider": {corp.hs.URL}, "client_id": {"fsa-ledger"},
		"choice": {"ministry_staff:FSA"}})
	if code != 422 || !strings.Contains(page, `id="oauth-choice-error"`) || !strings.Contains(page, `value="fsa-ledger"`) {
		t.Fatalf("linking for another ministry: %d\n%s", code, page)
	}
	var n int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM api_oauth_clients`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d links stored from refused forms", n)
	}

	code, _ = postPage(t, env, admin, "/tokens/oauth", url.Values{"provider": {corp.hs.URL}, "client_id": {"meti-ledger"},
		"choice": {"ministry_staff:METI"}})
	if code != 303 {
		t.Fatalf("linking a client: %d", code)
	}
	// The same client cannot be linked twice, by anyone.
	code, page = postPage(t, env, admin, "/tokens/oauth", url.Values{"provider": {corp.hs.URL}, "client_id": {"meti-ledger"},
		"choice": {"ministry_admin:METI"}})
	if code != 422 || !strings.Contains(page, "この OAuth クライアントは既に登録されています。") {
		t.Fatalf("linking a linked client again: %d\n%s", code, page)
	}
	var id, uid int64
	if err := env.DB.Owner.QueryRow(ctx, `SELECT id, user_id FROM api_oauth_clients WHERE client_id = 'meti-ledger'`).Scan(&id, &uid); err != nil {
		t.Fatal(err)
	}

	callAt := func(path, token, lang string) (*http.Response, map[string]any) {
		t.Helper()
		resp, body := apiCaller{t: t, env: env, contract: contract, token: token, lang: lang}.do("GET", path, nil)
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		return resp, m
	}
	call := func(token, lang string) (*http.Response, map[string]any) {
		t.Helper()
		return callAt("/api/v1/operators?limit=200", token, lang)
	}
	good := corp.token(t, map[string]any{"aud": apiAudience, "client_id": "meti-ledger", "sub": "service-account-7"})
	resp, list := call(good, "")
	if resp.StatusCode != 200 {
		t.Fatalf("a linked client's access token: %d %v", resp.StatusCode, list)
	}
	items, _ := list["items"].([]any)
	if len(items) == 0 {
		t.Fatal("a METI client sees no operator")
	}
	for _, it := range items {
		if s := it.(map[string]any)["sector"]; s != "electricity" && s != "gas" && s != "petroleum" && s != "chemical" && s != "credit_card" {
			t.Errorf("a METI client sees an operator of sector %v", s)
		}
	}
	if resp.Header.Get("RateLimit") == "" {
		t.Error("no RateLimit header for a client")
	}
	var lastUsed *time.Time
	env.DB.Owner.QueryRow(ctx, `SELECT last_used_at FROM api_oauth_clients WHERE id = $1`, id).Scan(&lastUsed)
	if lastUsed == nil {
		t.Error("last use not recorded")
	}
	if _, page := env.Get(t, admin, "/tokens"); !strings.Contains(page, "meti-ledger") || strings.Contains(page, "未使用") {
		t.Error("the list does not show the link with its last use")
	}
	// It reaches the handlers as a service account: a bad body is 400.
	resp, body := apiCaller{t: t, env: env, contract: contract, token: good}.do("POST", "/api/v1/operators", "{")
	want(t, resp, body, 400)

	// azp names the client when client_id is absent.
	toto := env.SignIn(t, "toto-admin")
	var totoID int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '2010401000001'`).Scan(&totoID)
	if code, page := postPage(t, env, toto, "/tokens/oauth", url.Values{"provider": {corp.hs.URL}, "client_id": {"toto-grc"},
		"choice": {fmt.Sprintf("operator_staff:%d", totoID)}}); code != 303 {
		t.Fatalf("an operator admin linking a client: %d\n%s", code, page)
	}
	var kitaID int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '1010401000002'`).Scan(&kitaID)
	totoTok := corp.token(t, map[string]any{"aud": []string{"other", apiAudience}, "azp": "toto-grc", "sub": "x"})
	if resp, m := callAt(fmt.Sprintf("/api/v1/operators/%d", totoID), totoTok, ""); resp.StatusCode != 200 {
		t.Fatalf("a client named by azp, on its operator: %d %v", resp.StatusCode, m)
	}
	if resp, _ := callAt(fmt.Sprintf("/api/v1/operators/%d", kitaID), totoTok, ""); resp.StatusCode != 404 {
		t.Errorf("the operator's client on another operator: %d, want 404", resp.StatusCode)
	}
	// sub names it when neither is there.
	if resp, _ := call(corp.token(t, map[string]any{"aud": apiAudience, "sub": "meti-ledger"}), ""); resp.StatusCode != 200 {
		t.Errorf("a client named by sub: %d", resp.StatusCode)
	}

	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	refused := map[string]string{
		"wrong audience": corp.token(t, map[string]any{"aud": "https://elsewhere.example", "client_id": "meti-ledger"}),
		"no audience":    corp.token(t, map[string]any{"client_id": "meti-ledger"}),
		"expired": corp.token(t, map[string]any{"aud": apiAudience, "client_id": "meti-ledger",
			"iat": time.Now().Add(-time.Hour).Unix(), "exp": time.Now().Add(-time.Minute).Unix()}),
		"bad signature":    corp.token(t, map[string]any{"aud": apiAudience, "client_id": "meti-ledger"}, other),
		"altered":          good[:len(good)-4] + "AAAA",
		"other issuer":     plain.token(t, map[string]any{"aud": apiAudience, "client_id": "meti-ledger"}),
		"unknown issuer":   corp.token(t, map[string]any{"iss": "https://idp.example", "aud": apiAudience, "client_id": "meti-ledger"}),
		"unlinked client":  corp.token(t, map[string]any{"aud": apiAudience, "client_id": "someone-else"}),
		"not a JWT":        "abc.def",
		"garbage payload":  "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln",
		"no client claims": corp.token(t, map[string]any{"aud": apiAudience}),
	}
	for name, tok := range refused {
		resp, p := call(tok, "en")
		if resp.StatusCode != 401 || p["code"] != "api.error.token_invalid" ||
			!strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) ||
			!strings.HasPrefix(fmt.Sprint(p["title"]), "The bearer token is not valid") {
			t.Errorf("%s: %d %v, WWW-Authenticate %q; want 401 invalid_token in English", name, resp.StatusCode, p, resp.Header.Get("WWW-Authenticate"))
		}
	}

	// Another tenant's admin cannot revoke the link; its own admin can,
	// and the client's next call is refused.
	if code, _ := postPage(t, env, toto, "/tokens/oauth/"+itoa64(id)+"/revoke", nil); code != 404 {
		t.Errorf("another tenant's admin revoking: %d, want 404", code)
	}
	if code, _ := postPage(t, env, admin, "/tokens/oauth/"+itoa64(id)+"/revoke", nil); code != 303 {
		t.Fatalf("revoking: %d", code)
	}
	if resp, p := call(good, ""); resp.StatusCode != 401 || p["code"] != "api.error.token_invalid" ||
		!strings.HasPrefix(fmt.Sprint(p["title"]), "トークンが無効です。") {
		t.Errorf("a revoked client: %d %v", resp.StatusCode, p)
	}
	var active int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM role_grants WHERE user_id = $1 AND revoked_at IS NULL`, uid).Scan(&active)
	if active != 0 {
		t.Error("the revoked link's grant is still active")
	}
	var events int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE object_type = 'api_oauth_client' AND object_id = $1
		AND action IN ('api_oauth_client.create', 'api_oauth_client.revoke') AND ministry_code = 'METI'`, itoa64(id)).Scan(&events)
	if events != 2 {
		t.Errorf("%d audit events of the link, want create and revoke", events)
	}
	// A revoked client may be linked again.
	if code, page := postPage(t, env, admin, "/tokens/oauth", url.Values{"provider": {corp.hs.URL}, "client_id": {"meti-ledger"},
		"choice": {"ministry_staff:METI"}}); code != 303 {
		t.Errorf("linking a revoked client again: %d\n%s", code, page)
	}
	// No access token reaches the log or the audit log.
	logs := env.Logs.String()
	for name, tok := range refused {
		if parts := strings.Split(tok, "."); len(parts) == 3 && len(parts[2]) > 8 && strings.Contains(logs, parts[2]) {
			t.Errorf("the %s token was logged", name)
		}
	}
	if strings.Contains(logs, strings.Split(good, ".")[2]) {
		t.Error("an access token was logged")
	}
	var leaked int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE coalesce(before::text, '') || coalesce(after::text, '') LIKE '%'||$1||'%'`,
		strings.Split(good, ".")[2]).Scan(&leaked)
	if leaked > 0 {
		t.Error("an access token was written to the audit log")
	}
}

// TestOAuthLinksWithoutAPIProvider: with no provider configured for the
// API, the page says so and offers no form, and a JWT is refused.
func TestOAuthLinksWithoutAPIProvider(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	admin := env.SignIn(t, "nco-admin")
	if _, page := env.Get(t, admin, "/tokens"); !strings.Contains(page, `id="oauth-no-provider"`) || strings.Contains(page, `id="oauth-client_id"`) {
		t.Fatal("the page offers to link a client without an API-enabled provider")
	}
	is := newTestIssuer(t)
	resp, body := apiCaller{t: t, env: env, contract: newContract(t, env), token: is.token(t, map[string]any{"aud": apiAudience, "client_id": "x"})}.
		do("GET", "/api/v1/cycles", nil)
	want(t, resp, body, 401)
}

// linkClient links a client with role in the scope of ministry or
// operator (the NCO's when both are empty) through the store, as an admin
// of that tenant would, and returns the link's id.
func linkClient(t *testing.T, env *servertest.Env, role identity.Role, ministry string, operator int64) int64 {
	t.Helper()
	ctx := context.Background()
	oversight, err := postgres.Oversight(ctx, env.DB.Owner)
	if err != nil {
		t.Fatal(err)
	}
	var uid int64
	if err := env.DB.Owner.QueryRow(ctx, `INSERT INTO users (display_name) VALUES ('登録 管理者') RETURNING id`).Scan(&uid); err != nil {
		t.Fatal(err)
	}
	admin := identity.Grant{Role: identity.RoleNCOAdmin}
	switch role.ScopeKind() {
	case "ministry":
		admin = identity.Grant{Role: identity.RoleMinistryAdmin, MinistryCode: ministry}
	case "operator":
		admin = identity.Grant{Role: identity.RoleOperatorAdmin, OperatorID: operator}
	}
	p := identity.NewPrincipal(uid, "登録 管理者", "", []identity.Grant{admin}, oversight)
	var id int64
	err = postgres.InTx(ctx, env.DB.App, p, func(tx pgx.Tx) error {
		id, err = postgres.LinkOAuthClient(ctx, tx, p, identity.OAuthClient{Issuer: "https://idp.example",
			ClientID: fmt.Sprintf("client-%d", uid), Role: role, MinistryCode: ministry, OperatorID: operator, CreatedAt: time.Now()}, "test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// The link routes in the authorization matrix: admins only, each on its
// own tenant's links.
func init() {
	matrixCaseSets = append(matrixCaseSets, func(fx *tenantFixture) map[string]routeCase {
		t, env := fx.t, fx.env
		toto, kita := fx.ids["2010401000001"], fx.ids["1010401000002"]
		linkOf := func(role string, own bool) string {
			var id int64
			switch {
			case role == "nco-admin" && own:
				id = linkClient(t, env, identity.RoleNCOAnalyst, "", 0)
			case role == "meti-admin" && own, role == "nco-admin":
				id = linkClient(t, env, identity.RoleMinistryStaff, "METI", 0)
			case strings.HasPrefix(role, "toto") && own:
				id = linkClient(t, env, identity.RoleOperatorStaff, "", toto)
			case strings.HasPrefix(role, "toto"):
				id = linkClient(t, env, identity.RoleOperatorStaff, "", kita)
			default:
				id = linkClient(t, env, identity.RoleMinistryStaff, "FSA", 0)
			}
			return fmt.Sprintf("/tokens/oauth/%d/revoke", id)
		}
		return map[string]routeCase{
			"POST /tokens/oauth":             {path: fixed("/tokens/oauth"), want: allow("POST", 422, admins, admins)}, // empty form
			"POST /tokens/oauth/{id}/revoke": {path: linkOf, want: allow("POST", 303, admins, nil)},
		}
	})
}
