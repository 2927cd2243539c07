//go:build dev

package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/config"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestAssessmentExtension: the ministry overseeing an operator extends
// its due date on the assessment's page; refused input comes back with
// what was typed and the message next to the field (the server's clock
// decides what "today" is); the operator, another ministry and the NCO
// cannot; the extension is audited, shown to the operator, its ministry
// and the NCO, and told to the operator's users only.
func TestAssessmentExtension(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	clock := servertest.NewClock(time.Date(2028, 1, 20, 10, 0, 0, 0, kijun.JST))
	env := servertest.NewWith(t, db, db.App, func(c *config.Config) { c.Now = clock.Now })
	published, _ := catalogFixture(t, env)
	asms := xlOpenCycle(t, env, published, 2027) // due 2028-01-31
	ctx := context.Background()
	opID := func(corp string) int64 {
		var id int64
		if err := db.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = $1`, corp).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	toto := asms[opID("2010401000001")]
	clients := map[string]*http.Client{}
	for _, who := range []string{"toto-staff", "toto-admin", "kitahama-admin", "meti-staff", "meti-admin", "fsa-staff", "nco-admin", "nco-analyst"} {
		clients[who] = env.SignIn(t, who)
	}
	page := fmt.Sprintf("/assessments/%d", toto)
	extend := env.HTTP.URL + page + "/extend"
	due := func() string {
		var d *time.Time
		if err := db.Owner.QueryRow(ctx, `SELECT due_on FROM assessments WHERE id = $1`, toto).Scan(&d); err != nil {
			t.Fatal(err)
		}
		if d == nil {
			return ""
		}
		return d.Format(time.DateOnly)
	}

	if status, body := env.Get(t, clients["meti-staff"], page); status != 200 || !strings.Contains(body, `id="extend-form"`) {
		t.Fatalf("ministry's page %d lacks the extension form", status)
	}
	for _, who := range []string{"toto-admin", "nco-admin"} {
		if _, body := env.Get(t, clients[who], page); strings.Contains(body, `id="extend-form"`) {
			t.Errorf("%s is offered the extension form", who)
		}
	}
	good := url.Values{"due_on": {"2028-02-29"}, "reason": {"基幹システム更改のため"}}
	for _, who := range []string{"toto-admin", "fsa-staff", "nco-admin"} {
		if status, _, _ := post(t, clients[who], extend, good); status != http.StatusNotFound {
			t.Errorf("%s extends: %d, want 404", who, status)
		}
	}
	if due() != "" {
		t.Fatalf("due date moved by someone else: %s", due())
	}

	meti := clients["meti-staff"]
	for _, c := range []struct {
		name     string
		form     url.Values
		field    string
		message  string
		typedVal string
	}{
		{"not later", url.Values{"due_on": {"2028-01-31"}, "reason": {"理由あり"}}, "due_on", "現在の提出期限(2028-01-31)より後", `value="2028-01-31"`},
		{"no reason", url.Values{"due_on": {"2028-02-29"}, "reason": {"  "}}, "reason", "延長の理由を入力してください", `value="2028-02-29"`},
		{"after the year", url.Values{"due_on": {"2028-04-01"}, "reason": {"年度をまたぐ"}}, "due_on", "年度の末日(2028-03-31)まで", ">年度をまたぐ</textarea>"},
		{"not a date", url.Values{"due_on": {"来月"}, "reason": {"理由"}}, "due_on", "日付は 2026-04-01 の形式", `value="来月"`},
		{"too long", url.Values{"due_on": {"2028-02-29"}, "reason": {strings.Repeat("あ", 2001)}}, "reason", "2000文字以内", `value="2028-02-29"`},
	} {
		status, _, body := post(t, meti, extend, c.form)
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="extend-`+c.field+`-error"`) ||
			!strings.Contains(body, c.message) || !strings.Contains(body, c.typedVal) || !strings.Contains(body, `aria-describedby="extend-`+c.field+`-error"`) {
			t.Errorf("%s: %d\n%.4000s", c.name, status, body)
		}
	}
	if due() != "" {
		t.Fatalf("a refused extension moved the due date: %s", due())
	}

	// Past due (the server's clock moved on): a date before today is refused.
	clock.Advance(20 * 24 * time.Hour) // 2028-02-09; sessions idle that long end
	for who := range clients {
		clients[who] = env.SignIn(t, who)
	}
	meti = clients["meti-staff"]
	if status, _, body := post(t, meti, extend, url.Values{"due_on": {"2028-02-05"}, "reason": {"理由"}}); status != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "今日以降の日付") {
		t.Errorf("a date already passed: %d", status)
	}
	if status, loc, _ := post(t, meti, extend, good); status != http.StatusSeeOther || !strings.Contains(loc, "done=extended") {
		t.Fatalf("extension: %d %s", status, loc)
	}
	if due() != "2028-02-29" {
		t.Fatalf("due date %q after the extension", due())
	}
	var audited int
	if err := db.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'assessment.extend' AND object_id = $1
		AND after->>'reason' = '基幹システム更改のため'`, fmt.Sprint(toto)).Scan(&audited); err != nil || audited != 1 {
		t.Errorf("audit events %d, %v", audited, err)
	}
	for _, who := range []string{"toto-staff", "meti-admin", "nco-analyst"} {
		status, body := env.Get(t, clients[who], page)
		if status != 200 || !strings.Contains(body, `id="extension-table"`) || !strings.Contains(body, "基幹システム更改のため") ||
			!strings.Contains(body, "2028年1月31日 → 2028年2月29日") || !strings.Contains(body, "延長前の提出期限: 2028年1月31日") {
			t.Errorf("%s does not see the extension: %d", who, status)
		}
	}
	if status, _ := env.Get(t, clients["fsa-staff"], page); status != http.StatusNotFound {
		t.Errorf("another ministry reads the page: %d", status)
	}

	// Told to the operator's users, and no one else.
	var got []string
	for _, n := range noticesOf(t, env) {
		if strings.Contains(n, ":assessment.extended:") {
			got = append(got, strings.SplitN(n, ":", 2)[0])
			if !strings.Contains(n, "2028年2月29日") || !strings.Contains(n, "29 February 2028") {
				t.Errorf("notice without the new date: %s", n)
			}
		}
	}
	if strings.Join(got, ",") != "toto-admin,toto-staff" {
		t.Errorf("extension told to %v, want toto-admin and toto-staff", got)
	}
}

// ownerExec runs statements as the owner with the triggers off: a fixture
// that puts a due date in the past, which no user could.
func ownerExec(t *testing.T, env *servertest.Env, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	tx, err := env.DB.Owner.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, s := range append([]string{`SET LOCAL session_replication_role = replica`}, stmts...) {
		if _, err := tx.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestOverdueWherePeopleWork: with the cycle three days past due (by the
// database's today), the operator's home marks its assessment 期限超過
// with the days; the ministry's home counts its sectors' overdue
// assessments and the list shows them; an extension takes one out of
// both. A plan deadline passed without a submitted plan and an evaluation
// not answered by its date are on the NCO's home, and the ministry's own
// on the ministry's.
func TestOverdueWherePeopleWork(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	today := env.DB.Today(t)
	fy := kijun.FiscalYearOf(today)
	asms := env.SmallCycle(t, "overdue-home", int(fy))
	past := today.AddDate(0, 0, -3).Format(time.DateOnly)
	ownerExec(t, env, `UPDATE cycles SET due_on = '`+past+`' WHERE fiscal_year = `+fmt.Sprint(int(fy)))
	toto := asms["2010401000001"]
	var metiOverdue int
	if err := env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM assessments a JOIN sector_oversight o ON o.sector_code = a.sector_code
		JOIN cycles c ON c.id = a.cycle_id WHERE o.ministry_code = 'METI' AND c.fiscal_year = $1`, int(fy)).Scan(&metiOverdue); err != nil || metiOverdue < 2 {
		t.Fatalf("METI's assessments: %d, %v", metiOverdue, err)
	}
	op, meti, nco := env.SignIn(t, "toto-staff"), env.SignIn(t, "meti-staff"), env.SignIn(t, "nco-analyst")

	_, body := env.Get(t, op, "/")
	if !strings.Contains(body, "/assessments/"+itoa64(toto)) || !strings.Contains(body, "(3日超過)") || !strings.Contains(body, "badge--overdue") {
		t.Errorf("operator's home lacks the overdue marker:\n%.4000s", body)
	}
	_, body = env.Get(t, meti, "/")
	if !strings.Contains(body, fmt.Sprintf("期限を過ぎた自己評価: %d件", metiOverdue)) || !strings.Contains(body, `href="/assessments?status=overdue"`) {
		t.Errorf("ministry's home lacks its overdue count %d:\n%.4000s", metiOverdue, body)
	}
	_, body = env.Get(t, meti, "/assessments?status=overdue")
	if !strings.Contains(body, "/assessments/"+itoa64(toto)) || !strings.Contains(body, "(3日超過)") {
		t.Errorf("overdue list lacks toto with its days:\n%.4000s", body)
	}

	// METI extends toto's due date: toto is no longer overdue anywhere.
	newDue := today.AddDate(0, 0, 10)
	if status, _, body := post(t, meti, fmt.Sprintf("%s/assessments/%d/extend", env.HTTP.URL, toto),
		url.Values{"due_on": {newDue.Format(time.DateOnly)}, "reason": {"災害対応のため"}}); status != http.StatusSeeOther {
		t.Fatalf("extension: %d\n%.3000s", status, body)
	}
	if _, body = env.Get(t, op, "/"); strings.Contains(body, "日超過") || !strings.Contains(body, kijun.FormatDate(kijun.Ja, newDue)) {
		t.Errorf("operator's home after the extension:\n%.4000s", body)
	}
	if _, body = env.Get(t, meti, "/"); !strings.Contains(body, fmt.Sprintf("期限を過ぎた自己評価: %d件", metiOverdue-1)) {
		t.Errorf("ministry's home still counts the extended operator:\n%.4000s", body)
	}
	if _, body = env.Get(t, meti, "/assessments?status=overdue"); strings.Contains(body, "/assessments/"+itoa64(toto)+`"`) {
		t.Errorf("the overdue list still has the extended operator")
	}
	if _, body = env.Get(t, meti, "/assessments"); !strings.Contains(body, "(延長)") {
		t.Errorf("the list does not mark the extended due date")
	}

	// A plan deadline passed (nobody submitted a plan), an evaluation of
	// METI's not answered by its date.
	ownerExec(t, env, fmt.Sprintf(`INSERT INTO plan_deadlines (fiscal_year, due_on) VALUES (%d, '%s')`, int(fy), today.AddDate(0, 0, -2).Format(time.DateOnly)),
		fmt.Sprintf(`INSERT INTO plan_evaluations (ministry_code, sector_code, fiscal_year, rating, status, published_at, respond_by)
			VALUES ('METI', 'electricity', %d, 'B', 'published', now(), '%s')`, int(fy)-1, past))
	_, body = env.Get(t, nco, "/")
	if strings.Count(body, `class="home-overdue-plan"`) < 5 || !strings.Contains(body, "経済産業省の") || !strings.Contains(body, "金融庁の") ||
		!strings.Contains(body, `class="home-overdue-evaluation"`) {
		t.Errorf("NCO's home lacks the overdue plans and evaluation:\n%.5000s", body)
	}
	_, body = env.Get(t, meti, "/")
	if strings.Count(body, `class="home-overdue-plan"`) != 1 || strings.Contains(body, "金融庁の") || !strings.Contains(body, `class="home-overdue-evaluation"`) {
		t.Errorf("METI's home shows other than its own plan and evaluation:\n%.5000s", body)
	}
	if _, body = env.Get(t, env.SignIn(t, "fsa-staff"), "/"); strings.Contains(body, `class="home-overdue-evaluation"`) {
		t.Errorf("FSA sees METI's evaluation")
	}
	if status, body := env.Get(t, nco, "/plans/deadlines"); status != 200 || !strings.Contains(body, `id="overdue-plans"`) || strings.Contains(body, `id="deadline-form"`) {
		t.Errorf("the analyst's deadlines page: %d", status)
	}
}

// TestPlanDeadlineForm: NCO admins set a fiscal year's plan deadline;
// refused input comes back next to its field; nobody else may set one.
func TestPlanDeadlineForm(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	clock := servertest.NewClock(time.Date(2027, 5, 10, 9, 0, 0, 0, kijun.JST))
	env := servertest.NewWith(t, db, db.App, func(c *config.Config) { c.Now = clock.Now })
	admin := env.SignIn(t, "nco-admin")
	u := env.HTTP.URL + "/plans/deadlines"
	if status, body := env.Get(t, admin, "/plans/deadlines"); status != 200 || !strings.Contains(body, `id="deadline-form"`) || !strings.Contains(body, `value="2027"`) {
		t.Fatalf("NCO admin's page: %d", status)
	}
	for _, c := range []struct {
		form        url.Values
		field, want string
	}{
		{url.Values{"fiscal_year": {"2027"}, "due_on": {"2027-05-09"}}, "due_on", "今日以降の日付"},
		{url.Values{"fiscal_year": {"2027"}, "due_on": {"2028-04-01"}}, "due_on", "2028-03-31までの日付"},
		{url.Values{"fiscal_year": {"二〇二七"}, "due_on": {"2027-07-31"}}, "fiscal_year", "2019から2200まで"},
		{url.Values{"fiscal_year": {"2027"}, "due_on": {"7月末"}}, "due_on", "2026-04-01 の形式"},
	} {
		status, _, body := post(t, admin, u, c.form)
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="deadline-`+c.field+`-error"`) || !strings.Contains(body, c.want) ||
			!strings.Contains(body, `value="`+c.form.Get(c.field)+`"`) {
			t.Errorf("%v: %d\n%.3000s", c.form, status, body)
		}
	}
	for _, who := range []string{"nco-analyst", "meti-admin", "toto-admin"} {
		if status, _, _ := post(t, env.SignIn(t, who), u, url.Values{"fiscal_year": {"2027"}, "due_on": {"2027-07-31"}}); status != http.StatusNotFound {
			t.Errorf("%s sets a plan deadline: %d", who, status)
		}
	}
	if status, loc, _ := post(t, admin, u, url.Values{"fiscal_year": {"2027"}, "due_on": {"2027-07-31"}}); status != http.StatusSeeOther || !strings.Contains(loc, "done=saved") {
		t.Fatalf("save: %d", status)
	}
	if status, _, _ := post(t, admin, u, url.Values{"fiscal_year": {"2027"}, "due_on": {"2027-08-31"}}); status != http.StatusSeeOther {
		t.Fatalf("move: %d", status)
	}
	if _, body := env.Get(t, env.SignIn(t, "meti-staff"), "/plans/deadlines"); !strings.Contains(body, "2027年8月31日") || strings.Contains(body, `id="deadline-form"`) {
		t.Errorf("ministry's view of the deadlines:\n%.3000s", body)
	}
	var n int
	if err := db.Owner.QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE action = 'plan.deadline.set' AND object_id = '2027'`).Scan(&n); err != nil || n != 2 {
		t.Errorf("audit events %d, %v", n, err)
	}
}

// TestEvaluationRespondBy: the NCO publishes an evaluation with the date
// its ministry answers by (the server's clock says what today is); a bad
// date comes back next to its field and publishes nothing; the ministry
// sees the date.
func TestEvaluationRespondBy(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	clock := servertest.NewClock(time.Date(2028, 5, 10, 9, 0, 0, 0, kijun.JST))
	env := servertest.NewWith(t, db, db.App, func(c *config.Config) { c.Now = clock.Now })
	newPlanFix(t, env)
	nco, meti := env.SignIn(t, "nco-admin"), env.SignIn(t, "meti-staff")
	status, loc, body := postForm(t, env, nco, "/evaluations", url.Values{"target": {"METI/electricity"}, "fiscal_year": {"2027"},
		"findings": {"所見"}, "good_practices": {""}, "improvement_requests": {""}, "rating": {"B"}})
	mustStatus(t, "create evaluation", status, 303, body)
	for _, c := range []struct{ date, want string }{
		{"2028-05-09", "今日以降の日付"},
		{"2029-04-01", "2029-03-31までの日付"},
		{"六月末", "2026-04-01 の形式"},
	} {
		status, _, body := postForm(t, env, nco, loc+"/publish", url.Values{"respond_by": {c.date}})
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="ev-respond_by-error"`) || !strings.Contains(body, c.want) ||
			!strings.Contains(body, `value="`+c.date+`"`) {
			t.Errorf("respond by %s: %d\n%.3000s", c.date, status, body)
		}
	}
	var published bool
	if err := db.Owner.QueryRow(context.Background(), `SELECT bool_or(status = 'published') FROM plan_evaluations`).Scan(&published); err != nil || published {
		t.Fatalf("a refused date published the evaluation (%v)", err)
	}
	mustStatus(t, "publish", first(postForm(t, env, nco, loc+"/publish", url.Values{"respond_by": {"2028-06-30"}})), 303, "")
	if _, body := env.Get(t, meti, strings.TrimPrefix(loc, env.HTTP.URL)); !strings.Contains(body, `id="respond-by"`) || !strings.Contains(body, "2028年6月30日") {
		t.Errorf("the ministry does not see the date to answer by:\n%.3000s", body)
	}
	if _, body := env.Get(t, meti, "/evaluations"); !strings.Contains(body, "2028年6月30日") {
		t.Errorf("the evaluation list lacks the date to answer by")
	}
}
