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

	"github.com/kijun-portal/kijun/internal/kijun"
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
