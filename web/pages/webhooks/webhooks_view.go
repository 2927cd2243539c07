// Package webhooks renders the outgoing webhook endpoints of an admin's
// own tenant: the list, the form to register one (its signing secret shown
// once), and an endpoint's delivery log.
package webhooks

import (
	"slices"

	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/webhook"
)

// Choice is a tenant the admin may register an endpoint for; Value
// encodes it ("nco", "ministry:METI", "operator:12").
type Choice struct {
	Value  string
	Tenant webhook.Tenant
	Name   kijun.Text // the ministry's or operator's name
}

// Form is the register form as typed, with a message id per field in error.
type Form struct {
	URL, Description, Choice string
	Kinds                    []string
	Errors                   map[string]string
}

// Checked reports whether kind k is ticked.
func (f Form) Checked(k notify.Kind) bool { return slices.Contains(f.Kinds, string(k)) }

// IndexView is the list page.
type IndexView struct {
	Endpoints  []webhook.Endpoint
	Ministries map[string]kijun.Text
	Choices    []Choice
	Kinds      []notify.Kind
	Form       Form
	// Secret is the signing secret of the endpoint just registered, shown
	// this once; Registered is its URL.
	Secret, Registered string
	// Off: no WEBHOOK_SECRET_KEY is configured; nothing can be registered.
	Off bool
}

// ShowView is one endpoint and its delivery log, the form to edit its
// settings and the button to rotate its secret.
type ShowView struct {
	Endpoint   webhook.Endpoint
	Ministries map[string]kijun.Text
	Deliveries []webhook.Delivery
	// Older is the cursor (the last id shown) of the next page, or 0.
	Older int64
	// Form is the edit form (the endpoint's settings, or as typed) and
	// Version the version it is saved at; Stale: someone saved first.
	Form    Form
	Version int
	Stale   bool
	Kinds   []notify.Kind
	// Secret is the new signing secret of a rotation, shown this once.
	Secret string
	// Off: no WEBHOOK_SECRET_KEY is configured; no secret can be rotated.
	Off bool
}

// describedBy ties a field to its error message and its hint.
func describedBy(f Form, name, hint string) string {
	ids := hint
	if f.Errors[name] != "" {
		if ids != "" {
			ids += " "
		}
		ids += "webhook-" + name + "-error"
	}
	return ids
}
