//go:build dev

package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
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
	"github.com/kijun-portal/kijun/internal/oscal/oscaltest"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/register"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// dashFixture publishes a five-control catalog, adds three electricity
// operators to the demo ones, opens FY2026 (due a month after the
// database's today, so nothing is overdue) and has everyone answer and
// submit through the assessment store (so the rollups are real):
//
//	toto (E1)   all implemented                               accepted  overall 1
//	kitahama    GV-01 i, GV-02 p, PR-01 N/A, PR-02 n, DE-01 i  submitted 0.625
//	比較C (E3)  all partial                                    accepted  0.5
//	比較D (E4)  all not implemented                            submitted 0
//	比較E (E5)  GV-01 i, GV-02 i, PR-01 i, PR-02 n, DE-01 n    submitted 0.6
//	kakehashi   (finance) all implemented                      submitted 1
//	minatodai   not started
//
// Electricity: n = 5, overall mean 0.545; GV scores 1, .75, .5, 0, 1 → mean
// 0.65, quartiles 0.5 / 0.75 / 1; closed-network (PR-01 only) has 4
// scores, so an operator's benchmark for it is suppressed.
type dashFixture struct {
	env       *servertest.Env
	cycle     int64
	asm       map[string]int64 // by operator key
	operators map[string]int64
}

var dashOtherNames = []string{"比較電力C", "比較電力D", "比較電力E"}

func dashCatalog() *catalog.Catalog {
	csf := map[string]string{"GV": "GV.OC", "PR": "PR.DS", "DE": "DE.CM"}
	ctl := func(ref, section string, themes []string) catalog.Control {
		return catalog.Control{Ref: ref, Section: section, Themes: themes, CSF: []string{csf[section]},
			Title: kijun.Text{Ja: ref + " の表題", En: ref + " title"}, Statement: kijun.Text{Ja: ref + " の要求事項", En: ref + " statement"}}
	}
	return &catalog.Catalog{Code: "dash-srv", Version: "1", Title: kijun.Text{Ja: "ダッシュボード試験", En: "Dashboard test"},
		Controls: []catalog.Control{
			ctl("GV-01", "GV", []string{"resilience"}), ctl("GV-02", "GV", []string{"supply-chain"}),
			ctl("PR-01", "PR", []string{"resilience", "closed-network"}), ctl("PR-02", "PR", nil), ctl("DE-01", "DE", nil),
		}}
}

// dashPrincipal makes a user with one grant and its principal.
func dashPrincipal(t testing.TB, env *servertest.Env, name string, g identity.Grant) *identity.Principal {
	t.Helper()
	ctx := context.Background()
	var uid int64
	if err := env.DB.Owner.QueryRow(ctx, `INSERT INTO users (display_name) VALUES ($1) RETURNING id`, name).Scan(&uid); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Owner.Exec(ctx, `INSERT INTO role_grants (user_id, role, ministry_code, operator_id, sector_code, source)
		VALUES ($1, $2, nullif($3, ''), nullif($4, 0), nullif($5, ''), 'directory')`, uid, g.Role, g.MinistryCode, g.OperatorID, g.SectorCode); err != nil {
		t.Fatal(err)
	}
	oversight, err := postgres.Oversight(ctx, env.DB.Owner)
	if err != nil {
		t.Fatal(err)
	}
	g.UserID = uid
	return identity.NewPrincipal(uid, name, "", []identity.Grant{g}, oversight)
}

// dashOpenCycle publishes the test catalog and opens fiscal year fy, due
// on due.
func dashOpenCycle(t testing.TB, env *servertest.Env, fy int, due time.Time) int64 {
	t.Helper()
	ctx := context.Background()
	var catID int64
	c := dashCatalog()
	c.Code += strconv.Itoa(fy)
	if err := pgx.BeginFunc(ctx, env.DB.Owner, func(tx pgx.Tx) (err error) {
		if catID, _, err = postgres.ImportCatalog(ctx, tx, c, audit.Event{}); err != nil {
			return err
		}
		return postgres.Publish(ctx, tx, catID, audit.Event{})
	}); err != nil {
		t.Fatal(err)
	}
	nco := dashPrincipal(t, env, "統括 サイクル", identity.Grant{Role: identity.RoleNCOAdmin})
	var cy assessment.Cycle
	if err := postgres.InTx(ctx, env.DB.App, nco, func(tx pgx.Tx) (err error) {
		cy, _, err = postgres.OpenCycle(ctx, tx, nco, postgres.CycleInput{FiscalYear: kijun.FiscalYear(fy), CatalogID: catID,
			OpensOn: env.OpensOn(t, fy), DueOn: due}, nil, "test")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return cy.ID
}

func newDashFixture(t *testing.T) *dashFixture {
	t.Helper()
	db := pgtest.New(t)
	env := servertest.NewOn(t, db, db.App)
	ctx := context.Background()
	fx := &dashFixture{env: env, asm: map[string]int64{}, operators: map[string]int64{}}
	for key, cn := range map[string]string{"toto": "2010401000001", "kitahama": "1010401000002", "kakehashi": "4010001000003"} {
		var id int64
		if err := env.DB.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = $1`, cn).Scan(&id); err != nil {
			t.Fatal(err)
		}
		fx.operators[key] = id
	}
	for i, name := range dashOtherNames {
		base := strconv.Itoa(300000000000 + i)
		d, err := register.CorporateNumberCheckDigit(base)
		if err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := env.DB.Owner.QueryRow(ctx, `INSERT INTO operators (corporate_number, name_ja, sector_code, designation, designated_since)
			VALUES ($1, $2, 'electricity', 'ci', '2026-04-01') RETURNING id`, strconv.Itoa(d)+base, name).Scan(&id); err != nil {
			t.Fatal(err)
		}
		fx.operators[name] = id
	}
	fx.cycle = dashOpenCycle(t, env, 2026, db.Today(t).AddDate(0, 1, 0))
	I, P, N, NA := assessment.AnswerImplemented, assessment.AnswerPartial, assessment.AnswerNotImplemented, assessment.AnswerNotApplicable
	refs := []string{"GV-01", "GV-02", "PR-01", "PR-02", "DE-01"}
	patterns := map[string][]assessment.AnswerStatus{
		"toto": {I, I, I, I, I}, "kitahama": {I, P, NA, N, I}, "比較電力C": {P, P, P, P, P},
		"比較電力D": {N, N, N, N, N}, "比較電力E": {I, I, I, N, N}, "kakehashi": {I, I, I, I, I},
	}
	due := time.Date(2027, 9, 30, 0, 0, 0, 0, time.UTC)
	for key, pattern := range patterns {
		sector := "electricity"
		if key == "kakehashi" {
			sector = "finance"
		}
		var asm int64
		if err := env.DB.Owner.QueryRow(ctx, `SELECT id FROM assessments WHERE cycle_id = $1 AND operator_id = $2`,
			fx.cycle, fx.operators[key]).Scan(&asm); err != nil {
			t.Fatal(err)
		}
		fx.asm[key] = asm
		p := dashPrincipal(t, env, "回答者 "+key, identity.Grant{Role: identity.RoleOperatorAdmin, OperatorID: fx.operators[key], SectorCode: sector})
		if err := postgres.InTx(ctx, env.DB.App, p, func(tx pgx.Tx) error {
			for i, st := range pattern {
				a := assessment.Answer{AssessmentID: fx.asm[key], Ref: refs[i], Status: st}
				switch st {
				case NA:
					a.NAReason = "対象外のため"
				case P, N:
					a.Remediation = assessment.Remediation{Action: "整備する " + refs[i], Owner: "情報システム部", Due: &due}
				}
				if _, err := postgres.SaveAnswer(ctx, tx, p, a, 0, "test"); err != nil {
					return err
				}
			}
			if _, err := postgres.SignOff(ctx, tx, p, fx.asm[key], assessment.SignOffConfirmed, "", "test"); err != nil {
				return err
			}
			return postgres.Submit(ctx, tx, p, fx.asm[key], "test")
		}); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
	}
	meti := dashPrincipal(t, env, "経産 審査", identity.Grant{Role: identity.RoleMinistryStaff, MinistryCode: "METI"})
	if err := postgres.InTx(ctx, env.DB.App, meti, func(tx pgx.Tx) error {
		for _, key := range []string{"toto", "比較電力C"} {
			if err := postgres.Accept(ctx, tx, meti, fx.asm[key], "", "test"); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return fx
}

func dashGet(t *testing.T, env *servertest.Env, c *http.Client, path string) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Get(env.HTTP.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// csvOf checks the BOM and returns the CSV text without it.
func csvOf(t *testing.T, env *servertest.Env, c *http.Client, path string) string {
	t.Helper()
	resp, body := dashGet(t, env, c, path)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV download: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if !bytes.HasPrefix(body, []byte("\uFEFF")) {
		t.Fatal("CSV without the UTF-8 BOM")
	}
	return string(body[3:])
}

// xlsxText returns every cell of every sheet of an XLSX download.
func xlsxText(t *testing.T, env *servertest.Env, c *http.Client, path string) string {
	t.Helper()
	resp, body := dashGet(t, env, c, path)
	if resp.StatusCode != 200 {
		t.Fatalf("XLSX download: %d %s", resp.StatusCode, body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, sh := range f.GetSheetList() {
		rows, _ := f.GetRows(sh)
		for _, r := range rows {
			b.WriteString(strings.Join(r, ",") + "\n")
		}
	}
	return b.String()
}

func TestNationalDashboardFiguresAndDownloads(t *testing.T) {
	t.Parallel()
	fx := newDashFixture(t)
	env := fx.env
	nco := env.SignIn(t, "nco-analyst")
	resp, body := dashGet(t, env, nco, "/dashboards/national")
	html := string(body)
	if resp.StatusCode != 200 {
		t.Fatalf("national dashboard: %d", resp.StatusCode)
	}
	for _, want := range []string{`id="chart-heatmap"`, `id="chart-progress"`, `id="chart-themes"`, `id="chart-trend"`, `id="chart-plans"`,
		`<table class="table dash-table" id="table-heatmap"`, "<caption", `scope="col"`} {
		if !strings.Contains(html, want) {
			t.Errorf("national dashboard lacks %s", want)
		}
	}
	cyc := strconv.FormatInt(fx.cycle, 10)
	// Hand-computed: electricity GV mean (1 + .75 + .5 + 0 + 1) / 5 = 65.0%, n = 5;
	// share implemented 5 of 10 applicable; overall 54.5%.
	csv := csvOf(t, env, nco, "/dashboards/national/download?cycle="+cyc+"&figure=heatmap&format=csv")
	for _, want := range []string{"電力,組織統治,GV,5,65.0%,50.0%", "電力,防御,PR,5,40.0%,33.3%", "金融,組織統治,GV,1,100.0%,100.0%"} {
		if !strings.Contains(csv, want+"\r\n") {
			t.Errorf("heatmap CSV lacks %q:\n%s", want, csv)
		}
	}
	// The same row is in the page's data table.
	if !strings.Contains(html, "65.0%") || !strings.Contains(html, "n=5") {
		t.Error("the page does not show the GV cell")
	}
	prog := csvOf(t, env, nco, "/dashboards/national/download?cycle="+cyc+"&figure=progress&format=csv")
	// toto and 比較C accepted; kitahama, D, E submitted; 4 demo + 3 = 5 + … electricity total 5.
	if !strings.Contains(prog, "電力,0,0,3,0,2,0,5\r\n") || !strings.Contains(prog, "政府・行政サービス,1,0,0,0,0,0,1\r\n") {
		t.Errorf("progress CSV:\n%s", prog)
	}
	trend := xlsxText(t, env, nco, "/dashboards/national/download?cycle="+cyc+"&figure=trend&format=xlsx")
	// Over electricity (5 × mean .545) and finance (1 × 1): (2.725 + 1) / 6 = 62.1%.
	if !strings.Contains(trend, "比較対象の分野全体,6,62.1%") || !strings.Contains(trend, "電力,5,54.5%") {
		t.Errorf("trend XLSX:\n%s", trend)
	}
	// Drill-down: the cell links to the sector's operators, lowest first.
	resp, body = dashGet(t, env, nco, "/dashboards/sectors/electricity?cycle="+cyc+"&kind=section&key=PR&status=counted&sort=score")
	if resp.StatusCode != 200 {
		t.Fatalf("sector page: %d", resp.StatusCode)
	}
	list := string(body)
	if i, j := strings.Index(list, "北浜発電"), strings.Index(list, "東都送配電"); i < 0 || j < 0 || i > j {
		t.Error("sector list is not lowest PR score first (北浜 0% before 東都 100%)")
	}
	if !strings.Contains(list, fmt.Sprintf(`href="/assessments/%d"`, fx.asm["toto"])) {
		t.Error("sector list does not link to the assessment")
	}
}

// Dashboards read figures kept in the transaction of every change: the
// first view after an accept counts it, on the page and in its download.
func TestDashboardShowsChangeAtOnce(t *testing.T) {
	t.Parallel()
	fx := newDashFixture(t)
	env := fx.env
	ctx := context.Background()
	cyc := strconv.FormatInt(fx.cycle, 10)
	nco := env.SignIn(t, "nco-analyst")
	progress := "/dashboards/national/download?cycle=" + cyc + "&figure=progress&format=csv"
	if csv := csvOf(t, env, nco, progress); !strings.Contains(csv, "電力,0,0,3,0,2,0,5\r\n") {
		t.Errorf("progress CSV before the change:\n%s", csv)
	}
	_, before := dashGet(t, env, nco, "/dashboards/national?cycle="+cyc)
	// METI accepts 北浜: the next view counts it.
	reviewer := dashPrincipal(t, env, "経産 審査 2", identity.Grant{Role: identity.RoleMinistryStaff, MinistryCode: "METI"})
	if err := postgres.InTx(ctx, env.DB.App, reviewer, func(tx pgx.Tx) error {
		return postgres.Accept(ctx, tx, reviewer, fx.asm["kitahama"], "", "test")
	}); err != nil {
		t.Fatal(err)
	}
	if csv := csvOf(t, env, nco, progress); !strings.Contains(csv, "電力,0,0,2,0,3,0,5\r\n") {
		t.Errorf("progress CSV after the accept:\n%s", csv)
	}
	if _, after := dashGet(t, env, nco, "/dashboards/national?cycle="+cyc); bytes.Equal(before, after) {
		t.Error("the national dashboard did not change after the accept")
	}
}

// A ministry sees only its sectors: on the page and in every download.
func TestMinistryDashboardOnlyItsSectors(t *testing.T) {
	t.Parallel()
	fx := newDashFixture(t)
	env := fx.env
	meti := env.SignIn(t, "meti-staff")
	resp, body := dashGet(t, env, meti, "/dashboards/ministry")
	if resp.StatusCode != 200 {
		t.Fatalf("ministry dashboard: %d", resp.StatusCode)
	}
	foreign := []string{"金融", "かけはし", "政府・行政", "みなと台", "finance", "government"}
	check := func(what, text string) {
		t.Helper()
		for _, f := range foreign {
			if strings.Contains(text, f) {
				t.Errorf("%s contains %q, which is not METI's", what, f)
			}
		}
	}
	check("ministry page", string(body))
	if !strings.Contains(string(body), "PR-02") {
		t.Error("weakest controls do not show PR-02 (mean 0.3)")
	}
	cyc := strconv.FormatInt(fx.cycle, 10)
	for _, fig := range []string{"heatmap", "progress", "themes", "trend", "weakest", "attention", "below", "plans"} {
		q := "/dashboards/ministry/download?cycle=" + cyc + "&figure=" + fig
		check(fig+".csv", csvOf(t, env, meti, q+"&format=csv"))
		check(fig+".xlsx", xlsxText(t, env, meti, q+"&format=xlsx"))
	}
	weak := csvOf(t, env, meti, "/dashboards/ministry/download?cycle="+cyc+"&figure=weakest&format=csv")
	if !strings.HasPrefix(strings.SplitN(weak, "\r\n", 3)[1], "PR-02,PR-02 の表題,1,1,3,0,30.0%") {
		t.Errorf("weakest CSV:\n%s", weak)
	}
	answers := csvOf(t, env, meti, "/exports/answers.csv?cycle="+cyc)
	check("answers.csv", answers)
	if n := strings.Count(answers, "\r\n"); n != 1+25 {
		t.Errorf("METI's answer export has %d lines, want header + 5 operators × 5", n)
	}
	for _, path := range []string{"/dashboards/sectors/finance", "/dashboards/ministry?ministry=FSA",
		"/exports/answers.csv?sector=finance", fmt.Sprintf("/exports/assessments/%d/report.xlsx", fx.asm["kakehashi"])} {
		if resp, _ := dashGet(t, env, meti, path); resp.StatusCode != 404 {
			t.Errorf("METI GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
}

// An operator's scorecard names no other operator, in the page and in
// every download, and suppresses benchmarks of fewer than five.
func TestScorecardNamesNoOtherOperator(t *testing.T) {
	t.Parallel()
	fx := newDashFixture(t)
	env := fx.env
	toto := env.SignIn(t, "toto-staff")
	others := append([]string{"北浜", "Kitahama", "かけはし", "Kakehashi", "みなと台", "Minatodai"}, dashOtherNames...)
	check := func(what, text string) {
		t.Helper()
		for _, o := range others {
			if strings.Contains(text, o) {
				t.Errorf("%s names another operator: %q", what, o)
			}
		}
	}
	resp, body := dashGet(t, env, toto, "/dashboards/scorecard")
	html := string(body)
	if resp.StatusCode != 200 {
		t.Fatalf("scorecard: %d", resp.StatusCode)
	}
	check("scorecard page", html)
	if !strings.Contains(html, `id="chart-sections"`) || !strings.Contains(html, "5者未満のため非表示") {
		t.Error("scorecard lacks the chart or the suppression note")
	}
	cyc := strconv.FormatInt(fx.cycle, 10)
	tot := strconv.FormatInt(fx.operators["toto"], 10)
	for _, fig := range []string{"sections", "scorethemes", "gaps"} {
		q := "/dashboards/scorecard/download?cycle=" + cyc + "&operator=" + tot + "&figure=" + fig
		check(fig+".csv", csvOf(t, env, toto, q+"&format=csv"))
		check(fig+".xlsx", xlsxText(t, env, toto, q+"&format=xlsx"))
	}
	sec := csvOf(t, env, toto, "/dashboards/scorecard/download?cycle="+cyc+"&figure=sections&format=csv")
	// GV: own 100%; sector scores 0, .5, .75, 1, 1 → quartiles 50 / 75 / 100.
	if !strings.Contains(sec, "GV 組織統治,100.0%,5,50.0%,75.0%,100.0%\r\n") {
		t.Errorf("sections CSV:\n%s", sec)
	}
	themes := csvOf(t, env, toto, "/dashboards/scorecard/download?cycle="+cyc+"&figure=scorethemes&format=csv")
	if !strings.Contains(themes, "5未満,比較対象が5者未満のため非表示") {
		t.Errorf("closed-network (4 scores) is not suppressed:\n%s", themes)
	}
	for _, e := range []string{"assessment-results.json", "report.xlsx"} {
		if resp, _ := dashGet(t, env, toto, fmt.Sprintf("/exports/assessments/%d/%s", fx.asm["kitahama"], e)); resp.StatusCode != 404 {
			t.Errorf("toto exports kitahama's %s: %d", e, resp.StatusCode)
		}
	}
	if resp, _ := dashGet(t, env, toto, "/dashboards/scorecard?operator="+strconv.FormatInt(fx.operators["kitahama"], 10)); resp.StatusCode != 404 {
		t.Errorf("toto opens kitahama's scorecard: %d", resp.StatusCode)
	}
}

func TestAssessmentExportsOverHTTP(t *testing.T) {
	t.Parallel()
	fx := newDashFixture(t)
	env := fx.env
	toto := env.SignIn(t, "toto-admin")
	resp, body := dashGet(t, env, toto, fmt.Sprintf("/exports/assessments/%d/assessment-results.json", fx.asm["toto"]))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("OSCAL export: %d %s", resp.StatusCode, body)
	}
	oscaltest.Validate(t, body)
	if !strings.Contains(string(body), `"https://kijun.go.jp/ns/oscal"`) || !strings.Contains(string(body), `"assessment-status"`) {
		t.Error("OSCAL export lacks Kijun's props")
	}
	meti := env.SignIn(t, "meti-admin")
	x := xlsxText(t, env, meti, fmt.Sprintf("/exports/assessments/%d/report.xlsx", fx.asm["kitahama"]))
	if !strings.Contains(x, "PR-01,PR,PR-01 の表題,該当なし") || !strings.Contains(x, "2027-09-30") {
		t.Errorf("XLSX export:\n%s", x)
	}
}

// The national answer export streams: the first rows reach the client
// while the query is still running (the server cannot have collected the
// result first), and the whole file arrives.
func TestAnswerExportStreams(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	cycle := dashOpenCycle(t, env, 2026, time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC))
	// 4 demo assessments × 30,000 answers of ~300 bytes: ~36 MB of CSV,
	// far more than socket buffers hold.
	const per = 30000
	if _, err := env.DB.Owner.Exec(ctx, `INSERT INTO answers (assessment_id, ref, operator_id, sector_code, status, how)
		SELECT a.id, 'ZZ-' || lpad(g::text, 6, '0'), a.operator_id, a.sector_code, 'implemented', repeat('あ', 100)
		FROM assessments a, generate_series(1, $2) g WHERE a.cycle_id = $1`, cycle, per); err != nil {
		t.Fatal(err)
	}
	nco := env.SignIn(t, "nco-admin")
	resp, err := nco.Get(env.HTTP.URL + "/exports/answers.csv?cycle=" + strconv.FormatInt(cycle, 10))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.ContentLength != -1 {
		t.Fatalf("export: %d, content length %d (a buffered response would have one)", resp.StatusCode, resp.ContentLength)
	}
	r := bufio.NewReader(resp.Body)
	first, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(first, "\uFEFFfiscal_year,") {
		t.Fatalf("first line %q: %v", first, err)
	}
	// Stop reading: the handler blocks on writing, so its query comes to
	// wait on sending to it (ClientWrite), unless the server collected the
	// whole result before writing, when the query is over.
	env.DB.Await(t, "the export query waiting on its client or done", `SELECT EXISTS (SELECT FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE '%kijun:answer-export%' AND pid <> pg_backend_pid()
		AND (state <> 'active' OR wait_event = 'ClientWrite'))`)
	var active int
	if err := env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND state = 'active' AND query LIKE '%kijun:answer-export%' AND pid <> pg_backend_pid()`).Scan(&active); err != nil {
		t.Fatal(err)
	}
	if active != 1 {
		t.Errorf("after the first row arrived, %d export queries are running; want 1 (the export is not streamed)", active)
	}
	lines := 1
	for {
		_, err := r.ReadString('\n')
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		lines++
	}
	if want := 1 + 4*per; lines != want {
		t.Errorf("export has %d lines, want %d", lines, want)
	}
}

// Matrix cases of the dashboard and export routes. A cycle gives the demo
// operators assessments: FY2099, later than any other area's matrix cycle,
// so that it is nobody's "previous cycle" (carry forward).
func init() {
	matrixCaseSets = append(matrixCaseSets, func(fx *tenantFixture) map[string]routeCase {
		cycle := dashOpenCycle(fx.t, fx.env, 2099, time.Date(2100, 1, 31, 0, 0, 0, 0, time.UTC))
		asm := func(corp string) int64 {
			return fx.q(`SELECT a.id FROM assessments a JOIN operators o ON o.id = a.operator_id
				WHERE a.cycle_id = $1 AND o.corporate_number = $2`, cycle, corp)
		}
		toto, kita, kake := asm("2010401000001"), asm("1010401000002"), asm("4010001000003")
		asms := map[string][2]int64{
			"meti-admin": {toto, kake}, "meti-staff": {toto, kake}, "fsa-staff": {kake, toto},
			"toto-admin": {toto, kita}, "toto-staff": {toto, kita}, "toto-reviewer": {toto, kita},
		}
		ministries := []string{"meti-admin", "meti-staff", "fsa-staff"}
		sectorUsers := append(append([]string{}, ministries...), ncos...)
		totos := []string{"toto-admin", "toto-staff", "toto-reviewer"}
		everyone := append(append([]string{}, sectorUsers...), totos...)
		get := http.MethodGet
		own := map[string]string{"meti-admin": "METI", "meti-staff": "METI", "fsa-staff": "FSA"}
		other := map[string]string{"meti-admin": "FSA", "meti-staff": "FSA", "fsa-staff": "METI"}
		sector := map[string]string{"meti-admin": "electricity", "meti-staff": "electricity", "fsa-staff": "finance"}
		otherSector := map[string]string{"meti-admin": "finance", "meti-staff": "finance", "fsa-staff": "electricity"}
		pick := func(own, foreign map[string]string, def string) func(string, bool) string {
			return func(role string, isOwn bool) string {
				m := foreign
				if isOwn {
					m = own
				}
				if v, ok := m[role]; ok {
					return v
				}
				return def
			}
		}
		ministryOf, sectorOf := pick(own, other, "MLIT"), pick(sector, otherSector, "electricity")
		totoOp := func(_ string, isOwn bool) string {
			if isOwn {
				return strconv.FormatInt(fx.ids["2010401000001"], 10)
			}
			return strconv.FormatInt(fx.ids["1010401000002"], 10)
		}
		return map[string]routeCase{
			"GET /dashboards":                   {fixed("/dashboards"), allow(get, 303, withGrant, withGrant)},
			"GET /dashboards/national":          {fixed("/dashboards/national"), allow(get, 200, ncos, ncos)},
			"GET /dashboards/national/download": {fixed("/dashboards/national/download?figure=heatmap&format=csv"), allow(get, 200, ncos, ncos)},
			"GET /dashboards/ministry": {func(role string, isOwn bool) string {
				return "/dashboards/ministry?ministry=" + ministryOf(role, isOwn)
			}, allow(get, 200, sectorUsers, ncos)},
			"GET /dashboards/ministry/download": {func(role string, isOwn bool) string {
				return "/dashboards/ministry/download?figure=progress&format=xlsx&ministry=" + ministryOf(role, isOwn)
			}, allow(get, 200, sectorUsers, ncos)},
			"GET /dashboards/sectors/{code}": {func(role string, isOwn bool) string {
				return "/dashboards/sectors/" + sectorOf(role, isOwn)
			}, allow(get, 200, sectorUsers, ncos)},
			"GET /dashboards/sectors/{code}/download": {func(role string, isOwn bool) string {
				return "/dashboards/sectors/" + sectorOf(role, isOwn) + "/download?figure=operators&format=csv"
			}, allow(get, 200, sectorUsers, ncos)},
			"GET /dashboards/scorecard": {func(role string, isOwn bool) string {
				return "/dashboards/scorecard?operator=" + totoOp(role, isOwn)
			}, allow(get, 200, totos, nil)},
			"GET /dashboards/scorecard/download": {func(role string, isOwn bool) string {
				return "/dashboards/scorecard/download?figure=gaps&format=csv&operator=" + totoOp(role, isOwn)
			}, allow(get, 200, totos, nil)},
			"GET /exports/assessments/{id}/report.xlsx":             {byID("/exports/assessments/", asms, "/report.xlsx"), allow(get, 200, everyone, ncos)},
			"GET /exports/assessments/{id}/assessment-results.json": {byID("/exports/assessments/", asms, "/assessment-results.json"), allow(get, 200, everyone, ncos)},
			"GET /exports/answers.csv": {func(role string, isOwn bool) string {
				return "/exports/answers.csv?sector=" + sectorOf(role, isOwn)
			}, allow(get, 200, sectorUsers, ncos)},
		}
	})
}
