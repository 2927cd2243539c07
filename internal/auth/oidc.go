package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/gob"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/kijun-portal/kijun/internal/postgres"
)

// Session keys.
const (
	keyUserID   = "uid"
	keyProvider = "provider"
	keyIDToken  = "id_token" // kept server-side only, as the logout hint
	keyFlow     = "oidc_flow"
	keySeen     = "seen" // last request, for the idle timeout
)

// flow is what a sign-in remembers between the redirect to the provider and
// the callback. It lives in the server-side session, never in the URL.
type flow struct {
	Provider string
	State    string
	Nonce    string
	Verifier string // PKCE code verifier
	Next     string
	Started  time.Time
}

func init() {
	gob.Register(flow{})
	gob.Register(time.Time{})
}

// Failure reasons of a sign-in, each with a message for the user
// (auth.failed.<reason>) and an audit event.
const (
	FailState    = "state"    // no sign-in in progress, or state mismatch (replay, CSRF, expired)
	FailProvider = "provider" // provider unreachable or returned an error
	FailExchange = "exchange" // the code was refused (replayed, expired, wrong verifier)
	FailToken    = "token"    // ID token missing or invalid (signature, issuer, audience, expiry)
	FailNonce    = "nonce"    // ID token nonce does not match
	FailClaims   = "claims"   // required claims missing
)

// SignInError says why a sign-in failed. Detail is for the log and the
// audit event, never for the page.
type SignInError struct {
	Reason   string
	Provider string
	Detail   string
}

func (e *SignInError) Error() string {
	return fmt.Sprintf("sign-in via %s failed (%s): %s", e.Provider, e.Reason, e.Detail)
}

// Provider is a configured identity provider, discovered on first use (the
// development provider is served by this same process, which is not yet
// listening when the server is built).
type Provider struct {
	Config ProviderConfig

	mu         sync.Mutex
	verifier   *oidc.IDTokenVerifier
	oidc       *oidc.Provider
	oauth      oauth2.Config
	endSession string
}

// Manager runs sign-in and sign-out for a set of providers.
type Manager struct {
	Sessions *scs.SessionManager
	// Now is the clock that times sign-ins and idle sessions (default
	// time.Now); tests set it instead of waiting.
	Now       func() time.Time
	idle      time.Duration
	baseURL   string
	providers map[string]*Provider
	order     []string
	client    *http.Client
}

// NewManager sets up the providers; redirect URLs are built on baseURL. A
// session ends after idle without a request.
func NewManager(sessions *scs.SessionManager, idle time.Duration, baseURL string, providers []ProviderConfig) (*Manager, error) {
	m := &Manager{Sessions: sessions, Now: time.Now, idle: idle, baseURL: baseURL, providers: map[string]*Provider{},
		client: &http.Client{Timeout: 15 * time.Second}}
	for _, c := range providers {
		if err := c.check(); err != nil {
			return nil, err
		}
		if _, dup := m.providers[c.ID]; dup {
			return nil, fmt.Errorf("provider %q configured twice", c.ID)
		}
		m.providers[c.ID] = &Provider{Config: c}
		m.order = append(m.order, c.ID)
	}
	return m, nil
}

// Providers lists the providers in configuration order.
func (m *Manager) Providers() []ProviderConfig {
	out := make([]ProviderConfig, len(m.order))
	for i, id := range m.order {
		out[i] = m.providers[id].Config
	}
	return out
}

// Provider returns the provider with id.
func (m *Manager) Provider(id string) (*Provider, bool) {
	p, ok := m.providers[id]
	return p, ok
}

func (m *Manager) redirectURL(id string) string { return m.baseURL + "/auth/callback/" + id }

// ready discovers the provider once; a failure is retried next time.
func (m *Manager) ready(ctx context.Context, p *Provider) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.verifier != nil {
		return nil
	}
	ctx = oidc.ClientContext(ctx, m.client)
	op, err := oidc.NewProvider(ctx, p.Config.Issuer)
	if err != nil {
		return err
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
	}
	_ = op.Claims(&extra)
	p.oidc, p.endSession = op, extra.EndSession
	p.verifier = op.Verifier(&oidc.Config{ClientID: p.Config.ClientID})
	p.oauth = oauth2.Config{
		ClientID:     p.Config.ClientID,
		ClientSecret: p.Config.ClientSecret,
		Endpoint:     op.Endpoint(),
		RedirectURL:  m.redirectURL(p.Config.ID),
		Scopes:       append([]string{oidc.ScopeOpenID}, p.Config.Scopes...),
	}
	return nil
}

func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Begin starts a sign-in: it remembers state, nonce and the PKCE verifier
// in the session and returns the provider's authorization URL.
func (m *Manager) Begin(ctx context.Context, p *Provider, next string) (string, error) {
	if err := m.ready(ctx, p); err != nil {
		return "", &SignInError{Reason: FailProvider, Provider: p.Config.ID, Detail: err.Error()}
	}
	f := flow{Provider: p.Config.ID, State: randomString(), Nonce: randomString(),
		Verifier: oauth2.GenerateVerifier(), Next: next, Started: m.Now()}
	m.Sessions.Put(ctx, keyFlow, f)
	return p.oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), nil
}

// flowTimeout bounds how long a user may take at the provider.
const flowTimeout = 15 * time.Minute

// Complete finishes a sign-in from the provider's callback request: the
// state must match the one remembered (it is used once), the code is
// exchanged with the PKCE verifier, and the ID token is verified
// (signature, issuer, audience, expiry) and must carry the nonce. It
// returns the identity with the grants its claims give, and where to go.
func (m *Manager) Complete(r *http.Request, p *Provider) (postgres.Identity, string, error) {
	ctx := r.Context()
	fail := func(reason, detail string) (postgres.Identity, string, error) {
		return postgres.Identity{}, "", &SignInError{Reason: reason, Provider: p.Config.ID, Detail: detail}
	}
	f, ok := m.Sessions.Pop(ctx, keyFlow).(flow)
	q := r.URL.Query()
	switch {
	case !ok:
		return fail(FailState, "no sign-in in progress in this session")
	case f.Provider != p.Config.ID:
		return fail(FailState, "callback for another provider")
	case q.Get("state") == "" || q.Get("state") != f.State:
		return fail(FailState, "state does not match")
	case m.Now().Sub(f.Started) > flowTimeout:
		return fail(FailState, "sign-in took too long")
	case q.Get("error") != "":
		return fail(FailProvider, "provider error: "+q.Get("error")+" "+q.Get("error_description"))
	}
	if err := m.ready(ctx, p); err != nil {
		return fail(FailProvider, err.Error())
	}
	octx := oidc.ClientContext(ctx, m.client)
	tok, err := p.oauth.Exchange(octx, q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return fail(FailExchange, err.Error())
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return fail(FailToken, "no id_token in the token response")
	}
	idt, err := p.verifier.Verify(octx, raw)
	if err != nil {
		return fail(FailToken, err.Error())
	}
	if idt.Nonce != f.Nonce {
		return fail(FailNonce, "nonce does not match")
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return fail(FailClaims, err.Error())
	}
	if p.Config.UserInfo {
		ui, err := p.oidc.UserInfo(octx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return fail(FailProvider, "userinfo: "+err.Error())
		}
		extra := map[string]any{}
		if err := ui.Claims(&extra); err == nil && extra["sub"] == idt.Subject {
			for k, v := range extra {
				if _, present := claims[k]; !present {
					claims[k] = v
				}
			}
		}
	}
	id := postgres.Identity{Provider: p.Config.ID, Issuer: idt.Issuer, Subject: idt.Subject,
		ClaimGrants: p.Config.grantsFromClaims(claims)}
	id.Name, _ = claims["name"].(string)
	id.Email, _ = claims["email"].(string)
	// Some providers send the boolean as a string.
	id.EmailVerified = claims["email_verified"] == true || claims["email_verified"] == "true"
	if id.Name == "" {
		id.Name = id.Email
	}
	if id.Subject == "" {
		return fail(FailClaims, "no subject")
	}
	m.Sessions.Put(ctx, keyIDToken, raw)
	return id, f.Next, nil
}

// Establish binds the session to userID under a new session id, so that a
// session id planted before sign-in is worthless after it.
func (m *Manager) Establish(ctx context.Context, userID int64, provider string) error {
	if err := m.Sessions.RenewToken(ctx); err != nil {
		return err
	}
	m.Sessions.Put(ctx, keyUserID, userID)
	m.Sessions.Put(ctx, keyProvider, provider)
	m.Sessions.Put(ctx, keySeen, m.Now())
	return nil
}

// UserID returns the signed-in user of the request's session, or 0. It
// ends a session idle for longer than the idle timeout. The time of the
// last request is written back at most every idle/10 (a minute at most),
// so most requests leave the session row alone; a session may therefore
// end up to that much before the full idle time.
func (m *Manager) UserID(ctx context.Context) int64 {
	id, _ := m.Sessions.Get(ctx, keyUserID).(int64)
	if id == 0 || m.idle <= 0 {
		return id
	}
	seen, _ := m.Sessions.Get(ctx, keySeen).(time.Time)
	now := m.Now()
	since := now.Sub(seen)
	if since > m.idle {
		_ = m.Sessions.Destroy(ctx)
		return 0
	}
	if since > seenWriteBack(m.idle) {
		m.Sessions.Put(ctx, keySeen, now)
	}
	return id
}

// seenWriteBack is how old the time of a session's last request may grow
// before a request writes it back.
func seenWriteBack(idle time.Duration) time.Duration { return min(idle/10, time.Minute) }

// End destroys the session and returns where to send the browser: the
// provider's end_session_endpoint when it has one, else home.
func (m *Manager) End(ctx context.Context) (string, error) {
	idToken := m.Sessions.GetString(ctx, keyIDToken)
	pid := m.Sessions.GetString(ctx, keyProvider)
	if err := m.Sessions.Destroy(ctx); err != nil {
		return "", err
	}
	home := m.baseURL + "/"
	p, ok := m.providers[pid]
	if !ok || m.ready(ctx, p) != nil || p.endSession == "" {
		return "/", nil
	}
	u, err := url.Parse(p.endSession)
	if err != nil {
		return "/", nil
	}
	v := u.Query()
	if idToken != "" {
		v.Set("id_token_hint", idToken)
	}
	v.Set("client_id", p.Config.ClientID)
	v.Set("post_logout_redirect_uri", home)
	u.RawQuery = v.Encode()
	return u.String(), nil
}

// IsSignInError reports err's reason if it is a *SignInError.
func IsSignInError(err error) (*SignInError, bool) {
	var se *SignInError
	ok := errors.As(err, &se)
	return se, ok
}
