//go:build dev

package server_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/server/servertest"
	"github.com/kijun-portal/kijun/internal/webhook"
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
		show, del, apiDel, edit := pairs(), pairs(), pairs(), pairs()
		if fx.extra == nil {
			fx.extra = map[string]requestExtra{}
		}
		fx.extra["PUT /api/v1/webhooks/{id}"] = requestExtra{body: `{"url":"https://hooks.example.com/m","kinds":["assessment.returned"]}`,
			header: map[string]string{"If-Match": `"1"`, "Content-Type": "application/json"}}
		return map[string]routeCase{
			// An empty edit form: refused with messages once the policy let it through.
			"POST /webhooks/{id}/edit":          {path: byID("/webhooks/", show, "/edit"), want: allow("POST", 422, admins, nil)},
			"POST /webhooks/{id}/rotate-secret": {path: byID("/webhooks/", show, "/rotate-secret"), want: allow("POST", 200, admins, nil)},
			"PUT /api/v1/webhooks/{id}":         {path: byID("/api/v1/webhooks/", edit, ""), want: apiAllow(200, admins, nil)},
			"POST /api/v1/webhooks/{id}/rotate-secret": {path: byID("/api/v1/webhooks/", show, "/rotate-secret"),
				want: apiAllow(200, admins, nil)},
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

// TestWebhookEditPage: an operator admin edits an endpoint on its page
// (bad input comes back next to the fields with what was typed; a
// private address is refused), a new URL forgets the run of failures, an
// edit saved on a page opened before another's is refused with the
// conflict message; rotating the secret shows the new one once, keeps
// the previous one (sealed) for the grace period, and is audited without
// either.
func TestWebhookEditPage(t *testing.T) {
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
	var toto, id int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '2010401000001'`).Scan(&toto)
	oldSealed := []byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f")
	if err := env.DB.Owner.QueryRow(ctx, `INSERT INTO webhook_endpoints (operator_id, sector_code, url, kinds, secret, created_by, created_at,
			consecutive_failures, failing_since)
		SELECT id, sector_code, 'https://old.example.com/hook', '{assessment.returned}', $2, (SELECT min(id) FROM users), now(), 3, now()
		FROM operators WHERE id = $1 RETURNING id`, toto, oldSealed).Scan(&id); err != nil {
		t.Fatal(err)
	}
	path := "/webhooks/" + itoa64(id)
	if status, page := env.Get(t, admin, path); status != 200 || !strings.Contains(page, `name="version" value="1"`) ||
		!strings.Contains(page, `value="https://old.example.com/hook"`) || !strings.Contains(page, path+"/rotate-secret") {
		t.Fatalf("show: %d\n%s", status, page)
	}
	code, page := post(path+"/edit", url.Values{"version": {"1"}, "url": {"https://192.168.1.5/hook"}, "description": {"社内 GRC"},
		"kinds": {"assessment.returned"}})
	if code != 422 || !strings.Contains(page, "webhook-url-error") || !strings.Contains(page, `value="https://192.168.1.5/hook"`) ||
		!strings.Contains(page, "社内 GRC") {
		t.Fatalf("bad input: %d\n%s", code, page)
	}
	code, _ = post(path+"/edit", url.Values{"version": {"1"}, "url": {"https://new.example.com/hook"}, "description": {"社内 GRC"},
		"kinds": {"assessment.returned", "cycle.opened"}})
	var u, desc string
	var version, failures int
	var since *time.Time
	env.DB.Owner.QueryRow(ctx, `SELECT url, description, version, consecutive_failures, failing_since FROM webhook_endpoints WHERE id = $1`, id).
		Scan(&u, &desc, &version, &failures, &since)
	if (code != 200 && code != 303) || u != "https://new.example.com/hook" || desc != "社内 GRC" || version != 2 || failures != 0 || since != nil {
		t.Errorf("edited: %d %s %q v%d failures %d since %v", code, u, desc, version, failures, since)
	}
	code, page = post(path+"/edit", url.Values{"version": {"1"}, "url": {"https://late.example.com/hook"}, "kinds": {"assessment.returned"}})
	if code != http.StatusConflict || !strings.Contains(page, `id="form-errors"`) || !strings.Contains(page, `value="https://late.example.com/hook"`) ||
		!strings.Contains(page, `name="version" value="2"`) {
		t.Errorf("stale edit: %d\n%s", code, page)
	}
	env.DB.Owner.QueryRow(ctx, `SELECT url FROM webhook_endpoints WHERE id = $1`, id).Scan(&u)
	if u != "https://new.example.com/hook" {
		t.Errorf("a stale edit was saved: %s", u)
	}

	code, page = post(path+"/rotate-secret", nil)
	secret := secretPattern.FindString(page)
	if code != 200 || secret == "" || !strings.Contains(page, `id="webhook-rotated"`) {
		t.Fatalf("rotate: %d\n%s", code, page)
	}
	var sealed, previous []byte
	var until time.Time
	env.DB.Owner.QueryRow(ctx, `SELECT secret, previous_secret, previous_secret_until FROM webhook_endpoints WHERE id = $1`, id).
		Scan(&sealed, &previous, &until)
	box, _ := webhook.NewBox(servertest.WebhookTestKey)
	raw, err := box.Open(sealed)
	if err != nil || webhook.SecretPrefix+base64.StdEncoding.EncodeToString(raw) != secret || string(previous) != string(oldSealed) ||
		time.Until(until) < 23*time.Hour || time.Until(until) > 25*time.Hour {
		t.Errorf("rotated: %v, previous %x until %v", err, previous, until)
	}
	if _, page := env.Get(t, admin, path); strings.Contains(page, secret) {
		t.Error("the rotated secret is shown again")
	}
	var actions []string
	rows, _ := env.DB.Owner.Query(ctx, `SELECT action FROM audit_events WHERE object_type = 'webhook_endpoint' AND object_id = $1
		AND coalesce(after::text, '') NOT LIKE '%whsec%' ORDER BY id`, itoa64(id))
	for rows.Next() {
		var a string
		rows.Scan(&a)
		actions = append(actions, a)
	}
	if strings.Join(actions, ",") != "webhook.update,webhook.rotate_secret" {
		t.Errorf("audit: %v", actions)
	}
}

// TestAPIWebhookEdit: PUT /webhooks/{id} edits an endpoint at the version
// of If-Match (428 without, 412 stale) with the registration's checks
// (422 with the page's message ids); a new URL forgets the run of
// failures, another change keeps it; rotate-secret gives a new secret,
// sealed with the configured key, once (a replay is the endpoint without
// it, and nothing secret is kept); another tenant's admin gets 404.
// Every response is validated against the OpenAPI document.
func TestAPIWebhookEdit(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	c := newContract(t, env)
	var toto, kita int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '2010401000001'`).Scan(&toto)
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '1010401000002'`).Scan(&kita)
	admin := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleOperatorAdmin, "", toto)}
	foreign := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleOperatorAdmin, "", kita)}

	resp, body := admin.do("POST", "/api/v1/webhooks", map[string]any{"url": "https://hooks.example.com/a", "kinds": []string{"assessment.returned"}})
	created := want(t, resp, body, 201)
	path := fmt.Sprintf("/api/v1/webhooks/%v", created["id"])
	firstSecret := created["secret"].(string)
	if resp.Header.Get("ETag") != `"1"` {
		t.Errorf("registered: ETag %q", resp.Header.Get("ETag"))
	}
	resp, body = admin.do("GET", path, nil)
	if want(t, resp, body, 200); resp.Header.Get("ETag") != `"1"` {
		t.Errorf("GET: ETag %q", resp.Header.Get("ETag"))
	}
	edit := map[string]any{"url": "https://hooks.example.com/a", "description": "GRC", "kinds": []string{"assessment.returned", "cycle.opened"}}
	resp, body = admin.do("PUT", path, edit)
	if m := want(t, resp, body, 428); m["code"] != "api.error.if_match_required" {
		t.Errorf("no If-Match: %s", body)
	}
	for _, k := range []struct {
		in    map[string]any
		field string
		code  string
	}{
		{map[string]any{"url": "https://10.1.2.3/hook", "kinds": []string{"assessment.returned"}}, "url", "webhooks.error.address"},
		{map[string]any{"url": "http://hooks.example.com/", "kinds": []string{"assessment.returned"}}, "url", "webhooks.error.https"},
		{map[string]any{"url": "https://hooks.example.com/", "kinds": []string{}}, "kinds", "webhooks.error.kinds"},
		{map[string]any{"url": "https://hooks.example.com/", "kinds": []string{"assessment.returned"}, "description": strings.Repeat("長", 201)},
			"description", "webhooks.error.description"},
	} {
		resp, body := admin.do("PUT", path, k.in, "If-Match", `"1"`)
		if got := fieldCodes(want(t, resp, body, 422)); got[k.field] != k.code {
			t.Errorf("%v: %v, want %s %s", k.in, got, k.field, k.code)
		}
	}
	resp, body = admin.do("PUT", path, map[string]any{"url": "https://hooks.example.com/a", "kinds": []string{"assessment.returned"},
		"tenant": fmt.Sprintf("operator:%d", kita)}, "If-Match", `"1"`)
	want(t, resp, body, 400) // the tenant stays: not a field of an edit
	env.DB.Owner.Exec(ctx, `UPDATE webhook_endpoints SET consecutive_failures = 3, failing_since = now() WHERE id = $1`, created["id"])
	resp, body = admin.do("PUT", path, edit, "If-Match", `"1"`)
	if m := want(t, resp, body, 200); resp.Header.Get("ETag") != `"2"` || m["description"] != "GRC" || len(m["kinds"].([]any)) != 2 ||
		m["consecutive_failures"].(float64) != 3 {
		t.Errorf("edited (same URL): %s %s", resp.Header.Get("ETag"), body)
	}
	resp, body = admin.do("PUT", path, map[string]any{"url": "https://hooks.example.com/b", "kinds": []string{"assessment.returned"}}, "If-Match", `"1"`)
	if m := want(t, resp, body, 412); m["code"] != "api.error.stale" {
		t.Errorf("stale: %s", body)
	}
	resp, body = admin.do("PUT", path, map[string]any{"url": "https://hooks.example.com/b", "kinds": []string{"assessment.returned"}}, "If-Match", `"2"`)
	if m := want(t, resp, body, 200); resp.Header.Get("ETag") != `"3"` || m["url"] != "https://hooks.example.com/b" ||
		m["consecutive_failures"].(float64) != 0 || m["description"] != "" {
		t.Errorf("edited (new URL): %s %s", resp.Header.Get("ETag"), body)
	}
	resp, body = foreign.do("PUT", path, edit, "If-Match", `"3"`)
	want(t, resp, body, 404)
	resp, body = foreign.do("POST", path+"/rotate-secret", nil)
	want(t, resp, body, 404)

	var before []byte
	env.DB.Owner.QueryRow(ctx, `SELECT secret FROM webhook_endpoints WHERE id = $1`, created["id"]).Scan(&before)
	resp, body = admin.do("POST", path+"/rotate-secret", nil, "Idempotency-Key", "r1")
	rotated := want(t, resp, body, 200)
	secret, _ := rotated["secret"].(string)
	if !secretPattern.MatchString(secret) || secret == firstSecret || rotated["previous_secret_until"] == nil {
		t.Fatalf("rotated: %s", body)
	}
	resp, body = admin.do("POST", path+"/rotate-secret", nil, "Idempotency-Key", "r1")
	if m := want(t, resp, body, 200); resp.Header.Get("Idempotent-Replayed") != "true" || m["secret"] != nil || m["secret_withheld"] != true ||
		m["id"] != created["id"] {
		t.Errorf("replayed rotation: %s", body)
	}
	var sealed, previous []byte
	var leaked int
	env.DB.Owner.QueryRow(ctx, `SELECT secret, previous_secret FROM webhook_endpoints WHERE id = $1`, created["id"]).Scan(&sealed, &previous)
	box, _ := webhook.NewBox(servertest.WebhookTestKey)
	raw, err := box.Open(sealed)
	if err != nil || webhook.SecretPrefix+base64.StdEncoding.EncodeToString(raw) != secret || string(previous) != string(before) {
		t.Errorf("the new secret is not what was sealed (%v), or the previous one is not kept", err)
	}
	env.DB.Owner.QueryRow(ctx, `SELECT (SELECT count(*) FROM audit_events WHERE coalesce(after::text, '') || coalesce(before::text, '') LIKE '%whsec%')
		+ (SELECT count(*) FROM api_idempotency WHERE position('whsec_' IN convert_from(body, 'UTF8')) > 0)`).Scan(&leaked)
	if leaked != 0 {
		t.Error("a secret is kept in the audit log or for replay")
	}
	var actions []string
	rows, _ := env.DB.Owner.Query(ctx, `SELECT action FROM audit_events WHERE object_type = 'webhook_endpoint' AND object_id = $1 ORDER BY id`,
		fmt.Sprint(created["id"]))
	for rows.Next() {
		var a string
		rows.Scan(&a)
		actions = append(actions, a)
	}
	if strings.Join(actions, ",") != "webhook.create,webhook.update,webhook.update,webhook.rotate_secret" {
		t.Errorf("audit: %v", actions)
	}
}
