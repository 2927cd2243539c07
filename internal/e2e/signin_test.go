//go:build dev

package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// signIn signs in through the development provider as subject, the way a
// person would: the sign-in page, the provider's button, the user picker.
func signIn(t *testing.T, ctx context.Context, env *servertest.Env, subject string) {
	t.Helper()
	do(t, ctx,
		chromedp.Navigate(env.HTTP.URL+"/login"),
		chromedp.Click(chromedp.CSS("#provider-dev")),
		chromedp.WaitVisible(chromedp.CSS(`button[name="subject"][value="`+subject+`"]`)),
		chromedp.Click(chromedp.CSS(`button[name="subject"][value="`+subject+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(".user-menu__name")),
	)
}

// TestOperatorSeesOnlyItsOwnOrganisation: an operator user signs in, opens
// its organisation from the menu, then tries another operator's URL.
func TestOperatorSeesOnlyItsOwnOrganisation(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := newBrowser(t)
	var own, other int64
	if err := env.DB.Owner.QueryRow(context.Background(),
		`SELECT (SELECT id FROM operators WHERE corporate_number = '2010401000001'),
		        (SELECT id FROM operators WHERE corporate_number = '1010401000002')`).Scan(&own, &other); err != nil {
		t.Fatal(err)
	}

	signIn(t, ctx, env, "toto-staff")
	contains(t, "user menu", textOf(t, ctx, ".user-menu__name"), "東都送配電 担当 六子")

	do(t, ctx,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`.site-nav a[href="/operators/%d"]`, own))),
		chromedp.WaitVisible(chromedp.CSS("#operator-name")),
	)
	contains(t, "own organisation", textOf(t, ctx, "#operator-name"), "東都送配電株式会社(デモ)")
	contains(t, "own organisation", textOf(t, ctx, "#operator-summary"), "2010401000001")

	do(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/operators/%d", env.HTTP.URL, other)), chromedp.WaitVisible(chromedp.CSS("h1")))
	contains(t, "another operator's page", textOf(t, ctx, "main"), "お探しのページは見つかりませんでした")
	if n := count(t, ctx, "#operator-name"); n != 0 {
		t.Error("another operator's record was shown")
	}
}
