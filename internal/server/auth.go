package server

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/auth"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/pages/account"
)

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	if principal(r).SignedIn() {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	v := account.LoginView{Next: r.URL.Query().Get("next")}
	for _, p := range s.auth.Providers() {
		v.Providers = append(v.Providers, account.Provider{ID: p.ID, Name: p.Name})
	}
	return s.render(w, r, http.StatusOK, account.Login(v))
}

// handleLoginStart sends the browser to the provider with state, nonce and
// a PKCE challenge remembered in the session.
func (s *Server) handleLoginStart(w http.ResponseWriter, r *http.Request) error {
	p, ok := s.auth.Provider(chiParam(r, "provider"))
	if !ok {
		return errNotFound
	}
	target, err := s.auth.Begin(r.Context(), p, localPath(r.URL.Query().Get("next")))
	if err != nil {
		return s.signInFailed(w, r, err)
	}
	http.Redirect(w, r, target, http.StatusFound)
	return nil
}

// handleLoginCallback completes the code flow, records the sign-in, and
// binds the session to the user under a new session id.
func (s *Server) handleLoginCallback(w http.ResponseWriter, r *http.Request) error {
	p, ok := s.auth.Provider(chiParam(r, "provider"))
	if !ok {
		return errNotFound
	}
	id, next, err := s.auth.Complete(r, p)
	if err != nil {
		return s.signInFailed(w, r, err)
	}
	var userID int64
	err = postgres.SystemTx(r.Context(), s.db, func(tx pgx.Tx) error {
		res, err := postgres.SignIn(r.Context(), tx, id)
		if err != nil {
			return err
		}
		userID = res.UserID
		pr, err := postgres.LoadPrincipal(r.Context(), tx, userID)
		if err != nil {
			return err
		}
		reqID := middleware.GetReqID(r.Context())
		// Each accepted invitation is recorded in the chain of the tenant
		// it gives a role in, where its admins read it.
		for _, inv := range res.Accepted {
			ev := postgres.ActorOf(pr, reqID)
			ev.Action, ev.ObjectType, ev.ObjectID = "invitation.accept", "invitation", itoa(inv.ID)
			ev.MinistryCode, ev.SectorCode, ev.OperatorID = inv.MinistryCode, inv.SectorCode, inv.OperatorID
			if err := postgres.Audit(r.Context(), tx, ev, nil, map[string]any{
				"user_id": userID, "grant_id": inv.GrantID, "role": inv.Role, "provider": id.Provider}); err != nil {
				return err
			}
		}
		ev := postgres.ActorOf(pr, reqID)
		ev.Action, ev.ObjectType, ev.ObjectID = "auth.signin", "user", itoa(userID)
		scopeOf(pr, &ev)
		after := map[string]any{"provider": id.Provider, "issuer": id.Issuer, "subject": id.Subject,
			"email_verified": id.EmailVerified, "grants": grantSummary(pr.Grants)}
		if len(res.Unresolved) > 0 {
			after["unresolved_claims"] = res.Unresolved
		}
		if len(res.Withheld) > 0 {
			after["withheld_claims"] = res.Withheld
		}
		if len(res.Conflicting) > 0 {
			after["invitations_not_accepted"] = res.Conflicting
		}
		return postgres.Audit(r.Context(), tx, ev, nil, after)
	})
	if err != nil {
		return err
	}
	if err := s.auth.Establish(r.Context(), userID, id.Provider); err != nil {
		return err
	}
	http.Redirect(w, r, localPath(next), http.StatusSeeOther)
	return nil
}

// signInFailed shows a clear page and records the failure; the detail goes
// to the audit log and the server log, not to the page.
func (s *Server) signInFailed(w http.ResponseWriter, r *http.Request, err error) error {
	se, ok := auth.IsSignInError(err)
	if !ok {
		return err
	}
	s.log.WarnContext(r.Context(), "sign-in failed", "provider", se.Provider, "reason", se.Reason, "detail", se.Detail,
		"request_id", middleware.GetReqID(r.Context()))
	aerr := postgres.SystemTx(r.Context(), s.db, func(tx pgx.Tx) error {
		return postgres.Audit(r.Context(), tx, audit.Event{
			Action: "auth.signin_failed", ObjectType: "provider", ObjectID: se.Provider,
			RequestID: middleware.GetReqID(r.Context()),
		}, nil, map[string]string{"reason": se.Reason, "detail": se.Detail})
	})
	if aerr != nil {
		return errors.Join(err, aerr)
	}
	status := http.StatusBadRequest
	if se.Reason == auth.FailUnreachable || se.Reason == auth.FailConfig {
		status = http.StatusBadGateway // the provider, or the portal's settings for it, failed; not the user
	}
	return s.render(w, r, status, account.Failed(account.FailedView{Reason: se.Reason}))
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		ev := postgres.ActorOf(p, middleware.GetReqID(r.Context()))
		ev.Action, ev.ObjectType, ev.ObjectID = "auth.signout", "user", itoa(p.UserID)
		scopeOf(p, &ev)
		return postgres.Audit(r.Context(), tx, ev, nil, nil)
	})
	if err != nil {
		return err
	}
	target, err := s.auth.End(r.Context())
	if err != nil {
		return err
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if !p.HasAnyGrant() {
		http.Redirect(w, r, "/pending", http.StatusSeeOther)
		return nil
	}
	names, err := s.ministryNames(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, account.Account(account.AccountView{
		Name: p.Name, Email: p.Email, UserID: p.UserID, Grants: p.Grants, Ministries: names,
	}))
}

func (s *Server) handlePending(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if p.HasAnyGrant() {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, http.StatusOK, account.Pending(account.PendingView{Name: p.Name, Email: p.Email, UserID: p.UserID}))
}

// ministryNames maps ministry codes to names (reference data, public).
func (s *Server) ministryNames(r *http.Request) (map[string]kijun.Text, error) {
	n, err := postgres.LoadReferenceNames(r.Context(), s.db)
	return kijun.NameMap(n.Ministries), err
}

// scopeOf files an event under the principal's first tenant, so that the
// ministry or operator admin of that tenant can read it.
func scopeOf(p *identity.Principal, ev *audit.Event) {
	if p == nil || len(p.Grants) == 0 {
		return
	}
	g := p.Grants[0]
	ev.MinistryCode, ev.OperatorID, ev.SectorCode = g.MinistryCode, g.OperatorID, g.SectorCode
}

// grantSummary is the audit form of a list of grants.
func grantSummary(gs []identity.Grant) []string {
	out := make([]string, 0, len(gs))
	for _, g := range gs {
		s := string(g.Role)
		switch {
		case g.MinistryCode != "":
			s += "@" + g.MinistryCode
		case g.OperatorID != 0:
			s += "@operator:" + itoa(g.OperatorID)
		}
		out = append(out, s)
	}
	return out
}
