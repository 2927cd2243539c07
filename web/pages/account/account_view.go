// Package account renders sign-in, the signed-in user's own account and
// the access-pending page.
package account

import (
	"context"

	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// Provider is a sign-in option.
type Provider struct {
	ID   string
	Name kijun.Text
}

// LoginView lists the providers.
type LoginView struct {
	Providers []Provider
	Next      string
}

// FailedView explains a failed sign-in.
type FailedView struct {
	Reason string // auth.Fail… constant
}

// AccountView is the user's own account.
type AccountView struct {
	Name, Email string
	UserID      int64
	Grants      []identity.Grant
	Ministries  map[string]kijun.Text // ministry names by code
}

// PendingView is shown to a signed-in user with no role.
type PendingView struct {
	Name, Email string
	UserID      int64
}

// RoleLabel names a role in the user's language.
func RoleLabel(ctx context.Context, r identity.Role) string {
	return i18n.T(ctx, "role."+string(r))
}

// SourceLabel names where a grant came from.
func SourceLabel(ctx context.Context, source string) string {
	return i18n.T(ctx, "grant.source."+source)
}

// GrantScope names the scope of a grant: a ministry or an operator.
func GrantScope(ctx context.Context, g identity.Grant, ministries map[string]kijun.Text) string {
	l := i18n.From(ctx)
	switch g.Role.ScopeKind() {
	case "ministry":
		if n, ok := ministries[g.MinistryCode]; ok {
			return l.Pick(n)
		}
		return g.MinistryCode
	case "operator":
		return l.Pick(g.OperatorName)
	}
	return l.T("grant.scope.nco")
}
