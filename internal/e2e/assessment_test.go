//go:build dev

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestAnswerSubmitReturnInTheBrowser: the operator's admin assigns a
// section to a member of staff, who answers it with autosave, reloads
// and finds the answers, answers the rest and marks the assignment
// ready; the operator's reviewer (社内確認者) finds it waiting on the home
// page and confirms it (社内確認), and the staff member submits;
// the ministry returns it with a comment; the operator sees the comment,
// finds the return in the inbox and follows it to the assessment, and
// finds its mail in the development mailbox and follows that too.
func TestAnswerSubmitReturnInTheBrowser(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	asm := env.SmallCycle(t, "browser-test", 2027)["2010401000001"]
	startMail(t, env)
	base := fmt.Sprintf("%s/assessments/%d", env.HTTP.URL, asm)

	op := newBrowser(t)
	signIn(t, op, env, "toto-staff")

	// The operator's admin assigns 組織統治 (GV) to the staff member, on
	// the work page (axe clean); the staff member sees it at home.
	admin := newBrowser(t)
	signIn(t, admin, env, "toto-admin")
	var staffID int64
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT id FROM users WHERE email = 'staff@toto-grid.example.jp'`).Scan(&staffID); err != nil {
		t.Fatal(err)
	}
	due := time.Now().In(kijun.JST).AddDate(0, 0, 3).Format(time.DateOnly)
	do(t, admin, chromedp.Navigate(base+"/work"), chromedp.WaitVisible(chromedp.CSS("#assign-form")))
	if v := runAxe(t, admin, axeSource(t)); v != "" {
		t.Errorf("the work page:\n%s", v)
	}
	do(t, admin, chromedp.SetValue(chromedp.CSS("#assign-section"), "GV"),
		chromedp.SetValue(chromedp.CSS("#assign-assignee"), strconv.FormatInt(staffID, 10)),
		chromedp.SetValue(chromedp.CSS("#assign-due_on"), due),
		chromedp.Click(chromedp.CSS("#assign")), chromedp.WaitVisible(chromedp.CSS("#assignment-table")))
	contains(t, "assigned", textOf(t, admin, "#notice"), "分担を登録しました")
	do(t, op, chromedp.Navigate(env.HTTP.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#mine-table")))
	contains(t, "assigned to me", textOf(t, op, "#mine-table"), "組織統治")

	do(t, op, chromedp.Navigate(base), chromedp.Click(chromedp.CSS("#continue")), chromedp.WaitVisible(chromedp.CSS("#ctl-GV-01")))

	// Answer GV-01 by clicking and typing only; the script saves it.
	do(t, op,
		chromedp.Click(chromedp.CSS(`input[name="status-GV-01"][value="implemented"]`)),
		chromedp.SendKeys(chromedp.CSS("#how-GV-01"), "情報セキュリティ規程を定め、年1回見直している。"),
	)
	waitStored(t, env, asm, "GV-01", "implemented", "how", "情報セキュリティ規程を定め、年1回見直している。")
	do(t, op, chromedp.Click(chromedp.CSS(`input[name="status-GV-02"][value="not_applicable"]`)),
		chromedp.SendKeys(chromedp.CSS("#na_reason-GV-02"), "委託先を有しないため"))
	waitStored(t, env, asm, "GV-02", "not_applicable", "na_reason", "委託先を有しないため")

	// Reload: the answers are there.
	do(t, op, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#ctl-GV-01")))
	if v := get(t, op, chromedp.Evaluate[string](`document.querySelector("#how-GV-01").value`)); v != "情報セキュリティ規程を定め、年1回見直している。" {
		t.Fatalf("after reload, GV-01 says %q", v)
	}
	if !get(t, op, chromedp.Evaluate[bool](`document.querySelector('input[name="status-GV-02"][value="not_applicable"]').checked`)) {
		t.Fatal("after reload, GV-02 is not 'not applicable'")
	}

	// The other sections, through the ordinary save button.
	for _, sec := range []struct{ section, refs string }{{"PR", "PR-01 PR-02"}, {"DE", "DE-01"}} {
		do(t, op, chromedp.Navigate(base+"/sections/"+sec.section), chromedp.WaitVisible(chromedp.CSS("#save-section")))
		for _, ref := range strings.Fields(sec.refs) {
			do(t, op, chromedp.Click(chromedp.CSS(`input[name="status-`+ref+`"][value="implemented"]`)))
		}
		do(t, op, chromedp.Click(chromedp.CSS("#save-section")), chromedp.WaitVisible(chromedp.CSS("#saved-notice")))
	}
	// Not yet confirmed: the submission is refused, saying why.
	do(t, op, chromedp.Navigate(base), chromedp.Click(chromedp.CSS("#submit")), chromedp.WaitVisible(chromedp.CSS("#refused")))
	contains(t, "unconfirmed submit", textOf(t, op, "#refused"), "社内確認済みになっていないため")
	// The staff member marks the assignment ready; the reviewer finds it
	// on the home page and confirms (axe clean); the staff member submits.
	var aid int64
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT id FROM assessment_assignments WHERE assessment_id = $1`, asm).Scan(&aid); err != nil {
		t.Fatal(err)
	}
	do(t, op, chromedp.Navigate(env.HTTP.URL+"/assignments"), chromedp.WaitVisible(chromedp.CSS("#mine-table")))
	if v := runAxe(t, op, axeSource(t)); v != "" {
		t.Errorf("assigned to me:\n%s", v)
	}
	do(t, op, chromedp.Navigate(base+"/work"), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf("#ready-%d", aid))))
	if v := runAxe(t, op, axeSource(t)); v != "" {
		t.Errorf("the assignee's work page:\n%s", v)
	}
	do(t, op, chromedp.Click(chromedp.CSS(fmt.Sprintf("#ready-%d", aid))), chromedp.WaitVisible(chromedp.CSS("#notice")))
	contains(t, "ready", textOf(t, op, "#assignment-table"), "準備完了")
	reviewer := newBrowser(t)
	signIn(t, reviewer, env, "toto-reviewer")
	do(t, reviewer, chromedp.Navigate(env.HTTP.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#home-check-assessments")))
	if v := runAxe(t, reviewer, axeSource(t)); v != "" {
		t.Errorf("the reviewer's home page:\n%s", v)
	}
	do(t, reviewer, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#home-check-assessments a[href="/assessments/%d/work"]`, asm))),
		chromedp.WaitVisible(chromedp.CSS("#signoff-form")))
	if v := runAxe(t, reviewer, axeSource(t)); v != "" {
		t.Errorf("the work page with the internal check:\n%s", v)
	}
	do(t, reviewer, chromedp.Click(chromedp.CSS("#confirm")), chromedp.WaitVisible(chromedp.CSS("#notice")))
	contains(t, "confirmed", textOf(t, reviewer, "#signoff-state"), "社内確認済みにしました")
	do(t, op, chromedp.Navigate(base), chromedp.Click(chromedp.CSS("#submit")), chromedp.WaitVisible(chromedp.CSS("#notice")))
	contains(t, "status after submitting", textOf(t, op, "#assessment-status"), "提出済")
	if v := runAxe(t, op, axeSource(t)); v != "" {
		t.Errorf("the submitted assessment's page:\n%s", v)
	}

	// The ministry returns it with a comment on GV-01.
	ministry := newBrowser(t)
	signIn(t, ministry, env, "meti-staff")
	do(t, ministry, chromedp.Navigate(base+"/sections/GV"), chromedp.WaitVisible(chromedp.CSS("#comment-GV-01")),
		chromedp.SendKeys(chromedp.CSS("#comment-GV-01"), "規程の最新版を証跡として添付してください。"),
		chromedp.Click(chromedp.CSS(`button[name="comment"][value="GV-01"]`)),
		chromedp.WaitVisible(chromedp.CSS("#saved-notice")),
		// The comment on GV-01 is reason enough: no overall note.
		chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS("#review-note")),
		chromedp.Click(chromedp.CSS("#return")), chromedp.WaitVisible(chromedp.CSS("#notice")),
	)
	contains(t, "status after return", textOf(t, ministry, "#assessment-status"), "差戻し")

	// The operator sees the comment.
	do(t, op, chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS("#assessment-status")))
	contains(t, "returned status", textOf(t, op, "#assessment-status"), "差戻し")
	contains(t, "comments", textOf(t, op, "main"), "規程の最新版を証跡として添付してください。")

	// The comment and the return are in the operator's inbox, counted in
	// the header; following the return's notice opens the assessment.
	contains(t, "unread count", textOf(t, op, "#unread-count"), "3") // the assignment, the comment, the return
	do(t, op, chromedp.Click(chromedp.CSS("#notices-link")), chromedp.WaitVisible(chromedp.CSS("#inbox")))
	returned := `#inbox li[data-kind="assessment.returned"]`
	contains(t, "returned notice", textOf(t, op, returned), "差し戻されました")
	do(t, op, chromedp.Click(chromedp.CSS(returned+` button[name="open"]`)), chromedp.WaitVisible(chromedp.CSS("#assessment-status")))
	if loc := get(t, op, chromedp.Evaluate[string](`location.pathname`)); loc != fmt.Sprintf("/assessments/%d", asm) {
		t.Fatalf("the notice led to %s", loc)
	}
	contains(t, "unread count after opening", textOf(t, op, "#unread-count"), "2")

	// The queue mailed the return to the operator's address; the
	// development banner leads to the mailbox, and the mail's link back to
	// the assessment.
	env.DB.Await(t, "the notices mailed", `SELECT count(*) > 0 AND bool_and(mailed_at IS NOT NULL) FROM notifications`)
	do(t, op, chromedp.Click(chromedp.CSS("#dev-mail-link")), chromedp.WaitVisible(chromedp.CSS("#mail-list")))
	href := get(t, op, chromedp.Evaluate[string](`[...document.querySelectorAll('#mail-list tr[data-to="staff@toto-grid.example.jp"] a')]
		.filter(a => a.textContent.includes("差し戻されました")).map(a => a.getAttribute("href")).join(" ")`))
	if !strings.HasPrefix(href, "/dev/mail/") || strings.Contains(href, " ") {
		t.Fatalf("the operator's returned mail in the mailbox: %q, want one", href)
	}
	do(t, op, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#mail-list a[href=%q]`, href))), chromedp.WaitVisible(chromedp.CSS("#mail-text")))
	contains(t, "mail subject", textOf(t, op, "#mail-subject"), "差し戻されました")
	contains(t, "mail recipient", textOf(t, op, "#mail-to"), "staff@toto-grid.example.jp")
	link := fmt.Sprintf("%s/assessments/%d", env.HTTP.URL, asm)
	do(t, op, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#mail-text a[href=%q]`, link))), chromedp.WaitVisible(chromedp.CSS("#assessment-status")))
	if loc := get(t, op, chromedp.Evaluate[string](`location.pathname`)); loc != fmt.Sprintf("/assessments/%d", asm) {
		t.Fatalf("the mail led to %s", loc)
	}
}

// TestSectionFormKeepsWhatIsTyped: Enter in a text field saves the
// section (not the first control's upload), and the section's save button
// keeps the file chosen and the comment typed on the page; the file's
// removal button removes it and keeps what was typed too.
func TestSectionFormKeepsWhatIsTyped(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	asm := env.SmallCycle(t, "browser-keep", 2027)["2010401000001"]
	base := fmt.Sprintf("%s/assessments/%d", env.HTTP.URL, asm)
	op := newBrowser(t)
	signIn(t, op, env, "toto-staff")
	do(t, op, chromedp.Navigate(base+"/sections/GV"), chromedp.WaitVisible(chromedp.CSS("#ctl-GV-02")),
		chromedp.Click(chromedp.CSS(`input[name="status-GV-02"][value="not_applicable"]`)),
		chromedp.SendKeys(chromedp.CSS("#na_reason-GV-02"), "委託先を有しないため"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#saved-notice, #form-errors")),
	)
	if count(t, op, "#form-errors") > 0 {
		t.Fatalf("Enter in a text field: %s", textOf(t, op, "#form-errors"))
	}
	waitStored(t, env, asm, "GV-02", "not_applicable", "na_reason", "委託先を有しないため")

	file := filepath.Join(t.TempDir(), "規程.pdf")
	if err := os.WriteFile(file, []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, op, chromedp.SetUploadFiles(chromedp.CSS("#evidence-GV-01"), []string{file}),
		chromedp.SendKeys(chromedp.CSS("#comment-GV-02"), "確認をお願いします。"),
		chromedp.Click(chromedp.CSS("#save-section")), chromedp.WaitVisible(chromedp.CSS("#saved-notice, #form-errors")),
	)
	if count(t, op, "#form-errors") > 0 {
		t.Fatalf("saving the section: %s", textOf(t, op, "#form-errors"))
	}
	contains(t, "GV-01 after the section's save", textOf(t, op, "#ctl-GV-01"), "規程.pdf")
	contains(t, "GV-02 after the section's save", textOf(t, op, "#ctl-GV-02"), "確認をお願いします。")

	// The file's 削除する button (named after the file) removes it, and
	// keeps the comment typed meanwhile.
	remove := `button[name="remove_evidence"][aria-label="規程.pdf を削除する"]`
	do(t, op, chromedp.SendKeys(chromedp.CSS("#comment-GV-02"), "規程を差し替えます。"),
		chromedp.Click(chromedp.CSS(remove)), chromedp.WaitNotPresent(chromedp.CSS(remove)),
		chromedp.WaitVisible(chromedp.CSS("#saved-notice, #form-errors")),
	)
	if count(t, op, "#form-errors") > 0 {
		t.Fatalf("removing the file: %s", textOf(t, op, "#form-errors"))
	}
	if strings.Contains(textOf(t, op, "#ctl-GV-01"), "規程.pdf") {
		t.Error("the removed file is still listed")
	}
	contains(t, "GV-02 after the removal", textOf(t, op, "#ctl-GV-02"), "規程を差し替えます。")
	var files int
	env.DB.Owner.QueryRow(context.Background(), `SELECT count(*) FROM evidence WHERE assessment_id = $1`, asm).Scan(&files)
	if files != 0 {
		t.Errorf("%d files left after the removal", files)
	}
}

// waitStored waits until the script has saved ref with status and the
// text in column, reading the database: how many saves that takes depends
// on how the key presses and the debounce fall.
func waitStored(t *testing.T, env *servertest.Env, asm int64, ref, status, column, text string) {
	t.Helper()
	env.DB.Await(t, fmt.Sprintf("the script saving %s as %s with %q", ref, status, text), `SELECT EXISTS (SELECT FROM answers
		WHERE assessment_id = $1 AND ref = $2 AND coalesce(status, '') = $3 AND coalesce(`+column+`, '') = $4)`, asm, ref, status, text)
}
