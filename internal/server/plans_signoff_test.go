//go:build dev

package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestPlanSignOffPages walks the ministry's internal check on the pages:
// METI's admin turns it on; the staff's submission is refused on the
// plan's page; the staff ask for the check and the admins are told; the
// staff cannot decide, nor can another ministry's admin; a send-back
// without a comment comes back beside the comment, as typed; sent back,
// asked again, confirmed (who asked is told each time); an edit voids
// the confirmation; confirmed again, the staff submit, and the NCO sees
// who confirmed on the plan's page and in its PDF.
func TestPlanSignOffPages(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	admin, staff, fsa := env.SignIn(t, "meti-admin"), env.SignIn(t, "meti-staff"), env.SignIn(t, "fsa-staff")
	nco := env.SignIn(t, "nco-admin")
	f := newPlanFix(t, env)
	id := f.plan("METI", "electricity", "draft")
	plan := fmt.Sprintf("/plans/%d", id)
	userID := func(subject string) int64 {
		var uid int64
		if err := env.DB.Owner.QueryRow(ctx, `SELECT id FROM users WHERE email = $1 || '@example.go.jp'`, subject).Scan(&uid); err != nil {
			t.Fatal(err)
		}
		return uid
	}
	told := func(kind, subject string) int {
		var n int
		env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE kind = $1 AND user_id = $2`, kind, userID(subject)).Scan(&n)
		return n
	}

	mustStatus(t, "turn on", first(postForm(t, env, admin, "/plans/internal-check", url.Values{"ministry": {"METI"}, "required": {"1"}})), 303, "")
	_, body := env.Get(t, staff, plan)
	if !strings.Contains(body, `id="request-check"`) || strings.Contains(body, `id="submit-plan"`) || !strings.Contains(body, "社内確認はまだ依頼されていません。") {
		t.Fatalf("the staff's plan page before the check:\n%.4000s", body)
	}
	status, _, body := postForm(t, env, staff, plan+"/submit", nil)
	if status != http.StatusConflict || !strings.Contains(body, "社内確認済みにしてから提出してください。") {
		t.Fatalf("staff submitting without the check: %d\n%.3000s", status, body)
	}

	mustStatus(t, "ask", first(postForm(t, env, staff, plan+"/signoff/request", nil)), 303, "")
	if told("plan.signoff_waiting", "meti-admin") != 1 || told("plan.signoff_waiting", "meti-staff") != 0 {
		t.Error("the admin was not told of the request (or the staff were)")
	}
	if _, body := env.Get(t, admin, "/plans"); !strings.Contains(body, fmt.Sprintf(`id="plan-check-step-%d">社内確認の依頼<`, id)) {
		t.Errorf("the admin's plan list does not show the request:\n%.4000s", body)
	}
	if _, body := env.Get(t, nco, "/plans"); strings.Contains(body, "plan-check-step-") {
		t.Error("the NCO's plan list shows the ministry's internal check")
	}
	if status := first(postForm(t, env, staff, plan+"/signoff", url.Values{"decision": {"confirmed"}})); status != http.StatusNotFound {
		t.Errorf("staff confirming: %d", status)
	}
	// Another ministry's admin: FSA's plan, its check asked for by its staff.
	fsaPlan := fmt.Sprintf("/plans/%d", f.plan("FSA", "finance", "draft"))
	f.owner(func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO ministry_plan_checks (ministry_code, required) VALUES ('FSA', true)`)
		return err
	})
	mustStatus(t, "FSA asks", first(postForm(t, env, fsa, fsaPlan+"/signoff/request", nil)), 303, "")
	if status := first(postForm(t, env, admin, fsaPlan+"/signoff", url.Values{"decision": {"confirmed"}})); status != http.StatusNotFound {
		t.Errorf("METI's admin confirming FSA's plan: %d", status)
	}

	_, body = env.Get(t, admin, plan)
	if !strings.Contains(body, `id="signoff-form"`) || strings.Contains(body, `id="request-check"`) {
		t.Fatalf("the admin's page lacks the decision:\n%.4000s", body)
	}
	status, _, body = postForm(t, env, admin, plan+"/signoff", url.Values{"decision": {"sent_back"}, "comment": {"  "}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="signoff-comment-error"`) ||
		!strings.Contains(body, "再作業を依頼する理由をコメントに入力してください。") {
		t.Fatalf("send back without a comment: %d\n%.3000s", status, body)
	}
	long := "KPIの期日を見直してください。" + strings.Repeat("あ", 5000)
	status, _, body = postForm(t, env, admin, plan+"/signoff", url.Values{"decision": {"sent_back"}, "comment": {long}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="signoff-comment-error"`) || !strings.Contains(body, long) {
		t.Fatalf("a too long comment: %d, or the comment was not kept", status)
	}
	mustStatus(t, "send back", first(postForm(t, env, admin, plan+"/signoff", url.Values{"decision": {"sent_back"}, "comment": {"KPIの期日を見直してください。"}})), 303, "")
	if told("plan.sent_back", "meti-staff") != 1 {
		t.Error("the staff were not told of the send-back")
	}
	_, body = env.Get(t, staff, plan)
	if !strings.Contains(body, "再作業依頼があります。") || !strings.Contains(body, "KPIの期日を見直してください。") {
		t.Errorf("the send-back is not on the plan page:\n%.4000s", body)
	}

	mustStatus(t, "ask again", first(postForm(t, env, staff, plan+"/signoff/request", nil)), 303, "")
	mustStatus(t, "confirm", first(postForm(t, env, admin, plan+"/signoff", url.Values{"decision": {"confirmed"}})), 303, "")
	if told("plan.confirmed", "meti-staff") != 1 {
		t.Error("the staff were not told of the confirmation")
	}
	// An edit of the profile voids it: the submission is refused again.
	row := url.Values{"applies.PR-01": {"yes"}, "na_reason.PR-01": {""}, "target_status.PR-01": {"implemented"},
		"target_maturity.PR-01": {""}, "tailoring_note.PR-01": {""}, "standard_doc.PR-01": {"電力安全基準 第3条"},
		"standard_clause.PR-01": {""}, "reflection.PR-01": {""}, "reflection_on.PR-01": {""}, "reflection_reason.PR-01": {""}}
	mustStatus(t, "edit the profile", first(postForm(t, env, staff, plan+"/profile", row)), 303, "")
	_, body = env.Get(t, staff, plan)
	if !strings.Contains(body, "計画の変更により取消し") || strings.Contains(body, `id="submit-plan"`) {
		t.Errorf("the edit did not void the confirmation:\n%.4000s", body)
	}
	if status := first(postForm(t, env, staff, plan+"/submit", nil)); status != http.StatusConflict {
		t.Errorf("submitting after the edit: %d", status)
	}

	mustStatus(t, "ask once more", first(postForm(t, env, staff, plan+"/signoff/request", nil)), 303, "")
	mustStatus(t, "confirm again", first(postForm(t, env, admin, plan+"/signoff", url.Values{"decision": {"confirmed"}})), 303, "")
	_, body = env.Get(t, staff, plan)
	if !strings.Contains(body, `id="submit-plan"`) {
		t.Fatalf("a confirmed plan offers no submission:\n%.4000s", body)
	}
	mustStatus(t, "staff submit", first(postForm(t, env, staff, plan+"/submit", nil)), 303, "")
	_, body = env.Get(t, nco, plan)
	if !strings.Contains(body, `id="plan-checked-by"`) || !strings.Contains(body, "経済産業省 管理 一郎 さんが社内確認済みにしました") {
		t.Errorf("the NCO does not see who confirmed:\n%.4000s", body)
	}
	text, _ := pdfText(t, getPDF(t, env, nco, plan+"/plan.pdf?v=1"))
	if !strings.Contains(text, "社内確認") || !strings.Contains(text, "経済産業省 管理 一郎") {
		t.Errorf("the plan's PDF does not name who confirmed:\n%s", text)
	}
	var audited int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action LIKE 'plan.signoff.%' AND ministry_code = 'METI'`).Scan(&audited)
	if audited != 6 { // 3 asks, 1 send-back, 2 confirmations (FSA's ask is in FSA's chain)
		t.Errorf("%d steps audited in METI's chain, want 6", audited)
	}
}
