//go:build dev

package servertest

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	hiddenID   = regexp.MustCompile(`<input type="hidden" name="id" value="([^"]+)"`)
)

// Flow is a sign-in through the development provider, step by step, so
// that tests can interfere between the steps.
type Flow struct {
	env    *Env
	Client *http.Client
	// Callback is the provider's redirect back to the portal, with code and
	// state, once the user is picked.
	Callback string
}

// Begin starts a sign-in as the demo user subject and stops at the
// provider's redirect back to the portal (not yet followed).
func (e *Env) Begin(t testing.TB, c *http.Client, subject string) *Flow {
	t.Helper()
	resp := e.follow(t, c, e.HTTP.URL+"/login/dev", func(u *url.URL) bool { return strings.HasSuffix(u.Path, "/dev-idp/login") })
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	act, id := formAction.FindSubmatch(body), hiddenID.FindSubmatch(body)
	if act == nil || id == nil {
		t.Fatalf("servertest: no user picker at %s:\n%.1000s", resp.Request.URL, body)
	}
	target, _ := resp.Request.URL.Parse(html.UnescapeString(string(act[1])))
	resp, err := c.PostForm(target.String(), url.Values{"id": {html.UnescapeString(string(id[1]))}, "subject": {subject}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Follow the provider's own redirects until it sends us back.
	loc := resp.Header.Get("Location")
	for i := 0; i < 5 && loc != "" && !strings.Contains(loc, "/auth/callback/"); i++ {
		u, _ := resp.Request.URL.Parse(loc)
		if resp, err = c.Get(u.String()); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc = resp.Header.Get("Location")
	}
	if !strings.Contains(loc, "/auth/callback/") {
		t.Fatalf("servertest: provider did not redirect back (status %d, Location %q)", resp.StatusCode, loc)
	}
	u, _ := resp.Request.URL.Parse(loc)
	return &Flow{env: e, Client: c, Callback: u.String()}
}

// Finish follows the callback and returns the portal's answer.
func (f *Flow) Finish(t testing.TB) (int, string, string) {
	t.Helper()
	resp, err := f.Client.Get(f.Callback)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// SignIn signs in as the demo user subject and returns the client holding
// the session.
func (e *Env) SignIn(t testing.TB, subject string) *http.Client {
	t.Helper()
	c := e.Client(t)
	status, loc, body := e.Begin(t, c, subject).Finish(t)
	if status != http.StatusSeeOther {
		t.Fatalf("servertest: sign-in as %s: status %d, Location %q\n%.1500s", subject, status, loc, body)
	}
	return c
}

// follow GETs u and follows redirects until stop says so.
func (e *Env) follow(t testing.TB, c *http.Client, u string, stop func(*url.URL) bool) *http.Response {
	t.Helper()
	for i := 0; i < 10; i++ {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		if stop(resp.Request.URL) || resp.StatusCode < 300 || resp.StatusCode >= 400 {
			return resp
		}
		resp.Body.Close()
		next, _ := resp.Request.URL.Parse(resp.Header.Get("Location"))
		u = next.String()
	}
	t.Fatalf("servertest: too many redirects from %s", u)
	return nil
}
