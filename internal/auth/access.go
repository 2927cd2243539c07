package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// API access tokens (docs/security.md, "OAuth 2.0 clients on the API"): a
// provider configured with api_audience issues its clients access tokens
// as signed JWTs (RFC 9068) by the client credentials grant; the API
// accepts one after checking it here.

// ErrAccessToken is an access token the API does not accept: not a JWT,
// from no API-enabled provider, or failing verification (signature,
// issuer, audience, expiry). The reason is never shown to the caller.
var ErrAccessToken = errors.New("access token not accepted")

// APIProviders lists the providers whose access tokens the API accepts,
// in configuration order.
func (m *Manager) APIProviders() []ProviderConfig {
	var out []ProviderConfig
	for _, id := range m.order {
		if c := m.providers[id].Config; c.APIAudience != "" {
			out = append(out, c)
		}
	}
	return out
}

// Client is the verified caller of an access token.
type Client struct {
	Issuer   string // the provider's issuer URL, as configured
	ClientID string // client_id (RFC 9068), else azp, else sub
}

// VerifyAccessToken checks raw, a bearer token that is a JWT, against the
// API-enabled provider that the token names as its issuer, with go-oidc:
// the signature by the provider's published keys (discovery and JWKS),
// the issuer, the expiry and the audience api_audience. It returns the
// client the provider issued it to. Any failure is ErrAccessToken (the
// detail is logged without the token).
func (m *Manager) VerifyAccessToken(ctx context.Context, raw string) (Client, error) {
	iss, ok := unverifiedIssuer(raw)
	if !ok {
		return Client{}, ErrAccessToken
	}
	var p *Provider
	for _, id := range m.order {
		if c := m.providers[id].Config; c.APIAudience != "" && c.Issuer == iss {
			p = m.providers[id]
			break
		}
	}
	if p == nil {
		return Client{}, ErrAccessToken
	}
	if err := m.ready(ctx, p); err != nil {
		return Client{}, ErrAccessToken
	}
	tok, err := p.apiTokens.Verify(ctx, raw)
	if err != nil {
		m.Log.InfoContext(ctx, "access token refused", "provider", p.Config.ID, "err", redactJWT(err.Error(), raw))
		return Client{}, ErrAccessToken
	}
	var claims struct {
		ClientID string `json:"client_id"`
		AZP      string `json:"azp"`
	}
	if err := tok.Claims(&claims); err != nil {
		return Client{}, ErrAccessToken
	}
	c := Client{Issuer: p.Config.Issuer, ClientID: claims.ClientID}
	if c.ClientID == "" {
		c.ClientID = claims.AZP
	}
	if c.ClientID == "" {
		c.ClientID = tok.Subject
	}
	if c.ClientID == "" {
		return Client{}, ErrAccessToken
	}
	return c, nil
}

// LooksLikeJWT reports whether s has the form of a compact JWS (three
// base64url parts).
func LooksLikeJWT(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return false
	}
	for _, part := range parts {
		if part == "" || strings.Trim(part, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return false
		}
	}
	return true
}

// unverifiedIssuer reads the iss claim of a JWT without checking anything,
// only to choose the provider that then verifies it.
func unverifiedIssuer(raw string) (string, bool) {
	if !LooksLikeJWT(raw) {
		return "", false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[1])
	if err != nil {
		return "", false
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	if err := json.Unmarshal(payload, &c); err != nil || c.Issuer == "" {
		return "", false
	}
	return c.Issuer, true
}

// redactJWT removes the token and each of its parts from s.
func redactJWT(s, raw string) string {
	s = strings.ReplaceAll(s, raw, "[token]")
	for _, part := range strings.Split(raw, ".") {
		if len(part) > 8 {
			s = strings.ReplaceAll(s, part, "[token]")
		}
	}
	return s
}
