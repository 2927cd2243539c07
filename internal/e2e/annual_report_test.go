//go:build dev

package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestAnnualReportInTheBrowser: the NCO admin opens the annual report,
// which passes axe-core in both languages (its contents, tables, charts and
// the opinion form), records the expert meeting's opinion without
// JavaScript's help (a plain form post), and sees it on the page.
func TestAnnualReportInTheBrowser(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	env := servertest.New(t)
	ctx := context.Background()
	if _, err := env.DB.Owner.Exec(ctx, `INSERT INTO plan_evaluations (ministry_code, sector_code, fiscal_year, findings,
			good_practices, rating, status, published_at)
		VALUES ('METI', 'electricity', 2026, '周知が進んでいます。', '演習を共同で実施しています。', 'A', 'published', now())`); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	signIn(t, b, env, "nco-admin")
	for _, lang := range []string{"ja", "en"} {
		do(t, b, chromedp.Navigate(env.HTTP.URL+"/"))
		get(t, b, chromedp.Evaluate[string](`document.cookie = "kijun_lang=`+lang+`; path=/"`))
		do(t, b, chromedp.Navigate(env.HTTP.URL+"/evaluations/report?fy=2026"))
		if v := runAxe(t, b, axe); v != "" {
			t.Errorf("%s: axe:\n%s", lang, v)
		}
	}
	get(t, b, chromedp.Evaluate[string](`document.cookie = "kijun_lang=ja; path=/"`))
	do(t, b, chromedp.Navigate(env.HTTP.URL+"/evaluations/report?fy=2026"),
		chromedp.SendKeys(chromedp.CSS("#rp-meeting"), "第1回推進専門家会議"),
		chromedp.SendKeys(chromedp.CSS("#rp-opinion"), "概ね妥当である。"))
	get(t, b, chromedp.Evaluate[string](`document.querySelector("#rp-meeting_on").value = "2027-05-20"`))
	do(t, b, chromedp.Click(chromedp.CSS("#record-opinion")), chromedp.WaitVisible(chromedp.CSS("#make-final")))
	text := get(t, b, chromedp.Evaluate[string](`document.querySelector("main").innerText`))
	for _, want := range []string{"概ね妥当である。", "推進専門家会議の意見聴取済み", "演習を共同で実施しています。"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if v := runAxe(t, b, axe); v != "" {
		t.Errorf("after the opinion: axe:\n%s", v)
	}
}
