// Package operators renders the register of named operators (バイネーム)
// and one operator's record.
package operators

import (
	"context"

	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// IndexView lists operators the reader may see.
type IndexView struct {
	Operators []kijun.Operator
	Sectors   map[string]kijun.Text
}

// ShowView is one operator.
type ShowView struct {
	Operator kijun.Operator
	Sector   kijun.Sector
}

// DesignationLabel names a designation.
func DesignationLabel(ctx context.Context, d kijun.Designation) string {
	return i18n.T(ctx, "designation."+string(d))
}

// ScopeNames lists the operator's business scopes by name.
func ScopeNames(ctx context.Context, o kijun.Operator, s kijun.Sector) []string {
	var out []string
	for _, id := range o.ScopeIDs {
		for _, sc := range s.Scopes {
			if sc.ID == id {
				out = append(out, i18n.From(ctx).Pick(sc.Name))
			}
		}
	}
	return out
}
