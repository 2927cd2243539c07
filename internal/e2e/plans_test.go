//go:build dev

package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestMinistryDraftsPlanNCOReturnsIt: a METI user drafts a plan from the
// menu, edits two rows of its sector profile and submits it; an NCO admin
// finds it in the review queue, starts the review and returns it with a
// comment on the profile, which the ministry then reads.
func TestMinistryDraftsPlanNCOReturnsIt(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	planCatalog(t, env)
	ctx := newBrowser(t)

	signIn(t, ctx, env, "meti-staff")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`.site-nav a[href="/plans"]`)),
		chromedp.WaitVisible(chromedp.CSS("#new-plan")),
		chromedp.Click(chromedp.CSS("#new-plan")),
		chromedp.WaitVisible(chromedp.CSS("#new-plan-form")),
		chromedp.SetValue(chromedp.CSS("#new-title_ja"), "電力分野 実施計画(ブラウザ)"),
		chromedp.Click(chromedp.CSS(`input[name="sectors"][value="electricity"]`)),
		chromedp.SetValue(chromedp.CSS("#new-period_start"), "2026"),
		chromedp.SetValue(chromedp.CSS("#new-period_end"), "2028"),
		chromedp.Click(chromedp.CSS("#create-plan")),
		chromedp.WaitVisible(chromedp.CSS("#plan-summary")),
		chromedp.Click(chromedp.CSS("#profile-link")),
		chromedp.WaitVisible(chromedp.CSS("#profile-table")),
		// Row 1: GV-01 does not apply, with the reason.
		chromedp.SetValue(chromedp.CSS("#applies-GV-01"), "no"),
		chromedp.SetValue(chromedp.CSS("#na_reason-GV-01"), "全社方針で代替するため"),
		// Row 2: PR-01 is reflected in the sector's safety standard.
		chromedp.SetValue(chromedp.CSS("#standard_doc-PR-01"), "電力制御システムセキュリティガイドライン"),
		chromedp.SetValue(chromedp.CSS("#reflection-PR-01"), "reflected"),
		chromedp.SetValue(chromedp.CSS("#reflection_on-PR-01"), "2026-10-01"),
		chromedp.Click(chromedp.CSS("#save-profile")),
		chromedp.WaitVisible(chromedp.CSS("#saved")),
	)
	contains(t, "saved row GV-01", get(t, ctx, chromedp.Value(chromedp.CSS("#na_reason-GV-01"))), "全社方針で代替するため")
	contains(t, "saved row PR-01", get(t, ctx, chromedp.Value(chromedp.CSS("#standard_doc-PR-01"))), "電力制御システムセキュリティガイドライン")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`.breadcrumbs a[href^="/plans/"]`)),
		chromedp.WaitVisible(chromedp.CSS("#submit-plan")),
		chromedp.Click(chromedp.CSS("#submit-plan")),
		// The summary is on the page before and after the submit: wait
		// for the submit button to go, or the check can read the old page.
		chromedp.WaitNotPresent(chromedp.CSS("#submit-plan")),
		chromedp.WaitVisible(chromedp.CSS("#plan-summary")),
	)
	contains(t, "after submit", textOf(t, ctx, "#plan-summary"), "提出済み")
	planURL := get(t, ctx, chromedp.Location())

	nco := newBrowser(t)
	signIn(t, nco, env, "nco-admin")
	do(t, nco,
		chromedp.Click(chromedp.CSS(`.site-nav a[href="/plans"]`)),
		chromedp.Click(chromedp.CSS("#review-queue")),
		chromedp.WaitVisible(chromedp.CSS("#plan-table")),
		chromedp.Click(chromedp.CSS(`#plan-table tbody a`)),
		chromedp.WaitVisible(chromedp.CSS("#start-review")),
		chromedp.Click(chromedp.CSS("#start-review")),
		chromedp.WaitVisible(chromedp.CSS("#return-form")),
		chromedp.SetValue(chromedp.CSS("#comment_profile"), "GV-01 の代替となる全社方針の名称を記載してください。"),
		chromedp.Click(chromedp.CSS("#return-plan")),
		chromedp.WaitVisible(chromedp.CSS("#comments-profile")),
	)
	contains(t, "NCO sees the return", textOf(t, nco, "#plan-summary"), "差戻し")

	do(t, ctx, chromedp.Navigate(planURL), chromedp.WaitVisible(chromedp.CSS("#comments-profile")))
	contains(t, "ministry reads the comment", textOf(t, ctx, "#comments-profile"), "GV-01 の代替となる全社方針の名称を記載してください。")
	if n := count(t, ctx, "#revise-plan"); n != 1 {
		t.Errorf("the ministry cannot start a revision after the return")
	}
}

// planCatalog publishes a three-control baseline as the schema owner.
func planCatalog(t *testing.T, env *servertest.Env) { t.Helper(); planCatalogTitled(t, env, "") }

// planCatalogTitled is planCatalog with suffix added to every control's
// title.
func planCatalogTitled(t *testing.T, env *servertest.Env, suffix string) {
	t.Helper()
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, env.DB.Owner, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO catalogs (code, version, title_ja) VALUES ('plans-e2e', '1', '計画試験用ベースライン')
			RETURNING id`).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO controls (catalog_id, ref, section_code, title_ja, statement_ja, sort_order)
			VALUES ($1, 'GV-01', 'GV', '方針の策定' || $2, '方針を定めること。', 1),
			       ($1, 'PR-01', 'PR', 'アクセス制御' || $2, 'アクセスを制御すること。', 2),
			       ($1, 'RR-01', 'RR', '復旧計画' || $2, '復旧計画を定めること。', 3)`, id, suffix); err != nil {
			return err
		}
		// Into force the way catalog governance allows: consultation,
		// a decision effective today, in force (migration 000019).
		for _, q := range []string{
			`UPDATE catalogs SET status = 'consultation', consultation_opened_at = now() WHERE id = $1`,
			`INSERT INTO catalog_decisions (catalog_id, decided_by, reference, decided_on, effective_on)
				VALUES ($1, 'test', 'test fixture', current_date, current_date)`,
			`UPDATE catalogs SET status = 'decided' WHERE id = $1`,
			`UPDATE catalogs SET status = 'published', published_at = now() WHERE id = $1`,
		} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
