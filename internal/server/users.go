package server

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/pages/users"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (s *Server) handleUserIndex(w http.ResponseWriter, r *http.Request) error {
	return s.renderUserIndex(w, r, http.StatusOK, users.GrantForm{})
}

// renderUserIndex shows the directory of the principal's scope, the open
// invitations and the grant form, which comes back with what was typed
// and its errors.
func (s *Server) renderUserIndex(w http.ResponseWriter, r *http.Request, status int, form users.GrantForm) error {
	p := principal(r)
	var v users.IndexView
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		var err error
		if v.Users, err = postgres.ListUsers(r.Context(), tx); err != nil {
			return err
		}
		for _, u := range v.Users {
			if authz.CanAdminUser(p, u.Grants) {
				v.Choices.Users = append(v.Choices.Users, users.UserOption{Value: itoa(u.ID), Name: u.Name, Email: u.Email})
			}
		}
		invs, err := postgres.ListInvitations(r.Context(), tx)
		if err != nil {
			return err
		}
		for _, inv := range invs {
			if authz.CanGrant(p, inv.Role, invitationResource(inv)) {
				v.Invitations = append(v.Invitations, inv)
			}
		}
		if v.Choices, err = s.grantChoices(r, tx, p, v.Choices); err != nil {
			return err
		}
		return tx.QueryRow(r.Context(), `SELECT now()`).Scan(&v.Now)
	})
	if err != nil {
		return err
	}
	if v.Ministries, err = s.ministryNames(r); err != nil {
		return err
	}
	v.Form = form
	return s.render(w, r, status, users.Index(v))
}

func invitationResource(inv identity.Invitation) authz.Resource {
	return authz.Resource{MinistryCode: inv.MinistryCode, SectorCode: inv.SectorCode, OperatorID: inv.OperatorID}
}

// grantChoices lists the roles and scopes p may grant, for the form. The
// form asks the policy (authz.CanGrant) for each role in each scope p could
// choose, so it offers exactly what a submit would allow.
func (s *Server) grantChoices(r *http.Request, tx pgx.Tx, p *identity.Principal, c users.Choices) (users.Choices, error) {
	names, err := s.ministryNames(r)
	if err != nil {
		return c, err
	}
	rows, _ := tx.Query(r.Context(), `SELECT code FROM ministries WHERE NOT is_coordinator ORDER BY sort_order`)
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return c, err
	}
	ops, err := postgres.ListOperators(r.Context(), tx, "")
	if err != nil {
		return c, err
	}
	var scopes []authz.Resource
	for _, code := range codes {
		scopes = append(scopes, authz.Resource{MinistryCode: code})
	}
	for _, o := range ops {
		scopes = append(scopes, authz.Resource{SectorCode: o.SectorCode, OperatorID: o.ID})
	}
	grantable := func(role identity.Role, res authz.Resource) bool {
		if role.ScopeKind() == "nco" {
			return res == authz.Resource{} && authz.CanGrant(p, role, res)
		}
		return res != authz.Resource{} && authz.CanGrant(p, role, res)
	}
	for _, role := range identity.Roles {
		if grantable(role, authz.Resource{}) || slices.ContainsFunc(scopes, func(res authz.Resource) bool { return grantable(role, res) }) {
			c.Roles = append(c.Roles, role)
		}
	}
	for _, code := range codes {
		if authz.CanGrant(p, identity.RoleMinistryStaff, authz.Resource{MinistryCode: code}) {
			c.Ministries = append(c.Ministries, users.Option{Value: code, Label: names[code]})
		}
	}
	for _, o := range ops {
		if authz.CanGrant(p, identity.RoleOperatorStaff, authz.Resource{SectorCode: o.SectorCode, OperatorID: o.ID}) {
			c.Operators = append(c.Operators, users.Option{Value: itoa(o.ID), Label: o.Name})
		}
	}
	return c, nil
}

func (s *Server) handleUserShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.renderUserShow(w, r, http.StatusOK, id, 0, nil)
}

// renderUserShow shows a user's grants; refused says why the action just
// asked for on grant grantID was refused.
func (s *Server) renderUserShow(w http.ResponseWriter, r *http.Request, status int, id, grantID int64, refused *kijun.Error) error {
	p := principal(r)
	var u identity.UserSummary
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) (err error) {
		u, err = postgres.GetUser(r.Context(), tx, id)
		return err
	})
	if err != nil {
		return err
	}
	// Users outside the principal's scope, or with no grant it can see,
	// do not exist as far as it is concerned.
	if len(u.Grants) == 0 && len(u.Revoked) == 0 && !p.NCOAdmin {
		return errNotFound
	}
	names, err := s.ministryNames(r)
	if err != nil {
		return err
	}
	v := users.ShowView{User: u, Ministries: names}
	if refused != nil {
		// The reason goes beside the grant, or at the top when the grant
		// is no longer on the page.
		v.Refused, v.RefusedArgs = refused.MessageID, refused.Args
		onPage := func(g identity.Grant) bool { return g.ID == grantID }
		if slices.ContainsFunc(u.Grants, onPage) || slices.ContainsFunc(u.Revoked, onPage) {
			v.RefusedGrant = grantID
		}
	}
	for _, g := range u.Grants {
		v.CanRevoke = append(v.CanRevoke, authz.CanGrant(p, g.Role, grantResource(g)))
	}
	for _, g := range u.Revoked {
		v.CanRestore = append(v.CanRestore, authz.CanGrant(p, g.Role, grantResource(g)))
	}
	return s.render(w, r, status, users.Show(v))
}

func grantResource(g identity.Grant) authz.Resource {
	return authz.Resource{MinistryCode: g.MinistryCode, SectorCode: g.SectorCode, OperatorID: g.OperatorID}
}

// handleGrantCreate gives a role to a user the admin administers, chosen
// from the list, or invites an e-mail address to it. Every address gets
// the same answer: an invitation, which only a sign-in that proves the
// address can accept (postgres.SignIn), so the form tells nothing about
// who exists.
func (s *Server) handleGrantCreate(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	form := users.GrantForm{
		User:     r.PostFormValue("user"),
		Email:    strings.TrimSpace(r.PostFormValue("email")),
		Role:     r.PostFormValue("role"),
		Ministry: r.PostFormValue("ministry"),
		Operator: r.PostFormValue("operator"),
		Errors:   map[string]string{},
	}
	role := identity.Role(form.Role)
	g := identity.Grant{Role: role}
	email, _ := identity.NormalizeEmail(form.Email)
	switch {
	case form.User != "" && form.Email != "":
		form.Errors["user"], form.Errors["email"] = "users.error.both", "users.error.both"
	case form.User == "" && form.Email == "":
		form.Errors["user"] = "users.error.who"
	case form.Email != "" && identity.EmailProblem(form.Email) != "":
		form.Errors["email"] = identity.EmailProblem(form.Email)
	}
	if !role.Valid() {
		form.Errors["role"] = "users.error.role"
	}
	var inviteID int64
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		switch role.ScopeKind() {
		case "ministry":
			g.MinistryCode = form.Ministry
			if g.MinistryCode == "" {
				form.Errors["ministry"] = "users.error.ministry"
			}
		case "operator":
			o, err := postgres.GetOperator(r.Context(), tx, formID(form.Operator))
			if err != nil {
				form.Errors["operator"] = "users.error.operator"
				break
			}
			g.OperatorID, g.SectorCode = o.ID, o.SectorCode
		}
		if len(form.Errors) > 0 {
			return nil
		}
		if !authz.CanGrant(p, role, grantResource(g)) {
			form.Errors["role"] = "users.error.not_allowed"
			return nil
		}
		ev := grantEvent(r, p, g)
		if form.Email != "" {
			return s.invite(r, tx, p, ev, g, email, &form, &inviteID)
		}
		uid, err := s.administeredUser(r, tx, p, form.User)
		if err != nil || uid == 0 {
			if uid == 0 {
				form.Errors["user"] = "users.error.user"
			}
			return err
		}
		g.UserID = uid
		gid, err := postgres.CreateGrant(r.Context(), tx, g, p.UserID)
		if err != nil {
			if kijun.ErrorCode(err) == kijun.EConflict {
				form.Errors["role"] = "users.grant_exists"
				return nil
			}
			return err
		}
		ev.Action, ev.ObjectType, ev.ObjectID = "grant.create", "grant", itoa(gid)
		if err := s.notify(r.Context(), tx, grantNotice(notify.GrantGiven, g, p)); err != nil {
			return err
		}
		return postgres.Audit(r.Context(), tx, ev, nil, map[string]any{
			"user_id": uid, "role": g.Role, "ministry": g.MinistryCode, "operator_id": g.OperatorID})
	})
	if err != nil {
		return err
	}
	if len(form.Errors) > 0 {
		return s.renderUserIndex(w, r, http.StatusUnprocessableEntity, form)
	}
	if inviteID != 0 {
		http.Redirect(w, r, "/users#invitations", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/users/"+itoa(g.UserID), http.StatusSeeOther)
	return nil
}

// administeredUser returns the id of the chosen user if p administers
// them, 0 for anyone else (unknown or outside p's scope alike).
func (s *Server) administeredUser(r *http.Request, tx pgx.Tx, p *identity.Principal, value string) (int64, error) {
	id := formID(value)
	if id == 0 {
		return 0, nil
	}
	u, err := postgres.GetUser(r.Context(), tx, id)
	if kijun.ErrorCode(err) == kijun.ENotFound {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if !authz.CanAdminUser(p, u.Grants) {
		return 0, nil
	}
	return id, nil
}

// invite records an invitation of email to g's role and scope, unless the
// same one is open already.
func (s *Server) invite(r *http.Request, tx pgx.Tx, p *identity.Principal, ev audit.Event, g identity.Grant, email string,
	form *users.GrantForm, id *int64) error {
	inv := identity.Invitation{Email: email, Role: g.Role, MinistryCode: g.MinistryCode, OperatorID: g.OperatorID, SectorCode: g.SectorCode}
	var err error
	if *id, err = postgres.CreateInvitation(r.Context(), tx, inv, p.UserID); err != nil {
		if kijun.ErrorCode(err) == kijun.EConflict {
			form.Errors["email"] = "users.error.invited"
			return nil
		}
		return err
	}
	ev.Action, ev.ObjectType, ev.ObjectID = "invitation.create", "invitation", itoa(*id)
	return postgres.Audit(r.Context(), tx, ev, nil, map[string]any{
		"email": email, "role": g.Role, "ministry": g.MinistryCode, "operator_id": g.OperatorID})
}

// handleGrantRevoke ends a grant; one revoked already comes back as the
// user's page with the reason beside it.
func (s *Server) handleGrantRevoke(w http.ResponseWriter, r *http.Request) error {
	return s.changeGrant(w, r, postgres.GetGrant, func(tx pgx.Tx, p *identity.Principal, g identity.Grant) error {
		if err := postgres.RevokeGrant(r.Context(), tx, g.ID, p.UserID); err != nil {
			return err
		}
		ev := grantEvent(r, p, g)
		ev.Action, ev.ObjectType, ev.ObjectID = "grant.revoke", "grant", itoa(g.ID)
		if err := s.notify(r.Context(), tx, grantNotice(notify.GrantRevoked, g, p)); err != nil {
			return err
		}
		return postgres.Audit(r.Context(), tx, ev, grantDetail(g), nil)
	})
}

// changeGrant makes change to the grant in the path, read by get, if the
// principal may give its role in its scope, then goes back to the user's
// page; a refused change comes back as that page with the reason beside
// the grant.
func (s *Server) changeGrant(w http.ResponseWriter, r *http.Request, get func(context.Context, pgx.Tx, int64) (identity.Grant, error),
	change func(pgx.Tx, *identity.Principal, identity.Grant) error) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	var g identity.Grant
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if g, err = get(r.Context(), tx, id); err != nil {
			return err
		}
		if !authz.CanGrant(p, g.Role, grantResource(g)) {
			return errNotFound
		}
		return change(tx, p, g)
	})
	if ke, ok := refusal(err); ok && g.UserID != 0 {
		return s.renderUserShow(w, r, statusOf(err), g.UserID, id, ke)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/users/"+itoa(g.UserID), http.StatusSeeOther)
	return nil
}

// grantEvent is the audit event of a change to g by p, in g's tenant.
func grantEvent(r *http.Request, p *identity.Principal, g identity.Grant) audit.Event {
	ev := postgres.ActorOf(p, middleware.GetReqID(r.Context()))
	ev.MinistryCode, ev.SectorCode, ev.OperatorID = g.MinistryCode, g.SectorCode, g.OperatorID
	return ev
}

// grantDetail is what the audit log records of a grant.
func grantDetail(g identity.Grant) map[string]any {
	return map[string]any{"user_id": g.UserID, "role": g.Role, "ministry": g.MinistryCode, "operator_id": g.OperatorID, "source": g.Source}
}

// handleGrantRestore gives a grant an admin revoked again; until then,
// sign-in does not give it back from the provider's claims.
func (s *Server) handleGrantRestore(w http.ResponseWriter, r *http.Request) error {
	return s.changeGrant(w, r, postgres.GetRestorableGrant, func(tx pgx.Tx, p *identity.Principal, g identity.Grant) error {
		nid, err := postgres.RestoreGrant(r.Context(), tx, g.ID, p.UserID)
		if err != nil {
			return err
		}
		ev := grantEvent(r, p, g)
		ev.Action, ev.ObjectType, ev.ObjectID = "grant.restore", "grant", itoa(nid)
		if err := s.notify(r.Context(), tx, grantNotice(notify.GrantGiven, g, p)); err != nil {
			return err
		}
		return postgres.Audit(r.Context(), tx, ev, map[string]any{"revoked_grant_id": g.ID}, grantDetail(g))
	})
}

// handleInvitationRevoke closes an open invitation.
func (s *Server) handleInvitationRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		inv, err := postgres.GetInvitation(r.Context(), tx, id)
		if err != nil {
			return err
		}
		if !authz.CanGrant(p, inv.Role, invitationResource(inv)) {
			return errNotFound
		}
		if err := postgres.RevokeInvitation(r.Context(), tx, id, p.UserID); err != nil {
			return err
		}
		ev := postgres.ActorOf(p, middleware.GetReqID(r.Context()))
		ev.Action, ev.ObjectType, ev.ObjectID = "invitation.revoke", "invitation", itoa(id)
		ev.MinistryCode, ev.SectorCode, ev.OperatorID = inv.MinistryCode, inv.SectorCode, inv.OperatorID
		return postgres.Audit(r.Context(), tx, ev, map[string]any{
			"email": inv.Email, "role": inv.Role, "ministry": inv.MinistryCode, "operator_id": inv.OperatorID}, nil)
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/users#invitations", http.StatusSeeOther)
	return nil
}
