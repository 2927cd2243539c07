//go:build dev

package server_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/server"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// adminHubWho may open the 管理 hub: the roles with at least one of its
// tools (the authorization matrix).
var adminHubWho = []string{"nco-admin", "nco-analyst", "meti-admin", "meti-staff", "fsa-staff", "toto-admin"}

// adminToolLink is a tool's link on the hub: its href, then its id.
var adminToolLink = regexp.MustCompile(`<a href="([^"]+)" id="tool-`)

// headerNav is the main menu of a page.
func headerNav(t *testing.T, page string) string {
	t.Helper()
	i := strings.Index(page, `<nav class="site-nav"`)
	if i < 0 {
		t.Fatalf("no main menu:\n%.2000s", page)
	}
	return page[i : i+strings.Index(page[i:], "</nav>")]
}

// TestAdminHub: the header keeps each role's daily work and, for whoever
// may open an administration tool, one 管理 entry; the hub lists exactly
// the tools the role may open, in order, each with its description; the
// entry is the current page on the hub and the current section on each
// tool's page, whose breadcrumb trail starts from the hub. A role without any tool has neither the entry nor the hub.
func TestAdminHub(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	all := []string{"/cycles", "/reminders/escalation", "/reminders", "/incidents/templates", "/users", "/tokens", "/webhooks", "/audit", "/admin/jobs"}
	cases := []struct {
		role  string
		daily []string // in the header, in order, before the hub
		tools []string
	}{
		{"nco-admin", []string{"/assessments", "/dashboards", "/plans", "/operators", "/catalogs", "/bulletins", "/inquiries", "/incidents"}, all},
		{"nco-analyst", []string{"/assessments", "/dashboards", "/plans", "/operators", "/catalogs", "/bulletins", "/inquiries", "/incidents"},
			[]string{"/reminders/escalation", "/reminders", "/audit"}},
		{"meti-admin", []string{"/assessments", "/dashboards", "/plans", "/operators", "/catalogs", "/bulletins", "/inquiries", "/incidents"},
			[]string{"/reminders/escalation", "/reminders", "/users", "/tokens", "/webhooks", "/audit"}},
		{"meti-staff", nil, []string{"/reminders/escalation", "/reminders", "/audit"}},
		{"toto-admin", nil, []string{"/users", "/tokens", "/webhooks", "/audit"}},
		{"toto-staff", nil, nil},
	}
	// Each tool's route asks the policy for the action the hub asks.
	for tool, action := range server.AdminHubActions() {
		if got, ok := env.Server.RouteAction(http.MethodGet, tool); !ok || got != action {
			t.Errorf("GET %s asks for %q, the hub for %q", tool, got, action)
		}
	}
	href := regexp.MustCompile(`<a href="([^"]+)"`)
	for _, c := range cases {
		client := env.SignIn(t, c.role)
		_, home := env.Get(t, client, "/")
		nav := headerNav(t, home)
		var links []string
		for _, m := range href.FindAllStringSubmatch(nav, -1) {
			links = append(links, m[1])
		}
		for _, h := range append([]string{"/sectors"}, all...) {
			if slices.Contains(links, h) {
				t.Errorf("%s: %s is in the header: %v", c.role, h, links)
			}
		}
		if c.daily != nil && !slices.Equal(links[:min(len(c.daily), len(links))], c.daily) {
			t.Errorf("%s: header %v, want the daily work %v first", c.role, links, c.daily)
		}
		if hub := slices.Contains(links, "/admin"); hub != (len(c.tools) > 0) || hub && links[len(links)-1] != "/admin" {
			t.Errorf("%s: header %v, the hub entry last only with tools %v", c.role, links, c.tools)
		}
		status, page := env.Get(t, client, "/admin")
		if len(c.tools) == 0 {
			if status != http.StatusNotFound {
				t.Errorf("%s: /admin %d, want 404", c.role, status)
			}
			continue
		}
		mustStatus(t, c.role+" hub", status, http.StatusOK, page)
		var got []string
		for _, m := range adminToolLink.FindAllStringSubmatch(page, -1) {
			got = append(got, m[1])
		}
		if !slices.Equal(got, c.tools) {
			t.Errorf("%s: the hub lists %v, want %v", c.role, got, c.tools)
		}
		if n := strings.Count(page, `<p id="tool-`); n != len(c.tools) || strings.Contains(page, `-desc"></p>`) {
			t.Errorf("%s: %d descriptions for %d tools", c.role, n, len(c.tools))
		}
		if !strings.Contains(headerNav(t, page), `href="/admin" aria-current="page"`) || strings.Contains(page, `class="breadcrumbs"`) {
			t.Errorf("%s: the hub is not the current page in the header:\n%s", c.role, headerNav(t, page))
		}
		for _, tool := range c.tools {
			status, page := env.Get(t, client, tool)
			mustStatus(t, c.role+" "+tool, status, http.StatusOK, page)
			if nav := headerNav(t, page); !strings.Contains(nav, `href="/admin" aria-current="true"`) || strings.Count(nav, "aria-current") != 1 {
				t.Errorf("%s: on %s the hub is not the one current section:\n%s", c.role, tool, nav)
			}
			if !strings.Contains(page, `<nav class="breadcrumbs" aria-label="現在位置"><ol><li><a href="/admin">管理</a></li>`) {
				t.Errorf("%s: the trail of %s does not start from the hub:\n%.3000s", c.role, tool, page)
			}
		}
	}

	// A page of the daily work is its entry's; a page under it, its section.
	nco := env.SignIn(t, "nco-admin")
	for path, want := range map[string]string{
		"/incidents":     `href="/incidents" aria-current="page"`,
		"/operators":     `href="/operators" aria-current="page"`,
		"/catalogs":      `href="/catalogs" aria-current="page"`,
		"/dashboards":    `href="/dashboards" aria-current="true"`, // sends on to the NCO's dashboard
		"/sectors":       "",                                       // in no entry of a user with a role
		"/notifications": "",
	} {
		_, page := env.Get(t, nco, path)
		if path == "/dashboards" {
			_, page = env.Get(t, nco, "/dashboards/national")
		}
		nav := headerNav(t, page)
		if want == "" && strings.Contains(nav, "aria-current") || want != "" && (!strings.Contains(nav, want) || strings.Count(nav, "aria-current") != 1) {
			t.Errorf("%s: want %q as the one current entry:\n%s", path, want, nav)
		}
	}
	// The entry in English.
	if _, page := env.Get(t, nco, "/admin", "Accept-Language", "en"); !strings.Contains(headerNav(t, page), ">Administration</a>") ||
		!strings.Contains(page, "<h1>Administration</h1>") {
		t.Errorf("the hub in English:\n%.3000s", page)
	}
	// Anonymous visitors see the public registry.
	_, page := env.Get(t, env.Client(t), "/")
	if nav := headerNav(t, page); !strings.Contains(nav, `href="/sectors"`) || strings.Contains(nav, `href="/admin"`) {
		t.Errorf("anonymous header:\n%s", nav)
	}
	if _, page := env.Get(t, env.Client(t), "/sectors"); !strings.Contains(headerNav(t, page), `href="/sectors" aria-current="page"`) {
		t.Errorf("anonymous on /sectors:\n%s", headerNav(t, page))
	}
}
