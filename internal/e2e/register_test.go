//go:build dev

package e2e

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kijun-portal/kijun/internal/register"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

func validCorpNum(t *testing.T, base string) string {
	t.Helper()
	d, err := register.CorporateNumberCheckDigit(base)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(d) + base
}

// TestMinistryImportsOperators: a ministry user imports a register CSV in
// Chromium, checks the preview (nothing saved yet), confirms, and finds
// the new operators in the register.
func TestMinistryImportsOperators(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := newBrowser(t)

	file := filepath.Join(t.TempDir(), "operators.csv")
	csv := "\uFEFF法人番号,名称,名称(英語),分野,事業の範囲,指定区分,指定日,指定理由\r\n" +
		validCorpNum(t, "800000000051") + ",ブラウザ第一電力株式会社,Browser Power One,電力,発電事業,重要インフラ事業者,2026-04-01,主要な発電事業者\r\n" +
		validCorpNum(t, "800000000052") + ",ブラウザ第二電力株式会社,Browser Power Two,電力,一般送配電事業,両方,2026/4/1,\r\n" +
		"1234567890123,番号誤り電力,,電力,発電事業,重要インフラ事業者,2026-04-01,\r\n"
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}

	signIn(t, ctx, env, "meti-staff")
	do(t, ctx,
		chromedp.Navigate(env.HTTP.URL+"/operators"),
		chromedp.Click(chromedp.CSS("#import-operators")),
		chromedp.WaitVisible(chromedp.CSS("#import-form")),
		chromedp.SetUploadFiles(chromedp.CSS(`input[name="file"]`), []string{file}),
		chromedp.Click(chromedp.CSS("#import-submit")),
		chromedp.WaitVisible(chromedp.CSS("#preview-table")),
	)
	contains(t, "preview summary", textOf(t, ctx, "#preview-summary"), "新規登録 2件、更新 0件、誤りのため取り込まない行 1件")
	contains(t, "bad row", textOf(t, ctx, "#line-4"), "法人番号の検査用数字が正しくありません")
	contains(t, "good row", textOf(t, ctx, "#line-2"), "新規に登録します")
	var n int
	if err := env.DB.Owner.QueryRow(context.Background(),
		`SELECT count(*) FROM operators WHERE name_ja LIKE 'ブラウザ%'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the preview wrote %d operators (%v)", n, err)
	}

	do(t, ctx,
		chromedp.Click(chromedp.CSS("#import-confirm")),
		chromedp.WaitVisible(chromedp.CSS("#import-result")),
	)
	contains(t, "result", textOf(t, ctx, "#import-result"), "新規登録 2件、更新 0件、取り込まなかった行 1件")

	do(t, ctx,
		chromedp.Click(chromedp.CSS("#import-result a")),
		chromedp.WaitVisible(chromedp.CSS("#operator-table")),
	)
	contains(t, "register", textOf(t, ctx, "#operator-table"), "ブラウザ第一電力株式会社")
	do(t, ctx,
		chromedp.Navigate(env.HTTP.URL+"/operators?q="+url.QueryEscape("ブラウザ")),
		chromedp.WaitVisible(chromedp.CSS("#operator-table")),
	)
	table := textOf(t, ctx, "#operator-table")
	contains(t, "register", table, "ブラウザ第一電力株式会社")
	contains(t, "register", table, "ブラウザ第二電力株式会社")
	if c := count(t, ctx, "#operator-table tbody tr"); c != 2 {
		t.Errorf("the filtered register shows %d rows, want 2", c)
	}
}
