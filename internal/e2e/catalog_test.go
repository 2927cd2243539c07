//go:build dev

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestNCOEditsAndPublishesCatalog: the NCO admin opens the draft from the
// menu, searches it, edits a control, checks the diff, gives its 改定理由
// and opens consultation; a ministry user comments; the NCO decides with
// today's 施行日 and the ministry user then reads the new text in force.
func TestNCOEditsAndPublishesCatalog(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	pub, draft := publishedBaseline(t, env)
	ctx := newBrowser(t)

	signIn(t, ctx, env, "nco-admin")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`.site-nav a[href="/catalogs"]`)),
		chromedp.WaitVisible(chromedp.CSS("#catalog-table")),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#catalog-table a[href="/catalogs/%d"]`, draft))),
		chromedp.WaitVisible(chromedp.CSS("#draft-notice")),
		chromedp.SetValue(chromedp.CSS("#filter-q"), "バックアップ"),
		chromedp.Click(chromedp.CSS("#filter-submit")),
		chromedp.WaitVisible(chromedp.CSS("#active-filters")),
	)
	contains(t, "search result count", textOf(t, ctx, "#result-count"), "件の対策が該当します")
	if n := count(t, ctx, "#controls-results tbody tr"); n == 0 {
		t.Fatal("searching バックアップ found nothing")
	}

	do(t, ctx,
		chromedp.Navigate(fmt.Sprintf("%s/catalogs/%d/controls/PR-01", env.HTTP.URL, draft)),
		chromedp.Click(chromedp.CSS("#edit-link")),
		chromedp.WaitVisible(chromedp.CSS("#control-form")),
		chromedp.SetValue(chromedp.CSS("#control-title-ja"), "ブラウザで改訂した名称"),
		chromedp.Click(chromedp.CSS("#control-save")),
		chromedp.WaitVisible(chromedp.CSS("#control-title")),
	)
	contains(t, "saved control", textOf(t, ctx, "#control-title"), "ブラウザで改訂した名称")

	do(t, ctx,
		chromedp.Navigate(fmt.Sprintf("%s/catalogs/%d/diff?from=%d", env.HTTP.URL, draft, pub)),
		chromedp.WaitVisible(chromedp.CSS("#diff-PR-01")),
	)
	contains(t, "diff", textOf(t, ctx, "#diff-PR-01"), "ブラウザで改訂した名称")

	// The revision process: the 改定理由, consultation, a ministry's
	// comment, the decision effective today; each page axe-clean.
	axe := axeSource(t)
	gov := fmt.Sprintf("%s/catalogs/%d/governance", env.HTTP.URL, draft)
	do(t, ctx,
		chromedp.Navigate(gov),
		chromedp.WaitVisible(chromedp.CSS("#reasons-form")),
		chromedp.SetValue(chromedp.CSS("#reason-PR-01"), "名称を明確にした。"),
		chromedp.Click(chromedp.CSS("#reasons-save")),
		chromedp.WaitVisible(chromedp.CSS("#gov-notice")),
	)
	if v := runAxe(t, ctx, axe); v != "" {
		t.Errorf("governance page (draft):\n%s", v)
	}
	do(t, ctx,
		chromedp.Click(chromedp.CSS("#consult-link")),
		chromedp.WaitVisible(chromedp.CSS("#publish-form")),
		chromedp.Click(chromedp.CSS("#publish-submit")),
		chromedp.WaitVisible(chromedp.CSS("#gov-notice")),
	)
	contains(t, "after opening consultation", textOf(t, ctx, "#gov-notice"), "意見募集を始めました")

	ctx2 := newBrowser(t)
	signIn(t, ctx2, env, "meti-staff")
	do(t, ctx2,
		chromedp.Navigate(gov),
		chromedp.WaitVisible(chromedp.CSS("#comment-form")),
		chromedp.SetValue(chromedp.CSS("#comment-ref"), "PR-01"),
		chromedp.SetValue(chromedp.CSS("#comment-body"), "名称の変更に賛成します。"),
		chromedp.Click(chromedp.CSS("#comment-submit")),
		chromedp.WaitVisible(chromedp.CSS("#comment-list")),
	)
	contains(t, "the ministry's comment", textOf(t, ctx2, "#comment-list"), "名称の変更に賛成します。")
	if v := runAxe(t, ctx2, axe); v != "" {
		t.Errorf("governance page (ministry, consultation):\n%s", v)
	}

	today := time.Now().In(kijun.JST).Format("2006-01-02")
	do(t, ctx,
		chromedp.Navigate(gov),
		chromedp.WaitVisible(chromedp.CSS("#decide-form")),
	)
	contains(t, "the NCO reads the comment", textOf(t, ctx, "#comment-list"), "名称の変更に賛成します。")
	if v := runAxe(t, ctx, axe); v != "" {
		t.Errorf("governance page (NCO, consultation):\n%s", v)
	}
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#decide-decided_by"), "推進専門家会議"),
		chromedp.SetValue(chromedp.CSS("#decide-reference"), "第40回 決定第1号"),
		chromedp.SetValue(chromedp.CSS("#decide-decided_on"), today),
		chromedp.SetValue(chromedp.CSS("#decide-effective_on"), today),
		chromedp.Click(chromedp.CSS("#decide-submit")),
		chromedp.WaitVisible(chromedp.CSS("#gov-notice")),
	)
	contains(t, "after the decision", textOf(t, ctx, "#gov-notice"), "施行しました")
	contains(t, "status", textOf(t, ctx, "#gov-status"), "施行中")

	// The ministry user now reads the new text.
	do(t, ctx2,
		chromedp.Navigate(fmt.Sprintf("%s/catalogs/%d/controls/PR-01", env.HTTP.URL, draft)),
		chromedp.WaitVisible(chromedp.CSS("#control-title")),
	)
	contains(t, "ministry reads", textOf(t, ctx2, "#control-title"), "ブラウザで改訂した名称")
}

// publishedBaseline seeds the shipped draft, publishes it as an NCO admin
// through the store and starts the next version as a draft.
func publishedBaseline(t *testing.T, env *servertest.Env) (pub, draft int64) {
	t.Helper()
	ctx := context.Background()
	if err := pgx.BeginFunc(ctx, env.DB.Owner, func(tx pgx.Tx) error {
		_, err := postgres.SeedBaseline(ctx, tx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.Owner.QueryRow(ctx, `SELECT id FROM catalogs WHERE code = 'kijun-baseline'`).Scan(&pub); err != nil {
		t.Fatal(err)
	}
	oversight, err := postgres.Oversight(ctx, env.DB.Owner)
	if err != nil {
		t.Fatal(err)
	}
	var uid int64
	if err := env.DB.Owner.QueryRow(ctx, `INSERT INTO users (display_name) VALUES ('統括 準備') RETURNING id`).Scan(&uid); err != nil {
		t.Fatal(err)
	}
	nco := identity.NewPrincipal(uid, "統括 準備", "", []identity.Grant{{Role: identity.RoleNCOAdmin}}, oversight)
	err = postgres.InTx(ctx, env.DB.App, nco, func(tx pgx.Tx) error {
		by := postgres.ActorOf(nco, "e2e")
		if err := postgres.Publish(ctx, tx, pub, by); err != nil {
			return err
		}
		draft, err = postgres.NewDraftFrom(ctx, tx, pub, "2026.2-draft", by)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return pub, draft
}
