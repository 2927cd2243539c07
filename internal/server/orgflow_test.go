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

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// TestOrgFlowAssignReadyConfirmSubmit: the operator's admin assigns a
// section to a member of staff (a day after the due date is refused next
// to its field); the assignee is told, sees it on "assigned to me" and
// the home page, and marks it ready; the admin confirms; the staff
// submit. An Excel import after the confirmation voids it: the submit is
// refused on the page and through the API alike until a new check.
func TestOrgFlowAssignReadyConfirmSubmit(t *testing.T) {
	t.Parallel()
	w := newXLWorld(t)
	env, ctx := w.env, context.Background()
	admin, staff := xlSignIn(t, env, "toto-admin", kijun.Ja), xlSignIn(t, env, "toto-staff", kijun.Ja)
	var staffID int64
	if err := env.DB.Owner.QueryRow(ctx, `SELECT id FROM users WHERE email = 'staff@toto-grid.example.jp'`).Scan(&staffID); err != nil {
		t.Fatal(err)
	}
	work := fmt.Sprintf("/assessments/%d/work", w.asm)
	base := fmt.Sprintf("%s/assessments/%d", env.HTTP.URL, w.asm)

	// Staff see the page but no assignment form or internal check.
	status, body := env.Get(t, staff, work)
	if status != http.StatusOK || strings.Contains(body, `id="assign-form"`) || strings.Contains(body, `id="signoff-form"`) {
		t.Fatalf("staff's work page: %d", status)
	}
	// Staff cannot assign (404: the policy), nor confirm.
	if status, _, _ := post(t, staff, base+"/assignments", url.Values{"section": {"GV"}}); status != http.StatusNotFound {
		t.Errorf("staff assigning: %d, want 404", status)
	}
	if status, _, _ := post(t, staff, base+"/signoff", url.Values{"decision": {"confirmed"}}); status != http.StatusNotFound {
		t.Errorf("staff confirming: %d, want 404", status)
	}

	// A day after the assessment's due date: refused next to the field,
	// with what was typed.
	status, _, body = post(t, admin, base+"/assignments", url.Values{"section": {"GV"}, "assignee": {itoa64(staffID)}, "due_on": {"2028-02-01"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="assign-due_on-error">期日は自己評価の提出期限以前の日にしてください。`) ||
		!strings.Contains(body, `value="2028-02-01"`) || !strings.Contains(body, `aria-invalid="true"`) {
		t.Fatalf("a due date after the assessment's: %d\n%.3000s", status, body)
	}
	due := time.Now().In(kijun.JST).AddDate(0, 0, 3).Format(time.DateOnly)
	if status, loc, body := post(t, admin, base+"/assignments", url.Values{"section": {"GV"}, "assignee": {itoa64(staffID)}, "due_on": {due}}); status != http.StatusSeeOther || !strings.Contains(loc, "done=assigned") {
		t.Fatalf("assign: %d %q\n%.2000s", status, loc, body)
	}
	var told, others int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FILTER (WHERE user_id = $1), count(*) FILTER (WHERE user_id <> $1)
		FROM notifications WHERE kind = 'assessment.assigned'`, staffID).Scan(&told, &others)
	if told != 1 || others != 0 {
		t.Errorf("the assignment told the assignee %d times and %d others", told, others)
	}
	for _, page := range []string{"/assignments", "/"} {
		_, body = env.Get(t, staff, page)
		if !strings.Contains(body, `id="mine-table"`) || !strings.Contains(body, fmt.Sprintf(`href="/assessments/%d/work"`, w.asm)) {
			t.Errorf("%s does not list the assignment:\n%.3000s", page, body)
		}
	}
	var aid int64
	if err := env.DB.Owner.QueryRow(ctx, `SELECT id FROM assessment_assignments WHERE assessment_id = $1`, w.asm).Scan(&aid); err != nil {
		t.Fatal(err)
	}

	// Everything answered; the assignee marks it ready; the admins hear.
	rows, err := env.DB.Owner.Query(ctx, `SELECT ref FROM assessment_controls WHERE assessment_id = $1`, w.asm)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range refs {
		w.saveInPortal(t, assessment.Answer{Ref: ref, Status: assessment.AnswerImplemented, How: "実施"})
	}
	// The admin's check before the assignment is ready is refused.
	status, _, body = post(t, admin, base+"/signoff", url.Values{"decision": {"confirmed"}})
	if status != http.StatusConflict || !strings.Contains(body, "まだ準備完了になっていない分担があります。") {
		t.Fatalf("confirm before ready: %d\n%.2000s", status, body)
	}
	if status, loc, _ := post(t, staff, fmt.Sprintf("%s/assignments/%d/ready", base, aid), url.Values{"ready": {"1"}}); status != http.StatusSeeOther || !strings.Contains(loc, "done=ready") {
		t.Fatalf("ready: %d %q", status, loc)
	}
	var waiting int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM notifications n JOIN role_grants g ON g.user_id = n.user_id
		WHERE n.kind = 'assessment.signoff_waiting' AND g.role = 'operator_admin'`).Scan(&waiting)
	if waiting == 0 {
		t.Error("no admin was told that the assessment waits for its internal check")
	}
	// A send-back needs a comment, next to the field.
	status, _, body = post(t, admin, base+"/signoff", url.Values{"decision": {"sent_back"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="signoff-comment-error"`) {
		t.Fatalf("send back without a comment: %d", status)
	}
	if status, loc, _ := post(t, admin, base+"/signoff", url.Values{"decision": {"confirmed"}}); status != http.StatusSeeOther || !strings.Contains(loc, "done=confirmed") {
		t.Fatalf("confirm: %d %q", status, loc)
	}
	_, body = env.Get(t, staff, fmt.Sprintf("/assessments/%d", w.asm))
	if !strings.Contains(body, `id="assessment-signoff"`) || !strings.Contains(body, "東都送配電 管理 五郎 さんが社内確認済みにしました") {
		t.Errorf("the overview does not say who confirmed:\n%.3000s", body)
	}

	// The import path: a change through Excel voids the confirmation.
	data := xlDownload(t, env, staff, w.asm)
	r := xlRowOf(t, data, "GV-01")
	status, preview := xlUpload(t, env, staff, w.asm, "回答票.xlsx", xlEdit(t, data, map[string]any{fmt.Sprintf("G%d", r): "Excel で見直した"}))
	if status != http.StatusOK {
		t.Fatalf("preview: %d", status)
	}
	if resp := xlConfirm(t, env, staff, w.asm, preview, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("import: %d", resp.StatusCode)
	}
	status, _, body = post(t, staff, base+"/submit", nil)
	if status != http.StatusConflict || !strings.Contains(body, "社内確認済みになっていないため、提出できません。") {
		t.Fatalf("submit after an import voided the confirmation: %d\n%.2000s", status, body)
	}
	// Confirmed again, the staff submit; the submission records who confirmed.
	if status, _, _ := post(t, admin, base+"/signoff", url.Values{"decision": {"confirmed"}}); status != http.StatusSeeOther {
		t.Fatalf("confirm again: %d", status)
	}
	if status, loc, _ := post(t, staff, base+"/submit", nil); status != http.StatusSeeOther || !strings.Contains(loc, "done=submitted") {
		t.Fatalf("submit: %d %q", status, loc)
	}
	var by string
	if err := env.DB.Owner.QueryRow(ctx, `SELECT s.by_name FROM assessments a JOIN assessment_signoffs s ON s.id = a.signoff_id WHERE a.id = $1`,
		w.asm).Scan(&by); err != nil || by != "東都送配電 管理 五郎" {
		t.Errorf("the submission's confirmation by %q (%v)", by, err)
	}
	var audited int
	env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'assessment.submit'
		AND after->>'confirmed_by_name' = '東都送配電 管理 五郎'`).Scan(&audited)
	if audited != 1 {
		t.Errorf("%d submissions audited with who confirmed", audited)
	}
}

func init() {
	matrixCaseSets = append(matrixCaseSets, func(fx *tenantFixture) map[string]routeCase {
		t, env, q := fx.t, fx.env, fx.q
		asms := xlOpenCycle(t, env, xlSmallCatalog(t, env, "orgflow-matrix"), 2034)
		toto, kita, bank := asms[fx.ids["2010401000001"]], asms[fx.ids["1010401000002"]], asms[fx.ids["4010001000003"]]
		pairs := map[string][2]int64{
			"meti-admin": {toto, bank}, "meti-staff": {toto, bank}, "fsa-staff": {bank, toto},
			"toto-admin": {toto, kita}, "toto-staff": {toto, kita}, "toto-reviewer": {toto, kita}, "nco-admin": {toto, bank}, "nco-analyst": {toto, bank},
		}
		operators := []string{"toto-admin", "toto-staff", "toto-reviewer"}
		ministries := []string{"meti-admin", "meti-staff", "fsa-staff"}
		viewers := append(append(append([]string{}, ncos...), ministries...), operators...)
		checkers := []string{"toto-admin", "toto-reviewer"} // the internal check: admins and reviewers
		// An assignment of each assessment, to a user of its operator.
		assignment := map[int64]int64{}
		n := 0
		assign := func(asm int64) int64 {
			n++
			return q(`INSERT INTO assessment_assignments (assessment_id, operator_id, sector_code, section_code, ref, assignee_id, due_on)
				SELECT a.id, a.operator_id, a.sector_code, 'GV', $2, coalesce((SELECT g.user_id FROM role_grants g WHERE g.operator_id = a.operator_id LIMIT 1), (SELECT min(id) FROM users)),
				c.due_on FROM assessments a JOIN cycles c ON c.id = a.cycle_id WHERE a.id = $1 RETURNING id`, asm, fmt.Sprintf("M-%d", n))
		}
		for _, a := range []int64{toto, kita, bank} {
			assignment[a] = assign(a)
		}
		pick := func(role string, own bool) int64 {
			pair, ok := pairs[role]
			if !ok {
				pair = pairs["meti-admin"]
			}
			if own {
				return pair[0]
			}
			return pair[1]
		}
		// The ministry's internal check of its plans: METI's admins only.
		if fx.extra == nil {
			fx.extra = map[string]requestExtra{}
		}
		fx.extra["POST /plans/internal-check"] = requestExtra{body: "ministry=METI&required=0"}
		return map[string]routeCase{
			"POST /plans/internal-check":         {fixed("/plans/internal-check"), allow("POST", 303, []string{"meti-admin"}, []string{"meti-admin"})},
			"GET /assignments":                   {fixed("/assignments"), allow("GET", 200, operators, operators)},
			"GET /assessments/{id}/work":         {byID("/assessments/", pairs, "/work"), allow("GET", 200, viewers, ncos)},
			"POST /assessments/{id}/assignments": {byID("/assessments/", pairs, "/assignments"), allow("POST", 422, []string{"toto-admin"}, nil)}, // empty form
			"POST /assessments/{id}/signoff":     {byID("/assessments/", pairs, "/signoff"), allow("POST", 422, checkers, nil)},                   // no decision
			// The admin marks any assignment ready; staff and reviewers only
			// their own (this one is another user's: 403).
			"POST /assessments/{id}/assignments/{aid}/ready": {func(role string, own bool) string {
				a := pick(role, own)
				return fmt.Sprintf("/assessments/%d/assignments/%d/ready", a, assignment[a])
			}, func(role string, own bool) int {
				if (role == "toto-staff" || role == "toto-reviewer") && own {
					return http.StatusForbidden
				}
				return allow("POST", 303, []string{"toto-admin"}, nil)(role, own)
			}},
			// A fresh assignment per request: removing consumes it.
			"POST /assessments/{id}/assignments/{aid}/delete": {func(role string, own bool) string {
				a := pick(role, own)
				return fmt.Sprintf("/assessments/%d/assignments/%d/delete", a, assign(a))
			}, allow("POST", 303, []string{"toto-admin"}, nil)},
		}
	})
}
