package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/pages/users"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (s *Server) handleUserIndex(w http.ResponseWriter, r *http.Request) error {
	return s.renderUserIndex(w, r, http.StatusOK, users.GrantForm{})
}

// renderUserIndex shows the directory of the principal's scope with the
// grant form, which comes back with what was typed and its errors.
func (s *Server) renderUserIndex(w http.ResponseWriter, r *http.Request, status int, form users.GrantForm) error {
	p := principal(r)
	var v users.IndexView
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		var err error
		if v.Users, err = postgres.ListUsers(r.Context(), tx); err != nil {
			return err
		}
		v.Choices, err = s.grantChoices(r, tx, p)
		return err
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

// grantChoices lists the roles and scopes p may grant, for the form.
func (s *Server) grantChoices(r *http.Request, tx pgx.Tx, p *identity.Principal) (users.Choices, error) {
	var c users.Choices
	names, err := s.ministryNames(r)
	if err != nil {
		return c, err
	}
	for _, role := range identity.Roles {
		switch role.ScopeKind() {
		case "nco":
			if authz.CanGrant(p, role, authz.Resource{}) {
				c.Roles = append(c.Roles, role)
			}
		default:
			c.Roles = append(c.Roles, role) // checked against the chosen scope on submit
		}
	}
	rows, _ := tx.Query(r.Context(), `SELECT code FROM ministries WHERE NOT is_coordinator ORDER BY sort_order`)
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return c, err
	}
	for _, code := range codes {
		if authz.CanGrant(p, identity.RoleMinistryStaff, authz.Resource{MinistryCode: code}) {
			c.Ministries = append(c.Ministries, users.Option{Value: code, Label: names[code]})
		}
	}
	ops, err := postgres.ListOperators(r.Context(), tx, "")
	if err != nil {
		return c, err
	}
	for _, o := range ops {
		if authz.CanGrant(p, identity.RoleOperatorStaff, authz.Resource{SectorCode: o.SectorCode, OperatorID: o.ID}) {
			c.Operators = append(c.Operators, users.Option{Value: itoa(o.ID), Label: o.Name})
		}
	}
	if len(c.Ministries) == 0 && len(c.Operators) == 0 && !p.NCOAdmin {
		c.Roles = nil
	}
	return c, nil
}

func (s *Server) handleUserShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	var u identity.UserSummary
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		u, err = postgres.GetUser(r.Context(), tx, id)
		return err
	})
	if err != nil {
		return err
	}
	// Users outside the principal's scope, or with no grant it can see,
	// do not exist as far as it is concerned.
	if len(u.Grants) == 0 && !p.NCOAdmin {
		return errNotFound
	}
	names, err := s.ministryNames(r)
	if err != nil {
		return err
	}
	v := users.ShowView{User: u, Ministries: names}
	for _, g := range u.Grants {
		v.CanRevoke = append(v.CanRevoke, authz.CanGrant(p, g.Role, grantResource(g)))
	}
	return s.render(w, r, http.StatusOK, users.Show(v))
}

func grantResource(g identity.Grant) authz.Resource {
	return authz.Resource{MinistryCode: g.MinistryCode, SectorCode: g.SectorCode, OperatorID: g.OperatorID}
}

// handleGrantCreate gives a role to a user found by e-mail address.
func (s *Server) handleGrantCreate(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	form := users.GrantForm{
		Email:    strings.TrimSpace(r.PostFormValue("email")),
		Role:     r.PostFormValue("role"),
		Ministry: r.PostFormValue("ministry"),
		Operator: r.PostFormValue("operator"),
		Errors:   map[string]string{},
	}
	role := identity.Role(form.Role)
	g := identity.Grant{Role: role}
	if form.Email == "" || !strings.Contains(form.Email, "@") {
		form.Errors["email"] = "users.error.email"
	}
	if !role.Valid() {
		form.Errors["role"] = "users.error.role"
	}
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		switch role.ScopeKind() {
		case "ministry":
			g.MinistryCode = form.Ministry
			if g.MinistryCode == "" {
				form.Errors["ministry"] = "users.error.ministry"
			}
		case "operator":
			opID, _ := strconv.ParseInt(form.Operator, 10, 64)
			o, err := postgres.GetOperator(r.Context(), tx, opID)
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
		uid, err := postgres.FindUserByEmailAsSystem(r.Context(), tx, form.Email)
		if err != nil {
			if kijun.ErrorCode(err) == kijun.ENotFound {
				form.Errors["email"] = "users.error.unknown_email"
				return nil
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
		ev := postgres.ActorOf(p, middleware.GetReqID(r.Context()))
		ev.Action, ev.ObjectType, ev.ObjectID = "grant.create", "grant", itoa(gid)
		ev.MinistryCode, ev.SectorCode, ev.OperatorID = g.MinistryCode, g.SectorCode, g.OperatorID
		return postgres.Audit(r.Context(), tx, ev, nil, map[string]any{
			"user_id": uid, "role": g.Role, "ministry": g.MinistryCode, "operator_id": g.OperatorID})
	})
	if err != nil {
		return err
	}
	if len(form.Errors) > 0 {
		return s.renderUserIndex(w, r, http.StatusUnprocessableEntity, form)
	}
	http.Redirect(w, r, "/users/"+itoa(g.UserID), http.StatusSeeOther)
	return nil
}

func (s *Server) handleGrantRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	var g identity.Grant
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if g, err = postgres.GetGrant(r.Context(), tx, id); err != nil {
			return err
		}
		if !authz.CanGrant(p, g.Role, grantResource(g)) {
			return errNotFound
		}
		if err := postgres.RevokeGrant(r.Context(), tx, id, p.UserID); err != nil {
			return err
		}
		ev := postgres.ActorOf(p, middleware.GetReqID(r.Context()))
		ev.Action, ev.ObjectType, ev.ObjectID = "grant.revoke", "grant", itoa(id)
		ev.MinistryCode, ev.SectorCode, ev.OperatorID = g.MinistryCode, g.SectorCode, g.OperatorID
		return postgres.Audit(r.Context(), tx, ev, map[string]any{
			"user_id": g.UserID, "role": g.Role, "ministry": g.MinistryCode, "operator_id": g.OperatorID, "source": g.Source}, nil)
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/users/"+itoa(g.UserID), http.StatusSeeOther)
	return nil
}
