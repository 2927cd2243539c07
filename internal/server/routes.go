package server

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/web/static"
)

// handlerFunc is an HTTP handler that returns its error to be rendered by
// one wrapper (see errors.go).
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// routeFunc registers a page route with the policy action it needs.
type routeFunc func(method, pattern string, action authz.Action, fn handlerFunc)

func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(middleware.RequestID)
	r.Use(s.logRequests)
	r.Use(s.recoverPanics)
	r.Use(compress)
	r.Use(s.securityHeaders)
	r.Use(sameOrigin(s.cfg.BaseURL))
	r.Use(s.negotiateLanguage)
	r.Use(s.refuseBadText)

	// raw registers a plain handler with the policy action it needs.
	// Register every route through raw or h: a test walks the router and
	// fails for a route without an action.
	raw := func(r chi.Router, method, pattern string, action authz.Action, handler http.Handler) {
		s.actions[method+" "+pattern] = action
		r.Method(method, pattern, handler)
	}

	// Operations and static files: no session, no database round trip.
	// The metrics are not here but on a listener of their own (Metrics).
	raw(r, http.MethodGet, "/healthz", authz.ViewPublic, s.wrap(s.handleHealthz))
	raw(r, http.MethodGet, "/readyz", authz.ViewPublic, s.wrap(s.handleReadyz))
	raw(r, http.MethodGet, "/static/*", authz.ViewPublic, http.StripPrefix("/static/", static.Handler()))
	if s.dev != nil {
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			raw(r, m, "/dev-idp/*", authz.ViewPublic, http.StripPrefix("/dev-idp", s.dev.Handler))
		}
		if s.dev.Mailbox != nil {
			raw(r, http.MethodGet, "/dev/mail", authz.ViewPublic, s.dev.Mailbox)
			raw(r, http.MethodGet, "/dev/mail/{id}", authz.ViewPublic, s.dev.Mailbox)
		}
	}

	// The public API: bearer tokens, no session (api.go).
	r.Group(func(r chi.Router) { s.apiRoutes(r, raw) })
	r.Group(func(r chi.Router) { s.pageRoutes(r, raw) })

	r.NotFound(s.wrap(func(w http.ResponseWriter, r *http.Request) error { return errNotFound }))
	r.MethodNotAllowed(s.wrap(func(w http.ResponseWriter, r *http.Request) error { return errMethodNotAllowed }))
	return r
}

// pageRoutes are the routes that know the signed-in user.
func (s *Server) pageRoutes(r chi.Router, raw func(chi.Router, string, string, authz.Action, http.Handler)) {
	r.Use(s.auth.Sessions.LoadAndSave)
	r.Use(s.loadPrincipal)
	var h routeFunc = func(method, pattern string, action authz.Action, fn handlerFunc) {
		raw(r, method, pattern, action, s.authorize(action, fn))
	}

	// Public pages.
	h(http.MethodGet, "/", authz.ViewPublic, s.handleHome)
	h(http.MethodPost, "/lang", authz.ViewPublic, s.handleLanguage)
	h(http.MethodGet, "/sectors", authz.ViewPublic, s.handleSectorIndex)
	h(http.MethodGet, "/sectors/{code}", authz.ViewPublic, s.handleSectorShow)

	// Sign-in and the user's own account.
	h(http.MethodGet, "/login", authz.ViewPublic, s.handleLogin)
	h(http.MethodGet, "/login/{provider}", authz.ViewPublic, s.handleLoginStart)
	h(http.MethodGet, "/auth/callback/{provider}", authz.ViewPublic, s.handleLoginCallback)
	h(http.MethodPost, "/logout", authz.SignOut, s.handleLogout)
	h(http.MethodGet, "/account", authz.ViewOwnAccount, s.handleAccount)
	h(http.MethodGet, "/pending", authz.ViewOwnAccount, s.handlePending)

	// The 管理 hub: the administration tools the user may open (admin.go).
	h(http.MethodGet, "/admin", authz.ViewAdmin, s.handleAdmin)

	// User directory.
	h(http.MethodGet, "/users", authz.ListUsers, s.handleUserIndex)
	h(http.MethodGet, "/users/{id}", authz.ListUsers, s.handleUserShow)
	h(http.MethodPost, "/grants", authz.ManageGrants, s.handleGrantCreate)
	h(http.MethodPost, "/grants/{id}/revoke", authz.ManageGrants, s.handleGrantRevoke)
	h(http.MethodPost, "/grants/{id}/restore", authz.ManageGrants, s.handleGrantRestore)
	h(http.MethodPost, "/invitations/{id}/revoke", authz.ManageGrants, s.handleInvitationRevoke)

	// Audit log.
	h(http.MethodGet, "/audit", authz.ViewAudit, s.handleAuditIndex)

	// Operators.
	h(http.MethodGet, "/operators", authz.ListOperators, s.handleOperatorIndex)
	h(http.MethodGet, "/operators/{id}", authz.ViewOperator, s.handleOperatorShow)
	s.registerRoutes(h)

	// Baseline catalogs.
	s.catalogRoutes(h)
	s.catalogGovernanceRoutes(h) // catalog governance

	// Self-assessment cycles.
	s.assessmentRoutes(h)
	s.orgFlowRoutes(h) // assignments and the internal check inside an operator

	// Implementation plans, their review and the NCO's evaluations.
	s.planRoutes(h)
	s.annualReportRoutes(h) // the annual report and the server's PDFs (docs/annual-report.md)
	s.assessmentExcelRoutes(h)
	s.dashboardRoutes(h)

	// Notifications and the background jobs behind them.
	s.noticeRoutes(h)
	s.reminderRoutes(h)

	// Bulletins, inquiries and the FAQ (docs/bulletins.md).
	s.bulletinRoutes(h)
	// Incident reports (docs/incidents.md).
	s.incidentRoutes(h)

	// API tokens and the API's reference page (docs/api.md).
	s.tokenRoutes(h)
	s.webhookRoutes(h)
	h(http.MethodGet, "/api", authz.ViewPublic, s.handleAPIReference)
}

// authorize checks the policy for action before fn runs. Anonymous users
// are sent to sign in; signed-in users without any role to the
// access-pending page; everyone else refused gets "not found", so that a
// URL never reveals what exists in another tenant.
func (s *Server) authorize(action authz.Action, fn handlerFunc) http.Handler {
	return s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		if isMultipart(r) && !fileRoutes[r.Method+" "+chi.RouteContext(r.Context()).RoutePattern()] {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if err := r.ParseMultipartForm(maxFormBytes); err != nil {
				return errBadText
			}
			if err := checkForm(r); err != nil {
				return err
			}
		}
		p := principal(r)
		if authz.Can(p, action, authz.Resource{}) {
			return fn(w, r)
		}
		switch {
		case !p.SignedIn() && r.Method == http.MethodGet:
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return nil
		case !p.SignedIn():
			return errSignInRequired
		case !p.HasAnyGrant():
			http.Redirect(w, r, "/pending", http.StatusSeeOther)
			return nil
		}
		return errNotFound
	})
}

// chiParam is chi.URLParam, short for handlers.
func chiParam(r *http.Request, name string) string { return chi.URLParam(r, name) }
