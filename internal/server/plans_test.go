//go:build dev

package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/xuri/excelize/v2"

	"github.com/kijun-portal/kijun/internal/oscal/oscaltest"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// planFix creates, as the schema owner, a published catalog and plans and
// evaluations in any state, for the plan tests and the matrix.
type planFix struct {
	t       testing.TB
	env     *servertest.Env
	catalog int64
	year    int // a fresh planning period per plan
	ref     int // a fresh supplementary ref
}

func newPlanFix(t testing.TB, env *servertest.Env) *planFix {
	t.Helper()
	f := &planFix{t: t, env: env, year: 2030}
	f.owner(func(tx pgx.Tx) error {
		if err := tx.QueryRow(context.Background(), `INSERT INTO catalogs (code, version, title_ja, title_en)
			VALUES ('plans-test', '1', '計画試験用ベースライン', 'Plan test baseline') RETURNING id`).Scan(&f.catalog); err != nil {
			return err
		}
		if _, err := tx.Exec(context.Background(), `INSERT INTO controls (catalog_id, ref, section_code, title_ja, title_en, statement_ja, csf, sort_order)
			VALUES ($1, 'GV-01', 'GV', '方針の策定', 'Policy', '方針を定めること。', '{GV.PO}', 1),
			       ($1, 'PR-01', 'PR', 'アクセス制御', 'Access control', 'アクセスを制御すること。', '{PR.AA}', 2),
			       ($1, 'RR-01', 'RR', '復旧計画', 'Recovery plan', '復旧計画を定めること。', '{RC.RP}', 3)`, f.catalog); err != nil {
			return err
		}
		// Into force the way catalog governance allows: consultation,
		// a decision effective today, in force (migration 000019).
		for _, q := range []string{
			`UPDATE catalogs SET status = 'consultation', consultation_opened_at = now() WHERE id = $1`,
			`INSERT INTO catalog_decisions (catalog_id, decided_by, reference, decided_on, effective_on)
				VALUES ($1, 'test', 'test fixture', current_date, current_date)`,
			`UPDATE catalogs SET status = 'decided' WHERE id = $1`,
			`UPDATE catalogs SET status = 'published', published_at = now() WHERE id = $1`,
		} {
			if _, err := tx.Exec(context.Background(), q, f.catalog); err != nil {
				return err
			}
		}
		return nil
	})
	return f
}

// owner runs fn as the schema owner acting as the system, which the
// plan triggers let through every transition.
func (f *planFix) owner(fn func(tx pgx.Tx) error) {
	f.t.Helper()
	err := pgx.BeginFunc(context.Background(), f.env.DB.Owner, func(tx pgx.Tx) error {
		if _, err := tx.Exec(context.Background(), `SELECT set_config('kijun.system', 'true', true)`); err != nil {
			return err
		}
		return fn(tx)
	})
	if err != nil {
		f.t.Fatalf("plan fixture: %v", err)
	}
}

// plan creates a plan of ministry for sector whose only version is in
// status (draft, submitted, under_review, accepted).
func (f *planFix) plan(ministry, sector, status string) int64 {
	f.t.Helper()
	f.year++
	var id int64
	f.owner(func(tx pgx.Tx) error {
		ctx := context.Background()
		var vid int64
		if err := tx.QueryRow(ctx, `INSERT INTO plans (ministry_code, sector_codes, period_start, period_end)
			VALUES ($1, ARRAY[$2], $3, $3 + 2) RETURNING id`, ministry, sector, f.year).Scan(&id); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO plan_versions (plan_id, ministry_code, version, catalog_id, title_ja, internal_note)
			VALUES ($1, $2, 1, $3, $4, '省庁内メモ:非公開') RETURNING id`, id, ministry, f.catalog,
			fmt.Sprintf("%s %s 実施計画 %d", ministry, sector, f.year)).Scan(&vid); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO plan_profile_controls (version_id, ministry_code, ref, sort_order, sectors)
			SELECT $1, $2, ref, sort_order, ARRAY[$4] FROM controls WHERE catalog_id = $3`, vid, ministry, f.catalog, sector); err != nil {
			return err
		}
		steps := map[string][]string{"submitted": {"submitted"}, "under_review": {"submitted", "under_review"},
			"accepted": {"submitted", "under_review", "accepted"}}[status]
		for _, s := range steps {
			if _, err := tx.Exec(ctx, `UPDATE plan_versions SET status = $2, submitted_at = coalesce(submitted_at, now()),
				decided_at = CASE WHEN $2 = 'accepted' THEN now() END WHERE id = $1`, vid, s); err != nil {
				return err
			}
		}
		return nil
	})
	return id
}

// supp adds a fresh supplementary control to a draft plan and returns its ref.
func (f *planFix) supp(planID int64) string {
	f.t.Helper()
	f.ref++
	ref := fmt.Sprintf("MX-S%02d", f.ref)
	f.owner(func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), `INSERT INTO plan_supplementary_controls (version_id, ministry_code, ref, section_code, title_ja, statement_ja, sectors)
			SELECT v.id, v.ministry_code, $2, 'PR', '追加', '追加の要求', p.sector_codes
			FROM plan_versions v JOIN plans p ON p.id = v.plan_id WHERE v.plan_id = $1`, planID, ref)
		return err
	})
	return ref
}

// evaluation creates an evaluation of ministry's sector, published or not.
func (f *planFix) evaluation(ministry, sector string, published bool) int64 {
	f.t.Helper()
	f.year++
	var id int64
	f.owner(func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `INSERT INTO plan_evaluations (ministry_code, sector_code, fiscal_year, findings, rating, status, published_at)
			VALUES ($1, $2, $3, '所見', 'B', CASE WHEN $4 THEN 'published' ELSE 'draft' END, CASE WHEN $4 THEN now() END) RETURNING id`,
			ministry, sector, f.year, published).Scan(&id)
	})
	return id
}

func init() {
	matrixCaseSets = append(matrixCaseSets, func(fx *tenantFixture) map[string]routeCase {
		f := newPlanFix(fx.t, fx.env)
		ministries := []string{"meti-admin", "meti-staff", "fsa-staff"}
		viewers := append(append([]string{}, ministries...), ncos...)
		admin := []string{"nco-admin"}
		// Own and foreign plans per role: METI's electricity plan, FSA's
		// finance plan; other roles get METI's as "own".
		pair := func(status string) map[string][2]int64 {
			meti, fsa := f.plan("METI", "electricity", status), f.plan("FSA", "finance", status)
			return map[string][2]int64{"meti-admin": {meti, fsa}, "meti-staff": {meti, fsa}, "fsa-staff": {fsa, meti}}
		}
		drafts := pair("draft")
		accepted := pair("accepted")
		evals := func(published bool) map[string][2]int64 {
			meti, fsa := f.evaluation("METI", "electricity", published), f.evaluation("FSA", "finance", published)
			return map[string][2]int64{"meti-admin": {meti, fsa}, "meti-staff": {meti, fsa}, "fsa-staff": {fsa, meti}}
		}
		published := evals(true)
		// fresh builds a path on a new object per request, for POSTs that
		// change state.
		fresh := func(status, suffix string) func(string, bool) string {
			return func(role string, own bool) string {
				m, s := "METI", "electricity"
				if (role == "fsa-staff") == own {
					m, s = "FSA", "finance"
				}
				return fmt.Sprintf("/plans/%d%s", f.plan(m, s, status), suffix)
			}
		}
		freshSupp := func(role string, own bool) string {
			id := byID("", drafts, "")(role, own)
			var n int64
			fmt.Sscan(id, &n)
			return fmt.Sprintf("/plans/%d/supplementary/%s/delete", n, f.supp(n))
		}
		freshEval := func(role string, own bool) string {
			return fmt.Sprintf("/evaluations/%d/publish", f.evaluation("METI", "electricity", false))
		}
		return map[string]routeCase{
			"GET /plans":                                  {fixed("/plans"), allow("GET", 200, viewers, viewers)},
			"GET /plans/review":                           {fixed("/plans/review"), allow("GET", 200, admin, admin)},
			"GET /plans/deadlines":                        {fixed("/plans/deadlines"), allow("GET", 200, viewers, viewers)},
			"POST /plans/deadlines":                       {fixed("/plans/deadlines"), allow("POST", 422, admin, admin)}, // empty form
			"GET /plans/new":                              {fixed("/plans/new"), allow("GET", 200, ministries, ministries)},
			"POST /plans":                                 {fixed("/plans"), allow("POST", 422, ministries, ministries)},
			"GET /plans/{id}":                             {byID("/plans/", drafts, ""), allow("GET", 200, viewers, ncos)},
			"GET /plans/{id}/edit":                        {byID("/plans/", drafts, "/edit"), allow("GET", 200, ministries, nil)},
			"POST /plans/{id}/edit":                       {byID("/plans/", drafts, "/edit"), allow("POST", 422, ministries, nil)},
			"GET /plans/{id}/profile":                     {byID("/plans/", drafts, "/profile"), allow("GET", 200, viewers, ncos)},
			"POST /plans/{id}/profile":                    {byID("/plans/", drafts, "/profile"), allow("POST", 303, ministries, nil)},
			"POST /plans/{id}/supplementary":              {byID("/plans/", drafts, "/supplementary"), allow("POST", 422, ministries, nil)},
			"POST /plans/{id}/supplementary/{ref}/delete": {freshSupp, allow("POST", 303, ministries, nil)},
			"GET /plans/{id}/profile.xlsx":                {byID("/plans/", drafts, "/profile.xlsx"), allow("GET", 200, viewers, ncos)},
			"GET /plans/{id}/profile.json":                {byID("/plans/", accepted, "/profile.json"), allow("GET", 200, viewers, ncos)},
			"POST /plans/{id}/profile/import":             {byID("/plans/", drafts, "/profile/import"), allow("POST", 422, ministries, nil)},
			"POST /plans/{id}/profile/import/confirm":     {byID("/plans/", drafts, "/profile/import/confirm"), allow("POST", 409, ministries, nil)},
			"GET /plans/{id}/diff":                        {byID("/plans/", accepted, "/diff"), allow("GET", 200, viewers, ncos)},
			"POST /plans/{id}/submit":                     {fresh("draft", "/submit"), allow("POST", 303, ministries, nil)},
			"POST /plans/{id}/revise":                     {fresh("accepted", "/revise"), allow("POST", 303, ministries, nil)},
			"POST /plans/{id}/comments":                   {byID("/plans/", drafts, "/comments"), allow("POST", 422, viewers, ncos)},
			"POST /plans/{id}/review":                     {fresh("submitted", "/review"), allow("POST", 303, admin, admin)},
			"POST /plans/{id}/return":                     {fresh("under_review", "/return"), allow("POST", 422, admin, admin)},
			"POST /plans/{id}/accept":                     {fresh("under_review", "/accept"), allow("POST", 303, admin, admin)},
			// The ministry's internal check (off here: asking is refused as
			// such; a decision without one is refused next to the form).
			"POST /plans/{id}/signoff/request": {byID("/plans/", drafts, "/signoff/request"), allow("POST", 409, ministries, nil)},
			"POST /plans/{id}/signoff":         {byID("/plans/", drafts, "/signoff"), allow("POST", 422, []string{"meti-admin"}, nil)},
			"GET /evaluations":                 {fixed("/evaluations"), allow("GET", 200, viewers, viewers)},
			"GET /evaluations/new":             {fixed("/evaluations/new"), allow("GET", 200, admin, admin)},
			"POST /evaluations":                {fixed("/evaluations"), allow("POST", 422, admin, admin)},
			"GET /evaluations/report":          {fixed("/evaluations/report"), allow("GET", 200, ncos, ncos)},
			"GET /evaluations/report.xlsx":     {fixed("/evaluations/report.xlsx"), allow("GET", 200, ncos, ncos)},
			"GET /evaluations/{id}":            {byID("/evaluations/", published, ""), allow("GET", 200, viewers, ncos)},
			"POST /evaluations/{id}":           {byID("/evaluations/", published, ""), allow("POST", 409, admin, admin)},
			"POST /evaluations/{id}/publish":   {freshEval, allow("POST", 303, admin, admin)},
			"POST /evaluations/{id}/response":  {byID("/evaluations/", published, "/response"), allow("POST", 422, ministries, nil)},
			"GET /profile":                     {fixed("/profile"), allow("GET", 200, []string{"toto-admin", "toto-staff", "toto-reviewer"}, []string{"toto-admin", "toto-staff", "toto-reviewer"})},
		}
	})
}

func postForm(t *testing.T, env *servertest.Env, c *http.Client, path string, form url.Values) (int, string, string) {
	t.Helper()
	resp, err := c.PostForm(env.HTTP.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func mustStatus(t *testing.T, what string, got, want int, body string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: status %d, want %d\n%.3000s", what, got, want, body)
	}
}

var planIDPath = regexp.MustCompile(`^/plans/(\d+)$`)

// TestPlanPagesLifecycle: METI drafts a plan in the browser's forms, edits
// two profile rows, submits; FSA and an operator cannot see it; the NCO
// returns it with a comment, METI revises and resubmits, the NCO accepts;
// the operator then sees its sector's profile but nothing of the plan.
func TestPlanPagesLifecycle(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	f := newPlanFix(t, env)
	meti, fsa, nco, toto := env.SignIn(t, "meti-staff"), env.SignIn(t, "fsa-staff"), env.SignIn(t, "nco-admin"), env.SignIn(t, "toto-staff")

	// A bad form comes back with what was typed.
	status, _, body := postForm(t, env, meti, "/plans", url.Values{"title_ja": {"電力分野 実施計画(試案)"}, "period_start": {"2026"},
		"period_end": {"2028"}, "catalog_id": {fmt.Sprint(f.catalog)}})
	mustStatus(t, "plan without sectors", status, 422, body)
	if !strings.Contains(body, "電力分野 実施計画(試案)") || !strings.Contains(body, `href="#new-sectors"`) {
		t.Errorf("the refused form lost the title or the error link:\n%.2000s", body)
	}
	status, loc, body := postForm(t, env, meti, "/plans", url.Values{"title_ja": {"電力分野 実施計画"}, "sectors": {"electricity"},
		"period_start": {"2026"}, "period_end": {"2028"}, "catalog_id": {fmt.Sprint(f.catalog)}})
	mustStatus(t, "create plan", status, 303, body)
	m := planIDPath.FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("redirect to %q", loc)
	}
	plan := loc

	// Two profile rows edited; a bad one first, which saves nothing.
	row := func(ref, applies, reason, doc string) url.Values {
		return url.Values{"applies." + ref: {applies}, "na_reason." + ref: {reason}, "target_status." + ref: {"implemented"},
			"target_maturity." + ref: {""}, "tailoring_note." + ref: {""}, "standard_doc." + ref: {doc},
			"standard_clause." + ref: {""}, "reflection." + ref: {""}, "reflection_on." + ref: {""}, "reflection_reason." + ref: {""}}
	}
	merge := func(vs ...url.Values) url.Values {
		out := url.Values{}
		for _, v := range vs {
			for k, x := range v {
				out[k] = x
			}
		}
		return out
	}
	status, _, body = postForm(t, env, meti, plan+"/profile", merge(row("GV-01", "no", "", ""), row("PR-01", "yes", "", "電力安全基準 第3条")))
	mustStatus(t, "profile with a missing reason", status, 422, body)
	if !strings.Contains(body, `href="#na_reason-GV-01"`) || !strings.Contains(body, `value="電力安全基準 第3条"`) {
		t.Errorf("the refused profile lost a value or the error link:\n%.3000s", body)
	}
	status, _, body = postForm(t, env, meti, plan+"/profile", merge(row("GV-01", "no", "方針は全社で策定済みのため", ""), row("PR-01", "yes", "", "電力安全基準 第3条")))
	mustStatus(t, "profile save", status, 303, body)
	status, _, body = postForm(t, env, meti, plan+"/submit", nil)
	mustStatus(t, "submit", status, 303, body)

	// Another ministry and an operator: not found.
	for _, c := range []*http.Client{fsa, toto} {
		for _, path := range []string{plan, plan + "/profile", plan + "/profile.xlsx", plan + "/diff"} {
			if status, _ := env.Get(t, c, path); status != 404 {
				t.Errorf("GET %s by another tenant: %d, want 404", path, status)
			}
		}
	}
	if status, _, _ := postForm(t, env, fsa, plan+"/comments", url.Values{"section": {"general"}, "body": {"x"}}); status != 404 {
		t.Errorf("FSA comments on METI's plan: %d", status)
	}
	// Submitted: edits are refused.
	status, _, body = postForm(t, env, meti, plan+"/profile", row("RR-01", "no", "理由", ""))
	mustStatus(t, "edit after submit", status, 409, body)

	// The NCO sees it in the queue, reviews and returns it with a comment.
	if _, body := env.Get(t, nco, "/plans/review"); !strings.Contains(body, "電力分野 実施計画") {
		t.Errorf("the plan is not in the review queue")
	}
	// A return refused (not under review yet) comes back with the
	// comments as typed.
	status, _, body = postForm(t, env, nco, plan+"/return", url.Values{"comment_profile": {"先に確認を始めてください。"}})
	if status != 409 || !strings.Contains(body, `id="plan-error"`) {
		t.Errorf("return before the review started: %d", status)
	}
	mustStatus(t, "start review", first(postForm(t, env, nco, plan+"/review", nil)), 303, "")
	status, _, body = postForm(t, env, nco, plan+"/comments", url.Values{"section": {"profile"}, "body": {"   "}})
	if status != 422 || !strings.Contains(body, `<option value="profile" selected>`) {
		t.Errorf("an empty comment: %d, and the section chosen is not kept", status)
	}
	status, _, body = postForm(t, env, nco, plan+"/return", url.Values{"comment_profile": {"GV-01 の非適用理由を具体的に記載してください。"}})
	mustStatus(t, "return", status, 303, body)
	if _, body := env.Get(t, meti, plan); !strings.Contains(body, "GV-01 の非適用理由を具体的に記載してください。") || !strings.Contains(body, "差戻し") {
		t.Errorf("METI does not see the return and its comment")
	}
	mustStatus(t, "revise", first(postForm(t, env, meti, plan+"/revise", nil)), 303, "")
	status, _, body = postForm(t, env, meti, plan+"/profile", row("GV-01", "no", "全社方針(2025年制定)を適用するため、分野固有の方針は求めない", ""))
	mustStatus(t, "profile save v2", status, 303, body)
	mustStatus(t, "resubmit", first(postForm(t, env, meti, plan+"/submit", nil)), 303, "")
	mustStatus(t, "review v2", first(postForm(t, env, nco, plan+"/review", nil)), 303, "")
	mustStatus(t, "accept", first(postForm(t, env, nco, plan+"/accept", nil)), 303, "")

	// The diff of v1 and v2 shows the one changed field.
	_, body = env.Get(t, meti, plan+"/diff?from=1&to=2")
	if !strings.Contains(body, "全社方針(2025年制定)") || !strings.Contains(body, "方針は全社で策定済みのため") {
		t.Errorf("diff page lacks the change:\n%.3000s", body)
	}

	// The operator sees its sector's profile, not the plan's notes.
	_, body = env.Get(t, toto, "/profile")
	if !strings.Contains(body, "全社方針(2025年制定)") || !strings.Contains(body, "電力安全基準 第3条") {
		t.Errorf("operator's profile page lacks the profile:\n%.3000s", body)
	}
	for _, secret := range []string{"省庁内メモ", "internal_note", "GV-01 の非適用理由を具体的に"} {
		if strings.Contains(body, secret) {
			t.Errorf("operator's profile page shows %q", secret)
		}
	}
	// The kakehashi bank (finance) has no profile.
	_, body = env.Get(t, env.SignIn(t, "kakehashi-staff"), "/profile")
	if !strings.Contains(body, `id="no-profile"`) {
		t.Errorf("a finance operator sees a profile")
	}
}

func first(status int, _ ...string) int { return status }

// TestPlanProfileOSCALValid exports an accepted profile with a control not
// applicable and a supplementary control, and validates it against the
// OSCAL 1.1.3 schema.
func TestPlanProfileOSCALValid(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	f := newPlanFix(t, env)
	id := f.plan("METI", "electricity", "draft")
	f.supp(id)
	f.owner(func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), `UPDATE plan_profile_controls SET applies = false, na_reason = '該当なし',
			target_maturity = 3, tailoring_note = '分野での補足', standard_doc = '電力安全基準', standard_clause = '第3条',
			reflection = 'planned', reflection_on = '2027-03-31'
			WHERE ref = 'GV-01' AND version_id = (SELECT id FROM plan_versions WHERE plan_id = $1)`, id)
		return err
	})
	status, body := env.Get(t, env.SignIn(t, "meti-staff"), fmt.Sprintf("/plans/%d/profile.json", id))
	mustStatus(t, "OSCAL export", status, 200, body)
	oscaltest.Validate(t, []byte(body))
	var doc struct {
		Profile struct {
			Imports []struct {
				Href            string `json:"href"`
				IncludeControls []struct {
					WithIDs []string `json:"with-ids"`
				} `json:"include-controls"`
				ExcludeControls []struct {
					WithIDs []string `json:"with-ids"`
				} `json:"exclude-controls"`
			} `json:"imports"`
			BackMatter struct {
				Resources []struct {
					UUID   string `json:"uuid"`
					Title  string `json:"title"`
					Rlinks []struct {
						Href string `json:"href"`
					} `json:"rlinks"`
				} `json:"resources"`
			} `json:"back-matter"`
		} `json:"profile"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	imp := doc.Profile.Imports[0]
	if fmt.Sprint(imp.IncludeControls[0].WithIDs) != "[pr-01 rr-01]" || fmt.Sprint(imp.ExcludeControls[0].WithIDs) != "[gv-01]" {
		t.Errorf("selection %+v", imp)
	}
	res := doc.Profile.BackMatter.Resources
	if "#"+res[0].UUID != imp.Href || res[0].Rlinks[0].Href != fmt.Sprintf("/catalogs/%d/export.oscal.json", f.catalog) {
		t.Errorf("import does not point at the baseline catalog: %s %+v", imp.Href, res[0])
	}
	if len(res) != 2 || !strings.HasPrefix(res[1].Title, "MX-S01") {
		t.Errorf("supplementary control not in back-matter: %+v", res)
	}
	// A broken document is refused by the same check.
	if err := oscaltest.Check([]byte(strings.Replace(body, `"imports"`, `"importz"`, 1))); err == nil {
		t.Error("the schema check accepts a profile without imports")
	}
}

// TestPlanProfileXLSXRoundTrip downloads the profile, changes cells
// offline (one good change, two bad cells, an unknown control), uploads
// it: the preview lists every bad cell and changes nothing; confirming
// applies the good row only.
func TestPlanProfileXLSXRoundTrip(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	f := newPlanFix(t, env)
	id := f.plan("METI", "electricity", "draft")
	meti := env.SignIn(t, "meti-staff")
	status, body := env.Get(t, meti, fmt.Sprintf("/plans/%d/profile.xlsx", id))
	mustStatus(t, "XLSX export", status, 200, "")
	x, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sheet := x.GetSheetName(0)
	rows, _ := x.GetRows(sheet)
	if len(rows) != 4 || rows[1][0] != "GV-01" || rows[0][3] != "適用" {
		t.Fatalf("exported rows %v", rows)
	}
	dv, _ := x.GetDataValidations(sheet)
	if len(dv) < 3 {
		t.Errorf("%d drop-down lists, want at least 3", len(dv))
	}
	set := func(cell, v string) {
		if err := x.SetCellStr(sheet, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	set("F2", "一部実施")   // GV-01 target: partial (good)
	set("I2", "電力安全基準") // GV-01 standard doc (good)
	set("G3", "7")      // PR-01 maturity 7 (bad)
	set("K4", "たぶん")    // RR-01 reflection (bad choice)
	set("A5", "ZZ-99")  // unknown control
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	upload := func() (int, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("file", "profile.xlsx")
		fw.Write(buf.Bytes())
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, env.HTTP.URL+fmt.Sprintf("/plans/%d/profile/import", id), &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := meti.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	status, body = upload()
	mustStatus(t, "preview", status, 200, body)
	for _, want := range []string{"成熟度は1〜4で選んでください。", "「たぶん」は選択肢にありません。", "対策項目番号「ZZ-99」はこのプロファイルにありません。", "一部実施"} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	_, page := env.Get(t, meti, fmt.Sprintf("/plans/%d/profile", id))
	if strings.Contains(page, `value="電力安全基準"`) {
		t.Fatal("the preview applied a change")
	}
	token := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindStringSubmatch(body)
	if token == nil {
		t.Fatalf("no confirm button:\n%.3000s", body)
	}
	status, _, body = postForm(t, env, meti, fmt.Sprintf("/plans/%d/profile/import/confirm", id), url.Values{"token": {token[1]}})
	mustStatus(t, "confirm", status, 303, body)
	_, page = env.Get(t, meti, fmt.Sprintf("/plans/%d/profile", id))
	if !strings.Contains(page, `value="電力安全基準"`) {
		t.Errorf("confirm did not apply GV-01")
	}
	// Twice: refused.
	status, _, _ = postForm(t, env, meti, fmt.Sprintf("/plans/%d/profile/import/confirm", id), url.Values{"token": {token[1]}})
	mustStatus(t, "second confirm", status, 409, "")
}

// TestEvaluationReport: the NCO writes and publishes an evaluation, METI
// answers it, the report shows it and downloads as XLSX; FSA sees none.
func TestEvaluationReport(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	newPlanFix(t, env)
	nco, meti, fsa := env.SignIn(t, "nco-admin"), env.SignIn(t, "meti-staff"), env.SignIn(t, "fsa-staff")
	status, loc, body := postForm(t, env, nco, "/evaluations", url.Values{"target": {"METI/electricity"}, "fiscal_year": {"2027"},
		"findings": {"提出率は95%に達した。"}, "good_practices": {"演習の共同実施"}, "improvement_requests": {"未提出事業者への督促"}, "rating": {"B"}})
	mustStatus(t, "create evaluation", status, 303, body)
	if status, _ := env.Get(t, meti, loc); status != 404 {
		t.Errorf("METI reads a draft evaluation: %d", status)
	}
	mustStatus(t, "publish", first(postForm(t, env, nco, loc+"/publish", nil)), 303, "")
	status, _, body = postForm(t, env, meti, loc+"/response", url.Values{"response": {"督促を月次で行います。"}})
	mustStatus(t, "respond", status, 303, body)
	if status, _ := env.Get(t, fsa, loc); status != 404 {
		t.Errorf("FSA reads METI's evaluation: %d", status)
	}
	_, body = env.Get(t, nco, "/evaluations/report?fy=2027")
	for _, want := range []string{"提出率は95%に達した。", "督促を月次で行います。", "B(おおむね十分)"} {
		if !strings.Contains(body, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	status, body = env.Get(t, nco, "/evaluations/report.xlsx?fy=2027")
	mustStatus(t, "report XLSX", status, 200, "")
	x, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows(x.GetSheetName(0))
	if len(rows) != 2 || rows[1][3] != "B" || rows[1][7] != "督促を月次で行います。" {
		t.Errorf("report rows %v", rows)
	}
}

// TestPlanProfileSectors: in a plan of two sectors, the editor asks which
// sectors a supplementary control and a profile row hold for; the
// electricity operator's profile has them, the exports name the sectors,
// and a supplementary control without a sector comes back as typed.
func TestPlanProfileSectors(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	f := newPlanFix(t, env)
	meti, nco, toto := env.SignIn(t, "meti-staff"), env.SignIn(t, "nco-admin"), env.SignIn(t, "toto-staff")
	status, plan, body := postForm(t, env, meti, "/plans", url.Values{"title_ja": {"電力・ガス分野 実施計画"},
		"sectors": {"electricity", "gas"}, "period_start": {"2026"}, "period_end": {"2028"}, "catalog_id": {fmt.Sprint(f.catalog)}})
	mustStatus(t, "create plan", status, 303, body)
	if _, body := env.Get(t, meti, plan+"/profile"); !strings.Contains(body, `name="sectors.GV-01"`) || !strings.Contains(body, `id="sectors-note"`) {
		t.Errorf("the profile editor of a two-sector plan has no sector choice:\n%.3000s", body)
	}
	supp := url.Values{"ref": {"ELECTRICITY-S01"}, "section": {"PR"}, "title_ja": {"制御系ネットワークの分離"},
		"statement_ja": {"制御系ネットワークを情報系から分離すること。"}, "target_status": {"implemented"}}
	status, _, body = postForm(t, env, meti, plan+"/supplementary", supp)
	mustStatus(t, "supplementary without sectors", status, 422, body)
	if !strings.Contains(body, `href="#supp-sectors"`) || !strings.Contains(body, "制御系ネットワークを情報系から分離すること。") {
		t.Errorf("the refused form lost the input or the error link:\n%.3000s", body)
	}
	supp["sectors"] = []string{"electricity"}
	mustStatus(t, "supplementary", first(postForm(t, env, meti, plan+"/supplementary", supp)), 303, "")
	row := url.Values{"sectors.GV-01": {"", "electricity"}, "applies.GV-01": {"no"}, "na_reason.GV-01": {"電力では全社方針で足りるため"},
		"target_status.GV-01": {"implemented"}}
	mustStatus(t, "profile row for electricity", first(postForm(t, env, meti, plan+"/profile", row)), 303, "")
	_, body = env.Get(t, meti, plan+"/profile")
	if !strings.Contains(body, `id="supp-sectors-ELECTRICITY-S01"`) || !strings.Contains(body, `name="sectors.GV-01" value="electricity" checked`) ||
		strings.Contains(body, `name="sectors.GV-01" value="gas" checked`) {
		t.Errorf("the profile does not show the chosen sectors:\n%.3000s", body)
	}
	mustStatus(t, "submit", first(postForm(t, env, meti, plan+"/submit", nil)), 303, "")
	mustStatus(t, "review", first(postForm(t, env, nco, plan+"/review", nil)), 303, "")
	mustStatus(t, "accept", first(postForm(t, env, nco, plan+"/accept", nil)), 303, "")

	_, body = env.Get(t, toto, "/profile")
	if !strings.Contains(body, "ELECTRICITY-S01") || !strings.Contains(body, "電力では全社方針で足りるため") {
		t.Errorf("the electricity operator's profile lacks its rows:\n%.3000s", body)
	}
	var gasRefs []string
	rows, _ := env.DB.Owner.Query(context.Background(), `SELECT ref FROM kijun_profile_controls('gas', $1, 2026)`, f.catalog)
	gasRefs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || strings.Join(gasRefs, ",") != "GV-01,PR-01,RR-01" {
		t.Errorf("a gas assessment would answer %v (%v), want GV-01,PR-01,RR-01", gasRefs, err)
	}
	_, body = env.Get(t, meti, plan+"/profile.json")
	if !strings.Contains(body, `"not-applicable-sector"`) || !strings.Contains(body, `"sector"`) {
		t.Errorf("the OSCAL profile does not name the rows' sectors:\n%.2000s", body)
	}
	oscaltest.Validate(t, []byte(body))
}
