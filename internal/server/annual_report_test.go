//go:build dev

package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// pdfText extracts a PDF's text with pdftotext (Debian's poppler-utils;
// make test installs it) and counts its pages.
func pdfText(t *testing.T, pdf string) (string, int) {
	t.Helper()
	if !strings.HasPrefix(pdf, "%PDF-") {
		t.Fatalf("not a PDF: %.200q", pdf)
	}
	for _, tool := range []string{"pdftotext", "pdfinfo"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: apt-get install poppler-utils", tool)
		}
	}
	p := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(p, []byte(pdf), 0o600); err != nil {
		t.Fatal(err)
	}
	text, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", p, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	info, err := exec.Command("pdfinfo", p).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(info)
	if m == nil {
		t.Fatalf("pdfinfo: no page count in %s", info)
	}
	n, _ := strconv.Atoi(string(m[1]))
	if !regexp.MustCompile(`(?m)^Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)`).Match(info) {
		t.Errorf("not A4:\n%s", info)
	}
	return string(text), n
}

func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

// getPDF downloads path twice and fails unless both are the same bytes.
func getPDF(t *testing.T, env *servertest.Env, c *http.Client, path string) string {
	t.Helper()
	status, a := env.Get(t, c, path)
	mustStatus(t, path, status, 200, a)
	_, b := env.Get(t, c, path)
	if a != b {
		t.Fatalf("%s: two downloads differ (%d and %d bytes)", path, len(a), len(b))
	}
	return a
}

// TestAnnualReportDocuments: the FY2026 report of the dashboards' fixture
// with METI's published electricity evaluation, as a page, a PDF (A4,
// contents with the right pages, page numbers, the same bytes each time)
// and XLSX; the opinion recorded, then final, then unchangeable; the
// analyst reads but decides nothing, a ministry not even reads.
func TestAnnualReportDocuments(t *testing.T) {
	t.Parallel()
	fx := newDashFixture(t)
	env := fx.env
	nco, analyst, meti := env.SignIn(t, "nco-admin"), env.SignIn(t, "nco-analyst"), env.SignIn(t, "meti-staff")
	status, loc, body := postForm(t, env, nco, "/evaluations", url.Values{"target": {"METI/electricity"}, "fiscal_year": {"2026"},
		"findings": {"提出率が高い。"}, "good_practices": {"経営層が四半期ごとに進捗を確認している。"},
		"improvement_requests": {"未提出の事業者への督促を強めてください。"}, "rating": {"B"}})
	mustStatus(t, "create evaluation", status, 303, body)
	mustStatus(t, "publish", first(postForm(t, env, nco, loc+"/publish", nil)), 303, "")

	status, page := env.Get(t, nco, "/evaluations/report?fy=2026")
	mustStatus(t, "report page", status, 200, page)
	mustContain(t, "page", page, "令和8年度 (FY2026) 重要インフラの情報セキュリティ対策に関する年次報告書", "作成中", "目次",
		"2.1 分野別", "経営層が四半期ごとに進捗を確認している。", "未提出の事業者への督促を強めてください。",
		"推進専門家会議の意見はまだ記録されていません。", `id="opinion-form"`, `<caption>分野別の提出率と受理率</caption>`)
	if status, _ := env.Get(t, meti, "/evaluations/report?fy=2026"); status != 404 {
		t.Errorf("a ministry reads the annual report: %d", status)
	}
	if _, page := env.Get(t, analyst, "/evaluations/report?fy=2026"); strings.Contains(page, `id="opinion-form"`) {
		t.Error("the analyst is offered the opinion form")
	}

	pdf := getPDF(t, env, nco, "/evaluations/report.pdf?fy=2026")
	text, pages := pdfText(t, pdf)
	// The title and contents, then one page at least per section 1–9.
	if pages < 10 || strings.Count(text, "\f") != pages {
		t.Fatalf("%d pages (%d form feeds), want at least 10", pages, strings.Count(text, "\f"))
	}
	mustContain(t, "PDF", text, "年次報告書", "目次", "1. 概要", "2.1 分野別", "2.2 所管省庁別", "3.2 推移(同じ分野どうしの比較)",
		"4. 実施計画のKPIの達成状況", "5. 未評価の分野・実施計画", "電力", "経営層が四半期ごとに進捗を確認している。",
		"9. 推進専門家会議の意見", "作成中", "評価の分布")
	// Every page is numbered n / pages, and the contents send section 9
	// (the last, short) to the last page.
	for n := 1; n <= pages; n++ {
		if !regexp.MustCompile(fmt.Sprintf(`\b%d\s*/\s*%d\b`, n, pages)).MatchString(text) {
			t.Errorf("no page number %d / %d", n, pages)
		}
	}
	pageOf := func(heading string) string {
		m := regexp.MustCompile(regexp.QuoteMeta(heading) + `[ .]*\s(\d+)\n`).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("contents lack %q", heading)
		}
		return m[1]
	}
	if got := pageOf("9. 推進専門家会議の意見"); got != strconv.Itoa(pages) {
		t.Errorf("contents put section 9 on page %s of %d", got, pages)
	}
	if got := pageOf("1. 概要"); got != "2" {
		t.Errorf("contents put section 1 on page %s, want 2", got)
	}
	pagesText := strings.Split(text, "\f")
	if !strings.Contains(pagesText[pages-1], "9. 推進専門家会議の意見") {
		t.Errorf("the last page is not section 9:\n%s", pagesText[pages-1])
	}

	// English too.
	_, en := env.Get(t, nco, "/evaluations/report.pdf?fy=2026", "Cookie", "kijun_lang=en")
	if en == pdf {
		t.Error("the English PDF is the Japanese one")
	}

	// XLSX: the evaluations, then a sheet per table.
	status, xb := env.Get(t, nco, "/evaluations/report.xlsx?fy=2026")
	mustStatus(t, "XLSX", status, 200, "")
	x, err := excelize.OpenReader(strings.NewReader(xb))
	if err != nil {
		t.Fatal(err)
	}
	sheets := x.GetSheetList()
	if len(sheets) < 8 {
		t.Errorf("sheets %v", sheets)
	}
	rows, _ := x.GetRows(sheets[0])
	if len(rows) != 2 || rows[1][3] != "B" {
		t.Errorf("evaluation rows %v", rows)
	}
	rows, _ = x.GetRows(sheets[2]) // 2 分野別の提出率と受理率
	if len(rows) < 2 || rows[0][0] != "分野" || rows[len(rows)-1][0] != "全体" {
		t.Errorf("sheet %s: %v", sheets[2], rows)
	}

	// The steps: a bad opinion comes back with its errors; the analyst
	// cannot record one; recorded, then final.
	status, _, body = postForm(t, env, nco, "/evaluations/report/opinion?fy=2026", url.Values{"edits": {"0"}, "meeting": {""},
		"meeting_on": {"20270520"}, "opinion": {"概ね妥当"}})
	mustStatus(t, "bad opinion", status, 422, body)
	mustContain(t, "refused opinion", body, "会議の名称を入力してください。", "開催日を YYYY-MM-DD の形式で入力してください。", "概ね妥当")
	if status := first(postForm(t, env, analyst, "/evaluations/report/opinion?fy=2026", url.Values{"edits": {"0"}})); status != 404 {
		t.Errorf("the analyst records an opinion: %d", status)
	}
	status, _, body = postForm(t, env, nco, "/evaluations/report/final?fy=2026", url.Values{"edits": {"0"}})
	mustStatus(t, "final without opinion", status, 422, body)
	mustContain(t, "refused final", body, "推進専門家会議の意見を記録してから確定してください。")
	status, _, body = postForm(t, env, nco, "/evaluations/report/opinion?fy=2026", url.Values{"edits": {"0"},
		"meeting": {"第1回推進専門家会議"}, "meeting_on": {"2027-05-20"}, "opinion": {"概ね妥当である。提出率の向上を評価する。"}})
	mustStatus(t, "opinion", status, 303, body)
	mustStatus(t, "final", first(postForm(t, env, nco, "/evaluations/report/final?fy=2026", url.Values{"edits": {"1"}})), 303, "")

	final := getPDF(t, env, nco, "/evaluations/report.pdf?fy=2026")
	text, _ = pdfText(t, final)
	mustContain(t, "final PDF", text, "確定", "第1回推進専門家会議", "概ね妥当である。提出率の向上を評価する。", "SHA-256: ")
	if bytes.Equal([]byte(final), []byte(pdf)) {
		t.Error("the final PDF is the draft's")
	}
	status, _, body = postForm(t, env, nco, "/evaluations/report/opinion?fy=2026", url.Values{"edits": {"2"},
		"meeting": {"第2回"}, "meeting_on": {"2027-06-01"}, "opinion": {"変更"}})
	mustStatus(t, "opinion on a final report", status, 409, body)
	mustContain(t, "refused change", body, "確定した年次報告書は変更できません。")
}

// TestSubmissionReceiptPDF: an operator's 提出控え of its accepted
// assessment carries the SHA-256 of its content on the title page and
// every footer, and comes out the same each time; nothing submitted, no
// receipt; another operator's is not found.
func TestSubmissionReceiptPDF(t *testing.T) {
	t.Parallel()
	fx := newDashFixture(t)
	env := fx.env
	toto := env.SignIn(t, "toto-admin")
	if _, page := env.Get(t, toto, fmt.Sprintf("/assessments/%d", fx.asm["toto"])); !strings.Contains(page, `id="receipt-pdf"`) {
		t.Error("the accepted assessment's page has no link to its submission copy")
	}
	pdf := getPDF(t, env, toto, fmt.Sprintf("/exports/assessments/%d/receipt.pdf", fx.asm["toto"]))
	text, pages := pdfText(t, pdf)
	mustContain(t, "receipt", text, "自己評価 提出控え", "受理済み", "提出日時", "1. 区分別の状況", "2. 回答", "GV-01", "実施済")
	m := regexp.MustCompile(`SHA-256: ([0-9a-f]{64})`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no hash on the receipt:\n%s", text)
	}
	if n := strings.Count(text, "提出控え SHA-256 "+m[1][:16]); n != pages {
		t.Errorf("the hash is in %d footers of %d pages", n, pages)
	}
	// METI reads the same receipt (its sector), with the same hash.
	meti := env.SignIn(t, "meti-staff")
	metiText, _ := pdfText(t, getPDF(t, env, meti, fmt.Sprintf("/exports/assessments/%d/receipt.pdf", fx.asm["toto"])))
	if !strings.Contains(metiText, m[1]) {
		t.Error("the ministry's copy has another hash")
	}
	if status, _ := env.Get(t, toto, fmt.Sprintf("/exports/assessments/%d/receipt.pdf", fx.asm["kitahama"])); status != 404 {
		t.Errorf("toto reads kitahama's receipt: %d", status)
	}
	var notStarted int64
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT id FROM assessments WHERE cycle_id = $1
		AND status = 'not_started' LIMIT 1`, fx.cycle).Scan(&notStarted); err != nil {
		t.Fatal(err)
	}
	if status, _ := env.Get(t, env.SignIn(t, "nco-analyst"), fmt.Sprintf("/exports/assessments/%d/receipt.pdf", notStarted)); status != 409 {
		t.Errorf("receipt of an assessment not submitted: %d, want 409", status)
	}
}

// TestPlanPDF: a ministry's plan as a PDF, without its internal note;
// another ministry gets 404.
func TestPlanPDF(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	f := newPlanFix(t, env)
	id := f.plan("METI", "electricity", "accepted")
	meti, fsa := env.SignIn(t, "meti-staff"), env.SignIn(t, "fsa-staff")
	if _, page := env.Get(t, meti, fmt.Sprintf("/plans/%d", id)); !strings.Contains(page, fmt.Sprintf(`href="/plans/%d/plan.pdf?v=1"`, id)) {
		t.Error("the plan page has no link to its PDF")
	}
	text, _ := pdfText(t, getPDF(t, env, meti, fmt.Sprintf("/plans/%d/plan.pdf?v=1", id)))
	mustContain(t, "plan PDF", text, "METI electricity 実施計画", "経済産業省", "受理済み", "2. 分野別プロファイル", "GV-01", "方針の策定", "目次")
	if strings.Contains(text, "省庁内メモ") {
		t.Error("the plan PDF shows the ministry's internal note")
	}
	if status, _ := env.Get(t, fsa, fmt.Sprintf("/plans/%d/plan.pdf", id)); status != 404 {
		t.Errorf("FSA reads METI's plan PDF: %d", status)
	}
}

// Matrix cases of the annual report and the PDFs.
func init() {
	matrixCaseSets = append(matrixCaseSets, func(fx *tenantFixture) map[string]routeCase {
		admin := []string{"nco-admin"}
		ministries := []string{"meti-admin", "meti-staff", "fsa-staff"}
		viewers := append(append([]string{}, ministries...), ncos...)
		// A plan fixture of its own (its own catalog code), its years far
		// from those the plans' case set counts up from 2030 per request.
		f := &planFix{t: fx.t, env: fx.env, year: 2190}
		f.catalog = xlSmallCatalog(fx.t, fx.env, "report-matrix")
		meti, fsa := f.plan("METI", "electricity", "accepted"), f.plan("FSA", "finance", "accepted")
		plans := map[string][2]int64{"meti-admin": {meti, fsa}, "meti-staff": {meti, fsa}, "fsa-staff": {fsa, meti}}
		// Receipts: the demo operators' assessments in whichever cycle the
		// matrix opened first (read when requested, after every case set
		// is built); none is submitted, so allowed roles get 409.
		asm := func(corp string) int64 {
			return fx.q(`SELECT a.id FROM assessments a JOIN operators o ON o.id = a.operator_id
				WHERE o.corporate_number = $1 ORDER BY a.id LIMIT 1`, corp)
		}
		receipt := func(role string, own bool) string {
			toto, kita, bank := asm("2010401000001"), asm("1010401000002"), asm("4010001000003")
			pairs := map[string][2]int64{"meti-admin": {toto, bank}, "meti-staff": {toto, bank}, "fsa-staff": {bank, toto},
				"toto-admin": {toto, kita}, "toto-staff": {toto, kita}, "toto-reviewer": {toto, kita}}
			return byID("/exports/assessments/", pairs, "/receipt.pdf")(role, own)
		}
		exporters := append(append([]string{}, viewers...), "toto-admin", "toto-staff", "toto-reviewer")
		return map[string]routeCase{
			"GET /evaluations/report.pdf": {fixed("/evaluations/report.pdf?fy=2026"), allow("GET", 200, ncos, ncos)},
			// Empty forms: the opinion's fields are missing; no opinion to make final.
			"POST /evaluations/report/opinion":          {fixed("/evaluations/report/opinion?fy=2026"), allow("POST", 422, admin, admin)},
			"POST /evaluations/report/final":            {fixed("/evaluations/report/final?fy=2026"), allow("POST", 422, admin, admin)},
			"GET /exports/assessments/{id}/receipt.pdf": {receipt, allow("GET", 409, exporters, ncos)},
			"GET /plans/{id}/plan.pdf":                  {byID("/plans/", plans, "/plan.pdf"), allow("GET", 200, viewers, ncos)},
		}
	})
}
