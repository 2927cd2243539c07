//go:build dev

package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/xuri/excelize/v2"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// Demo operators by corporate number.
const (
	xlToto      = "2010401000001"
	xlKitahama  = "1010401000002"
	xlKakehashi = "4010001000003"
)

func init() {
	matrixCaseSets = append(matrixCaseSets, func(fx *tenantFixture) map[string]routeCase {
		// A small catalog of its own (the catalog cases publish the
		// shipped baseline themselves) and a cycle in a year no other
		// area opens.
		cat := xlSmallCatalog(fx.t, fx.env, "excel-matrix")
		asms := xlOpenCycle(fx.t, fx.env, cat, 2041)
		toto, kita, kake := asms[fx.ids[xlToto]], asms[fx.ids[xlKitahama]], asms[fx.ids[xlKakehashi]]
		pairs := map[string][2]int64{
			"meti-admin": {toto, kake}, "meti-staff": {toto, kake}, "fsa-staff": {kake, toto},
			"toto-admin": {toto, kita}, "toto-staff": {toto, kita}, "toto-reviewer": {toto, kita},
		}
		operators := []string{"toto-admin", "toto-staff", "toto-reviewer"}
		return map[string]routeCase{
			"GET /assessments/{id}/export.xlsx":     {byID("/assessments/", pairs, "/export.xlsx"), allow("GET", 200, withGrant, ncos)},
			"GET /assessments/{id}/import":          {byID("/assessments/", pairs, "/import"), allow("GET", 200, operators, nil)},
			"POST /assessments/{id}/import":         {byID("/assessments/", pairs, "/import"), allow("POST", 422, operators, nil)},         // no file
			"POST /assessments/{id}/import/confirm": {byID("/assessments/", pairs, "/import/confirm"), allow("POST", 409, operators, nil)}, // no preview
		}
	})
}

// xlSmallCatalog imports and publishes a five-control catalog under code.
func xlSmallCatalog(t testing.TB, env *servertest.Env, code string) int64 {
	t.Helper()
	ctx := context.Background()
	ctl := func(ref, section string, themes, csf []string) catalog.Control {
		return catalog.Control{Ref: ref, Section: section, Themes: themes, CSF: csf,
			Title: kijun.Text{Ja: ref + " の表題", En: ref + " title"}, Statement: kijun.Text{Ja: ref + " の要求事項", En: ref + " statement"}}
	}
	c := &catalog.Catalog{Code: code, Version: "1", Title: kijun.Text{Ja: "試験用カタログ", En: "Test catalog"},
		Controls: []catalog.Control{
			ctl("GV-01", "GV", []string{"resilience"}, []string{"GV.OC"}),
			ctl("GV-02", "GV", []string{"supply-chain"}, []string{"GV.SC"}),
			ctl("PR-01", "PR", []string{"resilience"}, []string{"PR.DS"}),
			ctl("PR-02", "PR", nil, []string{"PR.AA"}),
			ctl("DE-01", "DE", nil, []string{"DE.CM"}),
		}}
	var id int64
	err := pgx.BeginFunc(ctx, env.DB.Owner, func(tx pgx.Tx) (err error) {
		if id, _, err = postgres.ImportCatalog(ctx, tx, c, audit.Event{}); err != nil {
			return err
		}
		return postgres.Publish(ctx, tx, id, audit.Event{})
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// xlOpenCycle opens fiscal year fy on catalog as an NCO admin and returns
// the assessments by operator id.
func xlOpenCycle(t testing.TB, env *servertest.Env, catalog int64, fy int) map[int64]int64 {
	t.Helper()
	ctx := context.Background()
	nco := catNCOPrincipal(t, env)
	var cy assessment.Cycle
	err := postgres.InTx(ctx, env.DB.App, nco, func(tx pgx.Tx) (err error) {
		cy, _, err = postgres.OpenCycle(ctx, tx, nco, postgres.CycleInput{FiscalYear: kijun.FiscalYear(fy), CatalogID: catalog,
			OpensOn: env.OpensOn(t, fy), DueOn: time.Date(fy+1, 1, 31, 0, 0, 0, 0, time.UTC)}, nil, "test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]int64{}
	rows, _ := env.DB.Owner.Query(ctx, `SELECT operator_id, id FROM assessments WHERE cycle_id = $1`, cy.ID)
	for rows.Next() {
		var op, id int64
		if err := rows.Scan(&op, &id); err != nil {
			t.Fatal(err)
		}
		out[op] = id
	}
	rows.Close()
	if rows.Err() != nil || len(out) == 0 {
		t.Fatalf("no assessments: %v", rows.Err())
	}
	return out
}

// xlWorld is a test server with the published baseline, an open FY2027
// cycle and toto's assessment.
type xlWorld struct {
	env       *servertest.Env
	toto      int64 // operator id
	asm       int64 // toto's assessment
	kitaAsm   int64 // kitahama's assessment
	colleague *identity.Principal
}

func newXLWorld(t *testing.T) *xlWorld {
	t.Helper()
	env := servertest.New(t)
	published, _ := catalogFixture(t, env)
	ctx := context.Background()
	ops := map[string]int64{}
	for _, corp := range []string{xlToto, xlKitahama} {
		var id int64
		if err := env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = $1`, corp).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ops[corp] = id
	}
	asms := xlOpenCycle(t, env, published, 2027)
	w := &xlWorld{env: env, toto: ops[xlToto], asm: asms[ops[xlToto]], kitaAsm: asms[ops[xlKitahama]]}
	// A colleague at toto who answers in the portal meanwhile.
	var uid int64
	if err := env.DB.Owner.QueryRow(ctx, `INSERT INTO users (display_name) VALUES ('東都 同僚') RETURNING id`).Scan(&uid); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Owner.Exec(ctx, `INSERT INTO role_grants (user_id, role, operator_id, sector_code, source)
		VALUES ($1, 'operator_staff', $2, 'electricity', 'directory')`, uid, w.toto); err != nil {
		t.Fatal(err)
	}
	oversight, err := postgres.Oversight(ctx, env.DB.Owner)
	if err != nil {
		t.Fatal(err)
	}
	w.colleague = identity.NewPrincipal(uid, "東都 同僚", "", []identity.Grant{{UserID: uid, Role: identity.RoleOperatorStaff,
		OperatorID: w.toto, SectorCode: "electricity"}}, oversight)
	return w
}

// saveInPortal saves an answer as the colleague, at its current version.
func (w *xlWorld) saveInPortal(t *testing.T, a assessment.Answer) assessment.Answer {
	t.Helper()
	ctx := context.Background()
	var out assessment.Answer
	err := postgres.InTx(ctx, w.env.DB.App, w.colleague, func(tx pgx.Tx) error {
		cur, err := postgres.GetAnswer(ctx, tx, w.asm, a.Ref)
		if err != nil {
			return err
		}
		a.AssessmentID = w.asm
		out, err = postgres.SaveAnswer(ctx, tx, w.colleague, a, cur.Version, "test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// answer reads an answer as the owner.
func (w *xlWorld) answer(t *testing.T, ref string) assessment.Answer {
	t.Helper()
	a, err := postgres.GetAnswer(context.Background(), w.env.DB.Owner, w.asm, ref)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (w *xlWorld) answerCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := w.env.DB.Owner.QueryRow(context.Background(), `SELECT count(*) FROM answers WHERE assessment_id = $1`, w.asm).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func xlSignIn(t *testing.T, env *servertest.Env, role string, lang kijun.Lang) *http.Client {
	t.Helper()
	c := env.SignIn(t, role)
	u, _ := url.Parse(env.HTTP.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: "kijun_lang", Value: string(lang), Path: "/"}})
	return c
}

// xlDownload fetches the workbook.
func xlDownload(t *testing.T, env *servertest.Env, c *http.Client, id int64) []byte {
	t.Helper()
	resp, err := c.Get(fmt.Sprintf("%s/assessments/%d/export.xlsx", env.HTTP.URL, id))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("export: %d %s %.300s", resp.StatusCode, resp.Header.Get("Content-Type"), data)
	}
	return data
}

// xlEdit sets cells of the workbook's first sheet (row 1 is the header;
// rows follow the assessment's control order) and returns the file.
func xlEdit(t *testing.T, data []byte, cells map[string]any) []byte {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	sheet := x.GetSheetName(0)
	for c, v := range cells {
		if err := x.SetCellValue(sheet, c, v); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// xlRowOf returns the sheet row of ref in a downloaded workbook.
func xlRowOf(t *testing.T, data []byte, ref string) int {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows(x.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if len(r) > 0 && r[0] == ref {
			return i + 1
		}
	}
	t.Fatalf("%s not in the workbook", ref)
	return 0
}

func xlUpload(t *testing.T, env *servertest.Env, c *http.Client, id int64, name string, data []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	resp, err := c.Post(fmt.Sprintf("%s/assessments/%d/import", env.HTTP.URL, id), mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var xlTokenRE = regexp.MustCompile(`name="token" value="([0-9a-f]+)"`)

func xlConfirm(t *testing.T, env *servertest.Env, c *http.Client, id int64, preview string, extra url.Values) *http.Response {
	t.Helper()
	m := xlTokenRE.FindStringSubmatch(preview)
	if m == nil {
		t.Fatalf("no confirm token in the preview: %.2000s", preview)
	}
	form := url.Values{"token": {m[1]}}
	for k, v := range extra {
		form[k] = v
	}
	resp, err := c.PostForm(fmt.Sprintf("%s/assessments/%d/import/confirm", env.HTTP.URL, id), form)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func readBody(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// Download → edit cells → upload → the preview lists the changes →
// confirm → the answers are saved; a Japanese workbook.
func TestAssessmentExcelRoundTrip(t *testing.T) {
	t.Parallel()
	w := newXLWorld(t)
	env := w.env
	c := xlSignIn(t, env, "toto-staff", kijun.Ja)
	data := xlDownload(t, env, c, w.asm)

	// The workbook: Japanese headers, one row per control, metadata.
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows("回答")
	var total int
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT count(*) FROM assessment_controls WHERE assessment_id = $1`, w.asm).Scan(&total); err != nil {
		t.Fatal(err)
	}
	if len(rows) != total+1 || rows[0][0] != "対策項目番号" || rows[0][4] != "回答" {
		t.Fatalf("workbook has %d rows (want %d + header), header %v", len(rows), total, rows[0])
	}
	if v, _ := x.GetCellValue("kijun", "B4"); v != xlToto {
		t.Errorf("metadata corporate number %q", v)
	}
	x.Close()

	ref1, ref2 := rows[1][0], rows[2][0]
	r1, r2 := xlRowOf(t, data, ref1), xlRowOf(t, data, ref2)
	edited := xlEdit(t, data, map[string]any{
		fmt.Sprintf("E%d", r1): "実施済", fmt.Sprintf("F%d", r1): "3 反復可能", fmt.Sprintf("G%d", r1): "規程で定めています",
		fmt.Sprintf("E%d", r2): "一部実施", fmt.Sprintf("I%d", r2): "手順書を整備する", fmt.Sprintf("J%d", r2): "情報システム部",
		fmt.Sprintf("K%d", r2): time.Date(2028, 3, 31, 0, 0, 0, 0, time.UTC),
	})
	status, body := xlUpload(t, env, c, w.asm, "回答票.xlsx", edited)
	if status != http.StatusOK {
		t.Fatalf("preview: %d %.3000s", status, body)
	}
	for _, want := range []string{`id="change-` + ref1 + `-status"`, `id="change-` + ref2 + `-remediation_due"`, "2028年3月31日",
		"3 反復可能", "手順書を整備する", "まだ何も変更していません"} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	if strings.Contains(body, `id="conflicts"`) || strings.Contains(body, `id="problem-table"`) {
		t.Errorf("unexpected conflicts or problems in the preview")
	}
	if n := w.answerCount(t); n != 0 {
		t.Fatalf("the preview saved %d answers", n)
	}

	resp := xlConfirm(t, env, c, w.asm, body, nil)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != fmt.Sprintf("/assessments/%d?imported=2", w.asm) {
		t.Fatalf("confirm: %d %q %.2000s", resp.StatusCode, loc, readBody(resp))
	}
	resp.Body.Close()
	a1, a2 := w.answer(t, ref1), w.answer(t, ref2)
	if a1.Status != assessment.AnswerImplemented || a1.Maturity != 3 || a1.How != "規程で定めています" || a1.Version != 1 {
		t.Errorf("%s saved as %+v", ref1, a1)
	}
	if a2.Status != assessment.AnswerPartial || a2.Remediation.Action != "手順書を整備する" || a2.Remediation.Owner != "情報システム部" ||
		a2.Remediation.Due == nil || a2.Remediation.Due.Format(time.DateOnly) != "2028-03-31" {
		t.Errorf("%s saved as %+v", ref2, a2)
	}
	if n := w.answerCount(t); n != 2 {
		t.Errorf("%d answers saved, want 2", n)
	}
	// Audited by the store, on toto's chain.
	var audited int
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE action = 'assessment.answer.save' AND operator_id = $1`,
		w.toto).Scan(&audited); err != nil {
		t.Fatal(err)
	}
	if audited != 2 {
		t.Errorf("%d audit events, want 2", audited)
	}
	// The same preview cannot be confirmed twice.
	resp = xlConfirm(t, env, c, w.asm, body, nil)
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("second confirm: %d", resp.StatusCode)
	}
	resp.Body.Close()
	// Uploading the same file again changes nothing more: the rows now
	// differ from the download, but the portal says the same.
	status, body = xlUpload(t, env, c, w.asm, "again.xlsx", edited)
	if status != http.StatusOK || !strings.Contains(body, `id="nothing-to-import"`) {
		t.Errorf("re-upload: %d, nothing to import missing", status)
	}
}

// A file with bad cells and an answer changed in the portal after the
// download: every bad cell is reported with its reason, the conflict is
// shown side by side, nothing is applied until confirmed; the conflict
// keeps the portal's answer unless the user takes the file's.
func TestAssessmentExcelProblemsAndConflicts(t *testing.T) {
	t.Parallel()
	w := newXLWorld(t)
	env := w.env
	c := xlSignIn(t, env, "toto-admin", kijun.En)
	data := xlDownload(t, env, c, w.asm)
	x, _ := excelize.OpenReader(bytes.NewReader(data))
	rows, _ := x.GetRows("Answers")
	x.Close()
	if rows[0][0] != "Ref" || rows[0][4] != "Status" {
		t.Fatalf("English header %v", rows[0])
	}
	refs := []string{rows[1][0], rows[2][0], rows[3][0], rows[4][0], rows[5][0], rows[6][0]}
	row := func(i int) int { return i + 2 }
	edited := xlEdit(t, data, map[string]any{
		fmt.Sprintf("E%d", row(0)): "Implemented",                                      // fine: a change
		fmt.Sprintf("E%d", row(1)): "Mostly", fmt.Sprintf("K%d", row(1)): "31/31/2028", // bad status, bad date
		fmt.Sprintf("F%d", row(2)): "7",                                                                  // maturity out of range
		fmt.Sprintf("E%d", row(3)): "該当なし",                                                               // N/A without a reason: a warning, saved; Japanese label in an English file
		fmt.Sprintf("E%d", row(4)): "Partially implemented", fmt.Sprintf("G%d", row(4)): "from the file", // conflicts below
		fmt.Sprintf("E%d", row(5)): "Not implemented", // conflicts below; the user takes the file's
	})
	// Meanwhile, in the portal.
	w.saveInPortal(t, assessment.Answer{Ref: refs[4], Status: assessment.AnswerImplemented, How: "from the portal"})
	w.saveInPortal(t, assessment.Answer{Ref: refs[5], Status: assessment.AnswerImplemented, How: "portal again"})
	// And a row the user did not edit, changed in the portal: no conflict.
	untouched := refs[len(refs)-1]
	if len(rows) > 8 {
		untouched = rows[8][0]
		w.saveInPortal(t, assessment.Answer{Ref: untouched, Status: assessment.AnswerImplemented})
	}

	status, body := xlUpload(t, env, c, w.asm, "answers.xlsx", edited)
	if status != http.StatusOK {
		t.Fatalf("preview: %d %.3000s", status, body)
	}
	for _, want := range []string{
		`Status &#34;Mostly&#34; cannot be used`, `The date &#34;31/31/2028&#34; cannot be read`,
		`Maturity &#34;7&#34; cannot be used`, `The N/A reason is empty`,
		`id="conflict-` + refs[4] + `"`, `id="conflict-` + refs[5] + `"`, "from the portal", "from the file", "東都 同僚",
		`id="change-` + refs[0] + `-status"`, `id="change-` + refs[3] + `-status"`, "Nothing has changed yet",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	for _, unwanted := range []string{`id="change-` + refs[1], `id="change-` + refs[2], `id="conflict-` + untouched + `"`} {
		if untouched == refs[5] && strings.Contains(unwanted, untouched) {
			continue
		}
		if strings.Contains(body, unwanted) {
			t.Errorf("preview has %q", unwanted)
		}
	}
	// Keep the portal's by default.
	if !regexp.MustCompile(`value="portal" id="keep-` + regexp.QuoteMeta(refs[4]) + `" checked`).MatchString(body) {
		t.Errorf("conflict %s does not keep the portal's answer by default", refs[4])
	}
	// Nothing applied yet.
	if a := w.answer(t, refs[0]); a.Version != 0 {
		t.Fatalf("preview saved %s: %+v", refs[0], a)
	}

	// Another change in the portal after the preview: confirming applies
	// nothing and shows the preview again with the new conflict.
	w.saveInPortal(t, assessment.Answer{Ref: refs[0], Status: assessment.AnswerNotImplemented, How: "changed after the preview"})
	resp := xlConfirm(t, env, c, w.asm, body, url.Values{"choice-" + refs[5]: {"file"}})
	again := readBody(resp)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(again, `id="preview-moved"`) ||
		!strings.Contains(again, `id="conflict-`+refs[0]+`"`) {
		t.Fatalf("confirm after a change: %d %.3000s", resp.StatusCode, again)
	}
	if a := w.answer(t, refs[3]); a.Version != 0 {
		t.Fatalf("a moved confirm saved %s: %+v", refs[3], a)
	}
	// The choice for the conflict that did not move is kept.
	if !regexp.MustCompile(`value="file" id="take-` + regexp.QuoteMeta(refs[5]) + `" checked`).MatchString(again) {
		t.Errorf("the choice for %s was lost", refs[5])
	}

	resp = xlConfirm(t, env, c, w.asm, again, url.Values{"choice-" + refs[5]: {"file"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d %.3000s", resp.StatusCode, readBody(resp))
	}
	resp.Body.Close()
	if a := w.answer(t, refs[0]); a.How != "changed after the preview" {
		t.Errorf("%s: the portal's answer was overwritten: %+v", refs[0], a)
	}
	if a := w.answer(t, refs[1]); a.Version != 0 {
		t.Errorf("%s with bad cells was saved: %+v", refs[1], a)
	}
	if a := w.answer(t, refs[2]); a.Version != 0 {
		t.Errorf("%s with a bad maturity was saved: %+v", refs[2], a)
	}
	if a := w.answer(t, refs[3]); a.Status != assessment.AnswerNotApplicable || a.NAReason != "" {
		t.Errorf("%s (N/A, warning only) not saved: %+v", refs[3], a)
	}
	if a := w.answer(t, refs[4]); a.How != "from the portal" || a.Status != assessment.AnswerImplemented {
		t.Errorf("%s: the portal's answer was not kept: %+v", refs[4], a)
	}
	if a := w.answer(t, refs[5]); a.Status != assessment.AnswerNotImplemented {
		t.Errorf("%s: the file's answer was not taken: %+v", refs[5], a)
	}
}

// An English workbook imports too, and Japanese labels in it are
// accepted; a Japanese user can import an English workbook.
func TestAssessmentExcelEnglishWorkbook(t *testing.T) {
	t.Parallel()
	w := newXLWorld(t)
	env := w.env
	en := xlSignIn(t, env, "toto-staff", kijun.En)
	data := xlDownload(t, env, en, w.asm)
	edited := xlEdit(t, data, map[string]any{"E2": "Not applicable", "H2": "No such system", "E3": "partially implemented", "F3": "Repeatable"})
	ja := xlSignIn(t, env, "toto-admin", kijun.Ja)
	status, body := xlUpload(t, env, ja, w.asm, "en.xlsx", edited)
	if status != http.StatusOK {
		t.Fatalf("preview: %d %.3000s", status, body)
	}
	resp := xlConfirm(t, env, ja, w.asm, body, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d %.2000s", resp.StatusCode, readBody(resp))
	}
	resp.Body.Close()
	var n int
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT count(*) FROM answers WHERE assessment_id = $1
		AND status IN ('not_applicable', 'partial')`, w.asm).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d answers saved (%v), want 2", n, err)
	}
	var maturity int
	_ = env.DB.Owner.QueryRow(context.Background(), `SELECT maturity FROM answers WHERE assessment_id = $1 AND status = 'partial'`, w.asm).Scan(&maturity)
	if maturity != 3 {
		t.Errorf("maturity %d, want 3", maturity)
	}
}

// A file for another operator (or another assessment) is refused as a
// whole; another tenant's operator gets 404 on export and import.
func TestAssessmentExcelOtherTenant(t *testing.T) {
	t.Parallel()
	w := newXLWorld(t)
	env := w.env
	toto := xlSignIn(t, env, "toto-staff", kijun.Ja)
	meti := xlSignIn(t, env, "meti-staff", kijun.Ja)
	// The ministry downloads kitahama's workbook; toto uploads it to its own.
	other := xlDownload(t, env, meti, w.kitaAsm)
	status, body := xlUpload(t, env, toto, w.asm, "kitahama.xlsx", xlEdit(t, other, map[string]any{"E2": "実施済"}))
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "別の事業者(法人番号 "+xlKitahama+")") {
		t.Errorf("another operator's file: %d %.2000s", status, body)
	}
	// A CSV is not a workbook.
	status, body = xlUpload(t, env, toto, w.asm, "a.csv", []byte("管理策番号,回答\nGV-01,実施済\n"))
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "自己評価の回答票ではありません") {
		t.Errorf("CSV: %d %.2000s", status, body)
	}
	if n := w.answerCount(t); n != 0 {
		t.Errorf("%d answers saved", n)
	}
	// The ministry may download but not import.
	if status, _ := env.Get(t, meti, fmt.Sprintf("/assessments/%d/import", w.asm)); status != http.StatusNotFound {
		t.Errorf("ministry import form: %d", status)
	}
	// toto on kitahama's assessment: not found everywhere.
	for _, path := range []string{"/export.xlsx", "/import"} {
		if status, _ := env.Get(t, toto, fmt.Sprintf("/assessments/%d%s", w.kitaAsm, path)); status != http.StatusNotFound {
			t.Errorf("GET %s of another operator: %d", path, status)
		}
	}
	own := xlDownload(t, env, toto, w.asm)
	if status, _ := xlUpload(t, env, toto, w.kitaAsm, "own.xlsx", own); status != http.StatusNotFound {
		t.Errorf("upload to another operator's assessment: %d", status)
	}
}
