//go:build dev

package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/catalog/baseline"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// catalogFixture seeds the shipped draft baseline, publishes it through
// the store as an NCO admin, and starts the next version as a draft.
func catalogFixture(t testing.TB, env *servertest.Env) (published, draft int64) {
	t.Helper()
	ctx := context.Background()
	// Several matrix case sets ask for it on the same database: the second
	// gets the versions the first made.
	if env.DB.Owner.QueryRow(ctx, `SELECT p.id, d.id FROM catalogs p JOIN catalogs d ON d.code = p.code AND d.version = '2026.2-draft'
		WHERE p.code = 'kijun-baseline' AND p.status = 'published'`).Scan(&published, &draft) == nil {
		return published, draft
	}
	if err := pgx.BeginFunc(ctx, env.DB.Owner, func(tx pgx.Tx) error {
		_, err := postgres.SeedBaseline(ctx, tx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.Owner.QueryRow(ctx, `SELECT id FROM catalogs WHERE code = 'kijun-baseline' AND status = 'draft'`).Scan(&published); err != nil {
		t.Fatal(err)
	}
	nco := catNCOPrincipal(t, env)
	by := postgres.ActorOf(nco, "test")
	err := postgres.InTx(ctx, env.DB.App, nco, func(tx pgx.Tx) error {
		if err := postgres.Publish(ctx, tx, published, by); err != nil {
			return err
		}
		var err error
		draft, err = postgres.NewDraftFrom(ctx, tx, published, "2026.2-draft", by)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return published, draft
}

// ncoPrincipal is an NCO admin acting through the store.
func catNCOPrincipal(t testing.TB, env *servertest.Env) *identity.Principal {
	t.Helper()
	ctx := context.Background()
	oversight, err := postgres.Oversight(ctx, env.DB.Owner)
	if err != nil {
		t.Fatal(err)
	}
	var uid int64
	if err := env.DB.Owner.QueryRow(ctx, `INSERT INTO users (display_name) VALUES ('統括 編集者') RETURNING id`).Scan(&uid); err != nil {
		t.Fatal(err)
	}
	return identity.NewPrincipal(uid, "統括 編集者", "", []identity.Grant{{Role: identity.RoleNCOAdmin}}, oversight)
}

// importSmallDraft stores a three-control draft under a fresh code, for
// requests that publish or otherwise use a draft up.
func catImportSmallDraft(t testing.TB, env *servertest.Env, code string) int64 {
	t.Helper()
	ctx := context.Background()
	ref, err := postgres.LoadCatalogReference(ctx, env.DB.Owner)
	if err != nil {
		t.Fatal(err)
	}
	c, problems := catalog.ParseYAML(baseline.DraftYAML, ref)
	if catalog.HasErrors(problems) {
		t.Fatal(problems)
	}
	c.Code, c.Controls = code, c.Controls[:3]
	var id int64
	if err := pgx.BeginFunc(ctx, env.DB.Owner, func(tx pgx.Tx) (err error) {
		id, _, err = postgres.ImportCatalog(ctx, tx, c, audit.Event{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

func init() {
	matrixCaseSets = append(matrixCaseSets, func(fx *tenantFixture) map[string]routeCase {
		pub, draft := catalogFixture(fx.t, fx.env)
		n := 0
		fresh := func(string, bool) string {
			n++
			return fmt.Sprintf("/catalogs/%d/consult", catImportSmallDraft(fx.t, fx.env, fmt.Sprintf("matrix-%d", n)))
		}
		// Own tenant: the published version; "foreign": the draft, which
		// only the NCO sees.
		pubOrDraft := func(suffix string) func(string, bool) string {
			return func(_ string, own bool) string {
				if own {
					return fmt.Sprintf("/catalogs/%d%s", pub, suffix)
				}
				return fmt.Sprintf("/catalogs/%d%s", draft, suffix)
			}
		}
		onDraft := func(suffix string) func(string, bool) string {
			return fixed(fmt.Sprintf("/catalogs/%d%s", draft, suffix))
		}
		browse := allow(http.MethodGet, 200, withGrant, ncos)
		edit := func(method string, ok int) func(string, bool) int {
			return allow(method, ok, []string{"nco-admin"}, []string{"nco-admin"})
		}
		return map[string]routeCase{
			"GET /catalogs":                             {fixed("/catalogs"), allow(http.MethodGet, 200, withGrant, withGrant)},
			"GET /catalogs/{id}":                        {pubOrDraft("?q=バックアップ&section=PR"), browse},
			"GET /catalogs/{id}/export.yaml":            {pubOrDraft("/export.yaml"), browse},
			"GET /catalogs/{id}/export.oscal.json":      {pubOrDraft("/export.oscal.json"), browse},
			"GET /catalogs/{id}/diff":                   {pubOrDraft(fmt.Sprintf("/diff?from=%d", pub)), browse},
			"GET /catalogs/{id}/controls/{ref}":         {pubOrDraft("/controls/GV-01"), browse},
			"GET /catalogs/import":                      {fixed("/catalogs/import"), edit(http.MethodGet, 200)},
			"POST /catalogs/import":                     {fixed("/catalogs/import"), edit(http.MethodPost, 422)}, // no file
			"GET /catalogs/{id}/new-version":            {fixed(fmt.Sprintf("/catalogs/%d/new-version", pub)), edit(http.MethodGet, 200)},
			"POST /catalogs/{id}/new-version":           {fixed(fmt.Sprintf("/catalogs/%d/new-version", pub)), edit(http.MethodPost, 422)}, // no version
			"GET /catalogs/{id}/controls/new":           {onDraft("/controls/new"), edit(http.MethodGet, 200)},
			"POST /catalogs/{id}/controls":              {onDraft("/controls"), edit(http.MethodPost, 422)}, // empty control
			"GET /catalogs/{id}/controls/{ref}/edit":    {onDraft("/controls/GV-01/edit"), edit(http.MethodGet, 200)},
			"POST /catalogs/{id}/controls/{ref}":        {onDraft("/controls/GV-01"), edit(http.MethodPost, 409)},        // no version: a conflict, nothing saved
			"POST /catalogs/{id}/controls/{ref}/remove": {onDraft("/controls/GV-01/remove"), edit(http.MethodPost, 409)}, // likewise
			"GET /catalogs/{id}/consult":                {onDraft("/consult"), edit(http.MethodGet, 200)},
			"POST /catalogs/{id}/consult":               {fresh, edit(http.MethodPost, 303)},
		}
	})
}

// --- helpers ---------------------------------------------------------------

func catPostForm(t *testing.T, env *servertest.Env, c *http.Client, path string, v url.Values) (int, string, string) {
	t.Helper()
	resp, err := c.PostForm(env.HTTP.URL+path, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func catUpload(t *testing.T, env *servertest.Env, c *http.Client, name string, data []byte) (int, string, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	resp, err := c.Post(env.HTTP.URL+"/catalogs/import", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func catGetResp(t *testing.T, env *servertest.Env, c *http.Client, path string) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Get(env.HTTP.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// controlValues is the editor's form for c.
func catControlValues(c catalog.Control) url.Values {
	v := url.Values{
		"ref": {c.Ref}, "section": {c.Section}, "version": {strconv.Itoa(c.Version)},
		"title_ja": {c.Title.Ja}, "title_en": {c.Title.En},
		"statement_ja": {c.Statement.Ja}, "statement_en": {c.Statement.En},
		"guidance_ja": {c.Guidance.Ja}, "guidance_en": {c.Guidance.En},
		"themes": c.Themes, "csf": c.CSF, "sectors": c.Sectors,
	}
	if c.EvidenceExpected {
		v.Set("evidence_expected", "true")
	}
	return v
}

func catOwnerControl(t *testing.T, env *servertest.Env, catalogID int64, ref string) catalog.Control {
	t.Helper()
	var c catalog.Control
	err := pgx.BeginFunc(context.Background(), env.DB.Owner, func(tx pgx.Tx) (err error) {
		c, err = postgres.GetControl(context.Background(), tx, catalogID, ref)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func catOwnerCatalog(t *testing.T, env *servertest.Env, id int64) *catalog.Catalog {
	t.Helper()
	c, err := postgres.GetCatalog(context.Background(), env.DB.Owner, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var catRowRef = regexp.MustCompile(`<th scope="row"><a href="/catalogs/\d+/controls/([A-Z]+-\d+)">`)

// listedRefs are the controls a catalog page lists.
func catListedRefs(body string) []string {
	var out []string
	for _, m := range catRowRef.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// --- tests -----------------------------------------------------------------

// Ministries and operators browse published versions only: a draft does
// not exist for them, however they ask for it.
func TestCatalogBrowseAsMinistryAndOperator(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	pub, draft := catalogFixture(t, env)
	for _, role := range []string{"meti-staff", "toto-staff"} {
		c := env.SignIn(t, role)
		status, body := env.Get(t, c, "/catalogs")
		if status != 200 || !strings.Contains(body, "2026.1-draft") || strings.Contains(body, "2026.2-draft") {
			t.Errorf("%s: /catalogs: %d, want the published version only\n%.3000s", role, status, body)
		}
		if !strings.Contains(body, `href="/catalogs"`) {
			t.Errorf("%s: no catalog entry in the menu", role)
		}
		for _, p := range []string{"", "/controls/GV-01", "/export.yaml", "/export.oscal.json", "/diff", "/edit"} {
			if status, _ := env.Get(t, c, fmt.Sprintf("/catalogs/%d%s", draft, p)); status != http.StatusNotFound {
				t.Errorf("%s: draft %s: %d, want 404", role, p, status)
			}
		}
		if status, _ := env.Get(t, c, fmt.Sprintf("/catalogs/%d/diff?from=%d", pub, draft)); status != http.StatusNotFound {
			t.Errorf("%s: diff from a draft: %d, want 404", role, status)
		}
		status, body = env.Get(t, c, fmt.Sprintf("/catalogs/%d", pub))
		if status != 200 || len(catListedRefs(body)) != 102 && len(catListedRefs(body)) < 80 {
			t.Errorf("%s: catalog page: %d, %d controls", role, status, len(catListedRefs(body)))
		}
		// Filters by section: only DE controls, and the page says so.
		_, body = env.Get(t, c, fmt.Sprintf("/catalogs/%d?section=DE", pub))
		refs := catListedRefs(body)
		if len(refs) == 0 {
			t.Fatalf("%s: section DE lists nothing", role)
		}
		for _, r := range refs {
			if !strings.HasPrefix(r, "DE-") {
				t.Errorf("%s: section DE lists %s", role, r)
			}
		}
		if !strings.Contains(body, `id="active-filters"`) || !strings.Contains(body, fmt.Sprintf("%d件の対策が該当します", len(refs))) {
			t.Errorf("%s: the filtered page does not say the filter and its count", role)
		}
		// CSF function and category, theme, sector.
		for q, check := range map[string]func(catalog.Control) bool{
			"csf=PR.DS": func(c catalog.Control) bool { return catContains(c.CSF, "PR.DS") },
			"csf=RS": func(c catalog.Control) bool {
				for _, x := range c.CSF {
					if strings.HasPrefix(x, "RS.") {
						return true
					}
				}
				return false
			},
			"theme=supply-chain": func(c catalog.Control) bool { return catContains(c.Themes, "supply-chain") },
			"sector=finance":     func(c catalog.Control) bool { return len(c.Sectors) == 0 || catContains(c.Sectors, "finance") },
		} {
			_, body := env.Get(t, c, fmt.Sprintf("/catalogs/%d?%s", pub, q))
			refs := catListedRefs(body)
			want := 0
			for _, ctl := range catOwnerCatalog(t, env, pub).Controls {
				if check(ctl) {
					want++
					if !catContains(refs, ctl.Ref) {
						t.Errorf("%s: %s misses %s", role, q, ctl.Ref)
					}
				}
			}
			if len(refs) != want || want == 0 {
				t.Errorf("%s: %s lists %d controls, want %d", role, q, len(refs), want)
			}
		}
	}
}

func catContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// A Japanese substring finds the controls that contain it, and only those;
// English works too, and the control page shows both languages with the
// reader's first.
func TestCatalogSearchJapaneseAndEnglish(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	pub, _ := catalogFixture(t, env)
	c := env.SignIn(t, "meti-staff")
	ctx := context.Background()
	want := func(word string) []string {
		rows, _ := env.DB.Owner.Query(ctx, `SELECT ref FROM controls WHERE catalog_id = $1 AND search_text ILIKE '%' || $2 || '%' ORDER BY ref`, pub, word)
		refs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return refs
	}
	for _, word := range []string{"バックアップ", "backup"} {
		status, body := env.Get(t, c, fmt.Sprintf("/catalogs/%d?q=%s", pub, url.QueryEscape(word)))
		got, exp := catListedRefs(body), want(word)
		if status != 200 || len(exp) == 0 || len(got) != len(exp) {
			t.Fatalf("search %q: %d, listed %v, want %v", word, status, got, exp)
		}
		for _, r := range exp {
			if !catContains(got, r) {
				t.Errorf("search %q misses %s", word, r)
			}
		}
		if !strings.Contains(body, "「"+word+"」") {
			t.Errorf("search %q: the page does not show the search term", word)
		}
	}
	// The control titled オフライン又は変更不能なバックアップ ranks first.
	_, body := env.Get(t, c, fmt.Sprintf("/catalogs/%d?q=%s", pub, url.QueryEscape("バックアップ")))
	var first catalog.Control
	for _, ctl := range catOwnerCatalog(t, env, pub).Controls {
		if ctl.Ref == catListedRefs(body)[0] {
			first = ctl
		}
	}
	if !strings.Contains(first.Title.Ja, "バックアップ") {
		t.Errorf("the best match %s %q does not have バックアップ in its title", first.Ref, first.Title.Ja)
	}

	// Both languages, the reader's first.
	ctl := catOwnerControl(t, env, pub, "GV-01")
	_, ja := env.Get(t, c, fmt.Sprintf("/catalogs/%d/controls/GV-01", pub))
	if i, j := strings.Index(ja, html.EscapeString(ctl.Statement.Ja)), strings.Index(ja, html.EscapeString(ctl.Statement.En)); i < 0 || j < 0 || i > j {
		t.Errorf("Japanese reader: statement ja at %d, en at %d", i, j)
	}
	_, en := env.Get(t, c, fmt.Sprintf("/catalogs/%d/controls/GV-01", pub), "Cookie", "kijun_lang=en")
	if i, j := strings.Index(en, html.EscapeString(ctl.Statement.Ja)), strings.Index(en, html.EscapeString(ctl.Statement.En)); i < 0 || j < 0 || j > i {
		t.Errorf("English reader: statement ja at %d, en at %d", i, j)
	}
}

// The NCO sees drafts in the list; the export of a published version
// imports back (under another code) to the same content, as YAML and as
// OSCAL.
func TestCatalogExportRoundTrip(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	pub, _ := catalogFixture(t, env)
	ministry, nco := env.SignIn(t, "meti-staff"), env.SignIn(t, "nco-admin")
	if _, body := env.Get(t, nco, "/catalogs"); !strings.Contains(body, "2026.2-draft") {
		t.Error("the NCO's list lacks the draft")
	}
	orig := catOwnerCatalog(t, env, pub)

	check := func(kind string, data []byte, code string) {
		t.Helper()
		status, loc, body := catUpload(t, env, nco, "export", data)
		if status != http.StatusSeeOther {
			t.Fatalf("%s: import: %d\n%.3000s", kind, status, body)
		}
		id, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(loc, "/catalogs/"), "?done=imported"), 10, 64)
		got := catOwnerCatalog(t, env, id)
		if got.Code != code || got.Version != orig.Version || got.Status != catalog.Draft {
			t.Errorf("%s: imported %s %s %s", kind, got.Code, got.Version, got.Status)
		}
		if d := catalog.Diff(orig, got); !d.Empty() {
			t.Errorf("%s: round trip changed the catalog: %+v", kind, d)
		}
	}

	resp, data := catGetResp(t, env, ministry, fmt.Sprintf("/catalogs/%d/export.yaml", pub))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/yaml; charset=utf-8" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="kijun-baseline-2026.1-draft.yaml"` {
		t.Fatalf("YAML export: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	if !bytes.Contains(data, []byte("バックアップ")) {
		t.Error("the YAML export is not UTF-8 Japanese")
	}
	check("YAML", bytes.Replace(data, []byte("code: kijun-baseline"), []byte("code: roundtrip-yaml"), 1), "roundtrip-yaml")

	resp, data = catGetResp(t, env, ministry, fmt.Sprintf("/catalogs/%d/export.oscal.json", pub))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="kijun-baseline-2026.1-draft.oscal.json"`) {
		t.Fatalf("OSCAL export: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range doc["catalog"].(map[string]any)["metadata"].(map[string]any)["props"].([]any) {
		if prop := p.(map[string]any); prop["name"] == "catalog-code" {
			prop["value"] = "roundtrip-oscal"
		}
	}
	data, _ = json.Marshal(doc)
	check("OSCAL", data, "roundtrip-oscal")
}

// An edit in the draft shows on the diff page with old and new text.
func TestCatalogDiffListsEditedControl(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	pub, draft := catalogFixture(t, env)
	nco := env.SignIn(t, "nco-admin")
	ctl := catOwnerControl(t, env, draft, "PR-01")
	oldTitle := ctl.Title.Ja
	v := catControlValues(ctl)
	v.Set("title_ja", "改訂した名称です")
	v.Set("statement_ja", "【改訂】"+ctl.Statement.Ja)
	v["themes"] = append(v["themes"], "communication")
	if status, loc, body := catPostForm(t, env, nco, fmt.Sprintf("/catalogs/%d/controls/PR-01", draft), v); status != http.StatusSeeOther || loc != fmt.Sprintf("/catalogs/%d/controls/PR-01", draft) {
		t.Fatalf("edit: %d %q\n%.3000s", status, loc, body)
	}
	if got := catOwnerControl(t, env, draft, "PR-01"); got.Title.Ja != "改訂した名称です" || got.Version != ctl.Version+1 {
		t.Fatalf("stored: %q version %d", got.Title.Ja, got.Version)
	}
	// Without from, the diff compares with the version the draft was based on.
	for _, path := range []string{fmt.Sprintf("/catalogs/%d/diff?from=%d", draft, pub), fmt.Sprintf("/catalogs/%d/diff", draft)} {
		status, body := env.Get(t, nco, path)
		if status != 200 {
			t.Fatalf("%s: %d", path, status)
		}
		for _, want := range []string{`id="diff-PR-01"`, html.EscapeString(oldTitle), "改訂した名称です", "変更された対策:1件", "追加された対策:0件", `<th scope="row">名称(日本語)</th>`, `<th scope="row">テーマ</th>`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
		if strings.Contains(body, `id="diff-PR-02"`) {
			t.Errorf("%s lists an unchanged control", path)
		}
		// The changed statement marks the inserted words only.
		if !strings.Contains(body, `<ins class="diff-word">【改訂】</ins>`+html.EscapeString(ctl.Statement.Ja)) {
			t.Errorf("%s does not mark the inserted words of the statement", path)
		}
	}
}

// Two editors: the second save finds the first's, shows both side by
// side and saves nothing until the editor chooses to overwrite.
func TestCatalogEditConflictShowsBoth(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	_, draft := catalogFixture(t, env)
	nco := env.SignIn(t, "nco-admin")
	path := fmt.Sprintf("/catalogs/%d/controls/GV-02", draft)
	loaded := catOwnerControl(t, env, draft, "GV-02")
	if status, body := env.Get(t, nco, path+"/edit"); status != 200 || !strings.Contains(body, fmt.Sprintf(`name="version" value="%d"`, loaded.Version)) {
		t.Fatalf("edit form: %d", status)
	}
	// Someone else saves first.
	other := catControlValues(loaded)
	other.Set("title_ja", "他の方が保存した名称")
	if status, _, _ := catPostForm(t, env, nco, path, other); status != http.StatusSeeOther {
		t.Fatalf("first save: %d", status)
	}
	mine := catControlValues(loaded)
	mine.Set("title_ja", "私が入力した名称")
	status, _, body := catPostForm(t, env, nco, path, mine)
	if status != http.StatusConflict {
		t.Fatalf("second save: %d, want 409", status)
	}
	for _, want := range []string{`id="conflict-table"`, "他の方が保存した名称", "私が入力した名称", fmt.Sprintf(`name="version" value="%d"`, loaded.Version+1), `id="take-stored"`} {
		if !strings.Contains(body, want) {
			t.Errorf("conflict page lacks %q", want)
		}
	}
	if got := catOwnerControl(t, env, draft, "GV-02"); got.Title.Ja != "他の方が保存した名称" {
		t.Fatalf("the conflicting save was written: %q", got.Title.Ja)
	}
	// Overwrite knowingly: resubmit with the stored version.
	mine.Set("version", strconv.Itoa(loaded.Version+1))
	if status, _, _ := catPostForm(t, env, nco, path, mine); status != http.StatusSeeOther {
		t.Fatalf("overwrite: %d", status)
	}
	if got := catOwnerControl(t, env, draft, "GV-02"); got.Title.Ja != "私が入力した名称" {
		t.Fatalf("overwrite not stored: %q", got.Title.Ja)
	}
	// Removing with a stale version is refused the same way.
	if status, _, body := catPostForm(t, env, nco, path+"/remove", url.Values{"version": {strconv.Itoa(loaded.Version)}}); status != http.StatusConflict || !strings.Contains(body, "私が入力した名称") {
		t.Errorf("stale remove: %d", status)
	}
	if status, loc, _ := catPostForm(t, env, nco, path+"/remove", url.Values{"version": {strconv.Itoa(loaded.Version + 2)}}); status != http.StatusSeeOther || !strings.Contains(loc, "done=removed") {
		t.Errorf("remove: %d %q", status, loc)
	}
	if status, _ := env.Get(t, nco, path); status != http.StatusNotFound {
		t.Errorf("removed control: %d", status)
	}
}

// Bad input comes back with what was typed and a message at each field;
// nothing is saved. Adding a control works once it is valid.
func TestCatalogEditValidation(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	_, draft := catalogFixture(t, env)
	nco := env.SignIn(t, "nco-admin")
	ctl := catOwnerControl(t, env, draft, "ID-01")
	v := catControlValues(ctl)
	v.Set("title_ja", "入力した名称")
	v.Set("title_en", "")
	v.Set("statement_ja", "")
	v.Set("statement_en", "")
	v.Set("section", "PR") // ID-01 cannot move to PR
	status, _, body := catPostForm(t, env, nco, fmt.Sprintf("/catalogs/%d/controls/ID-01", draft), v)
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid edit: %d", status)
	}
	// The missing English title is no error: a draft is Japanese first.
	for _, want := range []string{`id="form-errors"`, `value="入力した名称"`, `id="control-statement-ja-error"`, `id="control-section-error"`, `href="#control-statement-ja"`} {
		if !strings.Contains(body, want) {
			t.Errorf("form lacks %q", want)
		}
	}
	if got := catOwnerControl(t, env, draft, "ID-01"); got.Title.Ja != ctl.Title.Ja || got.Version != ctl.Version {
		t.Error("an invalid edit was saved")
	}

	add := catControlValues(ctl)
	add.Set("ref", "ID-01") // taken
	add.Set("version", "0")
	status, _, body = catPostForm(t, env, nco, fmt.Sprintf("/catalogs/%d/controls", draft), add)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="control-ref-error"`) {
		t.Errorf("duplicate ref: %d", status)
	}
	add.Set("ref", "id-99")
	if status, loc, body := catPostForm(t, env, nco, fmt.Sprintf("/catalogs/%d/controls", draft), add); status != http.StatusSeeOther || !strings.HasSuffix(loc, "/controls/ID-99") {
		t.Fatalf("add: %d %q\n%.2000s", status, loc, body)
	}
}

// A published version refuses the editor, by the form and by a post.
func TestCatalogPublishedCannotBeEdited(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	pub, _ := catalogFixture(t, env)
	nco := env.SignIn(t, "nco-admin")
	for _, p := range []string{"/controls/GV-01/edit", "/controls/new", "/consult"} {
		if status, _ := env.Get(t, nco, fmt.Sprintf("/catalogs/%d%s", pub, p)); status != http.StatusConflict {
			t.Errorf("GET %s on a published version: %d, want 409", p, status)
		}
	}
	ctl := catOwnerControl(t, env, pub, "GV-01")
	v := catControlValues(ctl)
	v.Set("title_ja", "変更してはならない")
	status, _, body := catPostForm(t, env, nco, fmt.Sprintf("/catalogs/%d/controls/GV-01", pub), v)
	if status != http.StatusConflict || !strings.Contains(body, "公開") {
		t.Errorf("POST on a published version: %d", status)
	}
	if got := catOwnerControl(t, env, pub, "GV-01"); got.Title.Ja != ctl.Title.Ja {
		t.Error("a published control changed")
	}
	// The page offers no editing either.
	if _, body := env.Get(t, nco, fmt.Sprintf("/catalogs/%d/controls/GV-01", pub)); strings.Contains(body, `id="edit-link"`) {
		t.Error("a published control offers an edit link")
	}
}

// A malformed file lists each problem with its location and stores
// nothing.
func TestCatalogImportMalformed(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	catalogFixture(t, env)
	nco := env.SignIn(t, "nco-admin")
	count := func() int {
		var n int
		if err := env.DB.Owner.QueryRow(context.Background(), `SELECT count(*) FROM catalogs`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	bad := `format: kijun-catalog/v1
code: broken
version: "1"
title: {ja: 壊れたカタログ, en: Broken}
controls:
  - ref: XX-01
    section: XX
    title: {ja: 不明な区分}
    statement: {ja: 本文, en: Text}
  - ref: GV-01
    section: GV
    title: {ja: 一つ目, en: One}
    statement: {ja: 本文, en: Text}
  - ref: GV-01
    section: GV
    title: {ja: 二つ目, en: Two}
    statement: {ja: 本文, en: Text}
    themes: [no-such-theme]
`
	status, _, body := catUpload(t, env, nco, "broken.yaml", []byte(bad))
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("malformed YAML: %d", status)
	}
	if !strings.Contains(body, `id="import-problems"`) {
		t.Error("no problem list")
	}
	for _, want := range []string{"broken.yaml", "controls[0] (XX-01) section", "controls[2] (GV-01) ref", "themes[0]", "7行目"} {
		if !strings.Contains(body, html.EscapeString(want)) {
			t.Errorf("problems lack %q", want)
		}
	}
	if n := strings.Count(body, `class="problem problem--error"`); n < 3 {
		t.Errorf("%d problems listed, want every one (at least 3)", n)
	}
	status, _, body = catUpload(t, env, nco, "bad.json", []byte("{\n  \"catalog\": {\n    \"uuid\": ,\n  }\n}"))
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "JSON") || !strings.Contains(body, "3行目") {
		t.Errorf("bad JSON: %d\n%.2000s", status, body)
	}
	status, _, body = catUpload(t, env, nco, "sheet.xlsx", []byte("PK\x03\x04\x00\x00\xff\xfe binary"))
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "UTF-8 のテキストではありません") {
		t.Errorf("binary file: %d", status)
	}
	if status, _, body := catUpload(t, env, nco, "again.yaml", baseline.DraftYAML); status != http.StatusUnprocessableEntity || !strings.Contains(body, "既に") && !strings.Contains(body, "草案") {
		t.Errorf("a version that exists: %d\n%.2000s", status, body)
	}
	if count() != before {
		t.Errorf("a refused import stored a catalog: %d → %d", before, count())
	}
}

// Publishing a draft supersedes the published version, is audited, and
// shows the new version to everyone; a new version can then be started.
func TestCatalogPublishSupersedes(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	pub, draft := catalogFixture(t, env)
	nco := env.SignIn(t, "nco-admin")
	// A second draft of the same code is refused, with the form kept.
	status, _, body := catPostForm(t, env, nco, fmt.Sprintf("/catalogs/%d/new-version", pub), url.Values{"version": {"2027.1"}})
	if status != http.StatusConflict || !strings.Contains(body, `value="2027.1"`) || !strings.Contains(body, `id="new-version-error"`) {
		t.Errorf("second draft: %d", status)
	}
	status, body = env.Get(t, nco, fmt.Sprintf("/catalogs/%d/consult", draft))
	if status != 200 || !strings.Contains(body, `id="publish-form"`) || !strings.Contains(body, "2026.1-draft") {
		t.Fatalf("confirmation: %d", status)
	}
	status, loc, _ := catPostForm(t, env, nco, fmt.Sprintf("/catalogs/%d/consult", draft), nil)
	if status != http.StatusSeeOther || loc != fmt.Sprintf("/catalogs/%d/governance?done=consultation", draft) {
		t.Fatalf("consult: %d %q", status, loc)
	}
	if a, b := catOwnerCatalog(t, env, pub).Status, catOwnerCatalog(t, env, draft).Status; a != catalog.Published || b != catalog.Consultation {
		t.Errorf("under consultation: old %s, new %s", a, b)
	}
	today := time.Now().In(kijun.JST).Format("2006-01-02")
	status, loc, _ = catPostForm(t, env, nco, fmt.Sprintf("/catalogs/%d/decide", draft), url.Values{"decided_by": {"推進専門家会議"},
		"reference": {"第40回 決定第1号"}, "decided_on": {today}, "effective_on": {today}})
	if status != http.StatusSeeOther || loc != fmt.Sprintf("/catalogs/%d/governance?done=in_force", draft) {
		t.Fatalf("decide: %d %q", status, loc)
	}
	if a, b := catOwnerCatalog(t, env, pub).Status, catOwnerCatalog(t, env, draft).Status; a != catalog.Superseded || b != catalog.Published {
		t.Errorf("after the decision: old %s, new %s", a, b)
	}
	var n int
	env.DB.Owner.QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE action = 'catalog.publish' AND object_id = $1`, strconv.FormatInt(draft, 10)).Scan(&n)
	if n != 1 {
		t.Errorf("%d publish audit events", n)
	}
	if status, _, _ := catPostForm(t, env, nco, fmt.Sprintf("/catalogs/%d/consult", draft), nil); status != http.StatusConflict {
		t.Errorf("consulting twice: %d", status)
	}
	ministry := env.SignIn(t, "meti-staff")
	_, body = env.Get(t, ministry, "/catalogs")
	if !strings.Contains(body, "2026.2-draft") || !strings.Contains(body, "改版済み") {
		t.Error("the ministry does not see the new version and the superseded one")
	}
	status, loc, _ = catPostForm(t, env, nco, fmt.Sprintf("/catalogs/%d/new-version", draft), url.Values{"version": {"2027.1"}})
	if status != http.StatusSeeOther || !strings.Contains(loc, "done=created") {
		t.Errorf("new version: %d %q", status, loc)
	}
}

// A Japanese-first draft: a control saved without English; the publish
// page lists it (linked to its editor) instead of the publish button, and
// a publish posted anyway is refused with a message naming it.
func TestCatalogJapaneseFirstDraft(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	_, draft := catalogFixture(t, env)
	nco := env.SignIn(t, "nco-admin")
	ctl := catOwnerControl(t, env, draft, "ID-01")
	v := catControlValues(ctl)
	v.Set("title_ja", "日本語だけの名称")
	v.Set("title_en", "")
	v.Set("statement_en", "")
	status, _, body := catPostForm(t, env, nco, fmt.Sprintf("/catalogs/%d/controls/ID-01", draft), v)
	if status != http.StatusSeeOther {
		t.Fatalf("a Japanese-only edit of a draft: %d\n%.2000s", status, body)
	}
	if got := catOwnerControl(t, env, draft, "ID-01"); got.Title.Ja != "日本語だけの名称" || got.Title.En != "" {
		t.Errorf("saved %+v", got.Title)
	}
	status, page := env.Get(t, nco, fmt.Sprintf("/catalogs/%d/consult", draft))
	if status != http.StatusOK || !strings.Contains(page, `id="publish-needs-english"`) ||
		!strings.Contains(page, fmt.Sprintf(`href="/catalogs/%d/controls/ID-01/edit"`, draft)) || strings.Contains(page, `id="publish-form"`) {
		t.Errorf("publish page %d does not list ID-01 as lacking English, or offers to publish:\n%.3000s", status, page)
	}
	status, _, body = catPostForm(t, env, nco, fmt.Sprintf("/catalogs/%d/consult", draft), url.Values{})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "英語の文言がない対策項目が1件あるため公開できません") || !strings.Contains(body, "ID-01") {
		t.Errorf("publish without English: %d\n%.3000s", status, body)
	}
}
