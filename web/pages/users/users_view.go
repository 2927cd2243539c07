// Package users renders the user directory of an admin's scope: who holds
// which role, and the forms to grant and revoke roles.
package users

import (
	"time"

	"github.com/a-h/templ"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/web/layout"
)

// Option is a choice in a select.
type Option struct {
	Value string
	Label kijun.Text
}

// UserOption is a user the admin administers, in the user select.
type UserOption struct {
	Value       string
	Name, Email string
}

// Choices are the users, roles and scopes the admin may grant.
type Choices struct {
	Users      []UserOption
	Roles      []identity.Role
	Ministries []Option
	Operators  []Option
}

// GrantForm is the grant form as typed, with an error message id per
// field when it comes back. It names either a user (an id from
// Choices.Users) or an e-mail address to invite.
type GrantForm struct {
	User, Email, Role, Ministry, Operator string
	Errors                                map[string]string
}

// IndexView is the directory.
type IndexView struct {
	Users      []identity.UserSummary
	Ministries map[string]kijun.Text
	Choices    Choices
	Form       GrantForm
	// Invitations are the open ones (expired included) the admin may revoke.
	Invitations []identity.Invitation
	Now         time.Time // to tell expired invitations
}

// ShowView is one user with the grants the admin can see.
type ShowView struct {
	User       identity.UserSummary
	Ministries map[string]kijun.Text
	CanRevoke  []bool // per grant
	CanRestore []bool // per revoked grant
	// Refused says why the action just asked for was refused (a message
	// id and its arguments).
	Refused     string
	RefusedArgs map[string]any
	// RefusedGrant is the grant the refused action was on; the message
	// shows beside its button.
	RefusedGrant int64
}

// invitationGrant is the grant an invitation would give, to name its scope.
func invitationGrant(inv identity.Invitation) identity.Grant {
	return identity.Grant{Role: inv.Role, MinistryCode: inv.MinistryCode, OperatorID: inv.OperatorID,
		OperatorName: inv.OperatorName, SectorCode: inv.SectorCode}
}

// refusedIDs is the id of the message beside grant id's button when the
// action on it was just refused.
func refusedIDs(v ShowView, id int64) []string {
	if v.Refused != "" && v.RefusedGrant == id {
		return []string{"refused"}
	}
	return nil
}

// Attrs are the accessibility attributes of field name's control: invalid,
// described by its error ("grant-"+name+"-error") and then its hints.
func (f GrantForm) Attrs(name string, hints ...string) templ.Attributes {
	return layout.Field(f.Errors[name] != "", "grant-"+name+"-error", hints...)
}
