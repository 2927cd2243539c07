//go:build dev

package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestRefusedFormsTieErrorsToFieldsInTheMarkup: without JavaScript, every
// control of a field with an error is aria-invalid and described by a
// message that exists, and the error summary at the top can take focus.
func TestRefusedFormsTieErrorsToFieldsInTheMarkup(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	f := newPlanFix(t, env)
	draft := f.plan("METI", "electricity", "draft")
	meti, nco, toto := env.SignIn(t, "meti-staff"), env.SignIn(t, "nco-admin"), env.SignIn(t, "toto-admin")
	for _, c := range []struct {
		name   string
		client *http.Client
		method string
		path   string
		form   url.Values
	}{
		{"new plan", meti, "POST", "/plans", url.Values{"period_start": {"x"}}},
		{"plan edit", meti, "POST", fmt.Sprintf("/plans/%d/edit", draft), url.Values{"title_ja": {""}, "scope_mode": {"bogus"}, "kpi_threshold_0": {"x"}}},
		{"supplementary control", meti, "POST", fmt.Sprintf("/plans/%d/supplementary", draft), url.Values{"ref": {"bad ref"}}},
		{"new operator", meti, "POST", "/operators", url.Values{}},
		{"new evaluation", nco, "POST", "/evaluations", url.Values{}},
		{"new cycle", nco, "POST", "/cycles", url.Values{}},
		{"annual report opinion", nco, "POST", "/evaluations/report/opinion?fy=2026", url.Values{"meeting_on": {"x"}}},
		{"grant", toto, "POST", "/grants", url.Values{}},
		{"OAuth client", nco, "POST", "/tokens/oauth", url.Values{"client_id": {""}}},
		{"audit filter", nco, "GET", "/audit?from=not-a-date", nil},
	} {
		var status int
		var body string
		if c.method == "GET" {
			status, body = env.Get(t, c.client, c.path)
		} else {
			status, _, body = postForm(t, env, c.client, c.path, c.form)
		}
		if status >= 500 {
			t.Fatalf("%s: %d", c.name, status)
		}
		// The audit log's filter is a search, not a form to fix: its error
		// is beside the date, with no summary.
		checkErrorsTied(t, c.name, body, c.path[:6] != "/audit")
	}
}

// checkErrorsTied checks one refused page: there is at least one field
// with an error; each of its controls is aria-invalid and described (itself
// or by its fieldset) by ids that exist; the first error summary of main
// has tabindex="-1" (when the page has one).
func checkErrorsTied(t *testing.T, name, page string, summary bool) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	var boxes, summaries []*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if id := attr(n, "id"); id != "" {
				ids[id] = true
			}
			cls := strings.Fields(attr(n, "class"))
			if slices.Contains(cls, "field--error") {
				boxes = append(boxes, n)
			}
			if slices.Contains(cls, "notice--error") && attr(n, "role") == "alert" {
				summaries = append(summaries, n)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if len(boxes) == 0 {
		t.Errorf("%s: no field with an error\n%.3000s", name, page)
		return
	}
	if summary && (len(summaries) == 0 || attr(summaries[0], "tabindex") != "-1") {
		t.Errorf("%s: the error summary cannot take focus", name)
	}
	for _, box := range boxes {
		var check func(n *html.Node, describedBy string)
		check = func(n *html.Node, describedBy string) {
			if n.Type == html.ElementNode {
				if d := attr(n, "aria-describedby"); d != "" && n.Data == "fieldset" {
					describedBy = d
				}
				control := n.Data == "select" || n.Data == "textarea" || (n.Data == "input" && attr(n, "type") != "hidden")
				if control {
					d := attr(n, "aria-describedby")
					if d == "" {
						d = describedBy
					}
					if attr(n, "aria-invalid") != "true" || d == "" {
						t.Errorf("%s: control %s (%s) not tied to its error: aria-invalid=%q aria-describedby=%q",
							name, attr(n, "id"), attr(n, "name"), attr(n, "aria-invalid"), d)
					}
					for _, id := range strings.Fields(d) {
						if !ids[id] {
							t.Errorf("%s: control %s described by a missing id %q", name, attr(n, "name"), id)
						}
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				check(c, describedBy)
			}
		}
		check(box, attr(box, "aria-describedby"))
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
