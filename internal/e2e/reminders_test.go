//go:build dev

package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestEscalationListShowsOverdueOperators: with this year's cycle three
// days past its due date, a ministry's staff member opens the list of
// operators that have not submitted from the 管理 hub in the header: it
// shows the operators of the ministry's sectors, each 3 days overdue, and
// none of another ministry's; the NCO's list has every sector's. The hub
// and the lists are axe-clean in Japanese and English.
func TestEscalationListShowsOverdueOperators(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	today := env.DB.Today(t)
	fy := kijun.FiscalYearOf(today)
	env.SmallCycle(t, "escalation-e2e", int(fy))
	ctx := t.Context()
	if _, err := env.DB.Owner.Exec(ctx, `UPDATE cycles SET due_on = $1 WHERE fiscal_year = $2`,
		today.AddDate(0, 0, -3).Format(time.DateOnly), int(fy)); err != nil {
		t.Fatal(err)
	}
	var all, meti int
	if err := env.DB.Owner.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE a.sector_code IN
			(SELECT sector_code FROM sector_oversight WHERE ministry_code = 'METI'))
		FROM assessments a JOIN cycles c ON c.id = a.cycle_id WHERE c.fiscal_year = $1`, int(fy)).Scan(&all, &meti); err != nil {
		t.Fatal(err)
	}
	if meti == 0 || meti == all {
		t.Fatalf("the cycle has %d assessments, %d of METI's sectors: the test needs both kinds", all, meti)
	}
	axe := axeSource(t)
	b := newBrowser(t)
	clean := func(what string) {
		t.Helper()
		for _, lang := range []string{"en", "ja"} { // ends in Japanese
			get(t, b, chromedp.Evaluate[string](`document.cookie = "kijun_lang=`+lang+`; path=/"`))
			do(t, b, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("main")))
			if v := runAxe(t, b, axe); v != "" {
				t.Errorf("%s, %s:\n%s", what, lang, v)
			}
		}
	}
	// rows checks the list: n operators, each 3 days overdue.
	rows := func(who string, n int) {
		t.Helper()
		if got := count(t, b, "#esc-table tr.esc-row"); got != n {
			t.Errorf("%s: %d operators listed, want %d", who, got, n)
		}
		contains(t, who+": caption", textOf(t, b, "#esc-caption"), fmt.Sprintf("（%d 件）", n))
		days := get(t, b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#esc-table tr.esc-row td.num")].map(e => e.textContent.trim())`))
		if len(days) != n {
			t.Errorf("%s: %d days overdue for %d operators", who, len(days), n)
		}
		for i, d := range days {
			if d != "3" {
				t.Errorf("%s: row %d is %q days overdue, want 3", who, i+1, d)
			}
		}
	}

	signIn(t, b, env, "meti-staff")
	do(t, b,
		chromedp.Click(chromedp.CSS(`.site-nav a[href="/admin"]`)),
		chromedp.WaitVisible(chromedp.CSS("#tool-reminders-escalation")),
	)
	clean("the 管理 hub")
	do(t, b,
		chromedp.Click(chromedp.CSS("#tool-reminders-escalation")),
		chromedp.WaitVisible(chromedp.CSS("#esc-table")),
	)
	contains(t, "heading", textOf(t, b, "h1"), "未提出一覧")
	contains(t, "current section", get(t, b, chromedp.Evaluate[string](`document.querySelector(".site-nav a[aria-current]").getAttribute("href")`)), "/admin")
	rows("METI", meti)
	clean("METI's list")
	get(t, b, chromedp.Evaluate[int](`fetch("/logout", {method: "POST", redirect: "manual"}).then(r => r.status)`, chromedp.EvalAwaitPromise))

	signIn(t, b, env, "nco-analyst")
	do(t, b,
		chromedp.Click(chromedp.CSS(`.site-nav a[href="/admin"]`)),
		chromedp.WaitVisible(chromedp.CSS("#tool-reminders-escalation")),
		chromedp.Click(chromedp.CSS("#tool-reminders-escalation")),
		chromedp.WaitVisible(chromedp.CSS("#esc-table")),
	)
	rows("NCO", all)
	clean("the NCO's list")
}
