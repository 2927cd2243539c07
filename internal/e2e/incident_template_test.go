//go:build dev

package e2e

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestNCOEditsIncidentTemplate: an NCO admin opens the report template
// from the incident reports' page, adds a field with the 「項目を追加」
// button (no script), is refused with the problems next to the new row
// and the title's stages and everything typed kept, fixes it, reads the preview and the
// changes, moves the field up and publishes version 2 with a reason.
// Every page on the way is axe-clean.
func TestNCOEditsIncidentTemplate(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	axe := axeSource(t)
	ctx := newBrowser(t)
	clean := func(what string) {
		t.Helper()
		if v := runAxe(t, ctx, axe); v != "" {
			t.Errorf("%s:\n%s", what, v)
		}
	}
	signIn(t, ctx, env, "nco-admin")
	do(t, ctx,
		chromedp.Navigate(env.HTTP.URL+"/incidents"),
		chromedp.WaitVisible(chromedp.CSS("#templates-link")),
		chromedp.Click(chromedp.CSS("#templates-link")),
		chromedp.WaitVisible(chromedp.CSS("#template-form")),
	)
	clean("editor")
	n := count(t, ctx, "#tpl-rows > fieldset.control")
	row := "#row-" + strconv.Itoa(n)
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`#template-form button[value="add"]`)),
		chromedp.WaitVisible(chromedp.CSS(row+"-key")),
	)
	clean("editor with a new row")
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS(row+"-key"), "Reported To"),
		chromedp.SetValue(chromedp.CSS(row+"-type"), "choice"),
		chromedp.SetValue(chromedp.CSS(row+"-label-ja"), "報告先"),
		chromedp.SetValue(chromedp.CSS(row+"-label-en"), "Reported to"),
		chromedp.SetValue(chromedp.CSS(row+"-choices"), "police | 警察 | Police\nnone | なし | None"),
		chromedp.SetValue(chromedp.CSS("#tpl-reason"), "報告先の項目を追加するため"),
		// The title stops being required in updates: refused at its row too.
		chromedp.Click(chromedp.CSS(`#row-0-required input[value="update"]`)),
		chromedp.Click(chromedp.CSS(`button[value="publish"]`)),
		chromedp.WaitVisible(chromedp.CSS(row+"-key-error")),
		chromedp.WaitVisible(chromedp.CSS("#row-0-required-error")),
	)
	clean("refused editor")
	contains(t, "problem list", textOf(t, ctx, "#form-errors"), "キーは半角英小文字で始め")
	contains(t, "kept label", get(t, ctx, chromedp.Value(chromedp.CSS(row+"-label-ja"))), "報告先")
	contains(t, "kept choices", get(t, ctx, chromedp.Value(chromedp.CSS(row+"-choices"))), "none | なし | None")
	contains(t, "kept reason", get(t, ctx, chromedp.Value(chromedp.CSS("#tpl-reason"))), "報告先の項目を追加するため")
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS(row+"-key"), "reported_to"),
		chromedp.Click(chromedp.CSS(`#row-0-required input[value="update"]`)),
		chromedp.Click(chromedp.CSS(`#template-form button[value="preview"]`)),
		chromedp.WaitVisible(chromedp.CSS("#preview-heading")),
	)
	clean("preview")
	contains(t, "changes", textOf(t, ctx, "#template-changes"), "項目「報告先」（reported_to）を追加します。")
	contains(t, "preview", textOf(t, ctx, "#template-preview"), "警察")
	prev := "#row-" + strconv.Itoa(n-1)
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`button[value="up-`+strconv.Itoa(n)+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(prev+`-key[value="reported_to"]`)),
		chromedp.Click(chromedp.CSS(`button[value="publish"]`)),
		chromedp.WaitVisible(chromedp.CSS("#template-notice")),
	)
	clean("published")
	contains(t, "notice", textOf(t, ctx, "#template-notice"), "第 2 版")
	contains(t, "new version's row", get(t, ctx, chromedp.Value(chromedp.CSS(prev+"-key"))), "reported_to")
}
