//go:build dev

package server_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

func init() {
	matrixCaseSets = append(matrixCaseSets, func(fx *tenantFixture) map[string]routeCase {
		ministries := []string{"meti-admin", "meti-staff", "fsa-staff"}
		viewers := append(append([]string{}, ministries...), ncos...)
		totos := []string{"toto-admin", "toto-staff", "toto-reviewer"}
		// The plans area's accepted plans exist when the matrix runs.
		planOf := func(suffix string) func(string, bool) string {
			return func(role string, own bool) string {
				m := "METI"
				if (role == "fsa-staff") == own {
					m = "FSA"
				}
				return fmt.Sprintf("/api/v1/plans/%d%s", fx.q(`SELECT p.id FROM plans p JOIN plan_versions v ON v.plan_id = p.id
					WHERE p.ministry_code = $1 AND v.status = 'accepted' ORDER BY p.id LIMIT 1`, m), suffix)
			}
		}
		own := map[bool]map[string]string{true: {"meti-admin": "METI", "meti-staff": "METI", "fsa-staff": "FSA"},
			false: {"meti-admin": "FSA", "meti-staff": "FSA", "fsa-staff": "METI"}}
		sector := map[bool]map[string]string{true: {"meti-admin": "electricity", "meti-staff": "electricity", "fsa-staff": "finance"},
			false: {"meti-admin": "finance", "meti-staff": "finance", "fsa-staff": "electricity"}}
		or := func(v, def string) string {
			if v == "" {
				return def
			}
			return v
		}
		auditors := []string{"nco-admin", "nco-analyst", "meti-admin", "meti-staff", "fsa-staff", "toto-admin"}
		return map[string]routeCase{
			"GET /api/v1/plans":                    {path: fixed("/api/v1/plans"), want: apiAllow(200, viewers, viewers)},
			"GET /api/v1/plans/{id}":               {path: planOf(""), want: apiAllow(200, viewers, ncos)},
			"GET /api/v1/plans/{id}/profile/oscal": {path: planOf("/profile/oscal"), want: apiAllow(200, viewers, ncos)},
			"GET /api/v1/profile":                  {path: fixed("/api/v1/profile"), want: apiAllow(200, totos, totos)},
			"GET /api/v1/dashboards/national":      {path: fixed("/api/v1/dashboards/national"), want: apiAllow(200, ncos, ncos)},
			"GET /api/v1/dashboards/ministry": {path: func(role string, o bool) string {
				return "/api/v1/dashboards/ministry?ministry=" + or(own[o][role], "MLIT")
			}, want: apiAllow(200, viewers, ncos)},
			"GET /api/v1/dashboards/sectors/{code}": {path: func(role string, o bool) string {
				return "/api/v1/dashboards/sectors/" + or(sector[o][role], "electricity")
			}, want: apiAllow(200, viewers, ncos)},
			"GET /api/v1/dashboards/scorecard": {path: func(role string, o bool) string {
				return "/api/v1/dashboards/scorecard?operator=" + strconv.FormatInt(map[bool]int64{true: fx.ids["2010401000001"], false: fx.ids["1010401000002"]}[o], 10)
			}, want: apiAllow(200, totos, nil)},
			// Row-level security narrows the list to the caller's scope;
			// an operator's admin reads its own operator's events.
			"GET /api/v1/audit-events": {path: fixed("/api/v1/audit-events"), want: apiAllow(200, auditors, auditors)},
		}
	})
}

// TestAPIAuditEvents: a ministry's token reads its scope's audit events
// forward page by page; events appended between pages are read on the
// next page, none twice; another ministry's never appear; bad filters
// are field errors.
func TestAPIAuditEvents(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	contract := newContract(t, env)
	meti := apiCaller{t: t, env: env, contract: contract, token: env.Token(t, identity.RoleMinistryAdmin, "METI", 0)}
	fsa := apiCaller{t: t, env: env, contract: contract, token: env.Token(t, identity.RoleMinistryStaff, "FSA", 0)}
	create := func(c apiCaller, cn, sector string, scope int64) {
		t.Helper()
		resp, body := c.do("POST", "/api/v1/operators", map[string]any{"corporate_number": cn, "name": map[string]string{"ja": "監査" + cn},
			"sector": sector, "scope_ids": []int64{scope}, "designation": "ci", "designated_since": "2026-04-01"})
		want(t, resp, body, 201)
	}
	var elec, fin int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM business_scopes WHERE sector_code = 'electricity' ORDER BY id LIMIT 1`).Scan(&elec)
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM business_scopes WHERE sector_code = 'finance' ORDER BY id LIMIT 1`).Scan(&fin)
	for i := range 3 {
		create(meti, corpNum(t, fmt.Sprintf("9000000002%02d", i)), "electricity", elec)
	}
	create(fsa, corpNum(t, "900000000299"), "finance", fin)

	seen := map[float64]bool{}
	cursor, pages := "", 0
	for {
		path := "/api/v1/audit-events?limit=2&action=operator."
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		resp, body := meti.do("GET", path, nil)
		pg := want(t, resp, body, 200)
		for _, it := range pg["items"].([]any) {
			e := it.(map[string]any)
			if seen[e["id"].(float64)] {
				t.Errorf("event %v listed twice", e["id"])
			}
			if n, _ := e["object_name"].(map[string]any); n != nil && strings.HasPrefix(n["ja"].(string), "監査") {
				seen[e["id"].(float64)] = true
			}
			if e["sector"] == "finance" {
				t.Errorf("METI reads FSA's event %v", e)
			}
		}
		if pages++; pages == 1 { // appended while paging: read on a later page
			create(meti, corpNum(t, "900000000250"), "electricity", elec)
		}
		next, _ := pg["next_cursor"].(string)
		if next == "" || pages > 20 {
			break
		}
		cursor = next
	}
	if len(seen) != 4 {
		t.Errorf("%d operator events read, want 4 (three before, one appended while paging)", len(seen))
	}
	for _, q := range []string{"from=2026-13-01", "to=yesterday", "cursor=zzz", "limit=0", "action=%00"} {
		resp, body := meti.do("GET", "/api/v1/audit-events?"+q, nil)
		if resp.StatusCode != 400 && resp.StatusCode != 422 {
			t.Errorf("%s: %d %s", q, resp.StatusCode, body)
		}
	}
	// An operator's staff has no audit log.
	var toto int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '2010401000001'`).Scan(&toto)
	op := apiCaller{t: t, env: env, contract: contract, token: env.Token(t, identity.RoleOperatorStaff, "", toto)}
	resp, body := op.do("GET", "/api/v1/audit-events", nil)
	want(t, resp, body, 404)
}

// TestAPIPlansAndDashboards: plans by ministry (another's is not found),
// the OSCAL profile, and dashboard figures that are the page's downloads
// row for row (the same builder, so the same suppression).
func TestAPIPlansAndDashboards(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	contract := newContract(t, env)
	f := newPlanFix(t, env)
	meti, fsa := f.plan("METI", "electricity", "accepted"), f.plan("FSA", "finance", "accepted")
	dashOpenCycle(t, env, 2099, time.Date(2100, 1, 31, 0, 0, 0, 0, time.UTC))
	ministry := apiCaller{t: t, env: env, contract: contract, token: env.Token(t, identity.RoleMinistryStaff, "METI", 0)}
	nco := apiCaller{t: t, env: env, contract: contract, token: env.Token(t, identity.RoleNCOAnalyst, "", 0), lang: "en"}
	var toto int64
	env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '2010401000001'`).Scan(&toto)
	op := apiCaller{t: t, env: env, contract: contract, token: env.Token(t, identity.RoleOperatorStaff, "", toto)}

	resp, body := ministry.do("GET", "/api/v1/plans", nil)
	for _, it := range want(t, resp, body, 200)["items"].([]any) {
		if it.(map[string]any)["ministry"] != "METI" {
			t.Errorf("METI lists %v", it)
		}
	}
	resp, body = ministry.do("GET", fmt.Sprintf("/api/v1/plans/%d", meti), nil)
	if pl := want(t, resp, body, 200); pl["ministry"] != "METI" || pl["version"].(map[string]any)["status"] != "accepted" {
		t.Errorf("plan: %s", body)
	}
	resp, body = ministry.do("GET", fmt.Sprintf("/api/v1/plans/%d", fsa), nil)
	want(t, resp, body, 404)
	resp, body = ministry.do("GET", fmt.Sprintf("/api/v1/plans/%d/profile/oscal", meti), nil)
	if doc := want(t, resp, body, 200); doc["profile"] == nil {
		t.Errorf("OSCAL profile: %.300s", body)
	}
	resp, body = nco.do("GET", fmt.Sprintf("/api/v1/plans/%d", fsa), nil)
	want(t, resp, body, 200)
	resp, body = op.do("GET", "/api/v1/profile", nil)
	if resp.StatusCode != 200 && resp.StatusCode != 404 {
		t.Errorf("the operator's sector profile: %d %s", resp.StatusCode, body)
	}
	resp, body = op.do("GET", fmt.Sprintf("/api/v1/plans/%d", meti), nil)
	want(t, resp, body, 404)

	// The figures are the page's downloads.
	page := env.SignIn(t, "nco-analyst")
	resp, body = nco.do("GET", "/api/v1/dashboards/national", nil)
	d := want(t, resp, body, 200)
	figs := d["figures"].([]any)
	if len(figs) == 0 {
		t.Fatalf("no figures: %s", body)
	}
	compared := 0
	for _, it := range figs {
		fig := it.(map[string]any)
		_, csv := env.Get(t, page, "/dashboards/national/download?format=csv&figure="+fig["id"].(string), "Accept-Language", "en")
		var api []string
		api = append(api, strings.Join(toStrings(fig["columns"]), ","))
		for _, row := range fig["rows"].([]any) {
			api = append(api, strings.Join(toStrings(row), ","))
		}
		got := strings.TrimPrefix(strings.ReplaceAll(strings.TrimSpace(csv), "\r\n", "\n"), "\ufeff")
		if !strings.Contains(got, `"`) {
			compared++
		}
		if got != strings.Join(api, "\n") && !strings.Contains(got, `"`) {
			t.Errorf("figure %s differs from the page's download:\n%s\n---\n%s", fig["id"], got, strings.Join(api, "\n"))
		}
	}
	if compared == 0 {
		t.Error("no figure compared with its download")
	}
	for _, path := range []string{"/api/v1/dashboards/ministry", "/api/v1/dashboards/sectors/electricity"} {
		resp, body = ministry.do("GET", path, nil)
		want(t, resp, body, 200)
	}
	resp, body = ministry.do("GET", "/api/v1/dashboards/sectors/finance", nil)
	want(t, resp, body, 404)
	resp, body = op.do("GET", "/api/v1/dashboards/scorecard", nil)
	want(t, resp, body, 200)
	resp, body = op.do("GET", "/api/v1/dashboards/national", nil)
	want(t, resp, body, 404)
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
