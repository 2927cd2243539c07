package identity

import (
	"strings"
	"time"
	"unicode"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// UserSummary is a row of the user directory.
type UserSummary struct {
	ID          int64
	Name        string
	Email       string
	LastLoginAt *time.Time
	Grants      []Grant // active
	// Revoked are grants an admin revoked that can be restored: the newest
	// of their role and scope, so sign-in withholds them (see Grant).
	Revoked []Grant
}

// Invitation gives a role to whoever next signs in with an address their
// provider asserts as verified; the grant goes to that account and to no
// other. It is open until accepted, revoked or expired.
type Invitation struct {
	ID           int64
	Email        string
	Role         Role
	MinistryCode string
	OperatorID   int64
	OperatorName kijun.Text
	SectorCode   string
	InvitedBy    string // display name
	InvitedAt    time.Time
	ExpiresAt    time.Time
	GrantID      int64 // once accepted
}

// InvitationLifetime is how long an invitation stays open.
const InvitationLifetime = 14 * 24 * time.Hour

// Expired reports whether the invitation can no longer be accepted at now.
func (i Invitation) Expired(now time.Time) bool { return !now.Before(i.ExpiresAt) }

// NormalizeEmail returns the address as invitations store and compare it
// (trimmed, lower case) and whether it is one: a local part and a domain
// around one @, no spaces or control characters, at most 254 bytes.
func NormalizeEmail(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") || len(s) > 254 {
		return s, false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar {
			return s, false
		}
	}
	return s, true
}

// EmailProblem returns the message id of what is wrong with an address
// typed into a form: its characters (kijun.TextProblem), else that it is
// not an address (NormalizeEmail); "" when it may be stored.
func EmailProblem(s string) string {
	if p := kijun.TextProblem(s); p != "" {
		return p
	}
	if _, ok := NormalizeEmail(s); !ok {
		return "users.error.email"
	}
	return ""
}
