package server

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/klauspost/compress/gzhttp"
	"github.com/klauspost/compress/gzip"

	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/identity"
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

// compress gzips the text the portal makes — pages, stylesheets, scripts,
// JSON and CSV exports — when the client accepts it (klauspost/compress's
// gzhttp). Downloads that are compressed already (XLSX, ZIP, PDF, images)
// pass through untouched: their types are not in the list. Responses
// under a kilobyte (an autosave's or an API write's answer) go as they
// are: gzip would make them hardly smaller and cost more CPU than the
// rest of their writing. The compressing writer passes Flush on, so a
// streamed export keeps streaming. The level is the fastest: a dashboard
// page is about 180 KB of HTML, and the standard library's gzip took a
// third of the server's CPU time on it (docs/performance.md).
var compress = func() func(http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.CompressionLevel(gzip.BestSpeed), gzhttp.MinSize(1024),
		gzhttp.ContentTypes([]string{"text/html", "text/css", "text/plain", "text/csv", "text/javascript",
			"application/javascript", "application/json", "image/svg+xml"}))
	if err != nil {
		panic(err)
	}
	return func(h http.Handler) http.Handler { return wrap(h) }
}()

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

// refuseBadText answers 400 with a message page when the request's path,
// query or URL-encoded form holds invalid UTF-8 or a NUL byte, before any
// handler reads them. Multipart forms are parsed by the handlers that
// take files, and checked there and in authorize (checkForm).
func (s *Server) refuseBadText(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bad := !kijun.ValidText(r.URL.Path) || !kijun.ValidText(r.URL.RawQuery) || !validValues(r.URL.Query())
		if !bad && r.Method != http.MethodGet && r.Method != http.MethodHead && !isMultipart(r) {
			// ParseForm keeps the parsed form on r for the handler.
			bad = r.ParseForm() != nil || !validValues(r.PostForm)
		}
		if bad {
			s.wrap(func(http.ResponseWriter, *http.Request) error { return errBadText })(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkForm checks a multipart form's values once it is parsed; an
// URL-encoded one was checked by refuseBadText.
func checkForm(r *http.Request) error {
	if r.MultipartForm != nil && !validValues(r.MultipartForm.Value) {
		return errBadText
	}
	return nil
}

func validValues(vs map[string][]string) bool {
	for k, list := range vs {
		if !kijun.ValidText(k) {
			return false
		}
		for _, v := range list {
			if !kijun.ValidText(v) {
				return false
			}
		}
	}
	return true
}

func isMultipart(r *http.Request) bool {
	return strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "multipart/")
}

type (
	principalKey struct{}
	unreadKey    struct{} // the signed-in user's unread notifications
)

// loadPrincipal reads the session's user, every active grant and the
// count of unread notifications from the database on each request (one
// round trip, nothing kept between requests), so that a revoked grant, a
// removed user or an ended session stops working on the very next request.
func (s *Server) loadPrincipal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uid := s.auth.UserID(r.Context())
		if uid == 0 {
			next.ServeHTTP(w, r)
			return
		}
		p, unread, err := postgres.LoadRequestPrincipal(r.Context(), s.db, uid)
		if err != nil {
			s.wrap(func(http.ResponseWriter, *http.Request) error { return err })(w, r)
			return
		}
		if p == nil { // the user is gone: end the session
			_ = s.auth.Sessions.Destroy(r.Context())
			next.ServeHTTP(w, r)
			return
		}
		ctx := context.WithValue(r.Context(), principalKey{}, p)
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, unreadKey{}, unread)))
	})
}

// principal returns the request's signed-in user, or nil.
func principal(r *http.Request) *identity.Principal {
	p, _ := r.Context().Value(principalKey{}).(*identity.Principal)
	return p
}
