//go:build dev

package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/kijun-portal/kijun/internal/jobs"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/mail"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/postgres"

	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestDeadJobsPage: a job river discarded is on the NCO admin's page, and
// nobody else may open it.
func TestDeadJobsPage(t *testing.T) {
	env := servertest.New(t)
	if _, err := env.DB.Owner.Exec(context.Background(), `INSERT INTO river_job
		(kind, args, state, attempt, max_attempts, errors, finalized_at, queue, priority)
		VALUES ('mail', '{"notification_id": 42}', 'discarded', 25, 25,
			ARRAY['{"at":"2026-05-01T00:00:00Z","attempt":25,"error":"smtp: 421 try later"}'::jsonb], now(), 'default', 1)`); err != nil {
		t.Fatal(err)
	}
	admin := env.SignIn(t, "nco-admin")
	status, body := env.Get(t, admin, "/admin/jobs")
	if status != http.StatusOK || !strings.Contains(body, "smtp: 421 try later") || !strings.Contains(body, "notification_id") ||
		!strings.Contains(body, `href="/admin" aria-current="true"`) { // under the 管理 hub
		t.Fatalf("NCO admin: %d\n%.3000s", status, body)
	}
	for _, who := range []string{"nco-analyst", "meti-admin", "toto-admin"} {
		if status, _ := env.Get(t, env.SignIn(t, who), "/admin/jobs"); status != http.StatusNotFound {
			t.Errorf("%s: /admin/jobs %d, want 404", who, status)
		}
	}
}

// noticesOf lists subject:kind for every notification, ordered.
func noticesOf(t *testing.T, env *servertest.Env) []string {
	t.Helper()
	rows, err := env.DB.Owner.Query(context.Background(), `SELECT i.subject || ':' || n.kind || ':' || n.params::text
		FROM notifications n JOIN identities i ON i.user_id = n.user_id ORDER BY i.subject, n.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestAssessmentNotices runs an assessment through submit, comment,
// return, resubmit and accept: each step notifies exactly the people the
// policy names, in the operator's tenant and its ministry only; the inbox
// shows them with the unread count, and marking read works for one's own
// notices only.
func TestAssessmentNotices(t *testing.T) {
	w := newAsmWorld(t)
	env := w.env
	// Everyone signs in once, so that every account and grant exists.
	clients := map[string]*http.Client{}
	for _, who := range []string{"toto-staff", "toto-admin", "kitahama-admin", "kakehashi-admin", "meti-staff", "meti-admin", "mlit-staff", "fsa-staff", "nco-admin", "nco-analyst"} {
		clients[who] = env.SignIn(t, who)
	}
	op, meti := clients["toto-staff"], clients["meti-staff"]
	for _, s := range w.sections {
		form := url.Values{}
		for _, r := range w.refsBySection[s] {
			for k, v := range implemented(r, currentVersion(t, w, r)) {
				form[k] = v
			}
		}
		if status, _, _ := post(t, op, w.url(w.toto, "/sections/"+s), form); status != http.StatusSeeOther {
			t.Fatalf("saving section %s: %d", s, status)
		}
	}
	// The operator's internal check first (社内確認): only a confirmed
	// self-assessment is submitted.
	if status, _, body := post(t, clients["toto-admin"], w.url(w.toto, "/signoff"), url.Values{"decision": {"confirmed"}}); status != http.StatusSeeOther {
		t.Fatalf("internal check: %d\n%.2000s", status, body)
	}
	if status, _, body := post(t, op, w.url(w.toto, "/submit"), nil); status != http.StatusSeeOther {
		t.Fatalf("submit: %d\n%.2000s", status, body)
	}
	ref := w.refsBySection[w.sections[0]][0]
	if status, _, _ := post(t, meti, w.url(w.toto, "/sections/"+w.sections[0]), url.Values{"comment": {ref}, "comment-" + ref: {"手順書を添付してください。"}}); status != http.StatusSeeOther {
		t.Fatalf("comment: %d", status)
	}
	if status, _, _ := post(t, meti, w.url(w.toto, "/review"), url.Values{"decision": {"return"}, "note": {"x"}}); status != http.StatusSeeOther {
		t.Fatalf("return: %d", status)
	}
	if status, _, _ := post(t, clients["toto-admin"], w.url(w.toto, "/signoff"), url.Values{"decision": {"confirmed"}}); status != http.StatusSeeOther {
		t.Fatalf("internal check again: %d", status)
	}
	if status, _, _ := post(t, op, w.url(w.toto, "/submit"), nil); status != http.StatusSeeOther {
		t.Fatalf("resubmit: %d", status)
	}
	if status, _, _ := post(t, meti, w.url(w.toto, "/review"), url.Values{"decision": {"accept"}}); status != http.StatusSeeOther {
		t.Fatalf("accept: %d", status)
	}

	var name string
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT name_ja FROM operators WHERE id = (SELECT operator_id FROM assessments WHERE id = $1)`, w.toto).Scan(&name); err != nil {
		t.Fatal(err)
	}
	got := noticesOf(t, env)
	count := map[string]int{}
	for _, n := range got {
		parts := strings.SplitN(n, ":", 3)
		count[parts[0]+":"+parts[1]]++
		if !strings.Contains(parts[2], name) {
			t.Errorf("a notice names something other than the operator it is about: %s", n)
		}
	}
	want := map[string]int{
		// Submitted twice: the ministry overseeing the sector reviews
		// (meti-staff also commented and reviewed, but did not submit).
		"meti-admin:assessment.review_waiting": 2, "meti-staff:assessment.review_waiting": 2,
		// The operator's users hear of the comment, the return and the
		// acceptance; the one who submitted too (they did not act on these).
		"toto-admin:assessment.commented": 1, "toto-staff:assessment.commented": 1,
		"toto-admin:assessment.returned": 1, "toto-staff:assessment.returned": 1,
		"toto-admin:assessment.accepted": 1, "toto-staff:assessment.accepted": 1,
	}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		t.Fatalf("notices:\n got %v\nwant %v\n%s", count, want, strings.Join(got, "\n"))
	}

	// The inbox: the unread count in the header, the sentence, and the link.
	status, body := env.Get(t, op, "/notifications")
	if status != http.StatusOK || !strings.Contains(body, `id="unread-count">3<`) || !strings.Contains(body, "差し戻されました") {
		t.Fatalf("inbox: %d\n%.3000s", status, body)
	}
	var mine, theirs int64
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT
		(SELECT n.id FROM notifications n JOIN identities i ON i.user_id = n.user_id WHERE i.subject = 'toto-staff' AND kind = 'assessment.returned'),
		(SELECT n.id FROM notifications n JOIN identities i ON i.user_id = n.user_id WHERE i.subject = 'meti-admin' LIMIT 1)`).Scan(&mine, &theirs); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := post(t, op, env.HTTP.URL+fmt.Sprintf("/notifications/%d/read", theirs), url.Values{"open": {"1"}}); status != http.StatusNotFound {
		t.Errorf("opening another user's notice: %d, want 404", status)
	}
	status, loc, _ := post(t, op, env.HTTP.URL+fmt.Sprintf("/notifications/%d/read", mine), url.Values{"open": {"1"}})
	if status != http.StatusSeeOther || loc != fmt.Sprintf("/assessments/%d", w.toto) {
		t.Fatalf("open: %d %q", status, loc)
	}
	if _, body := env.Get(t, op, "/notifications"); !strings.Contains(body, `id="unread-count">2<`) {
		t.Errorf("after opening one, the count is not 2")
	}
	if status, _, _ := post(t, op, env.HTTP.URL+"/notifications/read", nil); status != http.StatusSeeOther {
		t.Fatalf("read all: %d", status)
	}
	if _, body := env.Get(t, op, "/notifications"); strings.Contains(body, `id="unread-count"`) {
		t.Errorf("after marking all read, a count is shown")
	}
	var unreadOthers int
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT count(*) FROM notifications WHERE read_at IS NULL`).Scan(&unreadOthers); err != nil {
		t.Fatal(err)
	}
	if unreadOthers != 7 {
		t.Errorf("marking read touched other users' notices: %d unread left, want 7", unreadOthers)
	}
	// In English, the same notice in English.
	if _, body := env.Get(t, clients["meti-admin"], "/notifications", "Accept-Language", "en"); !strings.Contains(body, "waiting for your review") && !strings.Contains(body, "審査をお願いします") {
		t.Errorf("meti-admin's inbox lacks the review notice")
	}
}

// TestNoticesStayInTheirTenant: the database refuses a notification to a
// user without a grant in the tenant it is about, whoever writes it.
func TestNoticesStayInTheirTenant(t *testing.T) {
	env := servertest.New(t)
	env.SignIn(t, "fsa-staff")
	env.SignIn(t, "meti-staff")
	fsa, metiStaff := userOf(t, env, "fsa-staff"), userOf(t, env, "meti-staff")
	toto := operatorOf(t, env, "2010401000001")
	ctx := context.Background()
	var sector string
	if err := env.DB.Owner.QueryRow(ctx, `SELECT sector_code FROM operators WHERE id = $1`, toto).Scan(&sector); err != nil {
		t.Fatal(err)
	}
	insert := func(user int64) error {
		tx, err := env.DB.App.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, `SELECT set_config('kijun.user_id', $1, true)`, fmt.Sprint(metiStaff)); err != nil {
			t.Fatal(err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO notifications (user_id, sector_code, operator_id, kind, link)
			VALUES ($1, $2, $3, 'assessment.returned', '/assessments/1')`, user, sector, toto)
		return err
	}
	if err := insert(metiStaff); err != nil {
		t.Fatalf("a notice to the ministry overseeing the operator: %v", err)
	}
	if err := insert(fsa); err == nil || !strings.Contains(err.Error(), "row-level security") {
		t.Fatalf("a notice to FSA about an electricity operator: %v, want refused", err)
	}
}

func init() {
	matrixCaseSets = append(matrixCaseSets, func(fx *tenantFixture) map[string]routeCase {
		signedIn := func(ok int) func(string, bool) int {
			return func(role string, _ bool) int {
				if role == "anonymous" {
					return map[int]int{200: http.StatusSeeOther, 303: http.StatusUnauthorized}[ok]
				}
				return ok
			}
		}
		return map[string]routeCase{
			"GET /admin/jobs":              {fixed("/admin/jobs"), allow("GET", 200, []string{"nco-admin"}, []string{"nco-admin"})},
			"GET /notifications":           {fixed("/notifications"), signedIn(200)},
			"POST /notifications/read":     {fixed("/notifications/read"), signedIn(303)},
			"GET /notifications/settings":  {fixed("/notifications/settings"), signedIn(200)},
			"POST /notifications/settings": {fixed("/notifications/settings"), signedIn(303)},
			"POST /notifications/{id}/read": {
				// A fresh notice of the role's own user, or of another user.
				path: func(role string, own bool) string {
					other := map[bool]string{true: "fsa-staff", false: "meti-admin"}[role == "meti-admin"]
					subject := other
					if own && role != "anonymous" {
						subject = role
					}
					return fmt.Sprintf("/notifications/%d/read", fx.q(`INSERT INTO notifications (user_id, kind, link)
						SELECT user_id, 'grant.given', '/account' FROM identities WHERE subject = $1 LIMIT 1 RETURNING id`, subject))
				},
				want: func(role string, own bool) int {
					switch {
					case role == "anonymous":
						return http.StatusUnauthorized
					case own:
						return http.StatusSeeOther
					}
					return http.StatusNotFound
				},
			},
		}
	})
}

// TestNoticeSettings: the preferences page saves each kind's choice and
// the mail language; a mandatory kind cannot be turned off; one user's
// choices are not another's.
func TestNoticeSettings(t *testing.T) {
	env := servertest.New(t)
	c := env.SignIn(t, "toto-staff")
	other := env.SignIn(t, "meti-staff")
	status, body := env.Get(t, c, "/notifications/settings")
	if status != http.StatusOK || !strings.Contains(body, `name="kind-assessment.returned" value="off"`) ||
		strings.Contains(body, `name="kind-grant.revoked" value="off"`) {
		t.Fatalf("settings page: %d\n%.3000s", status, body)
	}
	form := url.Values{"lang": {"en"}, "kind-assessment.returned": {"digest"}, "kind-assessment.commented": {"off"}}
	if status, loc, _ := post(t, c, env.HTTP.URL+"/notifications/settings", form); status != http.StatusSeeOther || loc != "/notifications/settings?saved=1" {
		t.Fatalf("save: %d %q", status, loc)
	}
	_, body = env.Get(t, c, "/notifications/settings?saved=1")
	if !strings.Contains(body, `value="digest" checked`) || !strings.Contains(body, `value="en" selected`) || !strings.Contains(body, `id="settings-saved"`) {
		t.Fatalf("saved choices not shown:\n%.4000s", body)
	}
	form.Set("kind-grant.revoked", "off")
	if status, _, body := post(t, c, env.HTTP.URL+"/notifications/settings", form); status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="settings-error"`) {
		t.Fatalf("mandatory off: %d", status)
	}
	var rows, lang int
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM notification_prefs), (SELECT count(*) FROM notification_settings WHERE lang = 'en')`).Scan(&rows, &lang); err != nil {
		t.Fatal(err)
	}
	if rows != 2 || lang != 1 {
		t.Fatalf("%d preference rows, %d English settings: want 2 and 1", rows, lang)
	}
	if _, body := env.Get(t, other, "/notifications/settings"); strings.Contains(body, `value="digest" checked`) {
		t.Error("another user sees these choices")
	}
}

// TestCycleOpenedNotices: opening a cycle queues one job, whose worker
// tells each enrolled operator's users about their own assessment only.
func TestCycleOpenedNotices(t *testing.T) {
	env := servertest.New(t)
	for _, who := range []string{"toto-staff", "toto-admin", "kakehashi-admin", "meti-staff", "nco-admin"} {
		env.SignIn(t, who)
	}
	ids := env.SmallCycle(t, "notice-test", 2031)
	ctx := context.Background()
	var cycle int64
	if err := env.DB.Owner.QueryRow(ctx, `SELECT id FROM cycles WHERE fiscal_year = 2031`).Scan(&cycle); err != nil {
		t.Fatal(err)
	}
	if err := pgx.BeginFunc(ctx, env.DB.Owner, func(tx pgx.Tx) error {
		return postgres.Enqueue(ctx, tx, notify.CycleOpenedArgs{CycleID: cycle})
	}); err != nil {
		t.Fatal(err)
	}
	runQueue(t, env)
	env.DB.Await(t, "the cycle's notices mailed", `SELECT count(*) > 0 AND bool_and(mailed_at IS NOT NULL) FROM notifications WHERE kind = 'cycle.opened'`)
	rows, err := env.DB.Owner.Query(ctx, `SELECT i.subject, n.link, n.params->'Operator'->>'ja', o.name_ja
		FROM notifications n JOIN identities i ON i.user_id = n.user_id
		JOIN assessments a ON n.link = '/assessments/' || a.id JOIN operators o ON o.id = a.operator_id
		WHERE n.kind = 'cycle.opened' ORDER BY i.subject`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var subject, link, named, owner string
		if err := rows.Scan(&subject, &link, &named, &owner); err != nil {
			t.Fatal(err)
		}
		if named != owner {
			t.Errorf("%s: notice names %s for %s's assessment", subject, named, owner)
		}
		got = append(got, subject+" "+link)
	}
	want := []string{
		fmt.Sprintf("kakehashi-admin /assessments/%d", ids["4010001000003"]),
		fmt.Sprintf("toto-admin /assessments/%d", ids["2010401000001"]),
		fmt.Sprintf("toto-staff /assessments/%d", ids["2010401000001"]),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("cycle.opened notices:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// runQueue works the job queue (notices' fan-out and mail, mails to the
// log) until the test ends.
func runQueue(t *testing.T, env *servertest.Env) {
	t.Helper()
	d := &mail.Delivery{DB: env.DB.App, Sender: mail.LogSender{Log: slog.New(slog.DiscardHandler)}}
	s := &jobs.Scheduler{DB: env.DB.App, Workers: []func(*river.Workers){d.Register}, Poll: 100 * time.Millisecond}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
}

// countNotices counts subject:kind over every notification.
func countNotices(t *testing.T, env *servertest.Env) map[string]int {
	t.Helper()
	count := map[string]int{}
	for _, n := range noticesOf(t, env) {
		parts := strings.SplitN(n, ":", 3)
		count[parts[0]+":"+parts[1]]++
	}
	return count
}

// TestPlanAndEvaluationNotices: a plan submitted reaches the NCO's
// reviewers; the NCO's comment reaches the ministry, the ministry's
// comment the NCO's reviewers; the ministry's answer to an evaluation
// reaches the NCO's evaluators. Nobody of another ministry or of an
// operator hears of any of it, and each notice names its own ministry.
func TestPlanAndEvaluationNotices(t *testing.T) {
	env := servertest.New(t)
	clients := map[string]*http.Client{}
	for _, who := range []string{"meti-staff", "meti-admin", "fsa-staff", "mlit-staff", "nco-admin", "nco-analyst", "toto-admin"} {
		clients[who] = env.SignIn(t, who)
	}
	f := newPlanFix(t, env)
	plan := fmt.Sprintf("/plans/%d", f.plan("METI", "electricity", "draft"))
	mustStatus(t, "submit", first(postForm(t, env, clients["meti-staff"], plan+"/submit", nil)), 303, "")
	mustStatus(t, "NCO comment", first(postForm(t, env, clients["nco-analyst"], plan+"/comments",
		url.Values{"section": {"profile"}, "body": {"非適用の理由を補足してください。"}})), 303, "")
	mustStatus(t, "METI comment", first(postForm(t, env, clients["meti-admin"], plan+"/comments",
		url.Values{"section": {"profile"}, "body": {"補足しました。"}})), 303, "")
	ev := fmt.Sprintf("/evaluations/%d", f.evaluation("METI", "electricity", true))
	mustStatus(t, "respond", first(postForm(t, env, clients["meti-staff"], ev+"/response", url.Values{"response": {"督促を月次で行います。"}})), 303, "")

	want := map[string]int{
		"nco-admin:plan.review_waiting": 1,
		// The analyst commented: the ministry's users hear of it.
		"meti-admin:plan.commented": 1, "meti-staff:plan.commented": 1,
		// METI's admin commented: the NCO's reviewers (admins) hear of it.
		"nco-admin:plan.commented":      1,
		"nco-admin:evaluation.answered": 1,
	}
	if got := countNotices(t, env); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("notices:\n got %v\nwant %v\n%s", got, want, strings.Join(noticesOf(t, env), "\n"))
	}
	for _, n := range noticesOf(t, env) {
		if !strings.Contains(n, "経済産業省") || strings.Contains(n, "金融庁") {
			t.Errorf("a notice does not name METI, or names another ministry: %s", n)
		}
	}
	var links []string
	rows, err := env.DB.Owner.Query(context.Background(), `SELECT DISTINCT link FROM notifications ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	links, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || strings.Join(links, " ") != ev+" "+plan {
		t.Errorf("links %v (%v), want %s and %s", links, err, ev, plan)
	}
	// The English notice reads in English.
	if _, body := env.Get(t, clients["nco-admin"], "/notifications", "Accept-Language", "en"); !strings.Contains(body, "responded to the FY") {
		t.Errorf("nco-admin's inbox lacks the answered evaluation in English")
	}
}

// TestCatalogPublishedNotices: publishing a baseline version queues one
// job, whose worker tells every ministry's users and every operator's
// users, each on their own tenant: never the NCO, and never a notice
// stored on a tenant its recipient does not belong to.
func TestCatalogPublishedNotices(t *testing.T) {
	env := servertest.New(t)
	everyone := []string{"meti-staff", "meti-admin", "fsa-staff", "mlit-staff", "nco-admin", "nco-analyst",
		"toto-staff", "toto-admin", "kitahama-admin", "kakehashi-admin"}
	for _, who := range everyone {
		env.SignIn(t, who)
	}
	_, draft := catalogFixture(t, env)
	nco := env.SignIn(t, "nco-admin")
	if status, _, _ := catPostForm(t, env, nco, fmt.Sprintf("/catalogs/%d/consult", draft), nil); status != http.StatusSeeOther {
		t.Fatalf("consult: %d", status)
	}
	today := time.Now().In(kijun.JST).Format("2006-01-02")
	if status, _, _ := catPostForm(t, env, nco, fmt.Sprintf("/catalogs/%d/decide", draft), url.Values{"decided_by": {"推進専門家会議"},
		"reference": {"決定第1号"}, "decided_on": {today}, "effective_on": {today}}); status != http.StatusSeeOther {
		t.Fatalf("decide: %d", status)
	}
	ctx := context.Background()
	var queued int
	if err := env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'notify.catalog_published' AND args->>'catalog_id' = $1`,
		fmt.Sprint(draft)).Scan(&queued); err != nil || queued != 1 {
		t.Fatalf("%d fan-out jobs queued (%v), want 1", queued, err)
	}
	// The ministries heard of the consultation and the decision in the
	// NCO's requests; the fan-out of the version in force waits for the job.
	want := map[string]int{}
	for _, who := range []string{"meti-staff", "meti-admin", "fsa-staff", "mlit-staff"} {
		want[who+":catalog.consultation_opened"], want[who+":catalog.decided"] = 1, 1
	}
	if got := countNotices(t, env); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("notices before the job:\n got %v\nwant %v", got, want)
	}
	runQueue(t, env)
	env.DB.Await(t, "the catalog's notices mailed", `SELECT count(*) > 0 AND bool_and(mailed_at IS NOT NULL) FROM notifications WHERE kind = 'catalog.published'`)
	for _, who := range everyone {
		if !strings.HasPrefix(who, "nco-") {
			want[who+":catalog.published"] = 1
		}
	}
	if got := countNotices(t, env); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("notices:\n got %v\nwant %v", got, want)
	}
	// Each notice is stored on a tenant of its recipient: a ministry's on
	// that ministry, an operator's on that operator.
	var foreign []string
	rows, err := env.DB.Owner.Query(ctx, `SELECT i.subject || ' ' || coalesce(n.ministry_code, '') || coalesce(n.operator_id::text, '')
		FROM notifications n JOIN identities i ON i.user_id = n.user_id
		WHERE NOT EXISTS (SELECT 1 FROM role_grants g WHERE g.user_id = n.user_id AND g.revoked_at IS NULL
			AND (g.ministry_code = n.ministry_code OR g.operator_id = n.operator_id))`)
	if err != nil {
		t.Fatal(err)
	}
	if foreign, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil || len(foreign) > 0 {
		t.Errorf("notices on a tenant their recipient is not in: %v %v", foreign, err)
	}
	if _, body := env.Get(t, env.SignIn(t, "toto-staff"), "/notifications"); !strings.Contains(body, "新しい版（2026.2-draft）が施行されました") {
		t.Errorf("toto-staff's inbox lacks the new version:\n%.3000s", body)
	}
}
