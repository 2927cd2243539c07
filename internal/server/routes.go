package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/web/static"
)

// handlerFunc is an HTTP handler that returns its error to be rendered by
// one wrapper (see errors.go).
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(middleware.RequestID)
	r.Use(s.logRequests)
	r.Use(s.recoverPanics)
	r.Use(securityHeaders)
	r.Use(s.negotiateLanguage)

	h := func(method, pattern string, action authz.Action, fn handlerFunc) {
		s.actions[method+" "+pattern] = action
		r.Method(method, pattern, s.authorize(action, fn))
	}

	// Operations.
	h(http.MethodGet, "/healthz", authz.ViewPublic, s.handleHealthz)
	h(http.MethodGet, "/readyz", authz.ViewPublic, s.handleReadyz)
	s.actions["GET /metrics"] = authz.ViewPublic
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(s.metrics.gatherer, promhttp.HandlerOpts{}))
	s.actions["GET /static/*"] = authz.ViewPublic
	r.Method(http.MethodGet, "/static/*", http.StripPrefix("/static/", static.Handler()))

	// Public pages.
	h(http.MethodGet, "/", authz.ViewPublic, s.handleHome)
	h(http.MethodPost, "/lang", authz.ViewPublic, s.handleLanguage)
	h(http.MethodGet, "/sectors", authz.ViewPublic, s.handleSectorIndex)
	h(http.MethodGet, "/sectors/{code}", authz.ViewPublic, s.handleSectorShow)

	r.NotFound(s.wrap(func(w http.ResponseWriter, r *http.Request) error { return errNotFound }))
	r.MethodNotAllowed(s.wrap(func(w http.ResponseWriter, r *http.Request) error { return errMethodNotAllowed }))
	return r
}

// authorize checks the policy for action before fn runs.
func (s *Server) authorize(action authz.Action, fn handlerFunc) http.Handler {
	return s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		if !authz.Public(action) {
			return errNotFound
		}
		return fn(w, r)
	})
}
