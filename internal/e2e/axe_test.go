//go:build dev

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/config"
	"github.com/kijun-portal/kijun/internal/demo"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/plan"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// axeRoles are the demo users the accessibility walk signs in as: one per
// role of the policy (a ministry and an operator whose assessment is
// submitted, too), plus a visitor and a user without a role. "" is the
// anonymous visitor.
var axeRoles = []string{"", "newcomer", "nco-admin", "nco-analyst", "meti-admin", "meti-staff", "fsa-staff",
	"toto-admin", "toto-staff", "kakehashi-staff"}

// axeSkip are the GET routes that are not pages: files, JSON, health
// checks, the identity provider, the steps of a sign-in, and one mail of
// the development mailbox (TestDevMailboxInTheBrowser checks that page).
var axeSkip = regexp.MustCompile(`^/(healthz|readyz|static/|dev-idp/|dev/mail/|login/|auth/|evidence/|api/v1/)|` +
	`\.(xlsx|json|yaml|csv|pdf)$|/download$`)

// TestAxeEveryPage signs in as every demo role, walks every GET page of
// the router that the role can reach, in Japanese and in English, and runs
// axe-core (WCAG 2.0/2.1 A and AA) on each. A new route is walked without
// changing the test; a route with a path parameter the test cannot fill
// fails it.
func TestAxeEveryPage(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	start := time.Now()
	clock := servertest.NewClock(time.Date(2026, time.November, 12, 10, 0, 0, 0, kijun.JST))
	db := pgtest.New(t)
	env := servertest.NewWith(t, db, db.App, func(c *config.Config) { c.Now = clock.Now })
	fill := axeFixtures(t, env, clock.Now())

	var routes []string
	if err := chi.Walk(env.Server.Router(), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if method == http.MethodGet && !axeSkip.MatchString(route) {
			routes = append(routes, route)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(routes)

	// One browser and one tab for the whole walk, which takes longer than
	// one browser test's timeout.
	ctx := newBrowserFor(t, 28*time.Minute)
	// AXE_LOG=file writes each page's time and violations as the walk goes.
	progress := func(string, ...any) {}
	if name := os.Getenv("AXE_LOG"); name != "" {
		f, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		progress = func(format string, args ...any) { fmt.Fprintf(f, format, args...) }
	}
	pages, visits := 0, 0
	seen := map[string]bool{}
	do(t, ctx, chromedp.Navigate(env.HTTP.URL+"/"))
	for _, role := range axeRoles {
		name := role
		if role == "" {
			name = "anonymous"
		} else {
			// Sign the previous role out, the way its menu's button does.
			get(t, ctx, chromedp.Evaluate[int](`fetch("/logout", {method: "POST", redirect: "manual"}).then(r => r.status)`, chromedp.EvalAwaitPromise))
			signIn(t, ctx, env, role)
		}
		var reached []string
		for _, route := range routes {
			path, ok := reachable(t, ctx, route, fill(route))
			if !ok {
				continue
			}
			reached = append(reached, path)
			for _, lang := range []string{"ja", "en"} {
				get(t, ctx, chromedp.Evaluate[string](`document.cookie = "kijun_lang=`+lang+`; path=/"`))
				began := time.Now()
				do(t, ctx, chromedp.Navigate(env.HTTP.URL+path))
				// A page whose content another role already had checked is
				// not run again: the big catalog pages are the same for many
				// roles. (Each role's header and menu are checked on its
				// pages whose content differs, such as the home page.)
				key := lang + " " + get(t, ctx, chromedp.Evaluate[string](`(document.querySelector("main") || document.body).outerHTML`))
				visits++
				if seen[key] {
					progress("%s %s %s same as before\n", name, lang, path)
					continue
				}
				seen[key] = true
				v := runAxe(t, ctx, axe)
				progress("%s %s %s %s\n%s", name, lang, path, time.Since(began).Round(time.Millisecond), v)
				if v != "" {
					t.Errorf("%s, %s, %s:\n%s", name, lang, path, v)
				}
				pages++
			}
		}
		t.Logf("%s: %d pages: %s", name, len(reached), strings.Join(reached, " "))
	}
	t.Logf("%d visits (role × language × page), axe-core ran on %d distinct pages, in %s", visits, pages, time.Since(start).Round(time.Second))
}

// axeSource reads axe-core as npm installed it (make test installs it).
func axeSource(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", ".data", "tools", "node_modules", "axe-core", "axe.min.js")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("axe-core is missing (%v): run `make test`, or `npm install --prefix .data/tools axe-core@%s`", err, axeVersion)
	}
	return string(b)
}

// axeVersion is the axe-core the Makefile installs.
const axeVersion = "4.10.3"

// reachable returns the first candidate path that the signed-in role gets
// as an HTML page with status 200, without being redirected.
func reachable(t *testing.T, ctx context.Context, route string, candidates []string) (string, bool) {
	t.Helper()
	for _, p := range candidates {
		probe := fmt.Sprintf(`fetch(%q, {redirect: "manual"}).then(r => r.status + " " + (r.headers.get("Content-Type") || ""))`, p)
		got := get(t, ctx, chromedp.Evaluate[string](probe, chromedp.EvalAwaitPromise))
		if strings.HasPrefix(got, "200 text/html") {
			return p, true
		}
	}
	return "", false
}

// runAxe runs axe-core on the page and returns its violations, one a line,
// or "" when there are none.
func runAxe(t *testing.T, ctx context.Context, axe string) string {
	t.Helper()
	js := axe + `;axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, resultTypes: ["violations"], preload: false})
		.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " — " + n.failureSummary.replace(/\s+/g, " "))}))))`
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	var vs []struct {
		ID, Help string
		Nodes    []string
	}
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("axe-core result %q: %v", out, err)
	}
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "  %s (%s)\n", v.ID, v.Help)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "    %s\n", n)
		}
	}
	return b.String()
}

// axeFixtures gives the demo database what `kijun dev` has (the baseline
// published, a cycle open, the bank's assessment submitted and Toto's
// begun), plus a draft of the next baseline, a submitted plan and an
// evaluation. It returns, per route, the paths to try: every way to fill
// the route's parameters from that data.
func axeFixtures(t *testing.T, env *servertest.Env, now time.Time) func(route string) []string {
	t.Helper()
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, env.DB.Owner, func(tx pgx.Tx) error {
		if _, err := postgres.SeedBaseline(ctx, tx); err != nil {
			return err
		}
		if err := demo.SeedWorkflow(ctx, tx, now); err != nil {
			return err
		}
		var baseline int64
		if err := tx.QueryRow(ctx, `SELECT id FROM catalogs WHERE status = 'published' ORDER BY id LIMIT 1`).Scan(&baseline); err != nil {
			return err
		}
		if _, err := postgres.NewDraftFrom(ctx, tx, baseline, "next", audit.Event{ActorLabel: "test"}); err != nil {
			return err
		}
		oversight, err := postgres.Oversight(ctx, tx)
		if err != nil {
			return err
		}
		user := func(name string, g identity.Grant) (*identity.Principal, error) {
			var uid int64
			if err := tx.QueryRow(ctx, `INSERT INTO users (display_name) VALUES ($1) RETURNING id`, name).Scan(&uid); err != nil {
				return nil, err
			}
			return identity.NewPrincipal(uid, name, "", []identity.Grant{g}, oversight), nil
		}
		meti, err := user("経済産業省 試験", identity.Grant{Role: identity.RoleMinistryAdmin, MinistryCode: "METI"})
		if err != nil {
			return err
		}
		if err := postgres.ActAs(ctx, tx, meti); err != nil {
			return err
		}
		fy := kijun.FiscalYearOf(now)
		id, err := postgres.CreatePlan(ctx, tx, meti, postgres.NewPlan{MinistryCode: "METI", SectorCodes: []string{"electricity"},
			PeriodStart: fy, PeriodEnd: fy + 2, CatalogID: baseline, Title: kijun.Text{Ja: "電力分野 実施計画(試験)", En: "Electricity plan (test)"}}, "test")
		if err != nil {
			return err
		}
		if err := postgres.SubmitPlan(ctx, tx, meti, id, "test"); err != nil {
			return err
		}
		nco, err := user("統括 試験", identity.Grant{Role: identity.RoleNCOAdmin})
		if err != nil {
			return err
		}
		if err := postgres.ActAs(ctx, tx, nco); err != nil {
			return err
		}
		_, err = postgres.CreateEvaluation(ctx, tx, nco, plan.Evaluation{MinistryCode: "METI", SectorCode: "electricity", FiscalYear: fy,
			Findings: "重要インフラ事業者への周知が進んでいます。"}, "test")
		if err != nil {
			return err
		}
		return bulletinFixtures(ctx, tx, nco, user, now)
	})
	if err != nil {
		t.Fatalf("fixtures: %v", err)
	}
	ids := func(sql string) []string {
		rows, err := env.DB.Owner.Query(ctx, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return out
	}
	// A webhook endpoint of METI with a delivery in its log.
	if _, err := env.DB.Owner.Exec(ctx, `WITH e AS (INSERT INTO webhook_endpoints (ministry_code, url, kinds, secret, created_by, created_at)
			VALUES ('METI', 'https://hooks.example.com/kijun', '{assessment.review_waiting}', '\x000102030405060708090a0b0c0d0e0f',
			(SELECT min(id) FROM users), now()) RETURNING id),
		ev AS (INSERT INTO webhook_events (kind, ministry_code, link, created_at) VALUES ('plan.returned', 'METI', '/plans', now()) RETURNING id)
		INSERT INTO webhook_deliveries (endpoint_id, event_id, nco, ministry_code, kind, status, attempts, last_status_code, last_attempt_at, created_at)
		SELECT e.id, ev.id, false, 'METI', 'assessment.review_waiting', 'succeeded', 2, 204, now(), now() FROM e, ev`); err != nil {
		t.Fatalf("webhook fixture: %v", err)
	}
	// Each parameter, by the path before it: the values to try.
	values := map[string][]string{
		"/webhooks/{id}":                       ids(`SELECT id::text FROM webhook_endpoints ORDER BY id`),
		"/users/{id}":                          ids(`SELECT id::text FROM users ORDER BY id`),
		"/operators/{id}":                      ids(`SELECT id::text FROM operators ORDER BY id`),
		"/operators/{id}/corrections/{kind}":   {"contacts", "systems"},
		"/assessments/{id}":                    ids(`SELECT id::text FROM assessments ORDER BY id`),
		"/assessments/{id}/sections/{section}": ids(`SELECT DISTINCT section_code FROM controls ORDER BY 1 LIMIT 2`),
		"/catalogs/{id}":                       ids(`SELECT id::text FROM catalogs ORDER BY id`),
		"/catalogs/{id}/controls/{ref}":        ids(`SELECT min(ref) FROM controls`),
		"/plans/{id}":                          ids(`SELECT id::text FROM plans ORDER BY id`),
		"/evaluations/{id}":                    ids(`SELECT id::text FROM plan_evaluations ORDER BY id`),
		"/sectors/{code}":                      ids(`SELECT code FROM sectors ORDER BY code`),
		"/dashboards/sectors/{code}":           ids(`SELECT code FROM sectors ORDER BY code`),
		"/bulletins/{id}":                      ids(`SELECT id::text FROM bulletins ORDER BY id`),
		"/inquiries/{id}":                      ids(`SELECT id::text FROM inquiries ORDER BY id`),
		"/incidents/{id}":                      ids(`SELECT id::text FROM incidents ORDER BY id`),
		"/incidents/files/{id}":                ids(`SELECT id::text FROM incident_attachments ORDER BY id`),
		"/incident-summaries/{id}":             ids(`SELECT id::text FROM incident_summaries ORDER BY id`),
	}
	param := regexp.MustCompile(`\{[a-z]+\}`)
	return func(route string) []string {
		paths := []string{""}
		rest := route
		for {
			loc := param.FindStringIndex(rest)
			if loc == nil {
				break
			}
			prefix := route[:len(route)-len(rest)+loc[1]]
			vs, ok := values[prefix]
			if !ok {
				t.Fatalf("route %s: the accessibility walk does not know how to fill %s: add it to axeFixtures", route, prefix)
			}
			var next []string
			for _, p := range paths {
				for _, v := range vs {
					next = append(next, p+rest[:loc[0]]+v)
				}
			}
			paths, rest = next, rest[loc[1]:]
		}
		for i := range paths {
			paths[i] += rest
		}
		return paths
	}
}
