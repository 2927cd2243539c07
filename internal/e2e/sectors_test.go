//go:build dev

package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestBrowseSectorsInEnglish: open the sector list, switch to English,
// follow a sector link and see its CEPTOAR rows.
func TestBrowseSectorsInEnglish(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := newBrowser(t)

	do(t, ctx, chromedp.Navigate(env.HTTP.URL+"/sectors"), chromedp.WaitVisible(chromedp.CSS("#sector-table")))
	contains(t, "heading in Japanese", textOf(t, ctx, "h1"), "重要インフラ分野")
	if rows := count(t, ctx, "#sector-table tbody tr"); rows != 15 {
		t.Fatalf("%d sector rows, want 15", rows)
	}

	do(t, ctx,
		chromedp.Click(chromedp.CSS(`.lang-switch button[value="en"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.lang-switch button[value="en"][aria-pressed="true"]`)),
	)
	contains(t, "heading in English", textOf(t, ctx, "h1"), "Critical infrastructure sectors")

	do(t, ctx,
		chromedp.Click(chromedp.CSS(`tr[data-sector="finance"] th a`)),
		chromedp.WaitVisible(chromedp.CSS("#ceptoar-table")),
	)
	contains(t, "sector heading", textOf(t, ctx, "h1"), "Finance")
	if ceptoars := count(t, ctx, "#ceptoar-table tr.ceptoar-row"); ceptoars != 5 {
		t.Errorf("%d CEPTOAR rows for finance, want 5", ceptoars)
	}
	contains(t, "CEPTOAR table", textOf(t, ctx, "#ceptoar-table"), "金融CEPTOAR連絡協議会")
	contains(t, "CEPTOAR as-of date", textOf(t, ctx, "#ceptoar-table"), "30 September 2025")
}
