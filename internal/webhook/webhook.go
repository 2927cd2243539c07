// Package webhook defines Kijun's outgoing webhooks (docs/webhooks.md): an
// endpoint an admin registers for its own tenant and chosen event kinds
// (the kinds of internal/notify), the signing of each delivery by the
// Standard Webhooks specification, the secret's encryption at rest, and
// the addresses a delivery may never reach (SSRF).
package webhook

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
)

// Tenant is whose endpoint it is: the NCO, a ministry, or an operator
// (with its sector).
type Tenant struct {
	NCO          bool
	MinistryCode string
	OperatorID   int64
	SectorCode   string
}

// Principal is the tenant acting as itself: its admin and staff roles,
// for userID (the admin who registered the endpoint). Which events reach
// an endpoint, and what its payload may read, are decided for it by the
// policy and row-level security like for the tenant's people.
func (t Tenant) Principal(userID int64, oversight map[string][]string) *identity.Principal {
	var gs []identity.Grant
	switch {
	case t.NCO:
		gs = []identity.Grant{{UserID: userID, Role: identity.RoleNCOAdmin}, {UserID: userID, Role: identity.RoleNCOAnalyst}}
	case t.MinistryCode != "":
		gs = []identity.Grant{{UserID: userID, Role: identity.RoleMinistryAdmin, MinistryCode: t.MinistryCode},
			{UserID: userID, Role: identity.RoleMinistryStaff, MinistryCode: t.MinistryCode}}
	case t.OperatorID != 0:
		gs = []identity.Grant{{UserID: userID, Role: identity.RoleOperatorAdmin, OperatorID: t.OperatorID, SectorCode: t.SectorCode},
			{UserID: userID, Role: identity.RoleOperatorStaff, OperatorID: t.OperatorID, SectorCode: t.SectorCode}}
	}
	return identity.NewPrincipal(userID, "", "", gs, oversight)
}

// Resource is the tenant as the policy's resource.
func (t Tenant) Resource() authz.Resource {
	return authz.Resource{MinistryCode: t.MinistryCode, OperatorID: t.OperatorID}
}

// Endpoint is a registered receiver.
type Endpoint struct {
	ID          int64
	Tenant      Tenant
	TenantName  kijun.Text // the operator's name, for the pages
	URL         string
	Description string
	Kinds       []notify.Kind
	CreatedBy   int64
	CreatorName string
	CreatedAt   time.Time
	// ConsecutiveFailures counts failed attempts since the last success;
	// FailingSince is the first of them.
	ConsecutiveFailures int
	FailingSince        *time.Time
	DisabledAt          *time.Time
	DisabledReason      string
	// Version counts the edits of its settings (URL, description, kinds):
	// the API's ETag and the page's hidden field.
	Version int
	// PreviousSecretUntil is when the secret replaced by the last rotation
	// stops signing deliveries (nil: none does).
	PreviousSecretUntil *time.Time
}

// Active reports whether deliveries are sent to e.
func (e Endpoint) Active() bool { return e.DisabledAt == nil }

// Delivery is one event sent (or being sent) to one endpoint: a row of
// the delivery log.
type Delivery struct {
	ID             int64
	EndpointID     int64
	EventID        int64
	Kind           notify.Kind
	Status         string // pending, succeeded, failed, cancelled
	Attempts       int
	LastStatusCode int // 0: no response
	LastError      string
	LastAttemptAt  *time.Time
	DeliveredAt    *time.Time
	CreatedAt      time.Time
}

// WebhookID is the webhook-id of a delivery: the same on every attempt,
// so that a receiver can drop a repeat.
func (d Delivery) WebhookID() string { return "msg_kijun_" + strconv.FormatInt(d.ID, 10) }

// Kinds are the event kinds an endpoint may subscribe to: every
// notification kind about a tenant (not the personal grant notices).
func Kinds() []notify.Kind {
	var out []notify.Kind
	for _, k := range notify.Kinds {
		if !k.Personal() {
			out = append(out, k)
		}
	}
	return out
}

// Receives reports whether the tenant t (as principal p, built by
// Tenant.Principal) receives event e: the event is of a kind it chose and
// its people would be notified of it (notify.Audience).
func Receives(kinds []notify.Kind, p *identity.Principal, e notify.Event) bool {
	return slices.Contains(kinds, e.Kind) && !e.Kind.Personal() && notify.Told(p, e)
}

// Limits of what is typed.
const (
	MaxURL         = 2000
	MaxDescription = 200
)

// URLProblem returns the message id of what is wrong with raw as an
// endpoint's URL, or "": https only (http only to a loopback address when
// allowLoopback, for tests), a host, no user information or fragment, and
// no literal address a delivery may not reach. Names are checked again
// when a delivery connects (Dialer), where DNS has answered.
func URLProblem(raw string, allowLoopback bool) string {
	if raw == "" {
		return "webhooks.error.url_required"
	}
	u, err := url.Parse(raw)
	if err != nil || len(raw) > MaxURL || u.Host == "" || u.User != nil || u.Fragment != "" || u.Opaque != "" ||
		strings.ContainsAny(raw, " \t\r\n") {
		return "webhooks.error.url"
	}
	host := u.Hostname()
	addr, literal := netip.ParseAddr(host)
	switch u.Scheme {
	case "https":
	case "http":
		if !(allowLoopback && literal == nil && addr.IsLoopback()) {
			return "webhooks.error.https"
		}
	default:
		return "webhooks.error.https"
	}
	if literal == nil && !AllowedAddr(addr, allowLoopback) {
		return "webhooks.error.address"
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		if !allowLoopback {
			return "webhooks.error.address"
		}
	}
	return ""
}

// blocked are ranges no delivery reaches besides those netip classifies
// (private, loopback, link-local, multicast, unspecified): shared address
// space, IETF protocol assignments, benchmarking, reserved, NAT64 and the
// documentation ranges.
var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"),
}

// AllowedAddr reports whether a delivery may connect to a: a public
// unicast address (a loopback one too when allowLoopback, for tests).
func AllowedAddr(a netip.Addr, allowLoopback bool) bool {
	a = a.Unmap()
	if !a.IsValid() {
		return false
	}
	if a.IsLoopback() {
		return allowLoopback
	}
	if a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() ||
		a.IsMulticast() || a.IsUnspecified() || !a.IsGlobalUnicast() {
		return false
	}
	for _, p := range blocked {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// SecretPrefix starts a signing secret as the specification writes it.
const SecretPrefix = "whsec_"

// NewSecret returns a new signing secret: 32 random bytes, and the text
// shown to the admin once (whsec_ and their standard base64).
func NewSecret() (raw []byte, text string) {
	raw = make([]byte, 32)
	_, _ = rand.Read(raw) // never fails (crypto/rand)
	return raw, SecretPrefix + base64.StdEncoding.EncodeToString(raw)
}

// Sign returns the webhook-signature header of body sent as msgID at ts:
// "v1," and the base64 HMAC-SHA256 of "msgID.ts.body" with secret.
func Sign(secret []byte, msgID string, ts time.Time, body []byte) (string, error) {
	wh, err := standardwebhooks.NewWebhookRaw(secret)
	if err != nil {
		return "", err
	}
	return wh.Sign(msgID, ts, body)
}

// RotationGrace is how long, after a rotation, deliveries are signed
// with the previous secret besides the new one: the specification's
// webhook-signature header holds several signatures, space-separated, and
// a receiver accepts the message when one verifies, so a receiver still
// holding the old secret keeps working while it is updated.
const RotationGrace = 24 * time.Hour

// SignAll returns the webhook-signature header of body signed with each
// of secrets (the current one first), space-separated.
func SignAll(secrets [][]byte, msgID string, ts time.Time, body []byte) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		sig, err := Sign(s, msgID, ts, body)
		if err != nil {
			return "", err
		}
		sigs = append(sigs, sig)
	}
	return strings.Join(sigs, " "), nil
}

// Box encrypts signing secrets at rest with AES-256-GCM under a key from
// the configuration (WEBHOOK_SECRET_KEY): signing needs the secret
// itself, so it cannot be stored as a hash.
type Box struct{ aead cipher.AEAD }

// ErrNoKey: no WEBHOOK_SECRET_KEY is configured; webhooks are off.
var ErrNoKey = errors.New("webhook: no secret key configured (WEBHOOK_SECRET_KEY)")

// NewBox returns the box of key, base64 of 32 bytes; an empty key gives
// ErrNoKey.
func NewBox(key string) (*Box, error) {
	if key == "" {
		return nil, ErrNoKey
	}
	k, err := base64.StdEncoding.DecodeString(key)
	if err != nil || len(k) != 32 {
		return nil, errors.New("webhook: WEBHOOK_SECRET_KEY must be the base64 of 32 bytes")
	}
	b, _ := aes.NewCipher(k)
	aead, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts secret: a random nonce and the ciphertext.
func (b *Box) Seal(secret []byte) []byte {
	nonce := make([]byte, b.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return b.aead.Seal(nonce, nonce, secret, []byte("kijun-webhook-secret"))
}

// Open decrypts what Seal returned.
func (b *Box) Open(sealed []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("webhook: sealed secret too short")
	}
	return b.aead.Open(nil, sealed[:n], sealed[n:], []byte("kijun-webhook-secret"))
}

// Payload is the body of a delivery: the event as the tenant's people
// are told of it, read under the tenant's row-level security.
type Payload struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      Data      `json:"data"`
}

// Data is the event's part of a payload.
type Data struct {
	EventID      int64                 `json:"event_id"`
	MinistryCode string                `json:"ministry_code,omitempty"`
	SectorCode   string                `json:"sector_code,omitempty"`
	OperatorID   int64                 `json:"operator_id,omitempty"`
	Params       map[string]kijun.Text `json:"params"`
	Link         string                `json:"link"`
}

// FanOutArgs is the queue's job (river kind "webhook.fanout") that finds
// the endpoints an event goes to and queues one delivery for each.
type FanOutArgs struct {
	EventID int64 `json:"event_id"`
}

// Kind names the job in the queue.
func (FanOutArgs) Kind() string { return "webhook.fanout" }

// DeliverArgs is the queue's job (river kind "webhook.deliver") that sends
// one delivery; river retries it with exponential backoff.
type DeliverArgs struct {
	DeliveryID int64 `json:"delivery_id"`
}

// Kind names the job in the queue.
func (DeliverArgs) Kind() string { return "webhook.deliver" }
