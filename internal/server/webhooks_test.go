//go:build dev

package server_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// The webhook routes in the authorization matrix: every admin manages the
// endpoints of its own tenant only (another tenant's, even an operator of
// a ministry's sector, is 404).
func init() {
	matrixCaseSets = append(matrixCaseSets, func(fx *tenantFixture) map[string]routeCase {
		toto, kita := fx.ids["2010401000001"], fx.ids["1010401000002"]
		creator := fx.q(`SELECT id FROM users ORDER BY id LIMIT 1`)
		ep := func(tenant string) int64 {
			var nco bool
			var ministry string
			var op int64
			switch tenant {
			case "nco":
				nco = true
			case "METI", "FSA":
				ministry = tenant
			case "toto":
				op = toto
			case "kita":
				op = kita
			}
			return fx.q(`INSERT INTO webhook_endpoints (nco, ministry_code, operator_id, sector_code, url, kinds, secret, created_by, created_at)
				VALUES ($1, nullif($2, ''), nullif($3, 0), (SELECT sector_code FROM operators WHERE id = $3),
				'https://hooks.example.com/', '{assessment.returned}', '\x000102030405060708090a0b0c0d0e0f', $4, now()) RETURNING id`,
				nco, ministry, op, creator)
		}
		// own and foreign endpoints per role; a second set for deletion.
		pairs := func() map[string][2]int64 {
			nco, meti, fsa, t, k := ep("nco"), ep("METI"), ep("FSA"), ep("toto"), ep("kita")
			return map[string][2]int64{"nco-admin": {nco, meti}, "nco-analyst": {nco, meti}, "meti-admin": {meti, t},
				"meti-staff": {meti, fsa}, "fsa-staff": {fsa, meti}, "toto-admin": {t, k}, "toto-staff": {t, k}, "toto-reviewer": {t, k}}
		}
		show, del, apiDel := pairs(), pairs(), pairs()
		return map[string]routeCase{
			"GET /webhooks":              {path: fixed("/webhooks"), want: allow("GET", 200, admins, admins)},
			"POST /webhooks":             {path: fixed("/webhooks"), want: allow("POST", 422, admins, admins)}, // empty form
			"GET /webhooks/{id}":         {path: byID("/webhooks/", show, ""), want: allow("GET", 200, admins, nil)},
			"POST /webhooks/{id}/enable": {path: byID("/webhooks/", show, "/enable"), want: allow("POST", 303, admins, nil)},
			"POST /webhooks/{id}/delete": {path: byID("/webhooks/", del, "/delete"), want: allow("POST", 303, admins, nil)},
			// Admin tokens: their own tenant's endpoints only.
			"GET /api/v1/webhooks":                 {path: fixed("/api/v1/webhooks"), want: apiAllow(200, admins, admins)},
			"GET /api/v1/webhooks/{id}/deliveries": {path: byID("/api/v1/webhooks/", show, "/deliveries"), want: apiAllow(200, admins, nil)},
			// No body: refused as bad JSON once the policy let it through.
			"POST /api/v1/webhooks":             {path: fixed("/api/v1/webhooks"), want: apiAllow(400, admins, admins)},
			"GET /api/v1/webhooks/{id}":         {path: byID("/api/v1/webhooks/", show, ""), want: apiAllow(200, admins, nil)},
			"POST /api/v1/webhooks/{id}/enable": {path: byID("/api/v1/webhooks/", show, "/enable"), want: apiAllow(200, admins, nil)},
			"DELETE /api/v1/webhooks/{id}":      {path: byID("/api/v1/webhooks/", apiDel, ""), want: apiAllow(204, admins, nil)},
		}
	})
}

var secretPattern = regexp.MustCompile(`whsec_[A-Za-z0-9+/=]{44}`)

// TestWebhookPages: an operator admin registers an endpoint (bad input
// comes back with messages next to the fields and what was typed; a
// private address is refused), sees its secret once, the endpoint and
// its empty delivery log; the registration is audited without the
// secret, which is stored only encrypted; deleting hides it.
func TestWebhookPages(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	admin := env.SignIn(t, "toto-admin")
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		resp, err := admin.PostForm(env.HTTP.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var toto int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '2010401000001'`).Scan(&toto)
	choice := "operator:" + itoa64(toto)

	code, page := post("/webhooks", url.Values{"url": {"https://10.0.0.5/hook"}, "description": {"GRC ツール"},
		"choice": {choice}, "kinds": {"assessment.returned", "no.such_kind"}})
	if code != 422 || !strings.Contains(page, "webhook-url-error") || !strings.Contains(page, "webhook-kinds-error") ||
		!strings.Contains(page, `value="https://10.0.0.5/hook"`) || !strings.Contains(page, "GRC ツール") {
		t.Fatalf("bad input: %d\n%s", code, page)
	}
	code, page = post("/webhooks", url.Values{"url": {"https://hooks.example.com/kijun"}, "choice": {choice},
		"kinds": {"assessment.returned", "cycle.opened"}})
	secret := secretPattern.FindString(page)
	if code != 200 || secret == "" {
		t.Fatalf("register: %d\n%s", code, page)
	}
	var id int64
	var sealed []byte
	if err := env.DB.Owner.QueryRow(ctx, `SELECT id, secret FROM webhook_endpoints WHERE operator_id = $1`, toto).Scan(&id, &sealed); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(sealed), secret[len("whsec_"):]) {
		t.Error("the secret is stored as shown")
	}
	var audits int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'webhook.create' AND after::text NOT LIKE '%whsec%'`).Scan(&audits)
	if audits != 1 {
		t.Errorf("%d webhook.create audit events without the secret", audits)
	}
	if _, page := env.Get(t, admin, "/webhooks"); strings.Contains(page, secret) || !strings.Contains(page, "https://hooks.example.com/kijun") {
		t.Errorf("the list shows the secret again, or not the endpoint")
	}
	if status, page := env.Get(t, admin, "/webhooks/"+itoa64(id)); status != 200 || !strings.Contains(page, "cycle.opened") {
		t.Errorf("show: %d", status)
	}
	// The API: an admin token of the operator lists it and pages its log
	// (responses validated against the OpenAPI document); a staff token
	// and another operator's admin token do not see it.
	if _, err := env.DB.Owner.Exec(ctx, `WITH ev AS (INSERT INTO webhook_events (kind, operator_id, sector_code, link, created_at)
			SELECT 'assessment.returned', $1, 'electricity', '/assessments/1', now() FROM generate_series(1, 3) RETURNING id)
		INSERT INTO webhook_deliveries (endpoint_id, event_id, nco, operator_id, kind, status, attempts, last_status_code, created_at)
		SELECT $2, ev.id, false, $1, 'assessment.returned', 'succeeded', 1, 204, now() FROM ev`, toto, id); err != nil {
		t.Fatal(err)
	}
	c := newContract(t, env)
	api := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleOperatorAdmin, "", toto)}
	resp, body := api.do("GET", "/api/v1/webhooks", nil)
	if m := want(t, resp, body, 200); len(m["items"].([]any)) != 1 {
		t.Errorf("GET /api/v1/webhooks: %s", body)
	}
	resp, body = api.do("GET", "/api/v1/webhooks/"+itoa64(id)+"/deliveries?limit=2", nil)
	m := want(t, resp, body, 200)
	if len(m["items"].([]any)) != 2 || m["next_cursor"] == nil {
		t.Fatalf("first page: %s", body)
	}
	resp, body = api.do("GET", "/api/v1/webhooks/"+itoa64(id)+"/deliveries?limit=2&cursor="+m["next_cursor"].(string), nil)
	if m := want(t, resp, body, 200); len(m["items"].([]any)) != 1 || m["next_cursor"] != nil {
		t.Errorf("second page: %s", body)
	}
	var kita int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '1010401000002'`).Scan(&kita)
	for _, tok := range []string{env.Token(t, identity.RoleOperatorStaff, "", toto), env.Token(t, identity.RoleOperatorAdmin, "", kita)} {
		other := apiCaller{t: t, env: env, contract: c, token: tok}
		resp, body := other.do("GET", "/api/v1/webhooks/"+itoa64(id)+"/deliveries", nil)
		want(t, resp, body, 404)
	}

	if code, _ := post("/webhooks/"+itoa64(id)+"/delete", nil); code != 200 && code != 303 {
		t.Errorf("delete: %d", code)
	}
	if status, _ := env.Get(t, admin, "/webhooks/"+itoa64(id)); status != http.StatusNotFound {
		t.Errorf("a deleted endpoint: %d", status)
	}
}
