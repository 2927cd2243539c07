//go:build dev

package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/kijun-portal/kijun/internal/config"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/server"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// apiContract is the OpenAPI document with a router for env's server:
// every API call of these tests goes through validateResponse.
type apiContract struct {
	doc    *openapi3.T
	router routers.Router
}

func newContract(t testing.TB, env *servertest.Env) *apiContract {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(server.OpenAPIDocument())
	if err != nil {
		t.Fatalf("the OpenAPI document does not load: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: env.HTTP.URL + "/api/v1"}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &apiContract{doc: doc, router: router}
}

// check validates a response to req against the document: its status is
// one the operation lists, its headers and body match the schemas. It
// reports false when the document has no such operation.
func (c *apiContract) check(t testing.TB, req *http.Request, resp *http.Response, body []byte) bool {
	t.Helper()
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return false
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s: %d response does not match the OpenAPI document: %v\n%s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
	return true
}

// apiCaller calls the API with one token (or none), validating every
// response against the document.
type apiCaller struct {
	t        testing.TB
	env      *servertest.Env
	contract *apiContract
	token    string
	lang     string
}

func (c apiCaller) do(method, path string, body any, header ...string) (*http.Response, []byte) {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, c.env.HTTP.URL+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if !c.contract.check(c.t, req, resp, out) && strings.HasPrefix(path, "/api/v1/") && resp.StatusCode != 404 && resp.StatusCode != 405 {
		c.t.Errorf("%s %s is not in the OpenAPI document", method, path)
	}
	return resp, out
}

// want fails unless resp has status; it returns the body decoded.
func want(t testing.TB, resp *http.Response, body []byte, status int) map[string]any {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s %s: %d, want %d: %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, body)
	}
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	return m
}

var tokenPattern = regexp.MustCompile(`kijun_[A-Za-z0-9_-]{43}`)

// TestAPITokenLifecycle: an admin issues a token on the page (shown once,
// stored as a hash, audited), it acts with the role and scope it was
// issued with, records its last use, and stops working when revoked;
// another tenant's admin cannot revoke it; the session cookie never
// authenticates an API call.
func TestAPITokenLifecycle(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	contract := newContract(t, env)
	admin := env.SignIn(t, "meti-admin")

	status, page := env.Get(t, admin, "/tokens")
	if status != 200 || !strings.Contains(page, `name="choice"`) {
		t.Fatalf("GET /tokens: %d", status)
	}
	post := func(c *http.Client, path string, form url.Values) (int, string) {
		resp, err := c.PostForm(env.HTTP.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// Bad input comes back with what was typed and the reason.
	code, page := post(admin, "/tokens", url.Values{"name": {"  "}, "choice": {"nco_admin:"}, "days": {"7"}})
	if code != 422 || !strings.Contains(page, "名称を入力してください") || !strings.Contains(page, "役割と範囲を選んでください") ||
		!strings.Contains(page, "有効期間を選んでください") {
		t.Fatalf("bad token form: %d\n%s", code, page)
	}
	code, page = post(admin, "/tokens", url.Values{"name": {"省の台帳システム"}, "choice": {"ministry_staff:METI"}, "days": {"90"}})
	secret := tokenPattern.FindString(page)
	if code != 200 || secret == "" {
		t.Fatalf("issuing a token: %d\n%s", code, page)
	}
	// Only the hash is stored.
	var id, uid int64
	var hash []byte
	if err := env.DB.Owner.QueryRow(ctx, `SELECT id, user_id, hash FROM api_tokens WHERE name = '省の台帳システム'`).Scan(&id, &uid, &hash); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256([]byte(secret)); !bytes.Equal(hash, sum[:]) {
		t.Fatal("the stored hash is not the token's SHA-256")
	}
	var leaked int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE before::text LIKE '%'||$1||'%' OR after::text LIKE '%'||$1||'%'`, secret).Scan(&leaked)
	if leaked > 0 || strings.Contains(env.Logs.String(), secret) {
		t.Fatal("the token's secret was written to the audit log or the server log")
	}
	// The page shows it again without the secret.
	if _, page := env.Get(t, admin, "/tokens"); strings.Contains(page, secret) || !strings.Contains(page, "省の台帳システム") {
		t.Fatal("the token list shows the secret, or not the token")
	}
	// The service account is not in the user directory.
	if _, page := env.Get(t, admin, "/users"); strings.Contains(page, "省の台帳システム") {
		t.Fatal("the token's service account is listed among users")
	}

	api := apiCaller{t: t, env: env, contract: contract, token: secret}
	resp, body := api.do("GET", "/api/v1/operators?limit=200", nil)
	list := want(t, resp, body, 200)
	for _, it := range list["items"].([]any) {
		if s := it.(map[string]any)["sector"]; s != "electricity" && s != "gas" && s != "petroleum" && s != "chemical" && s != "credit_card" {
			t.Errorf("a METI token sees an operator of sector %v", s)
		}
	}
	if resp.Header.Get("RateLimit") == "" || resp.Header.Get("RateLimit-Policy") == "" {
		t.Error("no RateLimit headers")
	}
	var lastUsed *time.Time
	env.DB.Owner.QueryRow(ctx, `SELECT last_used_at FROM api_tokens WHERE id = $1`, id).Scan(&lastUsed)
	if lastUsed == nil {
		t.Error("last use not recorded")
	}
	// A token does not open the portal's pages: they know sessions only.
	if resp, _ = api.do("GET", "/tokens", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a token on a portal page: %d, want a redirect to sign in", resp.StatusCode)
	}
	// Cookies do not authenticate the API.
	cresp, err := admin.Get(env.HTTP.URL + "/api/v1/operators")
	if err != nil {
		t.Fatal(err)
	}
	cresp.Body.Close()
	if cresp.StatusCode != 401 || cresp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("a session cookie on the API: %d, want 401 with WWW-Authenticate", cresp.StatusCode)
	}
	// No origin check on token calls (a cross-site request carries no
	// credential): a POST with a foreign Origin reaches the handler.
	resp, body = api.do("POST", "/api/v1/operators", "{", "Origin", "https://elsewhere.example")
	want(t, resp, body, 400)

	// Another tenant's admin cannot revoke it; its own admin can.
	other := env.SignIn(t, "toto-admin")
	if code, _ := post(other, "/tokens/"+itoa64(id)+"/revoke", nil); code != 404 {
		t.Errorf("another tenant's admin revoking: %d, want 404", code)
	}
	if code, _ := post(admin, "/tokens/"+itoa64(id)+"/revoke", nil); code != 303 {
		t.Fatalf("revoking: %d", code)
	}
	resp, body = api.do("GET", "/api/v1/operators", nil)
	if p := want(t, resp, body, 401); p["code"] != "api.error.token_invalid" {
		t.Errorf("revoked token: %v", p)
	}
	var events int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE object_type = 'api_token' AND object_id = $1
		AND action IN ('api_token.create', 'api_token.revoke') AND ministry_code = 'METI'`, itoa64(id)).Scan(&events)
	if events != 2 {
		t.Errorf("%d audit events of the token, want issue and revoke", events)
	}
	// The grant of the service account is revoked with it.
	var active int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM role_grants WHERE user_id = $1 AND revoked_at IS NULL`, uid).Scan(&active)
	if active != 0 {
		t.Error("the revoked token's grant is still active")
	}

	// An expired token is refused; so is a malformed one.
	expired := env.Token(t, identity.RoleMinistryStaff, "METI", 0)
	env.DB.Owner.Exec(ctx, `UPDATE api_tokens SET created_at = now() - interval '2 days', expires_at = now() - interval '1 second' WHERE hash = $1`, identity.HashToken(expired))
	for _, tok := range []string{expired, "kijun_nonsense", "not-a-token"} {
		resp, body = apiCaller{t: t, env: env, contract: contract, token: tok}.do("GET", "/api/v1/cycles", nil)
		want(t, resp, body, 401)
	}
}

// TestAPIProblemsInTheCallersLanguage: errors are problem+json with the
// pages' message id and the text in the Accept-Language of the caller.
func TestAPIProblemsInTheCallersLanguage(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := newContract(t, env)
	tok := env.Token(t, identity.RoleNCOAnalyst, "", 0)
	ja := apiCaller{t: t, env: env, contract: c, token: tok, lang: "ja"}
	en := apiCaller{t: t, env: env, contract: c, token: tok, lang: "en-US,en;q=0.9"}
	for _, call := range []struct {
		path, code string
		status     int
	}{
		{"/api/v1/operators/999999999", "error.not_found", 404},
		{"/api/v1/operators?limit=0", "api.error.bad_limit", 400},
		{"/api/v1/operators?cursor=bm9wZQ", "api.error.bad_cursor", 400},
		{"/api/v1/nothing-here", "error.not_found", 404},
	} {
		r1, b1 := ja.do("GET", call.path, nil)
		r2, b2 := en.do("GET", call.path, nil)
		p1, p2 := want(t, r1, b1, call.status), want(t, r2, b2, call.status)
		if r1.Header.Get("Content-Type") != "application/problem+json" || p1["code"] != call.code || p2["code"] != call.code {
			t.Errorf("%s: %s %v / %v", call.path, r1.Header.Get("Content-Type"), p1, p2)
		}
		if p1["title"] == p2["title"] || p1["title"] == "" || !regexp.MustCompile(`[\p{Han}\p{Hiragana}\p{Katakana}]`).MatchString(p1["title"].(string)) {
			t.Errorf("%s: titles %q / %q are not Japanese and English", call.path, p1["title"], p2["title"])
		}
	}
	resp, body := apiCaller{t: t, env: env, contract: c}.do("GET", "/api/v1/operators", nil)
	if p := want(t, resp, body, 401); p["code"] != "api.error.token_required" {
		t.Errorf("no token: %v", p)
	}
	resp, body = apiCaller{t: t, env: env, contract: c}.do("GET", "/api/v1/sectors", nil)
	if len(want(t, resp, body, 200)["items"].([]any)) != 15 {
		t.Errorf("sectors: %s", body)
	}
	resp, body = apiCaller{t: t, env: env, contract: c}.do("GET", "/api/v1/reference", nil)
	if ref := want(t, resp, body, 200); len(ref["sections"].([]any)) != 7 || len(ref["themes"].([]any)) != 5 || len(ref["ministries"].([]any)) == 0 {
		t.Errorf("reference: %s", body)
	}
}

// TestAPIOperatorRegister: a ministry's system keeps its register through
// the API: create (idempotent with a key), read with an ETag, update with
// If-Match (428 without, 412 when stale), bad input as field errors, and
// pages that neither repeat nor skip under inserts.
func TestAPIOperatorRegister(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	c := newContract(t, env)
	api := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleMinistryStaff, "METI", 0)}
	var scope int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM business_scopes WHERE sector_code = 'gas' ORDER BY id LIMIT 1`).Scan(&scope)
	in := map[string]any{"corporate_number": "7010001008844", "name": map[string]string{"ja": "API瓦斯株式会社", "en": "API Gas"},
		"sector": "gas", "scope_ids": []int64{scope}, "designation": "ci", "designated_since": "2025-04-01", "reason": "API"}

	// Bad input: every field's reason, in the problem.
	resp, body := api.do("POST", "/api/v1/operators", map[string]any{"name": map[string]string{"ja": "", "en": ""}, "sector": "banking",
		"scope_ids": []int64{}, "designation": "x", "designated_since": "tomorrow"})
	p := want(t, resp, body, 422)
	fields := map[string]bool{}
	for _, e := range p["errors"].([]any) {
		fields[e.(map[string]any)["field"].(string)] = true
	}
	for _, f := range []string{"corporate_number", "name.ja", "sector", "scope_ids", "designation", "designated_since"} {
		if !fields[f] {
			t.Errorf("no error for %s: %s", f, body)
		}
	}
	resp, body = api.do("POST", "/api/v1/operators", `{"unknown": 1}`)
	want(t, resp, body, 400)

	// Create with a key; the retry replays; another body with the key is refused.
	resp, body = api.do("POST", "/api/v1/operators", in, "Idempotency-Key", "create-1")
	created := want(t, resp, body, 201)
	loc, tag := resp.Header.Get("Location"), resp.Header.Get("ETag")
	resp2, body2 := api.do("POST", "/api/v1/operators", in, "Idempotency-Key", "create-1")
	want(t, resp2, body2, 201)
	if !bytes.Equal(body, body2) || resp2.Header.Get("Idempotent-Replayed") != "true" || resp2.Header.Get("Location") != loc {
		t.Errorf("the retry was not the first response replayed: %s", body2)
	}
	var n int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM operators WHERE corporate_number = '7010001008844'`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d operators after a replayed create", n)
	}
	in2 := map[string]any{}
	for k, v := range in {
		in2[k] = v
	}
	in2["reason"] = "another"
	resp, body = api.do("POST", "/api/v1/operators", in2, "Idempotency-Key", "create-1")
	if p := want(t, resp, body, 422); p["code"] != "api.error.idempotency_reused" {
		t.Errorf("reused key: %v", p)
	}
	// Without a key, the same create is refused as a duplicate (the page's message).
	resp, body = api.do("POST", "/api/v1/operators", in)
	if p := want(t, resp, body, 409); p["code"] != "operators.duplicate_corporate_number" || !strings.Contains(p["title"].(string), "7010001008844") {
		t.Errorf("duplicate: %v", p)
	}

	// Read, then update with If-Match.
	resp, body = api.do("GET", loc, nil)
	want(t, resp, body, 200)
	if resp.Header.Get("ETag") != tag {
		t.Errorf("ETag %q, want %q", resp.Header.Get("ETag"), tag)
	}
	in["name"] = map[string]string{"ja": "API瓦斯株式会社(改)", "en": "API Gas"}
	resp, body = api.do("PUT", loc, in)
	want(t, resp, body, 428)
	resp, body = api.do("PUT", loc, in, "If-Match", tag)
	updated := want(t, resp, body, 200)
	fresh := resp.Header.Get("ETag")
	if updated["version"].(float64) != created["version"].(float64)+1 || resp.Header.Get("ETag") == tag {
		t.Errorf("update: %v", updated)
	}
	resp, body = api.do("PUT", loc, in, "If-Match", tag) // stale now
	if p := want(t, resp, body, 412); p["code"] != "operators.conflict" {
		t.Errorf("stale: %v", p)
	}
	// Another ministry's sector is refused by the one rule of the form.
	in["sector"] = "banking"
	resp, body = api.do("PUT", loc, in, "If-Match", fresh)
	want(t, resp, body, 422)
	// An FSA token does not find the METI operator.
	fsa := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleMinistryStaff, "FSA", 0)}
	resp, body = fsa.do("GET", loc, nil)
	want(t, resp, body, 404)

	// Pages: all of an NCO's operators, once each, with inserts between pages.
	nco := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleNCOAnalyst, "", 0)}
	seen := map[float64]int{}
	cursor := ""
	inserted := false
	for range 100 {
		resp, body = nco.do("GET", "/api/v1/operators?limit=3&cursor="+cursor, nil)
		pg := want(t, resp, body, 200)
		for _, it := range pg["items"].([]any) {
			seen[it.(map[string]any)["id"].(float64)]++
		}
		if !inserted {
			env.DB.Owner.Exec(ctx, `INSERT INTO operators (corporate_number, name_ja, sector_code, designation) VALUES ('5010001008846', '途中で登録', 'gas', 'ci')`)
			inserted = true
		}
		next, _ := pg["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	var total int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM operators`).Scan(&total)
	if len(seen) != total {
		t.Errorf("the pages held %d operators, want all %d", len(seen), total)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("operator %v on %d pages", id, k)
		}
	}
}

// TestAPIAssessment: an operator's tool fills and submits its assessment
// through the API alone; a stale answer version is 412; a ministry cannot
// write answers, and another operator's assessment is not found.
func TestAPIAssessment(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	c := newContract(t, env)
	asms := env.SmallCycle(t, "api-cycle", 2031)
	var toto, kita int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '2010401000001'`).Scan(&toto)
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '1010401000002'`).Scan(&kita)
	op := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleOperatorStaff, "", toto)}
	path := "/api/v1/assessments/" + itoa64(asms["2010401000001"])

	resp, body := op.do("GET", "/api/v1/cycles", nil)
	want(t, resp, body, 200)
	resp, body = op.do("GET", "/api/v1/assessments", nil)
	if items := want(t, resp, body, 200)["items"].([]any); len(items) == 0 {
		t.Fatal("the operator sees no assessment")
	}
	resp, body = op.do("GET", path, nil)
	a := want(t, resp, body, 200)
	answers := a["answers"].([]any)
	if len(answers) != 5 {
		t.Fatalf("%d answers", len(answers))
	}
	resp, body = op.do("POST", path+"/submit", nil)
	if p := want(t, resp, body, 422); len(p["errors"].([]any)) == 0 {
		t.Errorf("an incomplete submission lists no gaps: %v", p)
	}
	answer := map[string]any{"status": "implemented", "maturity": 3, "how": "APIから回答"}
	resp, body = op.do("PUT", path+"/answers/GV-01", answer)
	want(t, resp, body, 428)
	resp, body = op.do("PUT", path+"/answers/GV-01", map[string]any{"status": "implemented", "maturity": 9}, "If-Match", `"0"`)
	want(t, resp, body, 422)
	for _, ans := range answers {
		ref := ans.(map[string]any)["ref"].(string)
		resp, body = op.do("PUT", path+"/answers/"+ref, answer, "If-Match", `"0"`)
		if saved := want(t, resp, body, 200); saved["version"].(float64) != 1 || resp.Header.Get("ETag") != `"1"` {
			t.Errorf("%s saved as %v, ETag %s", ref, saved, resp.Header.Get("ETag"))
		}
	}
	answer["how"] = "別の内容"
	resp, body = op.do("PUT", path+"/answers/GV-01", answer, "If-Match", `"0"`)
	if p := want(t, resp, body, 412); p["code"] != "assessment.conflict" {
		t.Errorf("stale answer: %v", p)
	}
	// A ministry reads but does not answer; another operator finds nothing.
	meti := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleMinistryStaff, "METI", 0)}
	resp, body = meti.do("GET", path, nil)
	want(t, resp, body, 200)
	resp, body = meti.do("PUT", path+"/answers/GV-01", answer, "If-Match", `"1"`)
	want(t, resp, body, 404)
	other := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleOperatorAdmin, "", kita)}
	resp, body = other.do("GET", path, nil)
	want(t, resp, body, 404)
	resp, body = other.do("POST", path+"/submit", nil)
	want(t, resp, body, 404)

	resp, body = op.do("POST", path+"/submit", nil, "Idempotency-Key", "submit-2031", "If-Match", `"999"`)
	want(t, resp, body, 412)
	resp, body = op.do("POST", path+"/submit", nil, "If-Match", `W/"x"`)
	want(t, resp, body, 412)
	env.SignIn(t, "meti-staff") // a person of the reviewing ministry, to be told
	// Not confirmed by the operator's internal check: 409, with the page's
	// message id.
	resp, body = op.do("POST", path+"/submit", nil)
	if p := want(t, resp, body, 409); p["code"] != "orgflow.error.not_confirmed" {
		t.Errorf("an unconfirmed submission: %s", body)
	}
	// The internal check through the API: the operator's admin only (its
	// staff find nothing to check), with a decision the domain knows.
	resp, body = op.do("POST", path+"/signoff", map[string]any{"decision": "confirmed"})
	want(t, resp, body, 404)
	opAdmin := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleOperatorAdmin, "", toto)}
	resp, body = opAdmin.do("POST", path+"/signoff", map[string]any{"decision": "approved"})
	if p := want(t, resp, body, 422); len(p["errors"].([]any)) != 1 || p["errors"].([]any)[0].(map[string]any)["field"] != "decision" {
		t.Errorf("an unknown decision: %s", body)
	}
	resp, body = opAdmin.do("POST", path+"/signoff", map[string]any{"decision": "sent_back"})
	if p := want(t, resp, body, 422); len(p["errors"].([]any)) != 1 || p["errors"].([]any)[0].(map[string]any)["field"] != "comment" {
		t.Errorf("sent back without a comment: %s", body)
	}
	signOff := func() {
		t.Helper()
		resp, body := opAdmin.do("POST", path+"/signoff", map[string]any{"decision": "confirmed"})
		want(t, resp, body, 200)
	}
	signOff()
	resp, body = op.do("POST", path+"/submit", nil, "Idempotency-Key", "submit-2031b")
	if s := want(t, resp, body, 200); s["status"] != "submitted" {
		t.Errorf("submitted: %v", s)
	}
	resp2, body2 := op.do("POST", path+"/submit", nil, "Idempotency-Key", "submit-2031b")
	if want(t, resp2, body2, 200); !bytes.Equal(body, body2) || resp2.Header.Get("Idempotent-Replayed") != "true" {
		t.Error("the submit's retry was not replayed")
	}
	// The ministry's people are told, and so is its service account (the
	// METI token's), in the portal only (TestAPIServiceAccountNotices).
	var people, machines int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FILTER (WHERE NOT u.service), count(*) FILTER (WHERE u.service)
		FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.kind = 'assessment.review_waiting'`).Scan(&people, &machines)
	if people == 0 || machines != 1 {
		t.Errorf("the submission notified %d people and %d service accounts, want 1", people, machines)
	}
	// The ministry reviews through the API: a return needs a reason and
	// the version it read; it is audited and told to the operator's people.
	submitted := want(t, resp, body, 200)
	version := fmt.Sprintf(`"%v"`, submitted["version"])
	env.SignIn(t, "toto-staff") // a person of the operator, to be told
	resp, body = meti.do("POST", path+"/return", map[string]any{"note": "  "}, "If-Match", version)
	if p := want(t, resp, body, 422); len(p["errors"].([]any)) != 1 || p["errors"].([]any)[0].(map[string]any)["field"] != "note" ||
		p["errors"].([]any)[0].(map[string]any)["code"] != "assessment.return.note_required" {
		t.Errorf("a return without a reason: %s", body)
	}
	resp, body = meti.do("POST", path+"/return", map[string]any{"comments": []any{map[string]any{"ref": "GV-01", "body": " "}}}, "If-Match", version)
	if p := want(t, resp, body, 422); p["errors"].([]any)[0].(map[string]any)["field"] != "comments" {
		t.Errorf("an empty comment: %s", body)
	}
	resp, body = meti.do("POST", path+"/return", map[string]any{"comments": []any{map[string]any{"ref": "XX-99", "body": "理由"}}}, "If-Match", version)
	if p := want(t, resp, body, 422); p["errors"].([]any)[0].(map[string]any)["code"] != "api.error.comment_ref" {
		t.Errorf("a comment on a control the assessment lacks: %s", body)
	}
	resp, body = meti.do("POST", path+"/return", map[string]any{"note": "理由"})
	want(t, resp, body, 428)
	resp, body = meti.do("POST", path+"/return", map[string]any{"note": "理由"}, "If-Match", `"999"`)
	want(t, resp, body, 412)
	resp, body = op.do("POST", path+"/return", map[string]any{"note": "理由"}, "If-Match", version)
	want(t, resp, body, 404) // an operator does not review
	resp, body = meti.do("POST", path+"/accept", nil, "If-Match", `"999"`)
	want(t, resp, body, 412)
	returnBody := map[string]any{"note": "根拠を補ってください。", "comments": []any{map[string]any{"ref": "GV-01", "body": "手順書を添付してください。"}}}
	resp, body = meti.do("POST", path+"/return", returnBody, "If-Match", version, "Idempotency-Key", "return-2031")
	if ret := want(t, resp, body, 200); ret["status"] != "returned" || resp.Header.Get("ETag") == version {
		t.Errorf("returned: %s (ETag %s)", body, resp.Header.Get("ETag"))
	}
	resp2, body2 = meti.do("POST", path+"/return", returnBody, "If-Match", version, "Idempotency-Key", "return-2031")
	if want(t, resp2, body2, 200); !bytes.Equal(body, body2) || resp2.Header.Get("Idempotent-Replayed") != "true" {
		t.Error("the return's retry was not replayed")
	}
	var returns, comments, told int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'assessment.return' AND object_id = $1`,
		itoa64(asms["2010401000001"])).Scan(&returns)
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM review_comments WHERE assessment_id = $1 AND ref = 'GV-01'`,
		asms["2010401000001"]).Scan(&comments)
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id
		WHERE n.kind = 'assessment.returned' AND NOT u.service`).Scan(&told)
	if returns != 1 || comments != 1 || told == 0 {
		t.Errorf("the return: %d audit events, %d comments, %d people told", returns, comments, told)
	}
	// Resubmitted after a new internal check, then accepted at its new version.
	resp, body = op.do("POST", path+"/submit", nil)
	want(t, resp, body, 409)
	signOff()
	resp, body = op.do("POST", path+"/submit", nil)
	version = fmt.Sprintf(`"%v"`, want(t, resp, body, 200)["version"])
	resp, body = meti.do("POST", path+"/accept", map[string]any{"note": "確認しました。"}, "If-Match", version)
	if acc := want(t, resp, body, 200); acc["status"] != "accepted" || acc["accepted_at"] == nil {
		t.Errorf("accepted: %s", body)
	}
	resp, body = meti.do("POST", path+"/accept", nil, "If-Match", resp.Header.Get("ETag"))
	want(t, resp, body, 409) // accepted already
	// Catalogs: JSON and OSCAL of the cycle's catalog.
	var catID int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM catalogs WHERE code = 'api-cycle'`).Scan(&catID)
	resp, body = op.do("GET", "/api/v1/catalogs/"+itoa64(catID), nil)
	if cat := want(t, resp, body, 200); len(cat["controls"].([]any)) != 5 {
		t.Errorf("catalog: %s", body)
	}
	resp, body = op.do("GET", "/api/v1/catalogs/"+itoa64(catID)+"/oscal", nil)
	if cat := want(t, resp, body, 200); cat["catalog"] == nil {
		t.Errorf("OSCAL: %s", body)
	}
	resp, body = op.do("GET", "/api/v1/catalogs", nil)
	want(t, resp, body, 200)
}

// TestAPINotifications: a token reads its own service account's
// notifications a page at a time through the inbox's store and marks one
// read; another user's notification is not found and stays unread, and
// another token sees none of them.
func TestAPINotifications(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	c := newContract(t, env)
	secret := env.Token(t, identity.RoleMinistryStaff, "METI", 0)
	me := apiCaller{t: t, env: env, contract: c, token: secret}
	other := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleMinistryStaff, "METI", 0)}
	resp, body := me.do("GET", "/api/v1/notifications", nil)
	if items := want(t, resp, body, 200)["items"].([]any); len(items) != 0 {
		t.Fatalf("a new service account has notifications: %s", body)
	}
	// The test puts notices in the service account's inbox itself (how
	// they are told: TestAPIServiceAccountNotices), and one in a person's.
	env.SignIn(t, "meti-staff")
	var mine, persons int64
	if err := env.DB.Owner.QueryRow(ctx, `SELECT user_id FROM api_tokens WHERE hash = $1`, identity.HashToken(secret)).Scan(&mine); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.Owner.QueryRow(ctx, `SELECT id FROM users WHERE NOT service ORDER BY id LIMIT 1`).Scan(&persons); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, u := range []int64{mine, mine, persons, mine} {
		var id int64
		if err := env.DB.Owner.QueryRow(ctx, `INSERT INTO notifications (user_id, kind, params, link)
			VALUES ($1, 'assessment.returned', '{"Year":{"ja":"2031","en":"2031"}}', '/assessments/1') RETURNING id`, u).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	resp, body = me.do("GET", "/api/v1/notifications?limit=2", nil)
	first := want(t, resp, body, 200)
	cursor, _ := first["next_cursor"].(string)
	if len(first["items"].([]any)) != 2 || cursor == "" {
		t.Fatalf("first page: %s", body)
	}
	resp, body = me.do("GET", "/api/v1/notifications?limit=2&cursor="+url.QueryEscape(cursor), nil)
	second := want(t, resp, body, 200)
	if items := second["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"].(float64) != float64(ids[3]) || second["next_cursor"] != nil {
		t.Errorf("second page: %s", body)
	}
	resp, body = other.do("GET", "/api/v1/notifications", nil)
	if items := want(t, resp, body, 200)["items"].([]any); len(items) != 0 {
		t.Errorf("another token sees notifications: %s", body)
	}
	// Another user's notification is not found and stays unread.
	resp, body = me.do("POST", "/api/v1/notifications/"+itoa64(ids[2])+"/read", nil)
	want(t, resp, body, 404)
	resp, body = other.do("POST", "/api/v1/notifications/"+itoa64(ids[0])+"/read", nil)
	want(t, resp, body, 404)
	resp, body = me.do("POST", "/api/v1/notifications/"+itoa64(ids[0])+"/read", nil, "Idempotency-Key", "read-1")
	if n := want(t, resp, body, 200); n["read_at"] == nil || n["kind"] != "assessment.returned" {
		t.Errorf("read: %s", body)
	}
	var unread []int64
	rows, _ := env.DB.Owner.Query(ctx, `SELECT id FROM notifications WHERE read_at IS NULL ORDER BY id`)
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		unread = append(unread, id)
	}
	if !slices.Equal(unread, []int64{ids[1], ids[2], ids[3]}) {
		t.Errorf("unread after marking %d read: %v", ids[0], unread)
	}
}

// TestAPIRateLimit: each token has API_RATE_LIMIT requests a minute, told
// in the RateLimit headers; then 429 with Retry-After until the window
// turns (the server's clock, moved by the test).
func TestAPIRateLimit(t *testing.T) {
	t.Parallel()
	clock := servertest.NewClock(time.Now().Truncate(time.Minute).Add(10 * time.Second))
	db := pgtest.New(t)
	env := servertest.NewWith(t, db, db.App, func(c *config.Config) { c.Now, c.APIRateLimit = clock.Now, 3 })
	c := newContract(t, env)
	a := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleNCOAnalyst, "", 0)}
	b := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleNCOAnalyst, "", 0)}
	for i, left := range []string{"2", "1", "0"} {
		resp, body := a.do("GET", "/api/v1/sectors", nil)
		want(t, resp, body, 200)
		if h := resp.Header.Get("RateLimit"); h != `"token";r=`+left+`;t=50` || resp.Header.Get("RateLimit-Policy") != `"token";q=3;w=60` {
			t.Errorf("request %d: RateLimit %q, policy %q", i+1, h, resp.Header.Get("RateLimit-Policy"))
		}
	}
	resp, body := a.do("GET", "/api/v1/sectors", nil)
	if p := want(t, resp, body, 429); p["code"] != "api.error.rate_limited" || resp.Header.Get("Retry-After") != "50" {
		t.Errorf("over the limit: %v, Retry-After %q", p, resp.Header.Get("Retry-After"))
	}
	resp, body = b.do("GET", "/api/v1/sectors", nil) // another token has its own
	want(t, resp, body, 200)
	clock.Advance(time.Minute)
	resp, body = a.do("GET", "/api/v1/sectors", nil)
	want(t, resp, body, 200)
}

// TestAPIReferencePage: the document is served and rendered as a page
// listing every operation.
func TestAPIReferencePage(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := newContract(t, env)
	status, page := env.Get(t, env.Client(t), "/api")
	if status != 200 {
		t.Fatalf("GET /api: %d", status)
	}
	for path, item := range c.doc.Paths.Map() {
		for method := range item.Operations() {
			if !strings.Contains(page, method+" /api/v1"+path) {
				t.Errorf("the reference page lacks %s %s", method, path)
			}
		}
	}
}

// apiAllow is the expected status of an API route: ok for the roles in
// who on their own tenant (and on a foreign one for those in foreign);
// 401 without a token (anonymous) or with an expired one (newcomer);
// else 404, like the pages.
func apiAllow(ok int, who, foreign []string) func(role string, own bool) int {
	return func(role string, own bool) int {
		switch {
		case role == "anonymous" || role == "newcomer":
			return http.StatusUnauthorized
		case slices.Contains(who, role) && (own || slices.Contains(foreign, role)):
			return ok
		}
		return http.StatusNotFound
	}
}

// apiPublic: anyone, with a valid token or none; an expired one is refused.
func apiPublic(role string, _ bool) int {
	if role == "newcomer" {
		return http.StatusUnauthorized
	}
	return http.StatusOK
}

func init() {
	matrixCaseSets = append(matrixCaseSets, func(fx *tenantFixture) map[string]routeCase {
		t, env := fx.t, fx.env
		ctx := context.Background()
		toto, kita := fx.ids["2010401000001"], fx.ids["1010401000002"]
		fx.apiToken = map[string]string{
			"nco-admin":     env.Token(t, identity.RoleNCOAdmin, "", 0),
			"nco-analyst":   env.Token(t, identity.RoleNCOAnalyst, "", 0),
			"meti-admin":    env.Token(t, identity.RoleMinistryAdmin, "METI", 0),
			"meti-staff":    env.Token(t, identity.RoleMinistryStaff, "METI", 0),
			"fsa-staff":     env.Token(t, identity.RoleMinistryStaff, "FSA", 0),
			"toto-admin":    env.Token(t, identity.RoleOperatorAdmin, "", toto),
			"toto-staff":    env.Token(t, identity.RoleOperatorStaff, "", toto),
			"toto-reviewer": env.Token(t, identity.RoleOperatorReviewer, "", toto),
			"newcomer":      env.Token(t, identity.RoleNCOAdmin, "", 0),
		}
		fx.q(`UPDATE api_tokens SET created_at = now() - interval '2 days', expires_at = now() - interval '1 day'
			WHERE hash = $1 RETURNING id`, identity.HashToken(fx.apiToken["newcomer"]))

		catalog := xlSmallCatalog(t, env, "api-matrix")
		asms := xlOpenCycle(t, env, catalog, 2032)
		bank := asms[fx.ids["4010001000003"]]
		pairs := map[string][2]int64{
			"meti-admin": {asms[toto], bank}, "meti-staff": {asms[toto], bank}, "fsa-staff": {bank, asms[toto]},
			"toto-admin": {asms[toto], asms[kita]}, "toto-staff": {asms[toto], asms[kita]}, "toto-reviewer": {asms[toto], asms[kita]},
			"nco-admin": {asms[toto], bank}, "nco-analyst": {asms[toto], bank},
		}
		ministries := []string{"meti-admin", "meti-staff", "fsa-staff"}
		managers := append([]string{"nco-admin"}, ministries...)
		operators := []string{"toto-admin", "toto-staff", "toto-reviewer"}
		cat := fmt.Sprintf("/api/v1/catalogs/%d", catalog)
		// A fresh token per revoke request, of the role's own tenant or
		// another's.
		tokenOf := func(role string, own bool) string {
			var secret string
			switch {
			case role == "nco-admin" && own:
				secret = env.Token(t, identity.RoleNCOAnalyst, "", 0)
			case role == "meti-admin" && own, role == "nco-admin":
				secret = env.Token(t, identity.RoleMinistryStaff, "METI", 0)
			case strings.HasPrefix(role, "toto") && own:
				secret = env.Token(t, identity.RoleOperatorStaff, "", toto)
			case strings.HasPrefix(role, "toto"):
				secret = env.Token(t, identity.RoleOperatorStaff, "", kita)
			default:
				secret = env.Token(t, identity.RoleMinistryStaff, "FSA", 0)
			}
			var id int64
			if err := env.DB.Owner.QueryRow(ctx, `SELECT id FROM api_tokens WHERE hash = $1`, identity.HashToken(secret)).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("/tokens/%d/revoke", id)
		}
		fx.extra = map[string]requestExtra{"PUT /api/v1/assessments/{id}/answers/{ref}": {
			body: `{"how":"matrix"}`, header: map[string]string{"If-Match": `"999"`}},
			"POST /api/v1/assessments/{id}/return": {body: `{"note":"matrix"}`, header: map[string]string{"If-Match": `"999"`}},
			"POST /api/v1/assessments/{id}/accept": {header: map[string]string{"If-Match": `"999"`}}}
		return map[string]routeCase{
			"GET /tokens":                     {path: fixed("/tokens"), want: allow("GET", 200, admins, admins)},
			"POST /tokens":                    {path: fixed("/tokens"), want: allow("POST", 422, admins, admins)}, // empty form
			"POST /tokens/{id}/revoke":        {path: tokenOf, want: allow("POST", 303, admins, nil)},
			"GET /api":                        {path: fixed("/api"), want: always(200)},
			"GET /api/v1/openapi.json":        {path: fixed("/api/v1/openapi.json"), want: apiPublic},
			"GET /api/v1/sectors":             {path: fixed("/api/v1/sectors"), want: apiPublic},
			"GET /api/v1/sectors/{code}":      {path: fixed("/api/v1/sectors/gas"), want: apiPublic},
			"GET /api/v1/reference":           {path: fixed("/api/v1/reference"), want: apiPublic},
			"GET /api/v1/catalogs":            {path: fixed("/api/v1/catalogs"), want: apiAllow(200, withGrant, withGrant)},
			"GET /api/v1/catalogs/{id}":       {path: fixed(cat), want: apiAllow(200, withGrant, withGrant)},
			"GET /api/v1/catalogs/{id}/oscal": {path: fixed(cat + "/oscal"), want: apiAllow(200, withGrant, withGrant)},
			"GET /api/v1/operators":           {path: fixed("/api/v1/operators"), want: apiAllow(200, append(ministries, ncos...), append(ministries, ncos...))},
			// No body: refused as bad JSON once the policy let it through.
			"POST /api/v1/operators":       {path: fixed("/api/v1/operators"), want: apiAllow(400, managers, managers)},
			"GET /api/v1/operators/{id}":   {path: byID("/api/v1/operators/", fx.operator, ""), want: apiAllow(200, withGrant, ncos)},
			"PUT /api/v1/operators/{id}":   {path: byID("/api/v1/operators/", fx.operator, ""), want: apiAllow(400, managers, []string{"nco-admin"})},
			"GET /api/v1/cycles":           {path: fixed("/api/v1/cycles"), want: apiAllow(200, withGrant, withGrant)},
			"GET /api/v1/assessments":      {path: fixed("/api/v1/assessments"), want: apiAllow(200, withGrant, withGrant)},
			"GET /api/v1/assessments/{id}": {path: byID("/api/v1/assessments/", pairs, ""), want: apiAllow(200, withGrant, ncos)},
			// A version that is not the stored one: 412 once the tenant is
			// the caller's.
			"PUT /api/v1/assessments/{id}/answers/{ref}": {path: byID("/api/v1/assessments/", pairs, "/answers/GV-01"),
				want: apiAllow(412, operators, nil)},
			// No decision: refused on the field, by the operator's admins and
			// reviewers only.
			"POST /api/v1/assessments/{id}/signoff": {path: byID("/api/v1/assessments/", pairs, "/signoff"),
				want: apiAllow(422, []string{"toto-admin", "toto-reviewer"}, nil)},
			// Nothing answered: refused with the gaps, by the operator only.
			"POST /api/v1/assessments/{id}/submit": {path: byID("/api/v1/assessments/", pairs, "/submit"), want: apiAllow(422, operators, nil)},
			// A version that is not the stored one: 412 once the tenant is
			// the reviewing ministry's.
			"POST /api/v1/assessments/{id}/return": {path: byID("/api/v1/assessments/", pairs, "/return"), want: apiAllow(412, ministries, nil)},
			"POST /api/v1/assessments/{id}/accept": {path: byID("/api/v1/assessments/", pairs, "/accept"), want: apiAllow(412, ministries, nil)},
			// A service account's own list (normally empty); an id that is
			// none of its own is not found for anyone.
			"GET /api/v1/notifications":            {path: fixed("/api/v1/notifications"), want: apiAllow(200, withGrant, withGrant)},
			"POST /api/v1/notifications/{id}/read": {path: fixed("/api/v1/notifications/999999999/read"), want: apiAllow(404, nil, nil)},
		}
	})
}

// hostileJSON is a request body a hostile client sends: broken JSON, wrong
// types, huge numbers, hostile strings in every field the API reads.
func hostileJSON(rng *rand.Rand) string {
	pick := func() string { return hostileValues[rng.IntN(len(hostileValues))] }
	switch rng.IntN(5) {
	case 0:
		return []string{"", "{", "[]", "null", `{"name":`, `"x"`, "{}{}", `{"name":{"ja":1}}`, `{"scope_ids":"x"}`,
			`{"maturity":1e400}`, `{"maturity":-9223372036854775809}`, "\xff\xfe", `{"how":"\u0000"}`, `{"a":1}`}[rng.IntN(14)]
	case 1:
		return `{"maturity":` + []string{"99999999999999999999", "-1", "2.5", "true", `"3"`}[rng.IntN(5)] + `}`
	}
	fields := map[string]any{}
	for _, f := range []string{"corporate_number", "local_gov_code", "sector", "designation", "designated_since", "reason",
		"status", "how", "na_reason"} {
		if rng.IntN(2) == 0 {
			fields[f] = pick()
		}
	}
	fields["name"] = map[string]string{"ja": pick(), "en": pick()}
	fields["remediation"] = map[string]string{"action": pick(), "owner": pick(), "due": pick()}
	fields["scope_ids"] = []any{rng.Int64(), -1, 0}
	fields["maturity"] = rng.IntN(10) - 3
	b, _ := json.Marshal(fields)
	return string(b)
}

// TestAPIHostileInput requests every API route with hostile path
// parameters, queries, JSON bodies and headers (If-Match, Idempotency-Key,
// Accept-Language, Authorization), without a token and with tokens of a
// few roles: none answers 5xx or shows error text, every error is
// problem+json, and every response of a documented route matches the
// document. The seed is fixed, so a failure repeats.
func TestAPIHostileInput(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := newContract(t, env)
	var toto int64
	env.DB.Owner.QueryRow(context.Background(), `SELECT id FROM operators WHERE corporate_number = '2010401000001'`).Scan(&toto)
	env.SmallCycle(t, "api-hostile", 2031)
	tokens := map[string]string{
		"anonymous": "",
		"nco-admin": env.Token(t, identity.RoleNCOAdmin, "", 0),
		"meti":      env.Token(t, identity.RoleMinistryStaff, "METI", 0),
		"toto":      env.Token(t, identity.RoleOperatorStaff, "", toto),
	}
	rng := rand.New(rand.NewPCG(19, 17))
	pick := func() string { return hostileValues[rng.IntN(len(hostileValues))] }
	var routes [][2]string
	for _, rt := range hostileRoutes(t, env) {
		if strings.HasPrefix(rt[1], "/api/v1/") {
			routes = append(routes, rt)
		}
	}
	if len(routes) < 10 {
		t.Fatalf("only %d API routes", len(routes))
	}
	for who, tok := range tokens {
		for _, rt := range routes {
			for i := range 6 {
				req := hostileRequest(t, env.HTTP.URL, rt[0], rt[1], rng, false)
				if rt[0] != http.MethodGet {
					body := hostileJSON(rng)
					req.Body, req.ContentLength = io.NopCloser(strings.NewReader(body)), int64(len(body))
					req.Header.Set("Content-Type", "application/json")
				}
				if tok != "" {
					req.Header.Set("Authorization", "Bearer "+tok)
				}
				// Values a client can send in a header (no control characters).
				sendable := func(v string) bool {
					return strings.IndexFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) < 0
				}
				if v := []string{"Bearer " + pick(), "Basic eDp5", "Bearer kijun_" + pick(), "bearer"}[rng.IntN(4)]; i%3 == 1 && sendable(v) {
					req.Header.Set("Authorization", v)
				}
				for _, h := range []string{"If-Match", "Idempotency-Key", "Accept-Language"} {
					if v := pick(); rng.IntN(2) == 0 && sendable(v) {
						req.Header.Set(h, v)
					}
				}
				what := req.Method + " " + req.URL.String() + " as " + who
				resp, err := http.DefaultTransport.RoundTrip(req)
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode >= 500 {
					t.Errorf("%s: %d %s", what, resp.StatusCode, b)
				}
				if m := leak.FindString(string(b)); m != "" {
					t.Errorf("%s: the response shows %q", what, m)
				}
				if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("%s: %d as %s", what, resp.StatusCode, resp.Header.Get("Content-Type"))
				}
				c.check(t, req, resp, b)
			}
		}
	}
}
