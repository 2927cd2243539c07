//go:build dev

package devidp

import (
	"bytes"
	"net/http"
	"slices"

	"github.com/a-h/templ"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	pages "github.com/kijun-portal/kijun/web/pages/devidp"
)

// handleLoginShow shows the picker for a pending authorization request.
// It always shows, even with a login_hint: a developer should see whom
// they sign in as, and a test posts subject=<sub> just as easily.
func (p *Provider) handleLoginShow(w http.ResponseWriter, r *http.Request) {
	req, ok := p.store.authRequestForLogin(r.URL.Query().Get("id"))
	if !ok {
		http.Error(w, "devidp: unknown or expired sign-in request; start again from the application", http.StatusNotFound)
		return
	}
	v := pages.LoginView{Action: p.issuer + "/login", RequestID: req.id, ClientID: req.clientID}
	for _, u := range p.store.userList {
		v.Users = append(v.Users, pages.LoginUser{
			Subject: u.Subject, Name: u.Name, Email: u.Email, Groups: slices.Clone(u.Groups),
			CorporateNumber: u.CorporateNumber, Label: u.Label,
		})
	}
	render(w, r, pages.Login(v))
}

// handleLoginPick signs the chosen user in, or cancels, and hands the
// request back to op, which redirects to the relying party.
func (p *Provider) handleLoginPick(w http.ResponseWriter, r *http.Request) {
	id := r.PostFormValue("id")
	req, ok := p.store.authRequestForLogin(id)
	if !ok {
		http.Error(w, "devidp: unknown or expired sign-in request; start again from the application", http.StatusNotFound)
		return
	}
	if r.PostFormValue("cancel") != "" {
		// The relying party receives error=access_denied with its state,
		// which lets its tests cover a user who declines.
		_ = p.store.DeleteAuthRequest(r.Context(), id)
		op.AuthRequestError(w, r, req, oidc.ErrAccessDenied().WithDescription("the user cancelled sign-in"), p.op)
		return
	}
	if err := p.store.completeLogin(id, r.PostFormValue("subject")); err != nil {
		http.Error(w, "devidp: no such demo user", http.StatusBadRequest)
		return
	}
	ctx := op.ContextWithIssuer(r.Context(), p.issuer)
	http.Redirect(w, r, op.AuthCallbackURL(p.op)(ctx, id), http.StatusSeeOther)
}

// handleLoggedOut is where end-session lands when the relying party named
// no post_logout_redirect_uri.
func (p *Provider) handleLoggedOut(w http.ResponseWriter, r *http.Request) {
	render(w, r, pages.LoggedOut())
}

// render writes a page. The picker signs a user in with one click, so it
// must not be framed by another site (clickjacking).
func render(w http.ResponseWriter, r *http.Request, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		http.Error(w, "devidp: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	buf.WriteTo(w)
}
