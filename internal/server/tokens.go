package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/pages/tokens"
)

// API tokens (docs/api.md, "Authentication"): an admin issues, lists and
// revokes the tokens of its own tenant, and links (and unlinks) the OAuth
// clients of API-enabled identity providers to service accounts of it.
func (s *Server) tokenRoutes(h routeFunc) {
	h(http.MethodGet, "/tokens", authz.ManageTokens, s.handleTokenIndex)
	h(http.MethodPost, "/tokens", authz.ManageTokens, s.handleTokenCreate)
	h(http.MethodPost, "/tokens/{id}/revoke", authz.ManageTokens, s.handleTokenRevoke)
	h(http.MethodPost, "/tokens/oauth", authz.ManageTokens, s.handleOAuthLink)
	h(http.MethodPost, "/tokens/oauth/{id}/revoke", authz.ManageTokens, s.handleOAuthRevoke)
}

// tokenChoices lists the roles and scopes p may issue a token with, asking
// the policy (authz.CanIssueToken) for each, so that the form offers
// exactly what a submit allows.
func tokenChoices(p *identity.Principal) []tokens.Choice {
	var out []tokens.Choice
	add := func(g identity.Grant) {
		if authz.CanIssueToken(p, g.Role, authz.Resource{MinistryCode: g.MinistryCode, OperatorID: g.OperatorID}) {
			scope := g.MinistryCode
			if g.OperatorID != 0 {
				scope = itoa(g.OperatorID)
			}
			out = append(out, tokens.Choice{Value: string(g.Role) + ":" + scope, Grant: g})
		}
	}
	for _, role := range identity.Roles {
		switch role.ScopeKind() {
		case "nco":
			add(identity.Grant{Role: role})
		case "ministry":
			for _, m := range p.AdminMinistries {
				add(identity.Grant{Role: role, MinistryCode: m})
			}
		case "operator":
			for _, g := range p.Grants {
				if g.Role == identity.RoleOperatorAdmin {
					add(identity.Grant{Role: role, OperatorID: g.OperatorID, OperatorName: g.OperatorName})
				}
			}
		}
	}
	return out
}

func (s *Server) handleTokenIndex(w http.ResponseWriter, r *http.Request) error {
	return s.renderTokens(w, r, http.StatusOK, tokens.IndexView{Form: tokens.Form{Days: "90"}})
}

func (s *Server) renderTokens(w http.ResponseWriter, r *http.Request, status int, v tokens.IndexView) error {
	p := principal(r)
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		var err error
		if v.Tokens, err = postgres.ListTokens(r.Context(), tx, p); err != nil {
			return err
		}
		v.Clients, err = postgres.ListOAuthClients(r.Context(), tx, p)
		return err
	})
	if err != nil {
		return err
	}
	if v.Ministries, err = s.ministryNames(r); err != nil {
		return err
	}
	v.Choices, v.Lifetimes, v.Now = tokenChoices(p), identity.TokenLifetimes, s.now()
	for _, c := range s.auth.APIProviders() {
		v.Providers = append(v.Providers, tokens.Provider{Issuer: c.Issuer, Name: c.Name})
	}
	if v.ClientForm.Errors == nil && v.ClientForm.Provider == "" && len(v.Providers) == 1 {
		v.ClientForm.Provider = v.Providers[0].Issuer
	}
	return s.render(w, r, status, tokens.Index(v))
}

// handleTokenCreate issues a token and shows its secret on the page it
// returns, once: it is not stored, and not put in a URL or the session.
func (s *Server) handleTokenCreate(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	f := tokens.Form{Name: strings.TrimSpace(r.PostFormValue("name")), Choice: r.PostFormValue("choice"),
		Days: r.PostFormValue("days"), Errors: map[string]string{}}
	if id := identity.TokenNameProblem(f.Name); id != "" {
		f.Errors["name"] = id
	}
	var chosen *tokens.Choice
	for _, c := range tokenChoices(p) {
		if c.Value == f.Choice {
			chosen = &c
		}
	}
	if chosen == nil {
		f.Errors["choice"] = "tokens.error.choice"
	}
	days, err := strconv.Atoi(f.Days)
	if err != nil || !identity.ValidTokenLifetime(days) {
		f.Errors["days"] = "tokens.error.days"
	}
	if len(f.Errors) > 0 {
		return s.renderTokens(w, r, http.StatusUnprocessableEntity, tokens.IndexView{Form: f})
	}
	now := s.now()
	t := identity.APIToken{Name: f.Name, Role: chosen.Grant.Role, MinistryCode: chosen.Grant.MinistryCode,
		OperatorID: chosen.Grant.OperatorID, CreatedAt: now, ExpiresAt: now.Add(time.Duration(days) * 24 * time.Hour)}
	secret, hash := identity.NewTokenSecret()
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		_, err := postgres.IssueToken(r.Context(), tx, p, t, hash, middleware.GetReqID(r.Context()))
		return err
	})
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.renderTokens(w, r, http.StatusOK, tokens.IndexView{Form: tokens.Form{Days: "90"}, Secret: secret, Issued: t.Name})
}

// handleTokenRevoke revokes a token of the admin's tenant; another
// tenant's is not found.
func (s *Server) handleTokenRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		t, err := postgres.GetToken(r.Context(), tx, id)
		if err != nil {
			return err
		}
		if !authz.CanIssueToken(p, t.Role, authz.Resource{MinistryCode: t.MinistryCode, OperatorID: t.OperatorID}) {
			return kijun.ErrNotFound
		}
		return postgres.RevokeToken(r.Context(), tx, p, t, s.now(), middleware.GetReqID(r.Context()))
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/tokens", http.StatusSeeOther)
	return nil
}

// handleOAuthLink links an OAuth client of an API-enabled provider to a
// new service account of the admin's tenant with the chosen role and
// scope (the choices a token offers). Bad input comes back next to its
// field with what was typed.
func (s *Server) handleOAuthLink(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	f := tokens.ClientForm{Provider: r.PostFormValue("provider"), ClientID: strings.TrimSpace(r.PostFormValue("client_id")),
		Choice: r.PostFormValue("choice"), Errors: map[string]string{}}
	issuer := ""
	for _, c := range s.auth.APIProviders() {
		if c.Issuer == f.Provider {
			issuer = c.Issuer
		}
	}
	if issuer == "" {
		f.Errors["provider"] = "oauth.error.provider"
	}
	if id := identity.ClientIDProblem(f.ClientID); id != "" {
		f.Errors["client_id"] = id
	}
	var chosen *tokens.Choice
	for _, c := range tokenChoices(p) {
		if c.Value == f.Choice {
			chosen = &c
		}
	}
	if chosen == nil {
		f.Errors["choice"] = "tokens.error.choice"
	}
	if len(f.Errors) == 0 {
		c := identity.OAuthClient{Issuer: issuer, ClientID: f.ClientID, Role: chosen.Grant.Role, MinistryCode: chosen.Grant.MinistryCode,
			OperatorID: chosen.Grant.OperatorID, CreatedAt: s.now()}
		err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
			_, err := postgres.LinkOAuthClient(r.Context(), tx, p, c, middleware.GetReqID(r.Context()))
			return err
		})
		switch {
		case errors.Is(err, postgres.ErrClientLinked):
			f.Errors["client_id"] = "oauth.error.client_linked"
		case err != nil:
			return err
		default:
			http.Redirect(w, r, "/tokens#oauth-heading", http.StatusSeeOther)
			return nil
		}
	}
	return s.renderTokens(w, r, http.StatusUnprocessableEntity, tokens.IndexView{Form: tokens.Form{Days: "90"}, ClientForm: f})
}

// handleOAuthRevoke revokes a link of the admin's tenant; the client's
// next call is refused. Another tenant's link is not found.
func (s *Server) handleOAuthRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		c, err := postgres.GetOAuthClient(r.Context(), tx, id)
		if err != nil {
			return err
		}
		if !authz.CanIssueToken(p, c.Role, authz.Resource{MinistryCode: c.MinistryCode, OperatorID: c.OperatorID}) {
			return kijun.ErrNotFound
		}
		return postgres.RevokeOAuthClient(r.Context(), tx, p, c, s.now(), middleware.GetReqID(r.Context()))
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/tokens#oauth-heading", http.StatusSeeOther)
	return nil
}
