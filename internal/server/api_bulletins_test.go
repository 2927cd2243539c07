//go:build dev

package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/config"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

func init() {
	matrixCaseSets = append(matrixCaseSets, func(fx *tenantFixture) map[string]routeCase {
		m := newBulletinMatrix(fx, "/api/v1")
		return map[string]routeCase{
			"GET /api/v1/bulletins": {path: fixed("/api/v1/bulletins"), want: apiAllow(200, withGrant, withGrant)},
			// No body: refused as bad JSON once the policy let it through.
			"POST /api/v1/bulletins":     {path: fixed("/api/v1/bulletins"), want: apiAllow(400, m.publishers, m.publishers)},
			"GET /api/v1/bulletins/{id}": {path: byID("/api/v1/bulletins/", m.bulletins, ""), want: apiAllow(200, withGrant, ncos)},
			"POST /api/v1/bulletins/{id}/acknowledge": {path: byID("/api/v1/bulletins/", m.bulletins, "/acknowledge"),
				want: apiAllow(200, m.operators, nil)},
			"GET /api/v1/bulletins/{id}/receipts": {path: byID("/api/v1/bulletins/", m.bulletins, "/receipts"),
				want: apiAllow(200, m.publishers, ncos)},
			"GET /api/v1/inquiries":      {path: fixed("/api/v1/inquiries"), want: apiAllow(200, withGrant, withGrant)},
			"POST /api/v1/inquiries":     {path: fixed("/api/v1/inquiries"), want: apiAllow(400, m.operators, m.operators)},
			"GET /api/v1/inquiries/{id}": {path: byID("/api/v1/inquiries/", m.inquiries, ""), want: apiAllow(200, withGrant, nil)},
			// No body: bad JSON in one's own thread, another's not found.
			"POST /api/v1/inquiries/{id}/messages": {path: byID("/api/v1/inquiries/", m.inquiries, "/messages"),
				want: apiAllow(400, withGrant, nil)},
			"POST /api/v1/inquiries/{id}/escalate": {path: m.escalate, want: apiAllow(200, m.ministries, nil)},
			"GET /api/v1/faq":                      {path: fixed("/api/v1/faq"), want: apiAllow(200, withGrant, withGrant)},
			"POST /api/v1/inquiries/{id}/close":    {path: m.close, want: apiAllow(200, m.closers, nil)},
			// No reason: refused with a message once the policy let it through.
			"POST /api/v1/faq/{id}/withdraw": {path: byID("/api/v1/faq/", m.faqs, "/withdraw"), want: apiAllow(400, m.publishers, ncos)},
		}
	})
}

// fieldCodes returns a problem's errors as field → code.
func fieldCodes(m map[string]any) map[string]string {
	out := map[string]string{}
	list, _ := m["errors"].([]any)
	for _, e := range list {
		e := e.(map[string]any)
		out[e["field"].(string)] = e["code"].(string)
	}
	return out
}

// TestAPIBulletins: the NCO publishes a bulletin through the API with the
// page's checks (bad input is 422 with the page's message per field; a
// ministry cannot address another's sector or a wide audience); an
// operator of the audience lists, reads and acknowledges it (audited,
// once), an operator outside it gets 404; the sender sees who read and
// acknowledged it, nobody else does; the list pages by cursor.
func TestAPIBulletins(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	c := newContract(t, env)
	var toto, bank int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '2010401000001'`).Scan(&toto)
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '4010001000003'`).Scan(&bank)
	nco := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleNCOAdmin, "", 0)}
	meti := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleMinistryStaff, "METI", 0), lang: "en"}
	fsa := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleMinistryStaff, "FSA", 0)}
	op := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleOperatorStaff, "", toto)}
	outsider := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleOperatorStaff, "", bank)}

	// Bad input: every field refused with the page's message.
	resp, body := nco.do("POST", "/api/v1/bulletins", map[string]any{"category": "gossip", "title": "", "body": "",
		"ack_by": "2001-01-01", "audience": map[string]any{"kind": "sectors"}})
	got := fieldCodes(want(t, resp, body, 422))
	for f, code := range map[string]string{"category": "bulletin.error.category", "title": "bulletin.error.title_required",
		"body": "bulletin.error.body_required", "ack_by": "bulletin.error.ack_past", "audience.sectors": "bulletin.error.sectors"} {
		if got[f] != code {
			t.Errorf("bad bulletin: field %s is %q, want %q (%v)", f, got[f], code, got)
		}
	}
	if resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("bad bulletin: %s", resp.Header.Get("Content-Type"))
	}
	// A ministry: not another's sector, nor a wide audience.
	resp, body = meti.do("POST", "/api/v1/bulletins", map[string]any{"category": "alert", "title": "t", "body": "b",
		"audience": map[string]any{"kind": "sectors", "sectors": []string{"finance"}}})
	if got := fieldCodes(want(t, resp, body, 422)); got["audience.sectors"] != "bulletin.error.sectors_foreign" {
		t.Errorf("METI to finance: %v", got)
	}
	if !strings.Contains(string(body), "sector") { // English, as asked
		t.Errorf("METI to finance: not in English: %s", body)
	}
	resp, body = meti.do("POST", "/api/v1/bulletins", map[string]any{"category": "alert", "title": "t", "body": "b",
		"audience": map[string]any{"kind": "everyone"}})
	if got := fieldCodes(want(t, resp, body, 422)); got["audience.kind"] != "bulletin.error.audience_wide" {
		t.Errorf("METI to everyone: %v", got)
	}
	resp, body = op.do("POST", "/api/v1/bulletins", map[string]any{"category": "alert", "title": "t", "body": "b",
		"audience": map[string]any{"kind": "sectors", "sectors": []string{"electricity"}}})
	want(t, resp, body, 404)
	resp, body = nco.do("POST", "/api/v1/bulletins", `{"category":"alert","unknown":1}`)
	want(t, resp, body, 400)

	// The NCO publishes to electricity, asking for an acknowledgement.
	ackBy := kijun.ISODate(time.Now().In(kijun.JST).AddDate(0, 0, 7))
	resp, body = nco.do("POST", "/api/v1/bulletins", map[string]any{"category": "request", "title": "パッチ適用のお願い",
		"body": "本文です。", "ack_by": ackBy, "audience": map[string]any{"kind": "sectors", "sectors": []string{"electricity"}}},
		"Idempotency-Key", "publish-1")
	b := want(t, resp, body, 201)
	id := int64(b["id"].(float64))
	if resp.Header.Get("Location") != fmt.Sprintf("/api/v1/bulletins/%d", id) || b["ack_by"] != ackBy {
		t.Fatalf("published: %s %s", resp.Header.Get("Location"), body)
	}
	// A retry with the same key publishes nothing more.
	resp, _ = nco.do("POST", "/api/v1/bulletins", map[string]any{"category": "request", "title": "パッチ適用のお願い",
		"body": "本文です。", "ack_by": ackBy, "audience": map[string]any{"kind": "sectors", "sectors": []string{"electricity"}}},
		"Idempotency-Key", "publish-1")
	var published int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'bulletin.publish' AND object_id = $1`, fmt.Sprint(id)).Scan(&published)
	if resp.Header.Get("Idempotent-Replayed") != "true" || published != 1 {
		t.Errorf("replayed publish: %q, %d audit events", resp.Header.Get("Idempotent-Replayed"), published)
	}

	// The operator lists it, reads it and acknowledges it.
	resp, body = op.do("GET", "/api/v1/bulletins", nil)
	list := want(t, resp, body, 200)
	found := false
	for _, it := range list["items"].([]any) {
		it := it.(map[string]any)
		if int64(it["id"].(float64)) == id {
			found = it["recipient"] == true && it["read"] == false && it["acknowledged"] == false
		}
	}
	if !found {
		t.Fatalf("the operator's list lacks the bulletin unread: %s", body)
	}
	path := fmt.Sprintf("/api/v1/bulletins/%d", id)
	resp, body = op.do("GET", path, nil)
	b = want(t, resp, body, 200)
	orgs, _ := b["organisations"].([]any)
	if len(orgs) != 1 || b["read"] != true || b["acknowledged"] != false {
		t.Fatalf("the operator's bulletin: %s", body)
	}
	for range 2 { // a second acknowledgement changes nothing
		resp, body = op.do("POST", path+"/acknowledge", nil)
		b = want(t, resp, body, 200)
		org := b["organisations"].([]any)[0].(map[string]any)
		if b["acknowledged"] != true || org["acknowledged_at"] == nil {
			t.Fatalf("acknowledged: %s", body)
		}
	}
	var acks int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'bulletin.acknowledge' AND object_id = $1`, fmt.Sprint(id)).Scan(&acks)
	if acks != 1 {
		t.Errorf("%d acknowledgement audit events, want 1", acks)
	}
	resp, body = op.do("POST", path+"/acknowledge", `{"recipient_id":`)
	want(t, resp, body, 400)
	// Outside the audience: not found, whatever is asked.
	for _, req := range [][2]string{{"GET", path}, {"POST", path + "/acknowledge"}, {"GET", path + "/receipts"}} {
		resp, body = outsider.do(req[0], req[1], nil)
		want(t, resp, body, 404)
	}
	// The report: the sender (the NCO) sees it; a recipient and another
	// ministry do not.
	resp, body = nco.do("GET", path+"/receipts", nil)
	rep := want(t, resp, body, 200)
	if rep["acknowledged"].(float64) != 1 || rep["read"].(float64) < 1 || rep["recipients"].(float64) != float64(len(rep["items"].([]any))) {
		t.Errorf("receipts: %s", body)
	}
	for _, who := range []apiCaller{op, fsa, meti} {
		resp, body = who.do("GET", path+"/receipts", nil)
		want(t, resp, body, 404)
	}

	// Cursor pagination: every bulletin once, in id order, across pages.
	for i := range 3 {
		resp, body = meti.do("POST", "/api/v1/bulletins", map[string]any{"category": "alert", "title": fmt.Sprintf("page %d", i),
			"body": "b", "audience": map[string]any{"kind": "sectors", "sectors": []string{"electricity"}}})
		want(t, resp, body, 201)
	}
	var seen []int64
	cursor := ""
	for range 10 {
		resp, body = op.do("GET", "/api/v1/bulletins?limit=2"+cursor, nil)
		pg := want(t, resp, body, 200)
		for _, it := range pg["items"].([]any) {
			seen = append(seen, int64(it.(map[string]any)["id"].(float64)))
		}
		next, _ := pg["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = "&cursor=" + next
	}
	if len(seen) != 4 {
		t.Errorf("paged bulletins: %v, want 4", seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] <= seen[i-1] {
			t.Errorf("paged bulletins out of order: %v", seen)
		}
	}
	resp, body = op.do("GET", "/api/v1/bulletins?cursor=not-a-cursor", nil)
	want(t, resp, body, 400)
}

// TestAPIInquiries: an operator asks its ministry through the API (bad
// input 422 with the page's messages; a ministry not overseeing its
// sector refused), the ministry answers and escalates it to the NCO,
// which then sees and answers it; another ministry, another operator and
// the NCO before escalation get 404; every message is audited. The FAQ
// lists what the reader may see.
func TestAPIInquiries(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	c := newContract(t, env)
	var toto, bank int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '2010401000001'`).Scan(&toto)
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '4010001000003'`).Scan(&bank)
	nco := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleNCOAnalyst, "", 0)}
	meti := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleMinistryStaff, "METI", 0)}
	fsa := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleMinistryStaff, "FSA", 0)}
	op := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleOperatorStaff, "", toto)}
	other := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleOperatorStaff, "", bank)}

	resp, body := op.do("POST", "/api/v1/inquiries", map[string]any{"ministry": "METI", "subject": " ", "body": ""})
	got := fieldCodes(want(t, resp, body, 422))
	if got["subject"] != "inquiry.error.subject_required" || got["body"] != "inquiry.error.body_required" {
		t.Errorf("bad inquiry: %v", got)
	}
	resp, body = op.do("POST", "/api/v1/inquiries", map[string]any{"operator_id": bank, "ministry": "FSA", "subject": "s", "body": "b"})
	if got := fieldCodes(want(t, resp, body, 422)); got["operator_id"] != "inquiry.error.operator" {
		t.Errorf("asking for another operator: %v", got)
	}
	resp, body = op.do("POST", "/api/v1/inquiries", map[string]any{"ministry": "FSA", "subject": "s", "body": "b"})
	if got := fieldCodes(want(t, resp, body, 422)); got["ministry"] != "inquiry.error.ministry" {
		t.Errorf("asking a ministry not overseeing electricity: %v", got)
	}
	resp, body = meti.do("POST", "/api/v1/inquiries", map[string]any{"ministry": "METI", "subject": "s", "body": "b"})
	want(t, resp, body, 404)

	resp, body = op.do("POST", "/api/v1/inquiries", map[string]any{"ministry": "METI", "subject": "基準の解釈について",
		"body": "GV-01 の対象範囲を教えてください。"})
	q := want(t, resp, body, 201)
	id := int64(q["id"].(float64))
	path := fmt.Sprintf("/api/v1/inquiries/%d", id)
	if resp.Header.Get("Location") != path || len(q["messages"].([]any)) != 1 {
		t.Fatalf("asked: %s %s", resp.Header.Get("Location"), body)
	}
	// Outside the thread: not found, even with a bad body.
	for _, who := range []apiCaller{fsa, other, nco} {
		resp, body = who.do("GET", path, nil)
		want(t, resp, body, 404)
		resp, body = who.do("POST", path+"/messages", `{`)
		want(t, resp, body, 404)
	}
	resp, body = fsa.do("POST", path+"/escalate", nil)
	want(t, resp, body, 404)
	resp, body = op.do("POST", path+"/escalate", nil) // the operator may not escalate
	want(t, resp, body, 404)
	// The ministry answers (an empty message is refused) and escalates.
	resp, body = meti.do("POST", path+"/messages", map[string]any{"body": "  "})
	if got := fieldCodes(want(t, resp, body, 422)); got["body"] != "inquiry.error.body_required" {
		t.Errorf("empty answer: %v", got)
	}
	resp, body = meti.do("POST", path+"/messages", map[string]any{"body": "確認して回答します。"})
	q = want(t, resp, body, 201)
	if msgs := q["messages"].([]any); len(msgs) != 2 || msgs[1].(map[string]any)["side"] != "ministry" {
		t.Fatalf("answered: %s", body)
	}
	for range 2 { // once only: the second changes nothing
		resp, body = meti.do("POST", path+"/escalate", nil)
		if q = want(t, resp, body, 200); q["escalated_at"] == nil {
			t.Fatalf("escalated: %s", body)
		}
	}
	resp, body = nco.do("POST", path+"/messages", map[string]any{"body": "統括室から回答します。"})
	q = want(t, resp, body, 201)
	if msgs := q["messages"].([]any); msgs[len(msgs)-1].(map[string]any)["side"] != "nco" {
		t.Errorf("the NCO's answer: %s", body)
	}
	resp, body = op.do("GET", "/api/v1/inquiries", nil)
	if items := want(t, resp, body, 200)["items"].([]any); len(items) != 1 || items[0].(map[string]any)["last_side"] != "nco" {
		t.Errorf("the operator's inquiries: %s", body)
	}
	resp, body = other.do("GET", "/api/v1/inquiries", nil)
	if items := want(t, resp, body, 200)["items"].([]any); len(items) != 0 {
		t.Errorf("another operator sees inquiries: %s", body)
	}
	var audited int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE object_type = 'inquiry' AND object_id = $1
		AND action IN ('inquiry.create', 'inquiry.message', 'inquiry.escalate')`, fmt.Sprint(id)).Scan(&audited)
	if audited != 4 {
		t.Errorf("%d inquiry audit events, want 4 (asked, two answers, escalated)", audited)
	}

	// The FAQ: electricity's entry for its operator, not finance's.
	var author int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM users ORDER BY id LIMIT 1`).Scan(&author)
	for _, sc := range []string{"electricity", "finance"} {
		if _, err := env.DB.Owner.Exec(ctx, `INSERT INTO faqs (ministry_code, sectors, question, answer, inquiry_id, published_by)
			VALUES (NULL, ARRAY[$1], 'Q '||$1, 'A', $2, $3)`, sc, id, author); err != nil {
			t.Fatal(err)
		}
	}
	resp, body = op.do("GET", "/api/v1/faq", nil)
	items := want(t, resp, body, 200)["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["question"] != "Q electricity" || items[0].(map[string]any)["inquiry_id"] != nil {
		t.Errorf("the operator's FAQ: %s", body)
	}
	resp, body = nco.do("GET", "/api/v1/faq?limit=1", nil)
	pg := want(t, resp, body, 200)
	if len(pg["items"].([]any)) != 1 || pg["next_cursor"] == nil || pg["items"].([]any)[0].(map[string]any)["inquiry_id"] == nil {
		t.Errorf("the NCO's FAQ, first page: %s", body)
	}
}

// TestAPIWebhookRegistration: an admin token registers an endpoint of its
// own tenant through the API with the page's checks (the SSRF guard, the
// tenant, the kinds; each refused field with the page's message); the
// secret is in the 201 response only (stored encrypted, never audited,
// never kept for replay: a replay of Idempotency-Key is the endpoint
// without it); it reads, turns on again and deletes the endpoint; another
// tenant's admin gets 404.
func TestAPIWebhookRegistration(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	c := newContract(t, env)
	var toto, kita int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '2010401000001'`).Scan(&toto)
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '1010401000002'`).Scan(&kita)
	admin := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleOperatorAdmin, "", toto)}
	staff := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleOperatorStaff, "", toto)}
	foreign := apiCaller{t: t, env: env, contract: c, token: env.Token(t, identity.RoleOperatorAdmin, "", kita)}

	good := map[string]any{"url": "https://hooks.example.com/kijun", "description": "GRC", "kinds": []string{"assessment.returned"}}
	for _, k := range []struct {
		in    map[string]any
		field string
		code  string
	}{
		{map[string]any{"url": "http://hooks.example.com/", "kinds": []string{"assessment.returned"}}, "url", "webhooks.error.https"},
		{map[string]any{"url": "https://10.1.2.3/hook", "kinds": []string{"assessment.returned"}}, "url", "webhooks.error.address"},
		{map[string]any{"url": "https://169.254.169.254/latest", "kinds": []string{"assessment.returned"}}, "url", "webhooks.error.address"},
		{map[string]any{"url": "", "kinds": []string{"assessment.returned"}}, "url", "webhooks.error.url_required"},
		{map[string]any{"url": "https://hooks.example.com/", "kinds": []string{"assessment.returned", "no.such_kind"}}, "kinds", "webhooks.error.kinds"},
		{map[string]any{"url": "https://hooks.example.com/", "kinds": []string{}}, "kinds", "webhooks.error.kinds"},
		{map[string]any{"url": "https://hooks.example.com/", "kinds": []string{"assessment.returned"}, "tenant": fmt.Sprintf("operator:%d", kita)},
			"tenant", "webhooks.error.choice"},
		{map[string]any{"url": "https://hooks.example.com/", "kinds": []string{"assessment.returned"}, "description": strings.Repeat("長", 201)},
			"description", "webhooks.error.description"},
	} {
		resp, body := admin.do("POST", "/api/v1/webhooks", k.in)
		if got := fieldCodes(want(t, resp, body, 422)); got[k.field] != k.code {
			t.Errorf("%v: %v, want %s %s", k.in, got, k.field, k.code)
		}
	}
	// With Idempotency-Key: registered once; the replay is the same
	// endpoint without the secret (saying so), and the kept response holds
	// no secret.
	resp, body := admin.do("POST", "/api/v1/webhooks", good, "Idempotency-Key", "k1")
	first := want(t, resp, body, 201)
	firstSecret, _ := first["secret"].(string)
	resp, body = admin.do("POST", "/api/v1/webhooks", good, "Idempotency-Key", "k1")
	replay := want(t, resp, body, 201)
	if note, _ := replay["secret_note"].(string); resp.Header.Get("Idempotent-Replayed") != "true" || replay["id"] != first["id"] ||
		replay["secret"] != nil || replay["secret_withheld"] != true || note == "" || !secretPattern.MatchString(firstSecret) ||
		resp.Header.Get("Location") != fmt.Sprintf("/api/v1/webhooks/%v", first["id"]) {
		t.Errorf("replayed registration: %s %s (first %s)", resp.Header, body, first)
	}
	var registered, keptSecret int
	env.DB.Owner.QueryRow(ctx, `SELECT (SELECT count(*) FROM webhook_endpoints WHERE url = 'https://hooks.example.com/kijun'),
		(SELECT count(*) FROM api_idempotency WHERE position('whsec_' IN convert_from(body, 'UTF8')) > 0
			OR position(convert_to($1, 'UTF8') IN body) > 0)`, firstSecret).Scan(&registered, &keptSecret)
	if registered != 1 || keptSecret != 0 {
		t.Errorf("idempotent registration: %d endpoints, %d kept responses with a secret", registered, keptSecret)
	}
	resp, body = staff.do("POST", "/api/v1/webhooks", good)
	want(t, resp, body, 404)

	resp, body = admin.do("POST", "/api/v1/webhooks", good)
	e := want(t, resp, body, 201)
	secret, _ := e["secret"].(string)
	id := int64(e["id"].(float64))
	path := fmt.Sprintf("/api/v1/webhooks/%d", id)
	if !secretPattern.MatchString(secret) || resp.Header.Get("Location") != path || e["operator_id"].(float64) != float64(toto) || e["active"] != true {
		t.Fatalf("registered: %s %s", resp.Header.Get("Location"), body)
	}
	var leaked int
	env.DB.Owner.QueryRow(ctx, `SELECT (SELECT count(*) FROM audit_events WHERE after::text LIKE '%'||$1||'%')
		+ (SELECT count(*) FROM api_idempotency WHERE convert_from(body, 'UTF8') LIKE '%'||$1||'%')
		+ (SELECT count(*) FROM webhook_endpoints WHERE position(convert_to($1, 'UTF8') IN secret) > 0)`, secret).Scan(&leaked)
	if leaked != 0 {
		t.Error("the secret is stored in the clear")
	}
	resp, body = admin.do("GET", path, nil)
	if m := want(t, resp, body, 200); m["secret"] != nil || m["url"] != "https://hooks.example.com/kijun" {
		t.Errorf("GET the endpoint: %s", body)
	}
	for _, req := range [][2]string{{"GET", path}, {"POST", path + "/enable"}, {"DELETE", path}} {
		resp, body = foreign.do(req[0], req[1], nil)
		want(t, resp, body, 404)
	}
	// Disabled by failures, turned on again.
	env.DB.Owner.Exec(ctx, `UPDATE webhook_endpoints SET disabled_at = now(), disabled_reason = 'failures', consecutive_failures = 9 WHERE id = $1`, id)
	resp, body = admin.do("POST", path+"/enable", nil)
	if m := want(t, resp, body, 200); m["active"] != true || m["consecutive_failures"].(float64) != 0 {
		t.Errorf("enabled: %s", body)
	}
	resp, body = admin.do("DELETE", path, nil)
	want(t, resp, body, 204)
	resp, body = admin.do("GET", path, nil)
	want(t, resp, body, 404)
	var actions []string
	rows, _ := env.DB.Owner.Query(ctx, `SELECT action FROM audit_events WHERE object_type = 'webhook_endpoint' AND object_id = $1 ORDER BY id`, fmt.Sprint(id))
	for rows.Next() {
		var a string
		rows.Scan(&a)
		actions = append(actions, a)
	}
	if strings.Join(actions, ",") != "webhook.create,webhook.enable,webhook.delete" {
		t.Errorf("audit: %v", actions)
	}
}

// TestAPIWebhooksOff: without WEBHOOK_SECRET_KEY nothing can be
// registered: 503 with the page's message, as problem+json.
func TestAPIWebhooksOff(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	env := servertest.NewWith(t, db, db.App, func(c *config.Config) { c.WebhookSecretKey = "" })
	var toto int64
	env.DB.Owner.QueryRow(context.Background(), `SELECT id FROM operators WHERE corporate_number = '2010401000001'`).Scan(&toto)
	admin := apiCaller{t: t, env: env, contract: newContract(t, env), token: env.Token(t, identity.RoleOperatorAdmin, "", toto)}
	resp, body := admin.do("POST", "/api/v1/webhooks", map[string]any{"url": "https://hooks.example.com/", "kinds": []string{"assessment.returned"}})
	if m := want(t, resp, body, 503); m["code"] != "webhooks.off" || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("no key: %s", body)
	}
}
