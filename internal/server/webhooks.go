package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/webhook"
	"github.com/kijun-portal/kijun/web/pages/webhooks"
)

// Outgoing webhooks (docs/webhooks.md): an admin registers, lists,
// deletes and turns on again the endpoints of its own tenant and reads
// their delivery log.
func (s *Server) webhookRoutes(h routeFunc) {
	h(http.MethodGet, "/webhooks", authz.ManageWebhooks, s.handleWebhookIndex)
	h(http.MethodPost, "/webhooks", authz.ManageWebhooks, s.handleWebhookCreate)
	h(http.MethodGet, "/webhooks/{id}", authz.ManageWebhooks, s.handleWebhookShow)
	h(http.MethodPost, "/webhooks/{id}/delete", authz.ManageWebhooks, s.handleWebhookDelete)
	h(http.MethodPost, "/webhooks/{id}/enable", authz.ManageWebhooks, s.handleWebhookEnable)
	h(http.MethodPost, "/webhooks/{id}/edit", authz.ManageWebhooks, s.handleWebhookEdit)
	h(http.MethodPost, "/webhooks/{id}/rotate-secret", authz.ManageWebhooks, s.handleWebhookRotate)
}

// webhookAPIRoutes are the API routes of webhooks: the page's actions
// (register, edit, rotate the secret, delete, turn on again) through the
// page's code paths, and the delivery log.
func (s *Server) webhookAPIRoutes(a apiRoute) {
	a(http.MethodGet, "/webhooks", authz.ManageWebhooks, s.apiWebhooks)
	a(http.MethodGet, "/webhooks/{id}/deliveries", authz.ManageWebhooks, s.apiWebhookDeliveries)
	a(http.MethodPost, "/webhooks", authz.ManageWebhooks, s.apiWebhookCreate)
	a(http.MethodGet, "/webhooks/{id}", authz.ManageWebhooks, s.apiWebhook)
	a(http.MethodDelete, "/webhooks/{id}", authz.ManageWebhooks, s.apiWebhookDelete)
	a(http.MethodPost, "/webhooks/{id}/enable", authz.ManageWebhooks, s.apiWebhookEnable)
	a(http.MethodPut, "/webhooks/{id}", authz.ManageWebhooks, s.apiWebhookUpdate)
	a(http.MethodPost, "/webhooks/{id}/rotate-secret", authz.ManageWebhooks, s.apiWebhookRotate)
}

type apiWebhook struct {
	ID                  int64      `json:"id"`
	URL                 string     `json:"url"`
	Description         string     `json:"description"`
	NCO                 bool       `json:"nco"`
	MinistryCode        string     `json:"ministry_code,omitempty"`
	OperatorID          int64      `json:"operator_id,omitempty"`
	Kinds               []string   `json:"kinds"`
	CreatedAt           time.Time  `json:"created_at"`
	Active              bool       `json:"active"`
	ConsecutiveFailures int        `json:"consecutive_failures"`
	DisabledAt          *time.Time `json:"disabled_at,omitempty"`
	DisabledReason      string     `json:"disabled_reason,omitempty"`
	PreviousSecretUntil *time.Time `json:"previous_secret_until,omitempty"`
}

type apiDelivery struct {
	ID             int64      `json:"id"`
	WebhookID      string     `json:"webhook_id"`
	EventID        int64      `json:"event_id"`
	Kind           string     `json:"kind"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	LastStatusCode int        `json:"last_status_code,omitempty"`
	LastError      string     `json:"last_error,omitempty"`
	LastAttemptAt  *time.Time `json:"last_attempt_at,omitempty"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
}

// apiWebhooks lists the endpoints of the token's own admin tenants.
func (s *Server) apiWebhooks(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	out := page[apiWebhook]{Items: []apiWebhook{}}
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		list, err := postgres.ListWebhooks(r.Context(), tx, p)
		for _, e := range list {
			out.Items = append(out.Items, webhookJSON(e))
		}
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func webhookJSON(e webhook.Endpoint) apiWebhook {
	j := apiWebhook{ID: e.ID, URL: e.URL, Description: e.Description, NCO: e.Tenant.NCO, MinistryCode: e.Tenant.MinistryCode,
		OperatorID: e.Tenant.OperatorID, Kinds: []string{}, CreatedAt: e.CreatedAt, Active: e.Active(),
		ConsecutiveFailures: e.ConsecutiveFailures, DisabledAt: e.DisabledAt, DisabledReason: e.DisabledReason,
		PreviousSecretUntil: e.PreviousSecretUntil}
	for _, k := range e.Kinds {
		j.Kinds = append(j.Kinds, string(k))
	}
	return j
}

// apiWebhookInput is an endpoint to register. tenant is "nco",
// "ministry:<code>" or "operator:<id>", one the token administers; it may
// be left out when there is only one.
type apiWebhookInput struct {
	URL         string   `json:"url"`
	Description string   `json:"description"`
	Tenant      string   `json:"tenant"`
	Kinds       []string `json:"kinds"`
}

// apiWebhookCreated is an endpoint with its signing secret, given this
// once (registered, or its secret rotated). A replay of the request
// (Idempotency-Key) has no secret: SecretWithheld and SecretNote say so
// (withholdSecret).
type apiWebhookCreated struct {
	apiWebhook
	Secret         string `json:"secret,omitempty"`
	SecretWithheld bool   `json:"secret_withheld,omitempty"`
	SecretNote     string `json:"secret_note,omitempty"`
}

// withholdSecret is what the API keeps for Idempotency-Key replay of a
// response holding a signing secret (keptAs): the endpoint without it,
// with a note in the caller's language that it was given once and how to
// get a new one. Nothing secret is stored in api_idempotency.
func withholdSecret(r *http.Request, body []byte) []byte {
	var v apiWebhookCreated
	if err := json.Unmarshal(body, &v); err != nil {
		return nil // never keep what could not be stripped
	}
	v.Secret, v.SecretWithheld, v.SecretNote = "", true, i18n.From(r.Context()).T("webhooks.secret_withheld", nil)
	out, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return out
}

// webhookFields maps the page's field names to the API's.
var webhookFields = map[string]string{"choice": "tenant"}

// apiWebhookCreate registers an endpoint through the page's code path
// (createWebhook: the same SSRF guard, tenant and kinds checks, audit).
func (s *Server) apiWebhookCreate(w http.ResponseWriter, r *http.Request) error {
	var in apiWebhookInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	f := webhooks.Form{URL: strings.TrimSpace(in.URL), Description: strings.TrimSpace(in.Description), Choice: strings.TrimSpace(in.Tenant),
		Kinds: in.Kinds}
	e, secret, err := s.createWebhook(r, &f)
	if err != nil {
		return err
	}
	if len(f.Errors) > 0 {
		return formFieldErrors(f.Errors, webhookFields)
	}
	w.Header().Set("Location", apiPrefix+"/webhooks/"+itoa(e.ID))
	w.Header().Set("ETag", etag(e.Version))
	return writeJSON(w, http.StatusCreated, apiWebhookCreated{apiWebhook: webhookJSON(e), Secret: secret})
}

// apiWebhookEdit is an endpoint's settings to replace (its tenant stays).
type apiWebhookEdit struct {
	URL         string   `json:"url"`
	Description string   `json:"description"`
	Kinds       []string `json:"kinds"`
}

// apiWebhookUpdate replaces an endpoint's URL, description and kinds at
// the version of If-Match (editWebhook: the registration's checks, the
// policy, the audit); 428 without If-Match, 412 when someone edited it
// first.
func (s *Server) apiWebhookUpdate(w http.ResponseWriter, r *http.Request) error {
	var in apiWebhookEdit
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	f := webhooks.Form{URL: strings.TrimSpace(in.URL), Description: strings.TrimSpace(in.Description), Kinds: in.Kinds}
	e, err := s.editWebhook(r, &f, version)
	switch {
	case errors.Is(err, postgres.ErrWebhookStale):
		return staleError{kijun.Errorf(kijun.EConflict, "api.error.stale", nil)}
	case err != nil:
		return err
	case len(f.Errors) > 0:
		return formFieldErrors(f.Errors, webhookFields)
	}
	w.Header().Set("ETag", etag(e.Version))
	return writeJSON(w, http.StatusOK, webhookJSON(e))
}

// apiWebhookRotate gives an endpoint a new signing secret, in this
// response only (rotateWebhookSecret); the previous one keeps signing
// deliveries besides it for webhook.RotationGrace.
func (s *Server) apiWebhookRotate(w http.ResponseWriter, r *http.Request) error {
	e, secret, err := s.rotateWebhookSecret(r)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(e.Version))
	return writeJSON(w, http.StatusOK, apiWebhookCreated{apiWebhook: webhookJSON(e), Secret: secret})
}

// apiWebhook is one endpoint of the token's own tenant.
func (s *Server) apiWebhook(w http.ResponseWriter, r *http.Request) error {
	var e webhook.Endpoint
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		var err error
		e, err = s.loadWebhook(r, tx)
		return err
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(e.Version))
	return writeJSON(w, http.StatusOK, webhookJSON(e))
}

// apiWebhookDelete deletes an endpoint (deleteWebhook; its log is kept).
func (s *Server) apiWebhookDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.deleteWebhook(r); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiWebhookEnable turns a disabled endpoint on again (enableWebhook).
func (s *Server) apiWebhookEnable(w http.ResponseWriter, r *http.Request) error {
	e, err := s.enableWebhook(r)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(e.Version))
	return writeJSON(w, http.StatusOK, webhookJSON(e))
}

// apiWebhookDeliveries pages one endpoint's delivery log in id order.
func (s *Server) apiWebhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	out := page[apiDelivery]{Items: []apiDelivery{}}
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		e, err := s.loadWebhook(r, tx)
		if err != nil {
			return err
		}
		list, err := postgres.ListDeliveriesAfter(r.Context(), tx, e.ID, after, limit+1)
		if len(list) > limit {
			list = list[:limit]
			out.NextCursor = nextCursor(list[limit-1].ID)
		}
		for _, d := range list {
			out.Items = append(out.Items, apiDelivery{ID: d.ID, WebhookID: d.WebhookID(), EventID: d.EventID, Kind: string(d.Kind),
				Status: d.Status, Attempts: d.Attempts, LastStatusCode: d.LastStatusCode, LastError: d.LastError,
				LastAttemptAt: d.LastAttemptAt, DeliveredAt: d.DeliveredAt, CreatedAt: d.CreatedAt})
		}
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// webhookChoices lists the tenants p may register an endpoint for,
// asking the policy (authz.CanManageWebhook) for each.
func webhookChoices(p *identity.Principal) []webhooks.Choice {
	var out []webhooks.Choice
	if authz.CanManageWebhook(p, true, authz.Resource{}) {
		out = append(out, webhooks.Choice{Value: "nco", Tenant: webhook.Tenant{NCO: true}})
	}
	for _, m := range p.AdminMinistries {
		if authz.CanManageWebhook(p, false, authz.Resource{MinistryCode: m}) {
			out = append(out, webhooks.Choice{Value: "ministry:" + m, Tenant: webhook.Tenant{MinistryCode: m}})
		}
	}
	for _, g := range p.Grants {
		if g.Role == identity.RoleOperatorAdmin && authz.CanManageWebhook(p, false, authz.Resource{OperatorID: g.OperatorID}) {
			out = append(out, webhooks.Choice{Value: "operator:" + itoa(g.OperatorID),
				Tenant: webhook.Tenant{OperatorID: g.OperatorID, SectorCode: g.SectorCode}, Name: g.OperatorName})
		}
	}
	return out
}

// webhookBox is the secret key's box, or nil when none is configured.
func (s *Server) webhookBox() *webhook.Box {
	b, err := webhook.NewBox(s.cfg.WebhookSecretKey)
	if err != nil {
		return nil
	}
	return b
}

func (s *Server) handleWebhookIndex(w http.ResponseWriter, r *http.Request) error {
	return s.renderWebhooks(w, r, http.StatusOK, webhooks.IndexView{})
}

func (s *Server) renderWebhooks(w http.ResponseWriter, r *http.Request, status int, v webhooks.IndexView) error {
	p := principal(r)
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		var err error
		v.Endpoints, err = postgres.ListWebhooks(r.Context(), tx, p)
		return err
	})
	if err != nil {
		return err
	}
	if v.Ministries, err = s.ministryNames(r); err != nil {
		return err
	}
	v.Choices, v.Kinds, v.Off = webhookChoices(p), webhook.Kinds(), s.webhookBox() == nil
	return s.render(w, r, status, webhooks.Index(v))
}

// handleWebhookCreate registers an endpoint and shows its signing secret
// on the page it returns, once (stored only encrypted).
func (s *Server) handleWebhookCreate(w http.ResponseWriter, r *http.Request) error {
	_ = r.ParseForm()
	f := webhooks.Form{URL: strings.TrimSpace(r.PostFormValue("url")), Description: strings.TrimSpace(r.PostFormValue("description")),
		Choice: r.PostFormValue("choice"), Kinds: r.PostForm["kinds"]}
	e, text, err := s.createWebhook(r, &f)
	switch {
	case errors.Is(err, errWebhooksOff):
		return s.renderWebhooks(w, r, http.StatusServiceUnavailable, webhooks.IndexView{})
	case err != nil:
		return err
	case len(f.Errors) > 0:
		return s.renderWebhooks(w, r, http.StatusUnprocessableEntity, webhooks.IndexView{Form: f})
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.renderWebhooks(w, r, http.StatusOK, webhooks.IndexView{Secret: text, Registered: e.URL})
}

// errWebhooksOff: no secret key is configured, so no endpoint can be
// registered (503).
var errWebhooksOff = &kijun.Error{Code: "unavailable", MessageID: "webhooks.off"}

// createWebhook registers the endpoint of form f, for the page and the
// API: the settings pass checkWebhookForm (the SSRF guard, the
// description, the kinds), the tenant is one the policy lets the reader
// administer (webhookChoices; f.Choice may be empty when there is only
// one). It sets f.Errors
// (the form's field names) when refused; else it returns the endpoint and
// its signing secret, which is never shown again.
func (s *Server) createWebhook(r *http.Request, f *webhooks.Form) (webhook.Endpoint, string, error) {
	p := principal(r)
	box := s.webhookBox()
	if box == nil {
		return webhook.Endpoint{}, "", errWebhooksOff
	}
	kinds := s.checkWebhookForm(f)
	choices := webhookChoices(p)
	if f.Choice == "" && len(choices) == 1 {
		f.Choice = choices[0].Value
	}
	var chosen *webhooks.Choice
	for _, c := range choices {
		if c.Value == f.Choice {
			chosen = &c
		}
	}
	if chosen == nil {
		f.Errors["choice"] = "webhooks.error.choice"
	}
	if len(f.Errors) > 0 {
		return webhook.Endpoint{}, "", nil
	}
	raw, text := webhook.NewSecret()
	e := webhook.Endpoint{Tenant: chosen.Tenant, URL: f.URL, Description: f.Description, Kinds: kinds, CreatedAt: s.now()}
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		id, err := postgres.CreateWebhook(r.Context(), tx, p, e, box.Seal(raw), middleware.GetReqID(r.Context()))
		if err != nil {
			return err
		}
		e, err = postgres.GetWebhook(r.Context(), tx, id)
		return err
	})
	return e, text, err
}

// checkWebhookForm checks an endpoint's settings as typed, for
// registering and editing: the URL passes the SSRF guard
// (webhook.URLProblem), the description is short plain text, the kinds
// are known. It sets f.Errors (the form's field names) and returns the
// kinds in their canonical order.
func (s *Server) checkWebhookForm(f *webhooks.Form) []notify.Kind {
	f.Errors = map[string]string{}
	if id := webhook.URLProblem(f.URL, s.cfg.WebhookAllowLoopback); id != "" {
		f.Errors["url"] = id
	}
	if len([]rune(f.Description)) > webhook.MaxDescription || kijun.TextProblem(f.Description) != "" {
		f.Errors["description"] = "webhooks.error.description"
	}
	var kinds []notify.Kind
	for _, k := range webhook.Kinds() {
		if slices.Contains(f.Kinds, string(k)) {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) == 0 || len(kinds) != len(f.Kinds) {
		f.Errors["kinds"] = "webhooks.error.kinds"
	}
	return kinds
}

// editWebhook sets the URL, description and kinds of endpoint {id} of the
// admin's own tenant to those of form f, at version (the page's hidden
// field, the API's If-Match), for the page and the API: the same checks
// as registering (checkWebhookForm; f.Errors set when refused), the
// policy (loadWebhook), postgres.ErrWebhookStale when someone edited it
// first. It returns the endpoint as it now is.
func (s *Server) editWebhook(r *http.Request, f *webhooks.Form, version int) (webhook.Endpoint, error) {
	p := principal(r)
	kinds := s.checkWebhookForm(f)
	var e webhook.Endpoint
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		var err error
		if e, err = s.loadWebhook(r, tx); err != nil || len(f.Errors) > 0 {
			return err
		}
		next := e
		next.URL, next.Description, next.Kinds = f.URL, f.Description, kinds
		if err := postgres.UpdateWebhook(r.Context(), tx, p, e, next, version, middleware.GetReqID(r.Context())); err != nil {
			return err
		}
		e, err = postgres.GetWebhook(r.Context(), tx, e.ID)
		return err
	})
	return e, err
}

// rotateWebhookSecret gives endpoint {id} of the admin's own tenant a new
// signing secret, for the page and the API: stored sealed like the first
// (errWebhooksOff without a key), returned this once; the previous one
// keeps signing deliveries besides it for webhook.RotationGrace.
func (s *Server) rotateWebhookSecret(r *http.Request) (webhook.Endpoint, string, error) {
	p := principal(r)
	box := s.webhookBox()
	if box == nil {
		return webhook.Endpoint{}, "", errWebhooksOff
	}
	raw, text := webhook.NewSecret()
	var e webhook.Endpoint
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		var err error
		if e, err = s.loadWebhook(r, tx); err != nil {
			return err
		}
		if err := postgres.RotateWebhookSecret(r.Context(), tx, p, e, box.Seal(raw), s.now().Add(webhook.RotationGrace),
			middleware.GetReqID(r.Context())); err != nil {
			return err
		}
		e, err = postgres.GetWebhook(r.Context(), tx, e.ID)
		return err
	})
	return e, text, err
}

// loadWebhook reads endpoint {id} of the admin's own tenant; another
// tenant's (or another admin scope's) is not found.
func (s *Server) loadWebhook(r *http.Request, tx pgx.Tx) (webhook.Endpoint, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return webhook.Endpoint{}, err
	}
	e, err := postgres.GetWebhook(r.Context(), tx, id)
	if err != nil {
		return e, err
	}
	if !authz.CanManageWebhook(principal(r), e.Tenant.NCO, e.Tenant.Resource()) {
		return e, kijun.ErrNotFound
	}
	return e, nil
}

const deliveryPage = 50

func (s *Server) handleWebhookShow(w http.ResponseWriter, r *http.Request) error {
	return s.renderWebhookShow(w, r, http.StatusOK, webhooks.ShowView{})
}

// renderWebhookShow renders endpoint {id} with its delivery log; the edit
// form holds the endpoint's settings unless v.Form was typed.
func (s *Server) renderWebhookShow(w http.ResponseWriter, r *http.Request, status int, v webhooks.ShowView) error {
	p := principal(r)
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	if before < 0 {
		before = 0
	}
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		var err error
		if v.Endpoint, err = s.loadWebhook(r, tx); err != nil {
			return err
		}
		v.Deliveries, err = postgres.ListDeliveries(r.Context(), tx, v.Endpoint.ID, before, deliveryPage+1)
		return err
	})
	if err != nil {
		return err
	}
	if len(v.Deliveries) > deliveryPage {
		v.Deliveries = v.Deliveries[:deliveryPage]
		v.Older = v.Deliveries[deliveryPage-1].ID
	}
	if v.Ministries, err = s.ministryNames(r); err != nil {
		return err
	}
	if v.Form.Errors == nil && !v.Stale {
		v.Form = webhooks.Form{URL: v.Endpoint.URL, Description: v.Endpoint.Description}
		for _, k := range v.Endpoint.Kinds {
			v.Form.Kinds = append(v.Form.Kinds, string(k))
		}
	}
	v.Version, v.Kinds, v.Off = v.Endpoint.Version, webhook.Kinds(), s.webhookBox() == nil
	return s.render(w, r, status, webhooks.Show(v))
}

// handleWebhookEdit saves the edit form of endpoint {id} at the version
// the page was opened at; bad input comes back next to the fields (422),
// an edit someone saved first is 409 with what was typed kept and the
// settings as they now are shown.
func (s *Server) handleWebhookEdit(w http.ResponseWriter, r *http.Request) error {
	_ = r.ParseForm()
	f := webhooks.Form{URL: strings.TrimSpace(r.PostFormValue("url")), Description: strings.TrimSpace(r.PostFormValue("description")),
		Kinds: r.PostForm["kinds"]}
	version, err := strconv.Atoi(r.PostFormValue("version"))
	if err != nil {
		version = -1 // matches no version: the conflict message
	}
	e, err := s.editWebhook(r, &f, version)
	switch {
	case errors.Is(err, postgres.ErrWebhookStale):
		f.Errors = nil
		return s.renderWebhookShow(w, r, http.StatusConflict, webhooks.ShowView{Form: f, Stale: true})
	case err != nil:
		return err
	case len(f.Errors) > 0:
		return s.renderWebhookShow(w, r, http.StatusUnprocessableEntity, webhooks.ShowView{Form: f})
	}
	http.Redirect(w, r, "/webhooks/"+itoa(e.ID), http.StatusSeeOther)
	return nil
}

// handleWebhookRotate gives endpoint {id} a new signing secret and shows
// it on the page it returns, once.
func (s *Server) handleWebhookRotate(w http.ResponseWriter, r *http.Request) error {
	e, text, err := s.rotateWebhookSecret(r)
	switch {
	case errors.Is(err, errWebhooksOff):
		return s.renderWebhookShow(w, r, http.StatusServiceUnavailable, webhooks.ShowView{})
	case err != nil:
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.renderWebhookShow(w, r, http.StatusOK, webhooks.ShowView{Secret: text, Endpoint: e})
}

func (s *Server) handleWebhookDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.deleteWebhook(r); err != nil {
		return err
	}
	http.Redirect(w, r, "/webhooks", http.StatusSeeOther)
	return nil
}

// deleteWebhook deletes endpoint {id} of the admin's own tenant (its log
// kept), for the page and the API.
func (s *Server) deleteWebhook(r *http.Request) error {
	p := principal(r)
	return postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		e, err := s.loadWebhook(r, tx)
		if err != nil {
			return err
		}
		return postgres.DeleteWebhook(r.Context(), tx, p, e, s.now(), middleware.GetReqID(r.Context()))
	})
}

func (s *Server) handleWebhookEnable(w http.ResponseWriter, r *http.Request) error {
	e, err := s.enableWebhook(r)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/webhooks/"+itoa(e.ID), http.StatusSeeOther)
	return nil
}

// enableWebhook turns endpoint {id} of the admin's own tenant on again
// with its failures forgotten (an active one stays as it is), for the
// page and the API; it returns the endpoint as it now is.
func (s *Server) enableWebhook(r *http.Request) (webhook.Endpoint, error) {
	p := principal(r)
	var e webhook.Endpoint
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		var err error
		if e, err = s.loadWebhook(r, tx); err != nil {
			return err
		}
		if err := postgres.EnableWebhook(r.Context(), tx, p, e, middleware.GetReqID(r.Context())); err != nil {
			return err
		}
		e, err = postgres.GetWebhook(r.Context(), tx, e.ID)
		return err
	})
	return e, err
}
