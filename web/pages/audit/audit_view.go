// Package audit renders the audit log of the reader's scope with filters.
package audit

import (
	"context"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/i18n"
)

// Filter is the filter form as typed (dates as yyyy-mm-dd).
type Filter struct {
	Action, Actor, From, To string
	Errors                  map[string]string
}

// IndexView is one page of the log.
type IndexView struct {
	Filter    Filter
	Events    []audit.Event
	OlderHref string // next page, empty on the last
}

// ActionLabel names an audit action; unknown ones show as they are.
func ActionLabel(ctx context.Context, action string) string {
	l := i18n.From(ctx)
	if s := l.T("audit.action." + action); s != "["+"audit.action."+action+"]" {
		return s
	}
	return action
}
