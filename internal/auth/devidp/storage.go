//go:build dev

package devidp

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// storage is the op.Storage behind the provider: users and clients from
// the Config, and authorization requests, codes and access tokens in
// memory (a restart forgets every sign-in, as a dev provider should).
type storage struct {
	users    map[string]User
	userList []User // in Config order, for the picker
	clients  map[string]*client
	key      *signingKey // published in the JWKS
	foreign  *signingKey // never published; see Tampering.UnknownKey
	tamper   atomic.Pointer[Tampering]

	mu       sync.Mutex
	requests map[string]*authRequest // by request id
	codes    map[string]issuedCode   // by code, until redeemed
	redeemed map[string]issuedCode   // by code, to recognise a replay
	tokens   map[string]*accessToken // by token id
}

// issuedCode ties an authorization code to its request.
type issuedCode struct {
	requestID string
	issued    time.Time
}

type accessToken struct {
	id, subject, clientID, requestID string
	scopes                           []string
	expires                          time.Time
}

// newStorage holds cfg's users and clients; loginURL is the picker's URL
// up to the request id.
func newStorage(cfg Config, loginURL string) (*storage, error) {
	s := &storage{
		users:    map[string]User{},
		clients:  map[string]*client{},
		requests: map[string]*authRequest{},
		codes:    map[string]issuedCode{},
		redeemed: map[string]issuedCode{},
		tokens:   map[string]*accessToken{},
	}
	for _, u := range cfg.Users {
		s.users[u.Subject] = u
	}
	s.userList = slices.Clone(cfg.Users)
	for _, c := range cfg.Clients {
		s.clients[c.ID] = &client{Client: c, loginURL: loginURL}
	}
	// Both keys share one key id, so that a relying party that trusted
	// a token for naming a known kid is caught by the signature check.
	kid := rand.Text()
	for _, k := range []**signingKey{&s.key, &s.foreign} {
		priv, err := newRSAKey()
		if err != nil {
			return nil, fmt.Errorf("devidp: signing key: %w", err)
		}
		*k = &signingKey{id: kid, priv: priv}
	}
	s.tamper.Store(&Tampering{})
	return s, nil
}

// CreateAuthRequest stores a validated authorization request. It is also
// where this provider is stricter than op: PKCE with S256 is required,
// because the portal's relying party must always send it, and a client
// that forgot it should fail here in development, not first in production.
func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if req.CodeChallenge == "" {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge is required (PKCE with S256)")
	}
	if req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	}
	// There is never a session to reuse: every sign-in goes through the
	// picker, so a request that forbids any page must fail.
	if slices.Contains(req.Prompt, oidc.PromptNone) {
		return nil, oidc.ErrLoginRequired()
	}
	r := &authRequest{
		// rand.Text's 130 random bits make the id, the only secret
		// between the picker page and its POST, unguessable.
		id:           rand.Text(),
		created:      time.Now(),
		clientID:     req.ClientID,
		redirectURI:  req.RedirectURI,
		state:        req.State,
		nonce:        req.Nonce,
		scopes:       slices.Clone(req.Scopes),
		responseType: req.ResponseType,
		responseMode: req.ResponseMode,
		challenge:    &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: req.CodeChallengeMethod},
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purgeLocked(r.created)
	s.requests[r.id] = r
	return r.copy(), nil
}

// purgeLocked forgets what has expired, so a long `kijun dev` session does
// not grow without bound.
func (s *storage) purgeLocked(now time.Time) {
	for id, r := range s.requests {
		if now.Sub(r.created) > requestLifetime {
			delete(s.requests, id)
		}
	}
	for code, c := range s.codes {
		if now.Sub(c.issued) > codeLifetime {
			delete(s.codes, code)
		}
	}
	for code, c := range s.redeemed {
		if now.Sub(c.issued) > requestLifetime {
			delete(s.redeemed, code)
		}
	}
	for id, t := range s.tokens {
		if now.After(t.expires) {
			delete(s.tokens, id)
		}
	}
}

var errNotFound = errors.New("devidp: not found")

// AuthRequestByID returns a copy, so that op reads a snapshot while the
// picker may be completing the same request.
func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok || time.Since(r.created) > requestLifetime {
		return nil, errNotFound
	}
	return r.copy(), nil
}

// authRequestForLogin is AuthRequestByID for the picker, which needs the
// concrete type and only requests still waiting for a user.
func (s *storage) authRequestForLogin(id string) (*authRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok || r.done || time.Since(r.created) > requestLifetime {
		return nil, false
	}
	return r.copy(), true
}

// completeLogin records that subject signed in for request id.
func (s *storage) completeLogin(id, subject string) error {
	if _, ok := s.users[subject]; !ok {
		return errNotFound
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok || r.done {
		return errNotFound
	}
	r.subject, r.authTime, r.done = subject, time.Now(), true
	return nil
}

// SaveAuthCode records the code issued for request id. Only one code is
// issued per request (a reloaded callback does not mint a second), so that
// spending the code settles the request for good.
func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok {
		return errNotFound
	}
	if r.code != "" {
		return oidc.ErrInvalidRequest().WithDescription("an authorization code was already issued for this request")
	}
	r.code = code
	s.codes[code] = issuedCode{requestID: id, issued: time.Now()}
	return nil
}

// AuthRequestByCode finds the request a code was issued for. The code is
// spent only when tokens are issued (see CreateAccessToken), so a failed
// exchange reports its own error when x/oauth2 retries it with the other
// client authentication style. Presenting a spent code also revokes the
// access tokens it bought, as RFC 6749 §4.1.2 asks, since a replayed code
// suggests it was stolen.
func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if spent, ok := s.redeemed[code]; ok {
		for id, t := range s.tokens {
			if t.requestID == spent.requestID {
				delete(s.tokens, id)
			}
		}
		return nil, errors.New("devidp: authorization code already used")
	}
	c, ok := s.codes[code]
	if !ok || time.Since(c.issued) > codeLifetime {
		return nil, errNotFound
	}
	r, ok := s.requests[c.requestID]
	if !ok {
		return nil, errNotFound
	}
	r = r.copy()
	if s.tamper.Load().WrongNonce {
		r.nonce = "tampered-" + rand.Text()
	}
	return r, nil
}

func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	return nil
}

// CreateAccessToken issues an opaque access token. For the code flow it
// is also where the code is spent, under the same lock that checks it is
// unspent, so that two racing exchanges of one code cannot both succeed.
func (s *storage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	t := &accessToken{
		id:      rand.Text(),
		subject: req.GetSubject(),
		scopes:  slices.Clone(req.GetScopes()),
		expires: time.Now().Add(accessTokenLifetime),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := req.(*authRequest); ok {
		c, ok := s.codes[r.code]
		if !ok || c.requestID != r.id {
			return "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("authorization code already used")
		}
		delete(s.codes, r.code)
		s.redeemed[r.code] = c
		t.clientID, t.requestID = r.clientID, r.id
	}
	s.tokens[t.id] = t
	return t.id, t.expires, nil
}

var errNoRefresh = errors.New("devidp: refresh tokens are not supported")

// CreateAccessAndRefreshTokens is never reached: no client is given the
// refresh_token grant, because the portal keeps its own session.
func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errNoRefresh
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errNoRefresh
}

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

// TerminateSession ends a user's sign-in at a client. The provider keeps no
// login session of its own (the picker always shows), so this revokes the
// access tokens the client holds for the user.
func (s *storage) TerminateSession(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, t := range s.tokens {
		if t.subject == userID && t.clientID == clientID {
			delete(s.tokens, id)
		}
	}
	return nil
}

func (s *storage) RevokeToken(_ context.Context, tokenID, _, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tokenID]
	if !ok {
		return nil // RFC 7009: an unknown token is not an error
	}
	if t.clientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
	}
	delete(s.tokens, tokenID)
	return nil
}

// SigningKey is the key ID tokens are signed with; under
// Tampering.UnknownKey it is one that the JWKS does not contain.
func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	if s.tamper.Load().UnknownKey {
		return s.foreign, nil
	}
	return s.key, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{s.key}}, nil
}

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	c, ok := s.clients[id]
	if !ok {
		return nil, errNotFound
	}
	c2 := *c
	c2.expired = s.tamper.Load().Expired
	return &c2, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	c, ok := s.clients[id]
	if !ok || subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1 {
		return errors.New("devidp: wrong client id or secret")
	}
	return nil
}

// SetUserinfoFromScopes is deprecated in op; SetUserinfoFromRequest does
// the work for ID tokens.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest fills the ID token's claims.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	return s.userinfo(info, req.GetSubject(), scopes)
}

// SetUserinfoFromToken answers the userinfo endpoint.
func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	s.mu.Lock()
	t, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || t.subject != subject || time.Now().After(t.expires) {
		return oidc.ErrAccessDenied().WithDescription("access token is invalid or revoked")
	}
	return s.userinfo(info, subject, t.scopes)
}

func (s *storage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	s.mu.Lock()
	t, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || t.subject != subject || t.clientID != clientID || time.Now().After(t.expires) {
		return errNotFound // op then answers active=false
	}
	info := new(oidc.UserInfo)
	if err := s.userinfo(info, subject, t.scopes); err != nil {
		return err
	}
	resp.SetUserInfo(info)
	resp.Scope = t.scopes
	resp.ClientID = t.clientID
	resp.Expiration = oidc.FromTime(t.expires)
	resp.Active = true
	return nil
}

// userinfo sets the claims of subject that scopes allow: name with
// "profile", email with "email", as OIDC Core §5.4 has it. The portal's
// own claims (groups, corporate_number) come with "openid" alone, as
// they do from the real providers it maps roles from.
func (s *storage) userinfo(info *oidc.UserInfo, subject string, scopes []string) error {
	u, ok := s.users[subject]
	if !ok {
		return errNotFound
	}
	info.Subject = u.Subject
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name = u.Name
	}
	if slices.Contains(scopes, oidc.ScopeEmail) && u.Email != "" {
		info.Email = u.Email
		info.EmailVerified = oidc.Bool(!u.EmailUnverified)
	}
	groups := slices.Clone(u.Groups)
	if groups == nil {
		groups = []string{} // an empty list, not null: "no groups" is an answer
	}
	info.AppendClaims(claimGroups, groups)
	if u.CorporateNumber != "" {
		info.AppendClaims(claimCorporateNumber, u.CorporateNumber)
	}
	return nil
}

// GetPrivateClaimsFromScopes would add claims to JWT access tokens; this
// provider issues opaque ones.
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID and ValidateJWTProfileScopes serve private_key_jwt
// and the JWT profile grant, which no client here uses.
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errNotFound
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("devidp: JWT profile grant is not supported")
}

func (s *storage) Health(context.Context) error { return nil }

// authRequest is one authorization request, from /authorize to the code
// exchange.
type authRequest struct {
	id                                  string
	code                                string // once issued
	created                             time.Time
	clientID, redirectURI, state, nonce string
	scopes                              []string
	responseType                        oidc.ResponseType
	responseMode                        oidc.ResponseMode
	challenge                           *oidc.CodeChallenge
	subject                             string
	authTime                            time.Time
	done                                bool
}

func (r *authRequest) copy() *authRequest {
	c := *r
	return &c
}

func (r *authRequest) GetID() string                         { return r.id }
func (r *authRequest) GetACR() string                        { return "" }
func (r *authRequest) GetAMR() []string                      { return nil }
func (r *authRequest) GetAudience() []string                 { return []string{r.clientID} }
func (r *authRequest) GetAuthTime() time.Time                { return r.authTime }
func (r *authRequest) GetClientID() string                   { return r.clientID }
func (r *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return r.challenge }
func (r *authRequest) GetNonce() string                      { return r.nonce }
func (r *authRequest) GetRedirectURI() string                { return r.redirectURI }
func (r *authRequest) GetResponseType() oidc.ResponseType    { return r.responseType }
func (r *authRequest) GetResponseMode() oidc.ResponseMode    { return r.responseMode }
func (r *authRequest) GetScopes() []string                   { return r.scopes }
func (r *authRequest) GetState() string                      { return r.state }
func (r *authRequest) GetSubject() string                    { return r.subject }
func (r *authRequest) Done() bool                            { return r.done }

// client is a configured Client as op sees it: a confidential web
// application that may use only the authorization code flow.
type client struct {
	Client
	loginURL string // up to the request id
	expired  bool   // Tampering.Expired, fixed when op fetched the client
}

func (c *client) GetID() string                    { return c.ID }
func (c *client) RedirectURIs() []string           { return c.Client.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string { return c.Client.PostLogoutRedirectURIs }
func (c *client) ApplicationType() op.ApplicationType {
	return op.ApplicationTypeWeb
}
func (c *client) AuthMethod() oidc.AuthMethod { return oidc.AuthMethodBasic } // post is accepted too
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *client) LoginURL(id string) string    { return c.loginURL + url.QueryEscape(id) }
func (c *client) AccessTokenType() op.AccessTokenType {
	return op.AccessTokenTypeBearer
}

// IDTokenLifetime is negative under Tampering.Expired, so exp falls before
// iat and the token is stale the moment it is issued.
func (c *client) IDTokenLifetime() time.Duration {
	if c.expired {
		return -time.Hour
	}
	return idTokenLifetime
}

// DevMode would allow http redirect URIs for any client type; a
// confidential client using the code flow may have them anyway.
func (c *client) DevMode() bool { return false }

func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

func (c *client) IsScopeAllowed(string) bool { return false }

// IDTokenUserinfoClaimsAssertion puts the user's claims in the ID token
// even though an access token is issued, so that the relying party gets
// groups and corporate_number without a userinfo call.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }

// signingKey is an RSA key for RS256.
type signingKey struct {
	id   string
	priv *rsa.PrivateKey
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Key() any                                    { return k.priv }
func (k *signingKey) ID() string                                  { return k.id }

// publicKey is a signing key's public half, as the JWKS publishes it.
type publicKey struct{ *signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.priv.PublicKey }
