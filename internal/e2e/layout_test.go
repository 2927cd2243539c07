//go:build dev

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kijun-portal/kijun/internal/config"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// layoutEnv is a server with the data of `kijun dev` (see axeFixtures) and
// the ids of Toto Power Grid's assessment and the METI plan.
func layoutEnv(t *testing.T) (env *servertest.Env, asm, planID int64) {
	t.Helper()
	clock := servertest.NewClock(time.Date(2026, time.November, 12, 10, 0, 0, 0, kijun.JST))
	db := pgtest.New(t)
	env = servertest.NewWith(t, db, db.App, func(c *config.Config) { c.Now = clock.Now })
	axeFixtures(t, env, clock.Now())
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT a.id, (SELECT min(id) FROM plans) FROM assessments a
		JOIN operators o ON o.id = a.operator_id WHERE o.corporate_number = '2010401000001'`).Scan(&asm, &planID); err != nil {
		t.Fatal(err)
	}
	return env, asm, planID
}

// TestPhoneWidth opens key pages of three roles at 390 × 844 (a phone):
// the page body never scrolls sideways, and the header stays compact.
func TestPhoneWidth(t *testing.T) {
	t.Parallel()
	env, asm, planID := layoutEnv(t)
	ctx := newBrowserFor(t, 3*time.Minute)
	do(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1)))
	pages := map[string][]string{
		"toto-staff": {"/", fmt.Sprintf("/assessments/%d", asm), fmt.Sprintf("/assessments/%d/sections/GV", asm)},
		"nco-admin":  {"/dashboards/national", "/catalogs", "/operators", "/admin", "/users", "/audit"},
		"meti-staff": {fmt.Sprintf("/plans/%d", planID), fmt.Sprintf("/plans/%d/profile", planID), "/dashboards/ministry"},
	}
	first := true
	for _, role := range []string{"toto-staff", "nco-admin", "meti-staff"} {
		if !first {
			get(t, ctx, chromedp.Evaluate[int](`fetch("/logout", {method: "POST", redirect: "manual"}).then(r => r.status)`, chromedp.EvalAwaitPromise))
		}
		first = false
		signIn(t, ctx, env, role)
		for _, p := range pages[role] {
			for _, lang := range []string{"ja", "en"} {
				get(t, ctx, chromedp.Evaluate[string](`document.cookie = "kijun_lang=`+lang+`; path=/"`))
				do(t, ctx, chromedp.Navigate(env.HTTP.URL+p), chromedp.WaitVisible(chromedp.CSS("main")))
				sw := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
				cw := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.clientWidth`))
				if sw > cw {
					wide := get(t, ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("body *")]
						.filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !e.parentElement.closest(".table-scroll, .chart-scroll, .site-nav"))
						.slice(0, 4).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : "")).join(", ")`))
					t.Errorf("%s, %s, %s: the page is %d px wide on a %d px screen (%s)", role, lang, p, sw, cw, wide)
				}
				if h := get(t, ctx, chromedp.Evaluate[int](`document.querySelector(".site-header").offsetHeight`)); h > 160 {
					t.Errorf("%s, %s, %s: the header takes %d px of 844", role, lang, p, h)
				}
			}
		}
	}
}

// TestFocusNotHiddenBySaveBar tabs through a section of the assessment as
// its operator: no focused field ends up under the sticky save bar.
func TestFocusNotHiddenBySaveBar(t *testing.T) {
	t.Parallel()
	env, asm, _ := layoutEnv(t)
	ctx := newBrowserFor(t, 3*time.Minute)
	do(t, ctx, chromedp.EmulateViewport(1280, 720, chromedp.EmulateScale(1)))
	signIn(t, ctx, env, "toto-staff")
	do(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/assessments/%d/sections/GV", env.HTTP.URL, asm)),
		chromedp.WaitVisible(chromedp.CSS(".sticky-actions")))
	hidden := 0
	for i := 0; i < 60; i++ {
		do(t, ctx, chromedp.KeyEvent("\t"))
		under := get(t, ctx, chromedp.Evaluate[string](`(() => {
			const e = document.activeElement, bar = document.querySelector(".sticky-actions");
			if (!e || !bar || bar.contains(e) || e === document.body) return "";
			const r = e.getBoundingClientRect(), b = bar.getBoundingClientRect();
			return r.bottom > b.top + 1 && r.top < b.bottom ? (e.id || e.name || e.tagName) : "";
		})()`))
		if under != "" {
			hidden++
			t.Errorf("tab %d: %s is under the save bar", i+1, under)
		}
		if hidden > 3 {
			break
		}
	}
}

// TestRefusedFormTiesErrorsToFields: a plan submitted without a title
// comes back with focus on the error summary, and the title field is
// marked invalid and described by its error.
func TestRefusedFormTiesErrorsToFields(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	planCatalog(t, env)
	ctx := newBrowser(t)
	signIn(t, ctx, env, "meti-staff")
	do(t, ctx,
		chromedp.Navigate(env.HTTP.URL+"/plans/new"),
		chromedp.WaitVisible(chromedp.CSS("#new-plan-form")),
		chromedp.Click(chromedp.CSS("#create-plan")),
		chromedp.WaitVisible(chromedp.CSS("#form-errors")),
	)
	get(t, ctx, chromedp.Poll[bool](`document.activeElement && document.activeElement.id === "form-errors"`))
	if got := get(t, ctx, chromedp.Evaluate[string](`document.querySelector("#new-title_ja").getAttribute("aria-invalid") || ""`)); got != "true" {
		t.Errorf("the title field's aria-invalid is %q", got)
	}
	described := get(t, ctx, chromedp.Evaluate[string](`(document.querySelector("#new-title_ja").getAttribute("aria-describedby") || "").split(" ")
		.map(id => document.getElementById(id)).filter(Boolean).map(e => e.textContent).join(" ")`))
	if described == "" {
		t.Error("the title field is not described by its error")
	}
	contains(t, "the title's description", described, textOf(t, ctx, "#err-title_ja"))
}

// TestProfileEditorAt1280: at 1280 px the sector-profile editor's control
// column shows the control's title on readable lines, not one character
// a line; the fields scroll inside their region instead. The plan covers
// every sector of its ministry (a column of sector boxes) and the titles
// are long.
func TestProfileEditorAt1280(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	planCatalogTitled(t, env, strings.Repeat("及び重要インフラサービスの継続に必要な情報システムの管理", 3))
	ctx := newBrowserFor(t, 3*time.Minute)
	do(t, ctx, chromedp.EmulateViewport(1280, 800, chromedp.EmulateScale(1)))
	signIn(t, ctx, env, "meti-staff")
	do(t, ctx,
		chromedp.Navigate(env.HTTP.URL+"/plans/new"),
		chromedp.WaitVisible(chromedp.CSS("#new-plan-form")),
		chromedp.SetValue(chromedp.CSS("#new-title_ja"), "電力分野 実施計画"),
	)
	get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('input[name=sectors]').forEach(c => { if (!c.checked) c.click() }); 1`))
	do(t, ctx,
		chromedp.SetValue(chromedp.CSS("#new-period_start"), "2026"),
		chromedp.SetValue(chromedp.CSS("#new-period_end"), "2028"),
		chromedp.Click(chromedp.CSS("#create-plan")),
		chromedp.WaitVisible(chromedp.CSS("#plan-summary")),
		chromedp.Click(chromedp.CSS("#profile-link")),
		chromedp.WaitVisible(chromedp.CSS("#profile-table select")),
	)
	if n := count(t, ctx, "#profile-table .sector-boxes"); n == 0 {
		t.Fatal("the profile editor of a plan of several sectors has no sector boxes")
	}
	for _, lang := range []string{"ja", "en"} {
		get(t, ctx, chromedp.Evaluate[string](`document.cookie = "kijun_lang=`+lang+`; path=/"`))
		do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#profile-table select")))
		// No column collapses: the sector boxes' and the fields' neither.
		if w := get(t, ctx, chromedp.Evaluate[int](`Math.round(Math.min(...Array.from(document.querySelectorAll("#profile-table tbody tr:first-child > *"),
			e => e.getBoundingClientRect().width)))`)); w < 64 {
			t.Errorf("%s: a column of the profile editor is %d px wide", lang, w)
		}
		if w := get(t, ctx, chromedp.Evaluate[int](`Math.round(document.querySelector("#profile-table tbody th").getBoundingClientRect().width)`)); w < 150 {
			t.Errorf("%s: the control column is %d px wide", lang, w)
		}
		if sw, cw := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)), get(t, ctx, chromedp.Evaluate[int](`document.documentElement.clientWidth`)); sw > cw {
			t.Errorf("%s: the page is %d px wide at %d", lang, sw, cw)
		}
	}
}
