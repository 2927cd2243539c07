package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/webhook"
)

// Outgoing webhooks (docs/webhooks.md): endpoints, the events written for
// them in the transaction of a change, and the delivery log.

func webhookEvent(p *identity.Principal, requestID, action string, e webhook.Endpoint) audit.Event {
	ev := ActorOf(p, requestID)
	ev.Action, ev.ObjectType, ev.ObjectID = action, "webhook_endpoint", strconv.FormatInt(e.ID, 10)
	ev.MinistryCode, ev.SectorCode, ev.OperatorID = e.Tenant.MinistryCode, e.Tenant.SectorCode, e.Tenant.OperatorID
	return ev
}

// CreateWebhook stores an endpoint with its sealed secret, audited as
// webhook.create (never with the secret). The caller has checked the
// policy; RLS checks the tenant again.
func CreateWebhook(ctx context.Context, tx pgx.Tx, p *identity.Principal, e webhook.Endpoint, sealed []byte, requestID string) (int64, error) {
	if e.Tenant.OperatorID != 0 {
		if err := tx.QueryRow(ctx, `SELECT sector_code FROM operators WHERE id = $1`, e.Tenant.OperatorID).Scan(&e.Tenant.SectorCode); err != nil {
			return 0, err
		}
	}
	kinds := make([]string, len(e.Kinds))
	for i, k := range e.Kinds {
		kinds[i] = string(k)
	}
	if err := tx.QueryRow(ctx, `INSERT INTO webhook_endpoints (nco, ministry_code, operator_id, sector_code, url, description, kinds,
			secret, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		e.Tenant.NCO, nullStr(e.Tenant.MinistryCode), nullInt(e.Tenant.OperatorID), nullStr(e.Tenant.SectorCode),
		e.URL, e.Description, kinds, sealed, p.UserID, e.CreatedAt).Scan(&e.ID); err != nil {
		return 0, err
	}
	return e.ID, Audit(ctx, tx, webhookEvent(p, requestID, "webhook.create", e), nil,
		map[string]any{"url": e.URL, "kinds": kinds, "description": e.Description})
}

const webhookColumns = `w.id, w.nco, coalesce(w.ministry_code, ''), coalesce(w.operator_id, 0), coalesce(w.sector_code, ''),
	coalesce(o.name_ja, ''), coalesce(o.name_en, ''), w.url, w.description, w.kinds, w.created_by, coalesce(c.display_name, ''), w.created_at,
	w.consecutive_failures, w.failing_since, w.disabled_at, coalesce(w.disabled_reason, ''), w.version,
	CASE WHEN w.previous_secret_until > now() THEN w.previous_secret_until END
	FROM webhook_endpoints w LEFT JOIN operators o ON o.id = w.operator_id LEFT JOIN users c ON c.id = w.created_by`

func scanWebhook(r pgx.CollectableRow) (webhook.Endpoint, error) {
	var e webhook.Endpoint
	var kinds []string
	err := r.Scan(&e.ID, &e.Tenant.NCO, &e.Tenant.MinistryCode, &e.Tenant.OperatorID, &e.Tenant.SectorCode, &e.TenantName.Ja, &e.TenantName.En,
		&e.URL, &e.Description, &kinds, &e.CreatedBy, &e.CreatorName, &e.CreatedAt, &e.ConsecutiveFailures, &e.FailingSince,
		&e.DisabledAt, &e.DisabledReason, &e.Version, &e.PreviousSecretUntil)
	for _, k := range kinds {
		e.Kinds = append(e.Kinds, notify.Kind(k))
	}
	return e, err
}

// ListWebhooks returns the endpoints (not deleted) of the principal's
// admin tenants, newest first; RLS narrows them to its tenants.
func ListWebhooks(ctx context.Context, tx pgx.Tx, p *identity.Principal) ([]webhook.Endpoint, error) {
	rows, _ := tx.Query(ctx, `SELECT `+webhookColumns+`
		WHERE w.deleted_at IS NULL AND (($1 AND w.nco) OR w.ministry_code = ANY ($2) OR w.operator_id = ANY ($3))
		ORDER BY w.created_at DESC, w.id DESC`, p.NCOAdmin, p.AdminMinistries, p.AdminOperators)
	return pgx.CollectRows(rows, scanWebhook)
}

// GetWebhook returns one endpoint (not deleted) visible to the principal.
func GetWebhook(ctx context.Context, tx pgx.Tx, id int64) (webhook.Endpoint, error) {
	rows, _ := tx.Query(ctx, `SELECT `+webhookColumns+` WHERE w.id = $1 AND w.deleted_at IS NULL`, id)
	e, err := pgx.CollectExactlyOneRow(rows, scanWebhook)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, kijun.ErrNotFound
	}
	return e, err
}

// DeleteWebhook stops deliveries to an endpoint and hides it, keeping its
// log; audited as webhook.delete.
func DeleteWebhook(ctx context.Context, tx pgx.Tx, p *identity.Principal, e webhook.Endpoint, now time.Time, requestID string) error {
	if _, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL`, e.ID, now); err != nil {
		return err
	}
	return Audit(ctx, tx, webhookEvent(p, requestID, "webhook.delete", e), map[string]any{"url": e.URL}, nil)
}

// EnableWebhook turns a disabled endpoint on again with its failures
// forgotten; audited as webhook.enable.
func EnableWebhook(ctx context.Context, tx pgx.Tx, p *identity.Principal, e webhook.Endpoint, requestID string) error {
	tag, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL, consecutive_failures = 0,
		failing_since = NULL WHERE id = $1 AND disabled_at IS NOT NULL`, e.ID)
	if err != nil || tag.RowsAffected() == 0 {
		return err
	}
	return Audit(ctx, tx, webhookEvent(p, requestID, "webhook.enable", e), map[string]any{"disabled_reason": e.DisabledReason}, nil)
}

// ErrWebhookStale: the endpoint was edited since the version the edit
// was prepared against (the page's conflict message; 412 in the API).
var ErrWebhookStale = &kijun.Error{Code: kijun.EConflict, MessageID: "webhooks.error.stale"}

// UpdateWebhook sets the URL, description and kinds of endpoint old to
// those of e at version (ErrWebhookStale when it is not the stored one)
// and counts the version up; audited as webhook.update with what changed.
// A new URL is another receiver, so the run of failures the old one had
// (consecutive_failures, failing_since: what disabling counts) is
// forgotten; a disabled endpoint stays disabled (turning it on again is
// its own action). The caller has checked the policy and the input.
func UpdateWebhook(ctx context.Context, tx pgx.Tx, p *identity.Principal, old, e webhook.Endpoint, version int, requestID string) error {
	kinds := make([]string, len(e.Kinds))
	for i, k := range e.Kinds {
		kinds[i] = string(k)
	}
	tag, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET url = $3, description = $4, kinds = $5, version = version + 1,
			consecutive_failures = CASE WHEN url = $3 THEN consecutive_failures ELSE 0 END,
			failing_since = CASE WHEN url = $3 THEN failing_since END
		WHERE id = $1 AND version = $2 AND deleted_at IS NULL`, old.ID, version, e.URL, e.Description, kinds)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return ErrWebhookStale
	}
	oldKinds := make([]string, len(old.Kinds))
	for i, k := range old.Kinds {
		oldKinds[i] = string(k)
	}
	return Audit(ctx, tx, webhookEvent(p, requestID, "webhook.update", old),
		map[string]any{"url": old.URL, "kinds": oldKinds, "description": old.Description, "version": old.Version},
		map[string]any{"url": e.URL, "kinds": kinds, "description": e.Description, "version": old.Version + 1})
}

// RotateWebhookSecret replaces the sealed secret of endpoint e by sealed;
// the one it replaces keeps signing deliveries (besides the new one)
// until graceUntil. Audited as webhook.rotate_secret, never with a secret.
func RotateWebhookSecret(ctx context.Context, tx pgx.Tx, p *identity.Principal, e webhook.Endpoint, sealed []byte, graceUntil time.Time,
	requestID string) error {
	if _, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = $3, secret = $2
		WHERE id = $1 AND deleted_at IS NULL`, e.ID, sealed, graceUntil); err != nil {
		return err
	}
	return Audit(ctx, tx, webhookEvent(p, requestID, "webhook.rotate_secret", e), nil,
		map[string]any{"previous_secret_until": graceUntil.UTC().Format(time.RFC3339)})
}

const deliveryColumns = `d.id, d.endpoint_id, d.event_id, d.kind, d.status, d.attempts, coalesce(d.last_status_code, 0),
	d.last_error, d.last_attempt_at, d.delivered_at, d.created_at FROM webhook_deliveries d`

func scanDelivery(r pgx.CollectableRow) (webhook.Delivery, error) {
	var d webhook.Delivery
	var kind string
	err := r.Scan(&d.ID, &d.EndpointID, &d.EventID, &kind, &d.Status, &d.Attempts, &d.LastStatusCode, &d.LastError,
		&d.LastAttemptAt, &d.DeliveredAt, &d.CreatedAt)
	d.Kind = notify.Kind(kind)
	return d, err
}

// ListDeliveries returns an endpoint's delivery log, newest first, at
// most limit, before the delivery id before (0: from the newest).
func ListDeliveries(ctx context.Context, tx pgx.Tx, endpointID, before int64, limit int) ([]webhook.Delivery, error) {
	rows, _ := tx.Query(ctx, `SELECT `+deliveryColumns+` WHERE d.endpoint_id = $1 AND ($2 = 0 OR d.id < $2)
		ORDER BY d.id DESC LIMIT $3`, endpointID, before, limit)
	return pgx.CollectRows(rows, scanDelivery)
}

// ListDeliveriesAfter returns an endpoint's deliveries with ids above
// after, in id order, at most limit (the API's cursor pages).
func ListDeliveriesAfter(ctx context.Context, tx pgx.Tx, endpointID, after int64, limit int) ([]webhook.Delivery, error) {
	rows, _ := tx.Query(ctx, `SELECT `+deliveryColumns+` WHERE d.endpoint_id = $1 AND d.id > $2 ORDER BY d.id LIMIT $3`,
		endpointID, after, limit)
	return pgx.CollectRows(rows, scanDelivery)
}

// queueWebhookEvents writes, in the transaction of a change, each event of
// a kind some active endpoint subscribes to (kijun_webhook_kinds; the
// common case of none costs that one query) and queues its fan-out job.
func queueWebhookEvents(ctx context.Context, tx pgx.Tx, events []notify.Event) error {
	var kinds []string
	if err := tx.QueryRow(ctx, `SELECT kijun_webhook_kinds()`).Scan(&kinds); err != nil || len(kinds) == 0 {
		return err
	}
	var want []notify.Event
	for _, e := range events {
		if !e.Kind.Personal() && e.Scope != (authz.Resource{}) && containsStr(kinds, string(e.Kind)) {
			want = append(want, e)
		}
	}
	if len(want) == 0 {
		return nil
	}
	rows, _ := tx.Query(ctx, `SELECT nextval('webhook_events_id_seq') FROM generate_series(1, $1)`, len(want))
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	n := len(want)
	ks, params, links, rev := make([]string, n), make([]string, n), make([]string, n), make([]bool, n)
	ms, ss, os := make([]any, n), make([]any, n), make([]any, n)
	jobs := make([]webhook.FanOutArgs, n)
	for i, e := range want {
		b, err := json.Marshal(e.Params)
		if err != nil {
			return err
		}
		if e.Params == nil {
			b = []byte("{}")
		}
		ks[i], params[i], links[i], rev[i] = string(e.Kind), string(b), e.Link, e.ToReviewers
		ms[i], ss[i], os[i] = nullText(e.Scope.MinistryCode), nullText(e.Scope.SectorCode), nullID(e.Scope.OperatorID)
		jobs[i] = webhook.FanOutArgs{EventID: ids[i]}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO webhook_events (id, kind, ministry_code, sector_code, operator_id, to_reviewers, params, link, created_at)
		SELECT e.*, now() FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bool[], $7::jsonb[], $8::text[]) e`,
		ids, ks, ms, ss, os, rev, params, links); err != nil {
		return err
	}
	for _, j := range jobs {
		if err := Enqueue(ctx, tx, j); err != nil {
			return err
		}
	}
	return nil
}

func containsStr(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// WebhookEvent reads event id in tx: as the system for the fan-out, under
// a tenant's row-level security for its payload (kijun.ErrNotFound when
// the tenant may not see it).
func WebhookEvent(ctx context.Context, tx pgx.Tx, id int64) (notify.Event, time.Time, error) {
	var e notify.Event
	var kind, params string
	var at time.Time
	err := tx.QueryRow(ctx, `SELECT kind, coalesce(ministry_code, ''), coalesce(sector_code, ''), coalesce(operator_id, 0),
		to_reviewers, params::text, link, created_at FROM webhook_events WHERE id = $1`, id).
		Scan(&kind, &e.Scope.MinistryCode, &e.Scope.SectorCode, &e.Scope.OperatorID, &e.ToReviewers, &params, &e.Link, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, at, kijun.ErrNotFound
	}
	if err != nil {
		return e, at, err
	}
	e.Kind = notify.Kind(kind)
	return e, at, json.Unmarshal([]byte(params), &e.Params)
}

// WebhookFanOut, in a system transaction, creates one delivery of event
// id for every active endpoint whose tenant receives it (webhook.Receives
// with the tenant's principal: the policy decides, as for its people) and
// queues their delivery jobs. A delivery that exists is not made again.
func WebhookFanOut(ctx context.Context, tx pgx.Tx, id int64) (int, error) {
	e, _, err := WebhookEvent(ctx, tx, id)
	if errors.Is(err, kijun.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	oversight, err := Oversight(ctx, tx)
	if err != nil {
		return 0, err
	}
	rows, _ := tx.Query(ctx, `SELECT `+webhookColumns+` WHERE w.deleted_at IS NULL AND w.disabled_at IS NULL AND $1 = ANY (w.kinds)`, string(e.Kind))
	eps, err := pgx.CollectRows(rows, scanWebhook)
	if err != nil {
		return 0, err
	}
	var jobs []webhook.DeliverArgs
	for _, ep := range eps {
		if !webhook.Receives(ep.Kinds, ep.Tenant.Principal(ep.CreatedBy, oversight), e) {
			continue
		}
		var did int64
		err := tx.QueryRow(ctx, `INSERT INTO webhook_deliveries (endpoint_id, event_id, nco, ministry_code, operator_id, kind, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, now()) ON CONFLICT DO NOTHING RETURNING id`,
			ep.ID, id, ep.Tenant.NCO, nullStr(ep.Tenant.MinistryCode), nullInt(ep.Tenant.OperatorID), string(e.Kind)).Scan(&did)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, err
		}
		jobs = append(jobs, webhook.DeliverArgs{DeliveryID: did})
	}
	for _, j := range jobs {
		if err := Enqueue(ctx, tx, j); err != nil {
			return 0, err
		}
	}
	return len(jobs), nil
}

// WebhookTarget is what sending a delivery needs: the delivery, its
// endpoint and the endpoint's sealed secret, with the one the last
// rotation replaced and until when it signs too (nil: none).
type WebhookTarget struct {
	Delivery       webhook.Delivery
	Endpoint       webhook.Endpoint
	Sealed         []byte
	SealedPrevious []byte
	PreviousUntil  *time.Time
	Deleted        bool
}

// LoadWebhookTarget reads a delivery and its endpoint as the system.
func LoadWebhookTarget(ctx context.Context, tx pgx.Tx, deliveryID int64) (WebhookTarget, error) {
	var t WebhookTarget
	rows, _ := tx.Query(ctx, `SELECT `+deliveryColumns+` WHERE d.id = $1`, deliveryID)
	d, err := pgx.CollectExactlyOneRow(rows, scanDelivery)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, kijun.ErrNotFound
	}
	if err != nil {
		return t, err
	}
	t.Delivery = d
	rows, _ = tx.Query(ctx, `SELECT `+webhookColumns+` WHERE w.id = $1`, d.EndpointID)
	if t.Endpoint, err = pgx.CollectExactlyOneRow(rows, scanWebhook); err != nil {
		return t, err
	}
	err = tx.QueryRow(ctx, `SELECT secret, previous_secret, previous_secret_until, deleted_at IS NOT NULL FROM webhook_endpoints
		WHERE id = $1`, d.EndpointID).Scan(&t.Sealed, &t.SealedPrevious, &t.PreviousUntil, &t.Deleted)
	return t, err
}

// Attempt is the outcome of one attempt to send a delivery.
type Attempt struct {
	At         time.Time
	StatusCode int // 0: no response
	Error      string
	OK         bool
	// Final: no attempt follows (the last one river makes, or a
	// delivery that is not to be sent).
	Final bool
	// Cancelled: not sent at all (the endpoint is gone or disabled, or its
	// tenant may not see the event).
	Cancelled bool
}

// DisablePolicy says when an endpoint that keeps failing is disabled:
// after MaxFailures consecutive failed attempts, or when it has failed
// for FailingFor without a success in between.
type DisablePolicy struct {
	MaxFailures int
	FailingFor  time.Duration
}

// RecordAttempt records, in a system transaction, an attempt of delivery
// d to endpoint ep: the delivery's state and last response, and the
// endpoint's run of failures. An endpoint that fails by pol is disabled
// (audited as webhook.disable by the system) and the admin who registered
// it is told (notify.WebhookDisabled). It reports whether it disabled it.
func RecordAttempt(ctx context.Context, tx pgx.Tx, d webhook.Delivery, ep webhook.Endpoint, a Attempt, pol DisablePolicy) (bool, error) {
	status := "pending"
	switch {
	case a.Cancelled:
		status = "cancelled"
	case a.OK:
		status = "succeeded"
	case a.Final:
		status = "failed"
	}
	if len(a.Error) > 500 {
		a.Error = a.Error[:500]
	}
	if !kijun.ValidText(a.Error) {
		a.Error = "invalid error text"
	}
	attempted := 1
	if a.Cancelled {
		attempted = 0
	}
	if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = $2, attempts = attempts + $7, last_status_code = $3,
		last_error = $4, last_attempt_at = $5::timestamptz, delivered_at = CASE WHEN $6::bool THEN $5::timestamptz END WHERE id = $1`,
		d.ID, status, nullInt(int64(a.StatusCode)), a.Error, a.At, a.OK, attempted); err != nil {
		return false, err
	}
	if a.Cancelled {
		return false, nil
	}
	if a.OK {
		_, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET consecutive_failures = 0, failing_since = NULL WHERE id = $1`, ep.ID)
		return false, err
	}
	var failures int
	var since time.Time
	var disabled bool
	if err := tx.QueryRow(ctx, `UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1,
			failing_since = coalesce(failing_since, $2)
		WHERE id = $1 RETURNING consecutive_failures, failing_since, disabled_at IS NOT NULL`, ep.ID, a.At).Scan(&failures, &since, &disabled); err != nil {
		return false, err
	}
	if disabled || (failures < pol.MaxFailures && a.At.Sub(since) < pol.FailingFor) {
		return false, nil
	}
	reason := "failures"
	if failures < pol.MaxFailures {
		reason = "failing_for"
	}
	if _, err := tx.Exec(ctx, `UPDATE webhook_endpoints SET disabled_at = $2, disabled_reason = $3 WHERE id = $1`, ep.ID, a.At, reason); err != nil {
		return false, err
	}
	ev := audit.Event{ActorLabel: "system", Action: "webhook.disable", ObjectType: "webhook_endpoint",
		ObjectID: strconv.FormatInt(ep.ID, 10), MinistryCode: ep.Tenant.MinistryCode, SectorCode: ep.Tenant.SectorCode,
		OperatorID: ep.Tenant.OperatorID}
	if err := Audit(ctx, tx, ev, nil, map[string]any{"reason": reason, "consecutive_failures": failures,
		"failing_since": since.UTC().Format(time.RFC3339)}); err != nil {
		return false, err
	}
	_, err := Notify(ctx, tx, notify.Event{Kind: notify.WebhookDisabled, User: ep.CreatedBy,
		Params: map[string]kijun.Text{"URL": {Ja: ep.URL, En: ep.URL}}, Link: "/webhooks/" + strconv.FormatInt(ep.ID, 10)})
	return true, err
}

// TenantWebhookEvent reads event id in tx as p (a tenant's principal,
// webhook.Tenant.Principal) under its row-level security, then turns tx
// back into a system transaction: a payload holds only what the tenant
// may see (kijun.ErrNotFound otherwise).
func TenantWebhookEvent(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64) (notify.Event, time.Time, error) {
	if err := ActAs(ctx, tx, p); err != nil {
		return notify.Event{}, time.Time{}, err
	}
	e, at, err := WebhookEvent(ctx, tx, id)
	if err2 := setPrincipal(ctx, tx, nil, true); err == nil {
		err = err2
	}
	return e, at, err
}

// LockWebhookDelivery locks delivery id for its attempt: a second worker
// on the same delivery waits, then sees it done.
func LockWebhookDelivery(ctx context.Context, tx pgx.Tx, id int64) error {
	_, err := tx.Exec(ctx, `SELECT 1 FROM webhook_deliveries WHERE id = $1 FOR UPDATE`, id)
	return err
}

// PurgeWebhooks deletes, in tx (a system transaction), the delivery log
// rows finished (not pending) before keepBefore and then the events
// older than that which no delivery refers to. It returns how many of each.
func PurgeWebhooks(ctx context.Context, tx pgx.Tx, keepBefore time.Time) (deliveries, events int64, err error) {
	tag, err := tx.Exec(ctx, `DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < $1`, keepBefore)
	if err != nil {
		return 0, 0, err
	}
	deliveries = tag.RowsAffected()
	tag, err = tx.Exec(ctx, `DELETE FROM webhook_events e WHERE e.created_at < $1
		AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)`, keepBefore)
	if err != nil {
		return 0, 0, err
	}
	return deliveries, tag.RowsAffected(), nil
}
