//go:build dev

package server_test

import (
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/server"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestAPIRetired: a route in the table of retirements answers with
// Deprecation (RFC 9745), Sunset (RFC 8594) and a deprecation Link; a
// retired parameter only when it is used; other routes never. Not
// parallel: it changes the table while no other test runs.
func TestAPIRetired(t *testing.T) {
	dep := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	sun := time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)
	restore := server.RetireForTest("GET", "/sectors", "", dep, sun, "https://kijun.example/docs/api#retired")
	defer restore()
	defer server.RetireForTest("GET", "/cycles", "fy", dep, time.Time{}, "")()
	env := servertest.New(t)
	a := apiCaller{t: t, env: env, contract: newContract(t, env), token: env.Token(t, identity.RoleNCOAnalyst, "", 0)}

	resp, body := a.do("GET", "/api/v1/sectors", nil)
	want(t, resp, body, 200)
	if got := resp.Header.Get("Deprecation"); got != "@1775001600" {
		t.Errorf("Deprecation %q", got)
	}
	if got := resp.Header.Get("Sunset"); got != "Thu, 01 Apr 2027 00:00:00 GMT" {
		t.Errorf("Sunset %q", got)
	}
	if got := resp.Header.Get("Link"); got != `<https://kijun.example/docs/api#retired>; rel="deprecation"; type="text/html"` {
		t.Errorf("Link %q", got)
	}
	resp, body = a.do("GET", "/api/v1/cycles", nil)
	want(t, resp, body, 200)
	if resp.Header.Get("Deprecation") != "" {
		t.Error("a retired parameter's header without the parameter")
	}
	resp, _ = a.do("GET", "/api/v1/cycles?fy=2026", nil)
	if resp.Header.Get("Deprecation") != "@1775001600" || resp.Header.Get("Sunset") != "" {
		t.Errorf("retired parameter: Deprecation %q, Sunset %q", resp.Header.Get("Deprecation"), resp.Header.Get("Sunset"))
	}
	resp, body = a.do("GET", "/api/v1/reference", nil)
	want(t, resp, body, 200)
	if resp.Header.Get("Deprecation") != "" || resp.Header.Get("Sunset") != "" {
		t.Error("a route not retired says it is")
	}
}
