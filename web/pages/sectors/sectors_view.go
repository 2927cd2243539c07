// Package sectors renders the sector registry: the list of the 重要インフラ
// sectors and one sector's detail.
package sectors

import (
	"context"

	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// IndexView lists every sector.
type IndexView struct {
	Sectors []kijun.Sector
}

// ShowView is one sector.
type ShowView struct {
	Sector kijun.Sector
}

func originLabel(ctx context.Context, o kijun.ScopeOrigin) string {
	return i18n.T(ctx, "scope.origin."+string(o))
}

func ministryNames(ctx context.Context, ms []kijun.Ministry) string {
	l := i18n.From(ctx)
	s := ""
	for i, m := range ms {
		if i > 0 {
			s += l.T("list.separator")
		}
		s += l.Pick(m.Name)
	}
	return s
}

// ceptoarNames lists a sector's CEPTOAR bodies once each (the finance
// sector's five scopes share one council).
func ceptoarNames(cs []kijun.CEPTOAR) []string {
	var names []string
	seen := map[string]bool{}
	for _, c := range cs {
		if !seen[c.Name] {
			seen[c.Name] = true
			names = append(names, c.Name)
		}
	}
	return names
}
