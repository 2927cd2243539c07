//go:build dev

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/bulletin"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// bulletinFixtures gives the accessibility walk a bulletin to everyone
// that asks for an acknowledgement (so each role sees its report or its
// acknowledgement form) and an escalated inquiry of Toto to METI.
func bulletinFixtures(ctx context.Context, tx pgx.Tx, nco *identity.Principal,
	user func(string, identity.Grant) (*identity.Principal, error), now time.Time) error {
	if err := postgres.ActAs(ctx, tx, nco); err != nil {
		return err
	}
	due := now.AddDate(0, 0, 14)
	if _, _, err := postgres.PublishBulletin(ctx, tx, nco, bulletin.Bulletin{Category: bulletin.Request, Title: "対策状況の確認のお願い",
		Body: "別紙の項目について確認してください。\n期限までに確認をお願いします。", AckBy: &due,
		Audience: bulletin.Audience{Kind: bulletin.Everyone}}, "test"); err != nil {
		return err
	}
	var toto int64
	if err := tx.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = '2010401000001'`).Scan(&toto); err != nil {
		return err
	}
	op, err := user("東都 試験", identity.Grant{Role: identity.RoleOperatorStaff, OperatorID: toto, SectorCode: "electricity"})
	if err != nil {
		return err
	}
	if err := postgres.ActAs(ctx, tx, op); err != nil {
		return err
	}
	q, err := postgres.CreateInquiry(ctx, tx, op, bulletin.Inquiry{OperatorID: toto, MinistryCode: "METI", Subject: "対象範囲について"},
		"委託先の端末は対象に含まれますか。", "test")
	if err != nil {
		return err
	}
	meti, err := user("経産 試験", identity.Grant{Role: identity.RoleMinistryStaff, MinistryCode: "METI"})
	if err != nil {
		return err
	}
	if err := postgres.ActAs(ctx, tx, meti); err != nil {
		return err
	}
	if err := postgres.AddInquiryMessage(ctx, tx, meti, q, bulletin.SideMinistry, "含まれます。", "test"); err != nil {
		return err
	}
	return postgres.EscalateInquiry(ctx, tx, meti, q, "test")
}

// TestBulletinPublishAndAcknowledgeInTheBrowser: METI publishes a bulletin
// to the electricity operators asking for an acknowledgement, after one
// refused attempt that keeps what was typed; Toto's staff finds it unread
// in the list, opens it and acknowledges; METI's report counts it. Every
// page passes axe-core.
func TestBulletinPublishAndAcknowledgeInTheBrowser(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	env := servertest.New(t)
	ctx := newBrowser(t)
	check := func(what string) {
		t.Helper()
		if v := runAxe(t, ctx, axe); v != "" {
			t.Errorf("%s:\n%s", what, v)
		}
	}
	signIn(t, ctx, env, "meti-staff")
	do(t, ctx,
		chromedp.Navigate(env.HTTP.URL+"/bulletins"),
		chromedp.Click(chromedp.CSS("#new-bulletin")),
		chromedp.WaitVisible(chromedp.CSS("#b-title")),
	)
	check("the publishing form")
	// Without a sector: refused, the title kept, the message at the field.
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#b-category"), "request"),
		chromedp.SendKeys(chromedp.CSS("#b-title"), "停電対策の点検のお願い"),
		chromedp.SendKeys(chromedp.CSS("#b-body"), "各社の非常用電源の点検状況を確認してください。"),
		chromedp.Click(chromedp.CSS("#b-audience-sectors")),
		chromedp.Click(chromedp.CSS("#publish")),
		chromedp.WaitVisible(chromedp.CSS("#b-errors")),
	)
	if got := get(t, ctx, chromedp.Value(chromedp.CSS("#b-title"))); got != "停電対策の点検のお願い" {
		t.Errorf("title after the refusal: %q", got)
	}
	if msg := textOf(t, ctx, "#b-sectors-error"); !strings.Contains(msg, "分野を1つ以上選択してください") {
		t.Errorf("sector error: %q", msg)
	}
	check("the refused form")
	due := time.Now().In(kijun.JST).AddDate(0, 0, 10).Format(time.DateOnly)
	do(t, ctx,
		chromedp.Click(chromedp.CSS("#b-sector-electricity")),
		chromedp.SetValue(chromedp.CSS("#b-ack_by"), due),
		chromedp.Click(chromedp.CSS("#publish")),
		chromedp.WaitVisible(chromedp.CSS("#bulletin-notice")),
	)
	if a := textOf(t, ctx, "#bulletin-audience"); !strings.Contains(a, "電力") {
		t.Errorf("audience: %q", a)
	}
	check("the published bulletin with its report")
	path := get(t, ctx, chromedp.Evaluate[string](`location.pathname`))

	signOut(t, ctx)
	signIn(t, ctx, env, "toto-staff")
	do(t, ctx, chromedp.Navigate(env.HTTP.URL+"/bulletins"), chromedp.WaitVisible(chromedp.CSS("#bulletin-table")))
	if row := textOf(t, ctx, "#bulletin-table tbody tr"); !strings.Contains(row, "未読") || !strings.Contains(row, "停電対策の点検のお願い") {
		t.Errorf("Toto's list: %q", row)
	}
	check("the operator's list")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`#bulletin-table a[href="`+path+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[id^="ack-button-"]`)),
	)
	check("the bulletin asking for an acknowledgement")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`[id^="ack-button-"]`)),
		chromedp.WaitVisible(chromedp.CSS(".ack-done")),
	)
	check("the acknowledged bulletin")

	signOut(t, ctx)
	signIn(t, ctx, env, "meti-staff")
	do(t, ctx, chromedp.Navigate(env.HTTP.URL+path), chromedp.WaitVisible(chromedp.CSS("#report-counts")))
	if counts := textOf(t, ctx, "#report-counts"); !strings.Contains(counts, "確認済み 1 組織") {
		t.Errorf("METI's report: %q", counts)
	}
}

// signOut ends the browser's session, so that the next signIn can begin.
func signOut(t *testing.T, ctx context.Context) {
	t.Helper()
	get(t, ctx, chromedp.Evaluate[int](`fetch("/logout", {method: "POST", redirect: "manual"}).then(r => r.status)`, chromedp.EvalAwaitPromise))
}

// TestInquiryThreadInTheBrowser: Toto's staff asks METI; METI answers and
// escalates; the NCO answers; Toto reads both answers. Every page passes
// axe-core.
func TestInquiryThreadInTheBrowser(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	env := servertest.New(t)
	ctx := newBrowser(t)
	check := func(what string) {
		t.Helper()
		if v := runAxe(t, ctx, axe); v != "" {
			t.Errorf("%s:\n%s", what, v)
		}
	}
	reply := func(text string) {
		t.Helper()
		do(t, ctx,
			chromedp.SendKeys(chromedp.CSS("#r-body"), text),
			chromedp.Click(chromedp.CSS("#reply")),
			chromedp.WaitVisible(chromedp.CSS("#inquiry-notice")),
		)
	}
	signIn(t, ctx, env, "toto-staff")
	do(t, ctx, chromedp.Navigate(env.HTTP.URL+"/inquiries"), chromedp.WaitVisible(chromedp.CSS("#q-subject")))
	check("the inquiries page")
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#q-subject"), "報告様式について"),
		chromedp.SendKeys(chromedp.CSS("#q-body"), "報告様式の最新版はどこで入手できますか。"),
		chromedp.Click(chromedp.CSS("#ask")),
		chromedp.WaitVisible(chromedp.CSS("#inquiry-notice")),
	)
	check("the new inquiry")
	path := get(t, ctx, chromedp.Evaluate[string](`location.pathname`))

	signOut(t, ctx)
	signIn(t, ctx, env, "meti-staff")
	do(t, ctx, chromedp.Navigate(env.HTTP.URL+path), chromedp.WaitVisible(chromedp.CSS("#escalate")))
	check("the ministry's thread")
	reply("本ポータルの周知で配布予定です。")
	do(t, ctx, chromedp.Click(chromedp.CSS("#escalate")), chromedp.WaitVisible(chromedp.CSS("#escalated-at")))

	signOut(t, ctx)
	signIn(t, ctx, env, "nco-analyst")
	do(t, ctx, chromedp.Navigate(env.HTTP.URL+path), chromedp.WaitVisible(chromedp.CSS("#r-body")))
	check("the NCO's thread")
	reply("来月、全分野に周知します。")

	signOut(t, ctx)
	signIn(t, ctx, env, "toto-staff")
	do(t, ctx, chromedp.Navigate(env.HTTP.URL+path), chromedp.WaitVisible(chromedp.CSS("#thread")))
	thread := textOf(t, ctx, "#thread")
	for _, want := range []string{"報告様式の最新版", "本ポータルの周知で配布予定です。", "来月、全分野に周知します。", "国家サイバー統括室"} {
		if !strings.Contains(thread, want) {
			t.Errorf("Toto's thread lacks %q:\n%s", want, thread)
		}
	}
	check("the operator's thread with both answers")
}
