package server

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// langCookie holds the user's language choice.
const langCookie = "kijun_lang"

// negotiateLanguage puts the request's localizer in its context.
func (s *Server) negotiateLanguage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var choice string
		if c, err := r.Cookie(langCookie); err == nil {
			choice = c.Value
		}
		lang := i18n.Negotiate(choice, r.Header.Get("Accept-Language"))
		w.Header().Add("Vary", "Accept-Language, Cookie")
		next.ServeHTTP(w, r.WithContext(i18n.WithLocalizer(r.Context(), i18n.New(lang))))
	})
}

// logRequests writes one structured log line per request and records its
// metrics under the route pattern (not the raw path, which would leak ids
// into labels).
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		route := chi.RouteContext(r.Context()).RoutePattern()
		if route == "" {
			route = "unmatched"
		}
		d := time.Since(start)
		s.metrics.observe(r.Method, route, ww.Status(), d)
		s.log.InfoContext(r.Context(), "request",
			"method", r.Method, "route", route, "status", ww.Status(),
			"bytes", ww.BytesWritten(), "duration_ms", float64(d.Microseconds())/1000,
			"request_id", middleware.GetReqID(r.Context()))
	})
}

// recoverPanics turns a panic into a logged 500 page.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic", "value", fmt.Sprint(v), "stack", string(debug.Stack()),
					"request_id", middleware.GetReqID(r.Context()))
				s.wrap(func(http.ResponseWriter, *http.Request) error { return fmt.Errorf("panic: %v", v) })(w, r)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets the headers every response carries. The CSP allows
// no inline script or style: pages use only files under /static.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	secure := s.cfg.Secure()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if secure {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

type principalKey struct{}

// loadPrincipal reads the session's user and every active grant on each
// request, so that a revoked grant or a removed user stops working on the
// very next request. The session store has read them with the session
// (principalSlot), or remembered them for a route whose work holds them
// (heldSessionRoutes); only a session without its user's id needs the
// separate read.
func (s *Server) loadPrincipal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uid := s.auth.UserID(r.Context())
		if uid == 0 {
			next.ServeHTTP(w, r)
			return
		}
		p, read := postgres.SessionPrincipal(r.Context(), uid)
		var err error
		if !read { // a session written before migration 000014
			p, err = postgres.LoadRequestPrincipal(r.Context(), s.db, uid)
		}
		if err != nil {
			s.wrap(func(http.ResponseWriter, *http.Request) error { return err })(w, r)
			return
		}
		if p == nil { // the user is gone: end the session
			_ = s.auth.Sessions.Destroy(r.Context())
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// principalSlot makes room for the principal the session store reads
// along with the session (postgres.SessionStore); it goes before scs's
// LoadAndSave.
func principalSlot(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		remember := heldSessionRoutes[r.Method+" "+chi.RouteContext(r.Context()).RoutePattern()]
		next.ServeHTTP(w, r.WithContext(postgres.WithPrincipalSlot(r.Context(), remember)))
	})
}

// heldSessionRoutes may be served the session and principal an earlier
// request of the same session read, from memory (postgres.SessionStore):
// their handlers work only through postgres.QueryRowAs and InTx, which
// first hold the session in the same transaction, and show nothing that
// does not come from such a statement. Only the autosave, the portal's
// busiest write, needs it (docs/security.md, "Sessions and requests").
var heldSessionRoutes = map[string]bool{
	http.MethodPost + " " + autosavePattern: true,
}

// principal returns the request's signed-in user, or nil.
func principal(r *http.Request) *kijun.Principal {
	p, _ := r.Context().Value(principalKey{}).(*kijun.Principal)
	return p
}
