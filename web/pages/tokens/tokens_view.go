// Package tokens renders the API tokens of an admin's own tenant: the
// list, the form to issue one and, once, the secret of the one just issued.
package tokens

import (
	"time"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// Choice is a role in a scope the admin may issue a token with; Value
// encodes both ("role:ministry" or "role:operator id").
type Choice struct {
	Value string
	Grant identity.Grant // role and scope, for the label
}

// Form is the issue form as typed, with a message id per field in error.
type Form struct {
	Name, Choice, Days string
	Errors             map[string]string
}

// IndexView is the page.
type IndexView struct {
	Tokens     []identity.APIToken
	Ministries map[string]kijun.Text
	Choices    []Choice
	Lifetimes  []int
	Form       Form
	// Secret is the token just issued, shown this once; Issued names it.
	Secret string
	Issued string
	Now    time.Time
	// Clients are the OAuth clients linked in the admin's tenants;
	// Providers the identity providers whose access tokens the API
	// accepts (none: the section says so and has no form).
	Clients    []identity.OAuthClient
	Providers  []Provider
	ClientForm ClientForm
}

// Provider is an API-enabled identity provider, chosen by its issuer.
type Provider struct {
	Issuer string
	Name   kijun.Text
}

// ClientForm is the form linking an OAuth client, as typed, with a
// message id per field in error.
type ClientForm struct {
	Provider, ClientID, Choice string
	Errors                     map[string]string
}

// clientGrant is the link's role and scope as a grant, for the labels.
func clientGrant(c identity.OAuthClient) identity.Grant {
	return identity.Grant{Role: c.Role, MinistryCode: c.MinistryCode, OperatorID: c.OperatorID, OperatorName: c.OperatorName}
}

// providerName names the provider of issuer (the issuer itself if it is
// no longer configured).
func providerName(ps []Provider, issuer string) kijun.Text {
	for _, p := range ps {
		if p.Issuer == issuer {
			return p.Name
		}
	}
	return kijun.Text{Ja: issuer, En: issuer}
}

// grantOf is the token's role and scope as a grant, for the labels.
func grantOf(t identity.APIToken) identity.Grant {
	return identity.Grant{Role: t.Role, MinistryCode: t.MinistryCode, OperatorID: t.OperatorID, OperatorName: t.OperatorName}
}

// describedBy ties a field to its error message and its hint.
func describedBy(f Form, name, hint string) string {
	ids := hint
	if f.Errors[name] != "" {
		if ids != "" {
			ids += " "
		}
		ids += "token-" + name + "-error"
	}
	return ids
}
