// Package devidp renders the pages of the development OpenID Provider
// (internal/auth/devidp): the demo-user picker and the signed-out page.
// They exist for `kijun dev` and tests only, so their text is written here
// in both languages (Japanese first) rather than in the message files.
package devidp

import (
	"strconv"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// LoginView is the demo-user picker shown for one authorization request.
type LoginView struct {
	// Action is the absolute URL the form posts to: the provider is mounted
	// under a prefix that it knows only through its issuer URL.
	Action string
	// RequestID identifies the pending authorization request.
	RequestID string
	// ClientID is the relying party asking, shown so that a developer can
	// tell which application sent them here.
	ClientID string
	Users    []LoginUser
}

// LoginUser is one demo user on the picker.
type LoginUser struct {
	Subject         string
	Name            string
	Email           string
	Groups          []string
	CorporateNumber string
	Label           kijun.Text
}

// labelID is the id of a user's label cell; the row's button points to it
// with aria-describedby, so a screen reader says whom the button signs in as.
func labelID(i int) string {
	return "devidp-user-" + strconv.Itoa(i)
}
