package server

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	kaudit "github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/pages/audit"
)

// auditPageSize is how many events one page of the log shows.
const auditPageSize = 100

// handleAuditIndex lists the events of the reader's scope: row-level
// security decides which, the filters only narrow.
func (s *Server) handleAuditIndex(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	v := audit.IndexView{Filter: audit.Filter{
		Action: q.Get("action"), Actor: strings.TrimSpace(q.Get("actor")),
		From: q.Get("from"), To: q.Get("to"), Errors: map[string]string{},
	}}
	f := kaudit.Filter{Action: v.Filter.Action, Actor: v.Filter.Actor, Limit: auditPageSize}
	if t, ok := parseDay(v.Filter.From); ok {
		f.From = t
	} else if v.Filter.From != "" {
		v.Filter.Errors["from"] = "form.bad_date"
	}
	if t, ok := parseDay(v.Filter.To); ok {
		f.To = t.AddDate(0, 0, 1) // the whole day "to" is included
	} else if v.Filter.To != "" {
		v.Filter.Errors["to"] = "form.bad_date"
	}
	if before, err := parseID(q.Get("before")); err == nil {
		f.Before = before
	}
	status := http.StatusOK
	if len(v.Filter.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		var err error
		v.Events, err = postgres.ListAudit(r.Context(), tx, f)
		return err
	})
	if err != nil {
		return err
	}
	if len(v.Events) == auditPageSize {
		next := url.Values{}
		for k, vs := range q {
			next[k] = vs
		}
		next.Set("before", itoa(v.Events[len(v.Events)-1].ID))
		v.OlderHref = "/audit?" + next.Encode()
	}
	return s.render(w, r, status, audit.Index(v))
}

// parseDay reads a yyyy-mm-dd date as the start of that day in JST.
func parseDay(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(time.DateOnly, s, kijun.JST)
	return t, err == nil
}
