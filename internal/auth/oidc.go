package auth

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/gob"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

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
// (auth.failed.<reason>) that says what to do, and an audit event.
const (
	FailState       = "state"       // no sign-in in progress, or state mismatch (replay, CSRF, expired): sign in again
	FailCancelled   = "cancelled"   // the user cancelled, or the provider refused them (error=access_denied): sign in again
	FailUnreachable = "unreachable" // network error, timeout or 5xx from the provider: try later
	FailConfig      = "config"      // the provider refuses the portal (wrong client id or secret, bad issuer, TLS): contact the administrator
	FailExchange    = "exchange"    // the code was refused (replayed, expired, wrong verifier): sign in again
	FailToken       = "token"       // ID token missing or invalid (signature, issuer, audience, expiry)
	FailNonce       = "nonce"       // ID token nonce does not match
	FailClaims      = "claims"      // required claims missing
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

// Provider is a configured identity provider. It is discovered after the
// server starts listening (the development provider is served by this same
// process), retried until it answers (DiscoverProviders), and at the
// latest on first use.
type Provider struct {
	Config ProviderConfig

	mu         sync.Mutex // held during discovery
	verifier   *oidc.IDTokenVerifier
	apiTokens  *oidc.IDTokenVerifier // access tokens for the API (APIAudience), nil without
	oidc       *oidc.Provider
	oauth      oauth2.Config
	endSession string

	sm     sync.Mutex // guards status, which /readyz reads without waiting for a discovery
	status DiscoveryStatus
}

// DiscoveryStatus is where a provider's discovery stands, for /readyz.
type DiscoveryStatus struct {
	ID string
	// OK is true once discovery has succeeded.
	OK bool
	// Reason is why the last attempt failed: FailUnreachable or FailConfig
	// (the error itself goes only to the log).
	Reason string
	// Failures counts the failed attempts before the first success.
	Failures    int
	LastAttempt time.Time
}

// Manager runs sign-in and sign-out for a set of providers.
type Manager struct {
	Sessions *scs.SessionManager
	// Now is the clock that times sign-ins and idle sessions (default
	// time.Now); tests set it instead of waiting.
	Now func() time.Time
	// Log receives discovery attempts (default: discarded).
	Log       *slog.Logger
	idle      time.Duration
	baseURL   string
	providers map[string]*Provider
	order     []string
	client    *http.Client
	// retryMin and retryMax bound the wait between discovery attempts.
	retryMin, retryMax time.Duration
}

// NewManager sets up the providers; redirect URLs are built on baseURL. A
// session ends after idle without a request.
func NewManager(sessions *scs.SessionManager, idle time.Duration, baseURL string, providers []ProviderConfig) (*Manager, error) {
	m := &Manager{Sessions: sessions, Now: time.Now, Log: slog.New(slog.DiscardHandler), idle: idle, baseURL: baseURL,
		providers: map[string]*Provider{}, retryMin: time.Second, retryMax: 5 * time.Minute,
		client: &http.Client{Timeout: 15 * time.Second, Transport: providerTransport{http.DefaultTransport}}}
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

// ready discovers the provider unless it already is, and records the
// attempt in its status and the log.
func (m *Manager) ready(ctx context.Context, p *Provider) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.verifier != nil {
		return nil
	}
	err := m.discover(ctx, p)
	p.sm.Lock()
	defer p.sm.Unlock()
	st := &p.status
	st.LastAttempt = m.Now()
	if err != nil {
		st.Reason = classify(err)
		st.Failures++
		m.Log.WarnContext(ctx, "identity provider discovery failed", "provider", p.Config.ID, "issuer", p.Config.Issuer,
			"reason", st.Reason, "failures", st.Failures, "err", p.redact(err.Error()))
		return err
	}
	m.Log.InfoContext(ctx, "identity provider discovered", "provider", p.Config.ID, "issuer", p.Config.Issuer,
		"after_failures", st.Failures)
	st.OK, st.Reason, st.Failures = true, "", 0
	return nil
}

func (m *Manager) discover(ctx context.Context, p *Provider) error {
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
	if p.Config.APIAudience != "" {
		p.apiTokens = op.Verifier(&oidc.Config{ClientID: p.Config.APIAudience, Now: func() time.Time { return m.Now() }})
	}
	p.oauth = oauth2.Config{
		ClientID:     p.Config.ClientID,
		ClientSecret: p.Config.ClientSecret,
		Endpoint:     op.Endpoint(),
		RedirectURL:  m.redirectURL(p.Config.ID),
		Scopes:       append([]string{oidc.ScopeOpenID}, p.Config.Scopes...),
	}
	return nil
}

// DiscoverProviders tries every provider not yet discovered once, at the
// same time, and returns when each attempt has ended; the ones that failed
// are retried in the background, waiting from retryMin doubling up to
// retryMax between attempts, until they answer or ctx ends.
func (m *Manager) DiscoverProviders(ctx context.Context) {
	var first sync.WaitGroup
	for _, id := range m.order {
		p := m.providers[id]
		first.Add(1)
		go func() {
			done := first.Done
			wait := m.retryMin
			for {
				err := m.ready(ctx, p)
				if done != nil {
					done()
					done = nil
				}
				if err == nil {
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
				wait = min(2*wait, m.retryMax)
			}
		}()
	}
	first.Wait()
}

// Discovery reports each provider's discovery status, and whether the
// portal can sign anyone in: with no provider configured, or with at least
// one discovered. One failing provider among working ones does not make
// the instance unready: taking every instance out of service would stop
// the sign-ins that still work (docs/operations.md).
func (m *Manager) Discovery() ([]DiscoveryStatus, bool) {
	out := make([]DiscoveryStatus, len(m.order))
	ok := len(m.order) == 0
	for i, id := range m.order {
		p := m.providers[id]
		p.sm.Lock()
		out[i] = p.status
		p.sm.Unlock()
		out[i].ID = id
		ok = ok || out[i].OK
	}
	return out, ok
}

// unavailableError is a provider's 5xx answer: the provider is there but
// cannot serve, which for the user is the same as unreachable.
type unavailableError struct{ status string }

func (e *unavailableError) Error() string { return "identity provider answered " + e.status }

// providerTransport turns a provider's 5xx answers into errors, so that
// discovery, token and userinfo failures classify alike.
type providerTransport struct{ base http.RoundTripper }

func (t providerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err == nil && resp.StatusCode >= 500 {
		resp.Body.Close()
		return nil, &unavailableError{resp.Status}
	}
	return resp, err
}

// classify says whether err from talking to a provider means it cannot be
// reached now (FailUnreachable: network, timeout, 5xx) or refuses the
// portal's configuration (FailConfig: the rest, such as a certificate not
// trusted, a wrong issuer, or invalid_client for a wrong client secret).
func classify(err error) string {
	var cert *tls.CertificateVerificationError
	var unavailable *unavailableError
	var netErr net.Error
	switch {
	case errors.As(err, &cert):
		return FailConfig
	case errors.As(err, &unavailable), errors.As(err, &netErr),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return FailUnreachable
	}
	return FailConfig
}

// exchangeFailure classifies a failed code exchange: an invalid or
// expired code (invalid_grant) is the user's to retry; anything else the
// token endpoint refuses is the portal's configuration.
func exchangeFailure(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
		return FailExchange
	}
	return classify(err)
}

// callbackFailure classifies an error the provider sent back to the
// callback (RFC 6749 4.1.2.1).
func callbackFailure(code string) string {
	switch code {
	case "access_denied":
		return FailCancelled
	case "server_error", "temporarily_unavailable":
		return FailUnreachable
	}
	return FailConfig
}

// maxDetail bounds the detail logged and audited; part of it may come
// from the provider or the callback URL.
const maxDetail = 1000

// redact removes the client secret, in the forms a request carries it,
// from s: an error may quote what the provider echoed.
func (p *Provider) redact(s string) string {
	if sec := p.Config.ClientSecret; sec != "" {
		esc := url.QueryEscape(sec)
		basic := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(p.Config.ClientID) + ":" + esc))
		s = strings.NewReplacer(basic, "[redacted]", sec, "[redacted]", esc, "[redacted]").Replace(s)
	}
	if len(s) > maxDetail {
		n := maxDetail
		for !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	return s
}

// fail is a sign-in failure with p's secret kept out of its detail.
func (p *Provider) fail(reason, detail string) *SignInError {
	return &SignInError{Reason: reason, Provider: p.Config.ID, Detail: p.redact(detail)}
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
		return "", p.fail(classify(err), "discovery: "+err.Error())
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
		return postgres.Identity{}, "", p.fail(reason, detail)
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
		return fail(callbackFailure(q.Get("error")), "provider error: "+q.Get("error")+" "+q.Get("error_description"))
	}
	if err := m.ready(ctx, p); err != nil {
		return fail(classify(err), "discovery: "+err.Error())
	}
	octx := oidc.ClientContext(ctx, m.client)
	tok, err := p.oauth.Exchange(octx, q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return fail(exchangeFailure(err), err.Error())
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
			return fail(classify(err), "userinfo: "+err.Error())
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
