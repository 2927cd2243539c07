package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// APIToken is a machine's credential for the API: a service account (a
// user that never signs in) holding one grant, given by the admin who
// issued the token in its own tenant. A request with the token acts as the
// service account, whose principal is built from that grant like a
// person's. Only the SHA-256 of the secret is stored; the secret is shown
// once, when the token is issued.
type APIToken struct {
	ID           int64
	UserID       int64 // the service account
	Name         string
	Role         Role
	MinistryCode string
	OperatorID   int64
	OperatorName kijun.Text
	SectorCode   string
	CreatedBy    string // display name of the issuing admin
	CreatedAt    time.Time
	ExpiresAt    time.Time
	LastUsedAt   *time.Time
	RevokedAt    *time.Time
}

// Active reports whether the token still authenticates at now.
func (t APIToken) Active(now time.Time) bool { return t.RevokedAt == nil && now.Before(t.ExpiresAt) }

// TokenPrefix starts every API token, so that a leaked one is recognisable
// (secret scanners) and never mistaken for a session cookie.
const TokenPrefix = "kijun_"

// TokenLifetimes are the expiries an admin chooses from, in days.
var TokenLifetimes = []int{30, 90, 180, 365}

// MaxTokenNameLen is the longest token name, in characters (the
// database's CHECK holds the same).
const MaxTokenNameLen = 100

// NewTokenSecret returns a new token (TokenPrefix and 32 random bytes,
// base64url) and the hash to store.
func NewTokenSecret() (secret string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	secret = TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, HashToken(secret)
}

// HashToken is what is stored of a token and looked up by.
func HashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// TokenNameProblem returns the message id of what is wrong with a token
// name, "" when it may be stored.
func TokenNameProblem(name string) string {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "tokens.error.name_required"
	case kijun.TextProblem(name) != "":
		return kijun.TextProblem(name)
	case utf8.RuneCountInString(name) > MaxTokenNameLen:
		return "tokens.error.name_too_long"
	}
	return ""
}

// ValidTokenLifetime reports whether days is one of TokenLifetimes.
func ValidTokenLifetime(days int) bool { return slices.Contains(TokenLifetimes, days) }

// OAuthClient links a client of a configured identity provider to a
// service account holding one grant, as an API token does: a request
// bearing an access token the provider issued to the client (OAuth 2.0
// client credentials) acts as the service account. Issuer and ClientID
// are the provider's names for the client; a revoked link refuses the
// next request.
type OAuthClient struct {
	ID           int64
	UserID       int64 // the service account
	Issuer       string
	ClientID     string
	Role         Role
	MinistryCode string
	OperatorID   int64
	OperatorName kijun.Text
	SectorCode   string
	CreatedBy    string // display name of the linking admin
	CreatedAt    time.Time
	LastUsedAt   *time.Time
	RevokedAt    *time.Time
}

// MaxClientIDLen is the longest OAuth client id, in characters (the
// database's CHECK holds the same).
const MaxClientIDLen = 255

// ClientIDProblem returns the message id of what is wrong with an OAuth
// client id, "" when it may be stored.
func ClientIDProblem(id string) string {
	switch {
	case strings.TrimSpace(id) == "":
		return "oauth.error.client_id_required"
	case kijun.TextProblem(id) != "":
		return kijun.TextProblem(id)
	case utf8.RuneCountInString(id) > MaxClientIDLen:
		return "oauth.error.client_id_too_long"
	}
	return ""
}
