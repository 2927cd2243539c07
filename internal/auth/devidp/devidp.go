//go:build dev

// Package devidp is the OpenID Provider that `kijun dev` and the tests sign
// in against, so that the portal's relying party runs its real OIDC code
// over real HTTP without an external identity service. It is built on
// zitadel/oidc's op package and compiled only with the dev build tag, so a
// release binary cannot serve it.
package devidp

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// User is a demo user offered on the picker page.
type User struct {
	Subject string // stable "sub"
	Name    string // display name, e.g. "経済産業省 山田 花子"
	Email   string
	// EmailUnverified makes the provider send email_verified false (left
	// out), as a provider does for an address nobody has confirmed.
	EmailUnverified bool
	// Groups is the "groups" claim, e.g. "kijun:nco_admin",
	// "kijun:ministry_staff:METI".
	Groups []string
	// CorporateNumber is the 13-digit 法人番号 asserted in the
	// "corporate_number" claim, as gBizID does for a business account;
	// empty for government staff. It is not validated, so that a test can
	// give the relying party a malformed one to reject.
	CorporateNumber string
	// Label says on the picker who this demo user is.
	Label kijun.Text
}

// Client is a relying party allowed to sign in: a confidential client
// using the authorization code flow, authenticating with its Secret by
// client_secret_basic or client_secret_post.
type Client struct {
	ID, Secret             string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
}

// Config configures a Provider.
type Config struct {
	// Issuer is the provider's absolute URL, e.g.
	// http://127.0.0.1:8080/dev-idp. The handler serves paths relative to
	// it, so a server mounts it with http.StripPrefix of the issuer's path.
	Issuer  string
	Users   []User
	Clients []Client
}

// Tampering makes the provider misbehave on purpose, so that the relying
// party's tests can prove they reject what a broken or hostile provider
// sends. The zero value is honest behaviour.
type Tampering struct {
	// UnknownKey signs ID tokens with an RSA key that is not in the JWKS
	// (under the published key's id, so only the signature gives it away).
	UnknownKey bool
	// Expired issues ID tokens whose exp lies an hour before their iat.
	Expired bool
	// WrongNonce puts a nonce other than the requested one in ID tokens.
	WrongNonce bool
}

// Provider is the development OpenID Provider; it is an http.Handler.
type Provider struct {
	issuer string
	op     *op.Provider
	store  *storage
	mux    *http.ServeMux
}

// Lifetimes. A dev provider needs no long sessions, but the codes and
// requests must outlive a developer stepping through the flow.
const (
	requestLifetime     = 10 * time.Minute
	codeLifetime        = time.Minute
	accessTokenLifetime = 15 * time.Minute
	idTokenLifetime     = 15 * time.Minute
)

// New returns a provider for cfg, with a fresh RSA signing key: tokens do
// not survive a restart, which is what a dev provider wants.
func New(cfg Config) (*Provider, error) {
	issuer := strings.TrimSuffix(cfg.Issuer, "/")
	u, err := url.Parse(issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("devidp: issuer %q is not an absolute http(s) URL", cfg.Issuer)
	}
	if err := validateConfig(cfg); err != nil {
		return nil, err
	}
	store, err := newStorage(cfg, issuer+"/login?id=")
	if err != nil {
		return nil, err
	}
	var cryptoKey [32]byte
	rand.Read(cryptoKey[:])
	opConfig := &op.Config{
		CryptoKey:                cryptoKey,
		DefaultLogoutRedirectURI: issuer + "/logged-out",
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		SupportedScopes:          []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail},
		SupportedClaims: append(slices.Clone(op.DefaultSupportedClaims),
			claimGroups, claimCorporateNumber),
	}
	// WithAllowInsecure lets the issuer be plain http: this provider runs
	// only on a developer's machine or inside a test.
	o, err := op.NewProvider(opConfig, store, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		return nil, fmt.Errorf("devidp: %w", err)
	}
	p := &Provider{issuer: issuer, op: o, store: store}

	p.mux = http.NewServeMux()
	p.mux.HandleFunc("GET /login", p.handleLoginShow)
	// The picker's POST signs a user in; CrossOriginProtection refuses it
	// when a browser says it came from another site, so no page elsewhere
	// can log a developer in as someone of its choosing.
	p.mux.Handle("POST /login", http.NewCrossOriginProtection().Handler(http.HandlerFunc(p.handleLoginPick)))
	p.mux.HandleFunc("GET /logged-out", p.handleLoggedOut)
	p.mux.Handle("/", o)
	return p, nil
}

// ServeHTTP serves the provider's endpoints under its issuer path.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The op package routes with its own chi router, which would reuse and
	// extend the portal's chi route context if it found one, and the
	// portal's logs would report the provider's patterns as its own.
	ctx := context.WithValue(r.Context(), chi.RouteCtxKey, (*chi.Context)(nil))
	p.mux.ServeHTTP(w, r.WithContext(ctx))
}

// Tamper sets how the provider misbehaves from now on; Tamper(Tampering{})
// restores honest behaviour. It is safe to call while requests are served.
func (p *Provider) Tamper(t Tampering) {
	p.store.tamper.Store(&t)
}

// Issuer returns the provider's issuer URL.
func (p *Provider) Issuer() string { return p.issuer }

// Custom claims, beyond the standard ones op already lists.
const (
	claimGroups          = "groups"
	claimCorporateNumber = "corporate_number"
)

func validateConfig(cfg Config) error {
	var errs []error
	subjects := map[string]bool{}
	for i, u := range cfg.Users {
		switch {
		case u.Subject == "":
			errs = append(errs, fmt.Errorf("user %d has no subject", i))
		case subjects[u.Subject]:
			errs = append(errs, fmt.Errorf("user subject %q is used twice", u.Subject))
		}
		subjects[u.Subject] = true
	}
	if len(cfg.Users) == 0 {
		errs = append(errs, errors.New("no users"))
	}
	ids := map[string]bool{}
	for i, c := range cfg.Clients {
		switch {
		case c.ID == "":
			errs = append(errs, fmt.Errorf("client %d has no id", i))
		case ids[c.ID]:
			errs = append(errs, fmt.Errorf("client id %q is used twice", c.ID))
		}
		ids[c.ID] = true
		if c.Secret == "" {
			errs = append(errs, fmt.Errorf("client %q has no secret", c.ID))
		}
		if len(c.RedirectURIs) == 0 {
			errs = append(errs, fmt.Errorf("client %q has no redirect URI", c.ID))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("devidp: %w", err)
	}
	return nil
}

// newRSAKey makes a signing key; 2048 bits keeps tests quick and is what
// real providers still use for RS256.
func newRSAKey() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
}
