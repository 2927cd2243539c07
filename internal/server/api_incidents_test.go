//go:build dev

package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

func init() {
	matrixCaseSets = append(matrixCaseSets, func(fx *tenantFixture) map[string]routeCase {
		operators := []string{"toto-admin", "toto-staff", "toto-reviewer"}
		// The incident pages' matrix set files a TLP:GREEN report with a
		// file for each operator of the matrix; these paths find them when
		// the matrix runs.
		reportOf := func(role string, own bool) int64 {
			pair, ok := fx.operator[role]
			if !ok {
				pair = fx.operator["meti-admin"]
			}
			op := pair[1]
			if own {
				op = pair[0]
			}
			return fx.q(`SELECT min(id) FROM incidents WHERE operator_id = $1 AND title = 'matrix report'`, op)
		}
		report := func(suffix string) func(string, bool) string {
			return func(role string, own bool) string {
				return fmt.Sprintf("/api/v1/incidents/%d%s", reportOf(role, own), suffix)
			}
		}
		fileOf := func(role string, own bool) string {
			return fmt.Sprintf("/api/v1/incidents/files/%d", fx.q(`SELECT min(id) FROM incident_attachments WHERE incident_id = $1`, reportOf(role, own)))
		}
		stix := func(string, bool) string {
			return fmt.Sprintf("/api/v1/incident-summaries/%d/stix", fx.q(`SELECT min(id) FROM incident_summaries WHERE title = 'matrix summary'`))
		}
		return map[string]routeCase{
			"GET /api/v1/incidents": {path: fixed("/api/v1/incidents"), want: apiAllow(200, withGrant, withGrant)},
			// No body: refused as bad JSON once the policy let it through
			// (and, on a report, once the report is the caller's).
			"POST /api/v1/incidents":                   {path: fixed("/api/v1/incidents"), want: apiAllow(400, operators, operators)},
			"GET /api/v1/incidents/{id}":               {path: report(""), want: apiAllow(200, withGrant, ncos)},
			"POST /api/v1/incidents/{id}/stages":       {path: report("/stages"), want: apiAllow(400, operators, nil)},
			"POST /api/v1/incidents/{id}/messages":     {path: report("/messages"), want: apiAllow(400, withGrant, ncos)},
			"POST /api/v1/incidents/{id}/tlp":          {path: report("/tlp"), want: apiAllow(400, withGrant, ncos)},
			"GET /api/v1/incidents/files/{id}":         {path: fileOf, want: apiAllow(200, withGrant, ncos)},
			"GET /api/v1/incident-template":            {path: fixed("/api/v1/incident-template"), want: apiAllow(200, withGrant, withGrant)},
			"GET /api/v1/incident-summaries":           {path: fixed("/api/v1/incident-summaries"), want: apiAllow(200, withGrant, withGrant)},
			"GET /api/v1/incident-summaries/{id}/stix": {path: stix, want: apiAllow(200, withGrant, withGrant)},
		}
	})
}

var irRef = regexp.MustCompile(`IR-(\d+)`)

// pageRefs are the report numbers a page lists.
func pageRefs(page string) []string {
	var out []string
	for _, m := range irRef.FindAllStringSubmatch(page, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return out
}

func apiRefs(t *testing.T, c apiCaller, path string) []string {
	t.Helper()
	var out []string
	cursor := ""
	for range 50 {
		p := path + "?limit=2"
		if cursor != "" {
			p += "&cursor=" + cursor
		}
		resp, body := c.do("GET", p, nil)
		pg := want(t, resp, body, 200)
		for _, it := range pg["items"].([]any) {
			ref := strings.TrimPrefix(it.(map[string]any)["ref"].(string), "IR-")
			if slices.Contains(out, ref) {
				t.Errorf("%s lists IR-%s twice", path, ref)
			}
			out = append(out, ref)
		}
		if cursor, _ = pg["next_cursor"].(string); cursor == "" {
			break
		}
	}
	slices.Sort(out)
	return out
}

// problemFields are the fields of a 422 problem with their codes.
func problemFields(t *testing.T, p map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	errs, _ := p["errors"].([]any)
	for _, e := range errs {
		m := e.(map[string]any)
		out[m["field"].(string)] = m["code"].(string)
	}
	return out
}

// TestAPIIncidents: an operator's token files a first report (refused
// with the page's message ids per field, then filed once however often
// the POST is retried); its ministry and the NCO read it and ask, the
// operator answers; the ministry may only narrow the label; the final
// report closes it (a stage after it is 409). Each token lists exactly
// the reports its page lists — a TLP:RED one included for its named
// recipients, nowhere else — and another operator reads only the
// anonymised summary and its STIX bundle.
func TestAPIIncidents(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	contract := newContract(t, env)
	var toto, kita int64
	var totoName, totoCorp string
	env.DB.Owner.QueryRow(ctx, `SELECT id, name_ja, corporate_number FROM operators WHERE corporate_number = '2010401000001'`).Scan(&toto, &totoName, &totoCorp)
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '1010401000002'`).Scan(&kita)
	caller := func(role identity.Role, ministry string, operator int64, lang string) apiCaller {
		return apiCaller{t: t, env: env, contract: contract, token: env.Token(t, role, ministry, operator), lang: lang}
	}
	op := caller(identity.RoleOperatorStaff, "", toto, "")
	other := caller(identity.RoleOperatorAdmin, "", kita, "")
	meti := caller(identity.RoleMinistryStaff, "METI", 0, "")
	fsa := caller(identity.RoleMinistryStaff, "FSA", 0, "")
	nco := caller(identity.RoleNCOAnalyst, "", 0, "en")

	// The template: fields, required stages, choices, due days, and the
	// operator the token files for.
	resp, body := op.do("GET", "/api/v1/incident-template", nil)
	tpl := want(t, resp, body, 200)
	var kinds []string
	for _, it := range tpl["fields"].([]any) {
		f := it.(map[string]any)
		if f["key"] == "title" && len(f["required"].([]any)) != 3 {
			t.Errorf("title not required in every stage: %v", f)
		}
		if f["key"] == "kind" {
			for _, c := range f["choices"].([]any) {
				kinds = append(kinds, c.(map[string]any)["value"].(string))
			}
		}
	}
	if ops := tpl["operators"].([]any); len(ops) != 1 || int64(ops[0].(map[string]any)["id"].(float64)) != toto || !slices.Contains(kinds, "malware") {
		t.Errorf("template: %s", body)
	}
	resp, body = meti.do("GET", "/api/v1/incident-template?version=1", nil)
	if m := want(t, resp, body, 200); m["version"].(float64) != 1 || len(m["operators"].([]any)) != 0 {
		t.Errorf("version 1 for the ministry: %.300s", body)
	}
	for _, q := range []string{"version=0", "version=x"} {
		resp, body = meti.do("GET", "/api/v1/incident-template?"+q, nil)
		want(t, resp, body, 422)
	}
	resp, body = meti.do("GET", "/api/v1/incident-template?version=999", nil)
	want(t, resp, body, 404)

	// A refused first report: each problem under its field with the
	// page's message id, in the caller's language.
	values := map[string]any{"title": "配電監視システムの停止", "occurred_at": "2026-12-01T09:30", "kind": "worm-of-doom",
		"impact_service": "監視の一部停止", "status": "investigating", "contact": "システム部"}
	resp, body = op.do("POST", "/api/v1/incidents", map[string]any{"tlp": "purple", "values": values})
	got := problemFields(t, want(t, resp, body, 422))
	if got["values.noticed_at"] != "incident.error.required" || got["values.kind"] != "incident.error.choice" || got["tlp"] != "incident.error.tlp" {
		t.Errorf("refusal: %s", body)
	}
	if !strings.Contains(string(body), "入力してください。") {
		t.Errorf("the refusal is not in Japanese: %s", body)
	}
	resp, body = op.do("POST", "/api/v1/incidents", map[string]any{"tlp": "amber", "values": values, "operator_id": kita})
	if got := problemFields(t, want(t, resp, body, 422)); got["operator_id"] != "incident.error.operator" {
		t.Errorf("another operator's report: %s", body)
	}
	for _, bad := range []string{`{"tlp":"amber","values":{"title":3}}`, `{"tlp":"amber","values":[]}`, `{"tlp":"amber","values":{},"x":1}`, `[]`} {
		resp, body = op.do("POST", "/api/v1/incidents", bad)
		want(t, resp, body, 400)
	}
	var before int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM incidents`).Scan(&before)

	// Filed once, however often it is retried with its Idempotency-Key.
	values["kind"], values["noticed_at"] = "malware", "2026-12-01T10:00"
	values["systems"] = []string{}
	file := map[string]any{"tlp": "amber", "values": values}
	resp, body = op.do("POST", "/api/v1/incidents", file, "Idempotency-Key", "first-report-1")
	filed := want(t, resp, body, 201)
	id := int64(filed["id"].(float64))
	if filed["status"] != "open" || filed["tlp"] != "amber" || filed["stages"].([]any)[0].(map[string]any)["stage"] != "first" ||
		resp.Header.Get("Location") != fmt.Sprintf("/api/v1/incidents/%d", id) || filed["next_due_on"] == nil {
		t.Errorf("filed: %s", body)
	}
	resp, body = op.do("POST", "/api/v1/incidents", file, "Idempotency-Key", "first-report-1")
	if again := want(t, resp, body, 201); again["id"] != filed["id"] || resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay: %s", body)
	}
	var after int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM incidents`).Scan(&after)
	if after != before+1 {
		t.Errorf("%d reports filed, want 1", after-before)
	}
	path := fmt.Sprintf("/api/v1/incidents/%d", id)

	// Its named recipients read it; anyone else gets 404.
	for name, c := range map[string]apiCaller{"operator": op, "ministry": meti, "NCO": nco} {
		resp, body = c.do("GET", path, nil)
		if x := want(t, resp, body, 200); x["title"] != "配電監視システムの停止" {
			t.Errorf("%s reads %s", name, body)
		}
	}
	for _, c := range []apiCaller{other, fsa} { // another operator, another ministry
		resp, body = c.do("GET", path, nil)
		want(t, resp, body, 404)
		resp, body = c.do("POST", path+"/messages", map[string]any{"body": "x"})
		want(t, resp, body, 404)
	}

	// The ministry asks, the operator answers; each side only its own kind.
	resp, body = meti.do("POST", path+"/messages", map[string]any{"body": "  "})
	if got := problemFields(t, want(t, resp, body, 422)); got["body"] != "incident.error.required" {
		t.Errorf("empty question: %s", body)
	}
	resp, body = meti.do("POST", path+"/messages", map[string]any{"body": "復旧の見込みを教えてください。"}, "Idempotency-Key", "q-1")
	q := want(t, resp, body, 201)
	resp, body = op.do("POST", path+"/messages", map[string]any{"body": "質問ではなく"})
	if got := problemFields(t, want(t, resp, body, 422)); got["parent_id"] != "incident.error.parent" {
		t.Errorf("operator's question: %s", body)
	}
	resp, body = meti.do("POST", path+"/messages", map[string]any{"body": "答えではなく", "parent_id": q["id"]})
	want(t, resp, body, 422)
	resp, body = op.do("POST", path+"/messages", map[string]any{"body": "明日中の見込みです。", "parent_id": q["id"]})
	if a := want(t, resp, body, 201); a["kind"] != "answer" || a["parent_id"] != q["id"] {
		t.Errorf("answer: %s", body)
	}
	resp, body = nco.do("GET", path, nil)
	if x := want(t, resp, body, 200); len(x["messages"].([]any)) != 2 || x["allowed"].(map[string]any)["receive"] != true {
		t.Errorf("the thread: %s", body)
	}

	// The label: the ministry may only narrow it, the operator choose any.
	resp, body = meti.do("POST", path+"/tlp", map[string]any{"tlp": "clear"})
	if got := problemFields(t, want(t, resp, body, 422)); got["tlp"] != "incident.error.narrower" {
		t.Errorf("the ministry widens: %s", body)
	}
	resp, body = meti.do("POST", path+"/tlp", map[string]any{"tlp": "amber+strict"})
	if x := want(t, resp, body, 200); x["tlp"] != "amber+strict" {
		t.Errorf("narrowed: %s", body)
	}
	resp, body = op.do("POST", path+"/tlp", map[string]any{"tlp": "green"})
	if x := want(t, resp, body, 200); x["tlp"] != "green" || x["allowed"].(map[string]any)["file"] != true {
		t.Errorf("widened by the operator: %s", body)
	}

	// The final report closes it, with its linked controls.
	resp, body = op.do("POST", path+"/stages", map[string]any{"stage": "final", "values": map[string]any{"title": "配電監視システムの停止（最終報告）"}})
	if got := problemFields(t, want(t, resp, body, 422)); got["values.cause"] != "incident.error.required" {
		t.Errorf("final without cause: %s", body)
	}
	resp, body = op.do("POST", path+"/stages", map[string]any{"stage": "first", "values": map[string]any{}})
	if got := problemFields(t, want(t, resp, body, 422)); got["stage"] != "incident.error.choice" {
		t.Errorf("a second first report: %s", body)
	}
	resp, body = meti.do("POST", path+"/stages", map[string]any{"stage": "update", "values": map[string]any{"title": "x", "status": "recovered"}})
	want(t, resp, body, 404)
	final := map[string]any{"stage": "final", "values": map[string]any{"title": "配電監視システムの停止（最終報告）", "status": "recovered",
		"cause": "保守端末経由の感染", "measures": "端末の再構築", "controls": "GV-01"}}
	resp, body = op.do("POST", path+"/stages", final)
	if x := want(t, resp, body, 201); x["status"] != "closed" || len(x["stages"].([]any)) != 2 || !slices.Contains(toStrings(x["control_refs"]), "GV-01") {
		t.Errorf("final: %s", body)
	}
	resp, body = op.do("POST", path+"/stages", final)
	want(t, resp, body, 409)

	// A TLP:RED report: its named recipients see it as their pages do;
	// no summary of it, so it reaches no one else.
	red := map[string]any{"tlp": "red", "values": map[string]any{"title": "赤の報告の秘密の件名", "occurred_at": "2026-12-02T09:30",
		"noticed_at": "2026-12-02T10:00", "kind": "malware", "impact_service": "停止", "status": "investigating", "contact": "システム部"}}
	resp, body = op.do("POST", "/api/v1/incidents", red)
	redReport := want(t, resp, body, 201)
	redPath := fmt.Sprintf("/api/v1/incidents/%d", int64(redReport["id"].(float64)))
	resp, body = meti.do("GET", redPath, nil)
	if x := want(t, resp, body, 200); x["tlp"] != "red" || x["allowed"].(map[string]any)["summarize"] != false {
		t.Errorf("the ministry's view of a TLP:RED report: %s", body)
	}
	for _, c := range []apiCaller{other, fsa} {
		resp, body = c.do("GET", redPath, nil)
		want(t, resp, body, 404)
	}
	pages := map[string]apiCaller{"meti-staff": meti, "fsa-staff": fsa, "nco-analyst": nco, "toto-staff": op, "kitahama-admin": other}
	for user, c := range pages {
		_, page := env.Get(t, env.SignIn(t, user), "/incidents")
		if got, want := apiRefs(t, c, "/api/v1/incidents"), pageRefs(page); !slices.Equal(got, want) {
			t.Errorf("%s: the API lists %v, the page %v", user, got, want)
		}
	}

	// A summary of the green report (published on the page) reaches the
	// sector's other operator with nothing of the reporting operator; the
	// TLP:RED report's title is in no summary.
	meti2 := env.SignIn(t, "meti-staff")
	status, _, page := postForm(t, env, meti2, fmt.Sprintf("/incidents/%d/summaries", id), url.Values{"sector": {"electricity"},
		"title": {"電力分野での感染"}, "body": {"保守用端末を経由した感染が報告されました。"}})
	mustStatus(t, "summary", status, http.StatusSeeOther, page)
	resp, body = other.do("GET", "/api/v1/incident-summaries", nil)
	items := want(t, resp, body, 200)["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("summaries: %s", body)
	}
	sm := items[0].(map[string]any)
	resp, stix := other.do("GET", sm["stix"].(string), nil)
	want(t, resp, stix, 200)
	if !strings.Contains(string(stix), `"type": "incident"`) || !strings.Contains(string(stix), "TLP:GREEN") {
		t.Errorf("STIX: %s", stix)
	}
	for _, doc := range []string{string(body), string(stix)} {
		for _, term := range []string{totoName, totoCorp, "配電監視システム", "赤の報告", fmt.Sprintf("IR-%d", id)} {
			if strings.Contains(doc, term) {
				t.Errorf("a summary carries %q", term)
			}
		}
	}
	resp, body = other.do("GET", path, nil)
	want(t, resp, body, 404)
	resp, body = meti.do("GET", path, nil)
	if x := want(t, resp, body, 200); len(x["summaries"].([]any)) != 1 {
		t.Errorf("the report's summaries: %s", body)
	}

	// Files sent on the page are read through the API by the recipients.
	var fileID int64
	env.DB.Owner.QueryRow(ctx, `INSERT INTO incident_attachments (stage_id, incident_id, operator_id, sector_code, file_name, content_type, size, sha256, bytes, uploaded_by)
		SELECT s.id, s.incident_id, s.operator_id, s.sector_code, 'log.txt', 'text/plain; charset=utf-8', 2, sha256('ok'::bytea), 'ok'::bytea, s.submitted_by
		FROM incident_stages s WHERE s.incident_id = $1 AND s.seq = 1 RETURNING id`, redReport["id"]).Scan(&fileID)
	resp, body = nco.do("GET", redPath, nil)
	files := want(t, resp, body, 200)["stages"].([]any)[0].(map[string]any)["files"].([]any)
	if len(files) != 1 {
		t.Fatalf("files: %s", body)
	}
	resp, body = nco.do("GET", files[0].(map[string]any)["download"].(string), nil)
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Errorf("download: %d %s", resp.StatusCode, body)
	}
	resp, body = fsa.do("GET", files[0].(map[string]any)["download"].(string), nil)
	want(t, resp, body, 404)

	// Pages go by id: a report filed while the operator pages through its
	// list is read on a later page, and none twice.
	seen, cursor, filedMeanwhile := map[float64]int{}, "", 0.0
	for pages := 0; pages < 20; pages++ {
		p := "/api/v1/incidents?limit=1"
		if cursor != "" {
			p += "&cursor=" + cursor
		}
		resp, body = op.do("GET", p, nil)
		pg := want(t, resp, body, 200)
		for _, it := range pg["items"].([]any) {
			seen[it.(map[string]any)["id"].(float64)]++
		}
		if pages == 0 {
			red["values"].(map[string]any)["title"] = "ページ送り中の報告"
			resp, body = op.do("POST", "/api/v1/incidents", red)
			filedMeanwhile = want(t, resp, body, 201)["id"].(float64)
		}
		if cursor, _ = pg["next_cursor"].(string); cursor == "" {
			break
		}
	}
	if len(seen) != 3 || seen[filedMeanwhile] != 1 {
		t.Errorf("paging under an insert read %v, want the two reports and the one filed meanwhile once each", seen)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("report %v read %d times", id, n)
		}
	}

	// Bad queries are problems, never 500.
	for _, q := range []string{"status=lost", "cursor=zzz", "limit=999", "sector=%00"} {
		resp, body = meti.do("GET", "/api/v1/incidents?"+q, nil)
		if resp.StatusCode != 400 && resp.StatusCode != 422 {
			t.Errorf("%s: %d %s", q, resp.StatusCode, body)
		}
	}
}
