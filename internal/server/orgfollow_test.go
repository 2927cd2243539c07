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

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestOrgDeputyMarksReadyAndIsTold: toto's reviewer (社内確認者) has a
// section assigned and goes away, naming the staff member deputy. Before
// the delegation the staff member cannot mark the reviewer's section
// ready; during it they can (the work page offers it, the audit names on
// whose behalf), and when the last section is ready the deputy is told
// the assessment awaits its internal check, as the reviewer is. A
// delegation that has not started tells the deputy nothing.
func TestOrgDeputyMarksReadyAndIsTold(t *testing.T) {
	t.Parallel()
	w := newDelegWorld(t)
	ctx := context.Background()
	reviewer := xlSignIn(t, w.env, "toto-reviewer", kijun.Ja)
	var reviewerID int64
	if err := w.env.DB.Owner.QueryRow(ctx, `SELECT id FROM users WHERE email = 'reviewer@toto-grid.example.jp'`).Scan(&reviewerID); err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(kijun.JST)
	dayStr := func(d int) string { return today.AddDate(0, 0, d).Format(time.DateOnly) }
	assign := func(section string, to int64) int64 {
		t.Helper()
		if status, _, body := post(t, w.admin, w.base+"/assignments", url.Values{"section": {section}, "assignee": {itoa64(to)}, "due_on": {dayStr(3)}}); status != http.StatusSeeOther {
			t.Fatalf("assign %s: %d\n%.2000s", section, status, body)
		}
		var id int64
		if err := w.env.DB.Owner.QueryRow(ctx, `SELECT id FROM assessment_assignments WHERE assessment_id = $1 AND section_code = $2`, w.asm, section).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	gv, pr := assign("GV", reviewerID), assign("PR", w.adminID)
	ready := func(c *http.Client, aid int64, on bool) int {
		status, _, _ := post(t, c, fmt.Sprintf("%s/assignments/%d/ready", w.base, aid), url.Values{"ready": {map[bool]string{true: "1", false: "0"}[on]}})
		return status
	}
	told := func(user int64) int {
		var n int
		w.env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'assessment.signoff_waiting'`, user).Scan(&n)
		return n
	}

	// No delegation: another user's section is not the staff member's.
	if status := ready(w.staff, gv, true); status != http.StatusForbidden {
		t.Fatalf("staff marking the reviewer's section without a delegation: %d, want 403", status)
	}
	if _, body := w.env.Get(t, w.staff, w.work); strings.Contains(body, fmt.Sprintf(`id="ready-%d"`, gv)) {
		t.Error("the work page offers staff another user's section")
	}
	// The reviewer goes away from today, the staff member deputy.
	if status, loc, body := post(t, reviewer, w.env.HTTP.URL+"/delegations", url.Values{"operator": {itoa64(w.toto)},
		"deputy": {itoa64(w.staffID)}, "from": {dayStr(0)}, "to": {dayStr(2)}}); status != http.StatusSeeOther || !strings.Contains(loc, "done=delegated") {
		t.Fatalf("the reviewer's delegation: %d %q\n%.2000s", status, loc, body)
	}
	var did int64
	if err := w.env.DB.Owner.QueryRow(ctx, `SELECT id FROM operator_delegations WHERE user_id = $1`, reviewerID).Scan(&did); err != nil {
		t.Fatal(err)
	}
	if _, body := w.env.Get(t, w.staff, w.work); !strings.Contains(body, fmt.Sprintf(`id="ready-%d"`, gv)) ||
		strings.Contains(body, fmt.Sprintf(`id="ready-%d"`, pr)) {
		t.Errorf("the deputy's work page should offer the reviewer's section only:\n%.3000s", body)
	}
	if status := ready(w.staff, gv, true); status != http.StatusSeeOther {
		t.Fatalf("the deputy marking the reviewer's section: %d, want 303", status)
	}
	if status := ready(w.staff, pr, true); status != http.StatusForbidden {
		t.Errorf("the deputy marking the admin's section: %d, want 403", status)
	}
	var audited int
	w.env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'assessment.assignment_ready'
		AND actor_user_id = $1 AND (after->>'on_behalf_of')::bigint = $2 AND (after->>'delegation')::bigint = $3`,
		w.staffID, reviewerID, did).Scan(&audited)
	if audited != 1 {
		t.Errorf("the deputy's marking audited %d times with on whose behalf", audited)
	}
	// The admin's section, the last: the reviewer and the deputy are told.
	if status := ready(w.admin, pr, true); status != http.StatusSeeOther {
		t.Fatalf("admin ready: %d", status)
	}
	if r, s, a := told(reviewerID), told(w.staffID), told(w.adminID); r != 1 || s != 1 || a != 0 {
		t.Errorf("signoff_waiting told the reviewer %d, the deputy %d, the admin (its actor) %d times; want 1, 1, 0", r, s, a)
	}
	if _, body := w.env.Get(t, w.staff, "/notifications"); !strings.Contains(body, `data-kind="assessment.signoff_waiting"`) {
		t.Errorf("the deputy's inbox lacks the notice:\n%.3000s", body)
	}
	// A delegation from tomorrow: the deputy is not told again.
	if _, err := w.env.DB.Owner.Exec(ctx, `UPDATE operator_delegations SET starts_on = $2 WHERE id = $1`, did, dayStr(1)); err != nil {
		t.Fatal(err)
	}
	if ready(w.admin, pr, false) != http.StatusSeeOther || ready(w.admin, pr, true) != http.StatusSeeOther {
		t.Fatal("admin toggling ready")
	}
	if r, s := told(reviewerID), told(w.staffID); r != 2 || s != 1 {
		t.Errorf("before the absence: the reviewer told %d, the deputy %d times; want 2, 1", r, s)
	}
	if status := ready(w.staff, gv, false); status != http.StatusForbidden {
		t.Errorf("the deputy before the absence: %d, want 403", status)
	}
}

// TestHomeListsWhatWaitsForMyCheck: the home page's to-do lists the
// assessments whose every assignment is ready and not yet confirmed, in
// every open cycle, for the operator's admins and reviewers and for a
// deputy during an absence — not for staff, nor once confirmed; and the
// plan drafts whose check was asked for, of every period, for the
// ministry's admins — not for its staff nor another ministry's admin.
func TestHomeListsWhatWaitsForMyCheck(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	fy26 := env.SmallCycle(t, "check-2026", 2026)
	fy27 := env.SmallCycle(t, "check-2027", 2027)
	totoAsm := []int64{fy26["2010401000001"], fy27["2010401000001"]}
	clients := map[string]*http.Client{}
	for _, who := range []string{"toto-admin", "toto-reviewer", "toto-staff", "meti-admin", "meti-staff", "fsa-staff"} {
		clients[who] = xlSignIn(t, env, who, kijun.Ja)
	}
	uid := func(email string) int64 {
		var id int64
		if err := env.DB.Owner.QueryRow(ctx, `SELECT id FROM users WHERE email = $1`, email).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	staffID, reviewerID := uid("staff@toto-grid.example.jp"), uid("reviewer@toto-grid.example.jp")
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := env.DB.Owner.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// Each of toto's two assessments: one section assigned to the staff
	// member, ready; FY2026's second section not ready yet.
	for _, a := range totoAsm {
		exec(`INSERT INTO assessment_assignments (assessment_id, operator_id, sector_code, section_code, assignee_id, due_on, ready_at, ready_by)
			SELECT a.id, a.operator_id, a.sector_code, 'GV', $2, c.due_on, now(), $2 FROM assessments a JOIN cycles c ON c.id = a.cycle_id
			WHERE a.id = $1`, a, staffID)
	}
	exec(`INSERT INTO assessment_assignments (assessment_id, operator_id, sector_code, section_code, assignee_id, due_on)
		SELECT a.id, a.operator_id, a.sector_code, 'PR', $2, c.due_on FROM assessments a JOIN cycles c ON c.id = a.cycle_id
		WHERE a.id = $1`, totoAsm[0], staffID)
	home := func(who string) string {
		t.Helper()
		status, body := env.Get(t, clients[who], "/")
		if status != http.StatusOK {
			t.Fatalf("%s's home: %d", who, status)
		}
		return body
	}
	waits := func(body string, a int64) bool {
		return strings.Contains(body, fmt.Sprintf(`<a href="/assessments/%d/work">`, a))
	}
	for _, who := range []string{"toto-admin", "toto-reviewer"} {
		body := home(who)
		if !strings.Contains(body, "社内確認を待っている自己評価: 1件") || waits(body, totoAsm[0]) || !waits(body, totoAsm[1]) {
			t.Errorf("%s's home with FY2027 waiting:\n%.4000s", who, body)
		}
	}
	// Every section ready: both open cycles count.
	exec(`UPDATE assessment_assignments SET ready_at = now(), ready_by = assignee_id WHERE assessment_id = $1`, totoAsm[0])
	for _, who := range []string{"toto-admin", "toto-reviewer"} {
		if body := home(who); !strings.Contains(body, "社内確認を待っている自己評価: 2件") || !waits(body, totoAsm[0]) || !waits(body, totoAsm[1]) {
			t.Errorf("%s's home with both years waiting:\n%.4000s", who, body)
		}
	}
	if body := home("toto-staff"); strings.Contains(body, `id="check-heading"`) {
		t.Errorf("staff are asked for the internal check:\n%.4000s", body)
	}
	// The reviewer away, the staff member deputy: they are asked too.
	exec(`INSERT INTO operator_delegations (operator_id, sector_code, user_id, deputy_id, starts_on, ends_on)
		SELECT id, sector_code, $1, $2, (now() AT TIME ZONE 'Asia/Tokyo')::date, (now() AT TIME ZONE 'Asia/Tokyo')::date + 1
		FROM operators WHERE corporate_number = '2010401000001'`, reviewerID, staffID)
	if body := home("toto-staff"); !strings.Contains(body, "社内確認を待っている自己評価: 2件") {
		t.Errorf("the deputy's home during the absence:\n%.4000s", body)
	}
	// Confirmed: no longer waiting.
	exec(`INSERT INTO assessment_signoffs (assessment_id, operator_id, sector_code, decision, by_user, by_name)
		SELECT id, operator_id, sector_code, 'confirmed', $2, 'x' FROM assessments WHERE id = $1`, totoAsm[1], reviewerID)
	if body := home("toto-admin"); !strings.Contains(body, "社内確認を待っている自己評価: 1件") || waits(body, totoAsm[1]) {
		t.Errorf("a confirmed assessment still waits:\n%.4000s", body)
	}

	// Plans: METI requires its check; two drafts of different periods
	// asked for, one not asked; FSA's asked for too.
	f := newPlanFix(t, env)
	asked1, asked2, quiet := f.plan("METI", "electricity", "draft"), f.plan("METI", "electricity", "draft"), f.plan("METI", "electricity", "draft")
	fsa := f.plan("FSA", "finance", "draft")
	exec(`INSERT INTO ministry_plan_checks (ministry_code, required) VALUES ('METI', true), ('FSA', true)`)
	for who, id := range map[string]int64{"meti-staff": asked1, "fsa-staff": fsa} {
		if status, _, body := post(t, clients[who], fmt.Sprintf("%s/plans/%d/signoff/request", env.HTTP.URL, id), nil); status != http.StatusSeeOther {
			t.Fatalf("%s asking: %d\n%.2000s", who, status, body)
		}
	}
	if status, _, _ := post(t, clients["meti-staff"], fmt.Sprintf("%s/plans/%d/signoff/request", env.HTTP.URL, asked2), nil); status != http.StatusSeeOther {
		t.Fatal("asking for the second plan")
	}
	planLink := func(id int64) string { return fmt.Sprintf(`<a href="/plans/%d">`, id) }
	body := home("meti-admin")
	if !strings.Contains(body, "社内確認を待っている実施計画: 2件") || !strings.Contains(body, planLink(asked1)) ||
		!strings.Contains(body, planLink(asked2)) || strings.Contains(body, planLink(quiet)) || strings.Contains(body, planLink(fsa)) {
		t.Errorf("METI's admin's home:\n%.5000s", body)
	}
	if !strings.Contains(body, "経済産業省の実施計画「METI electricity 実施計画") {
		t.Errorf("the plan's line lacks its ministry and title:\n%.5000s", body)
	}
	if body := home("meti-staff"); strings.Contains(body, `id="home-check-plans"`) {
		t.Errorf("the ministry's staff are asked for the check:\n%.4000s", body)
	}
	// Decided: no longer waiting.
	if status, _, _ := post(t, clients["meti-admin"], fmt.Sprintf("%s/plans/%d/signoff", env.HTTP.URL, asked1), url.Values{"decision": {"confirmed"}}); status != http.StatusSeeOther {
		t.Fatal("confirming")
	}
	if body := home("meti-admin"); !strings.Contains(body, "社内確認を待っている実施計画: 1件") || strings.Contains(body, planLink(asked1)) {
		t.Errorf("a confirmed plan still waits:\n%.4000s", body)
	}
}

// TestAPIPlanNamesItsConfirmation: the plan read of the API says who
// confirmed a submitted version in the ministry's internal check, and
// when, as the plan's page does for the NCO; a draft, and a version
// submitted without a check, name nobody. Every answer is checked
// against the API document.
func TestAPIPlanNamesItsConfirmation(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	contract := newContract(t, env)
	admin, staff := env.SignIn(t, "meti-admin"), env.SignIn(t, "meti-staff")
	f := newPlanFix(t, env)
	checked, unchecked := f.plan("METI", "electricity", "draft"), f.plan("FSA", "finance", "submitted")
	nco := apiCaller{t: t, env: env, contract: contract, token: env.Token(t, identity.RoleNCOAnalyst, "", 0)}
	version := func(id int64) map[string]any {
		t.Helper()
		resp, body := nco.do("GET", fmt.Sprintf("/api/v1/plans/%d", id), nil)
		return want(t, resp, body, 200)["version"].(map[string]any)
	}

	mustStatus(t, "turn on", first(postForm(t, env, admin, "/plans/internal-check", url.Values{"ministry": {"METI"}, "required": {"1"}})), 303, "")
	plan := fmt.Sprintf("/plans/%d", checked)
	mustStatus(t, "ask", first(postForm(t, env, staff, plan+"/signoff/request", nil)), 303, "")
	mustStatus(t, "confirm", first(postForm(t, env, admin, plan+"/signoff", url.Values{"decision": {"confirmed"}})), 303, "")
	if v := version(checked); v["confirmed_by"] != nil || v["confirmed_at"] != nil {
		t.Errorf("a draft names a confirmation: %v", v)
	}
	mustStatus(t, "submit", first(postForm(t, env, staff, plan+"/submit", nil)), 303, "")
	var at time.Time
	if err := env.DB.Owner.QueryRow(ctx, `SELECT s.at FROM plan_signoffs s JOIN plan_versions v ON v.signoff_id = s.id
		WHERE v.plan_id = $1`, checked).Scan(&at); err != nil {
		t.Fatal(err)
	}
	v := version(checked)
	if v["status"] != "submitted" || v["confirmed_by"] != "経済産業省 管理 一郎" {
		t.Errorf("the submitted version: %v", v)
	}
	if got, err := time.Parse(time.RFC3339Nano, fmt.Sprint(v["confirmed_at"])); err != nil || !got.Equal(at) {
		t.Errorf("confirmed_at %v (%v), want %v", v["confirmed_at"], err, at)
	}
	if v := version(unchecked); v["status"] != "submitted" || v["confirmed_by"] != nil || v["confirmed_at"] != nil {
		t.Errorf("a version submitted without a check: %v", v)
	}
}
