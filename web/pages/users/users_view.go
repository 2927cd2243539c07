// Package users renders the user directory of an admin's scope: who holds
// which role, and the forms to grant and revoke roles.
package users

import (
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// Option is a choice in a select.
type Option struct {
	Value string
	Label kijun.Text
}

// Choices are the roles and scopes the admin may grant.
type Choices struct {
	Roles      []identity.Role
	Ministries []Option
	Operators  []Option
}

// GrantForm is the grant form as typed, with an error message id per
// field when it comes back.
type GrantForm struct {
	Email, Role, Ministry, Operator string
	Errors                          map[string]string
}

// IndexView is the directory.
type IndexView struct {
	Users      []identity.UserSummary
	Ministries map[string]kijun.Text
	Choices    Choices
	Form       GrantForm
}

// ShowView is one user with the grants the admin can see.
type ShowView struct {
	User       identity.UserSummary
	Ministries map[string]kijun.Text
	CanRevoke  []bool // per grant
}
