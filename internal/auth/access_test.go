package auth

import (
	"context"
	"errors"
	"testing"
)

// TestAccessTokenShape: only a compact JWS is read for its issuer, and a
// token whose issuer is not an API-enabled provider is refused without
// contacting anyone.
func TestAccessTokenShape(t *testing.T) {
	for s, want := range map[string]bool{
		"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln": true,
		"kijun_abc":  false,
		"a.b":        false,
		"a..c":       false,
		"a.b.c.d":    false,
		"a.b+/.c":    false,
		"a.b.c=":     false,
		"":           false,
		"abc.def.gh": true,
	} {
		if got := LooksLikeJWT(s); got != want {
			t.Errorf("LooksLikeJWT(%q) = %v", s, got)
		}
	}
	if iss, ok := unverifiedIssuer("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"); !ok || iss != "x" {
		t.Errorf("issuer %q %v, want x", iss, ok)
	}
	if _, ok := unverifiedIssuer("eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln"); ok {
		t.Error("a payload that is not JSON gave an issuer")
	}
	m, err := NewManager(nil, 0, "http://portal", []ProviderConfig{{ID: "p", Issuer: "http://127.0.0.1:1/x",
		ClientID: "portal", ClientSecret: "s", APIAudience: "api"}, {ID: "q", Issuer: "http://x", ClientID: "portal", ClientSecret: "s"}})
	if err != nil {
		t.Fatal(err)
	}
	if ps := m.APIProviders(); len(ps) != 1 || ps[0].ID != "p" {
		t.Errorf("API providers %+v, want p only", ps)
	}
	// http://x is the issuer of q, which is not enabled for the API.
	if _, err := m.VerifyAccessToken(context.Background(), "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwOi8veCJ9.c2ln"); !errors.Is(err, ErrAccessToken) {
		t.Errorf("a token of a provider not enabled for the API: %v", err)
	}
	if st, _ := m.Discovery(); !st[1].LastAttempt.IsZero() {
		t.Error("a provider not enabled for the API was contacted")
	}
	if got := redactJWT("bad token aaaaaaaaa.bbbbbbbbbb.cccccccccc: sig cccccccccc", "aaaaaaaaa.bbbbbbbbbb.cccccccccc"); got != "bad token [token]: sig [token]" {
		t.Errorf("redactJWT: %q", got)
	}
}
