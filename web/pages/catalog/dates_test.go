package catalog

import (
	"context"
	"strings"
	"testing"
	"time"

	kcat "github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// TestListShowsJSTDates: a version published at 23:30 UTC on 31 March is
// published on 1 April in Japan, and the list says so in both languages,
// as the version's own page does.
func TestListShowsJSTDates(t *testing.T) {
	at := time.Date(2026, time.March, 31, 23, 30, 0, 0, time.UTC)
	c := kcat.Catalog{ID: 1, Code: "kijun-baseline", Version: "1", Status: kcat.Published, PublishedAt: &at,
		Title: kijun.Text{Ja: "基準", En: "Baseline"}}
	for lang, want := range map[kijun.Lang]string{kijun.Ja: "2026年4月1日", kijun.En: "1 April 2026"} {
		ctx := i18n.WithLocalizer(context.Background(), i18n.New(lang))
		var b strings.Builder
		if err := Index(IndexView{Catalogs: []Summary{{Catalog: c}}}).Render(ctx, &b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), want) {
			t.Errorf("%s: the list does not show the JST date %q", lang, want)
		}
		if wrong := map[kijun.Lang]string{kijun.Ja: "2026年3月31日", kijun.En: "31 March 2026"}[lang]; strings.Contains(b.String(), wrong) {
			t.Errorf("%s: the list shows the UTC date %q", lang, wrong)
		}
	}
}
