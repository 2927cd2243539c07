// Package deliver sends outgoing webhooks from the job queue
// (docs/webhooks.md): the fan-out of an event to the endpoints that
// receive it, and each delivery, signed, with retries and backoff by
// river, recorded in the delivery log, refusing every address that is
// not public (SSRF).
package deliver

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/webhook"
)

// Default limits.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxFailures = 50
	DefaultFailingFor  = 24 * time.Hour
)

// Sender works the webhook jobs.
type Sender struct {
	DB  *pgxpool.Pool
	Box *webhook.Box
	Log *slog.Logger
	// AllowLoopback lets deliveries reach loopback addresses (and
	// http:// to them): for tests only (WEBHOOK_ALLOW_LOOPBACK).
	AllowLoopback bool
	// TLS is the client's TLS configuration (nil: the system's roots);
	// tests trust their receiver's certificate with it.
	TLS *tls.Config
	// Timeout bounds one attempt (default DefaultTimeout).
	Timeout time.Duration
	// Disable is when a failing endpoint is disabled (default
	// DefaultMaxFailures attempts in a row, or DefaultFailingFor).
	Disable postgres.DisablePolicy
	// Now is the clock of the delivery log (default time.Now). The
	// signature's timestamp is always the wall clock: receivers check it.
	Now func() time.Time

	client *http.Client
}

func (s *Sender) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// Register adds the webhook workers to river's workers.
func (s *Sender) Register(w *river.Workers) {
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	if s.Timeout <= 0 {
		s.Timeout = DefaultTimeout
	}
	if s.Disable.MaxFailures <= 0 {
		s.Disable.MaxFailures = DefaultMaxFailures
	}
	if s.Disable.FailingFor <= 0 {
		s.Disable.FailingFor = DefaultFailingFor
	}
	s.client = Client(s.AllowLoopback, s.TLS, s.Timeout)
	river.AddWorker(w, &fanOutWorker{s: s})
	river.AddWorker(w, &deliverWorker{s: s})
}

// ErrAddress is a connection refused because the address is not public.
var ErrAddress = errors.New("webhook: address not allowed")

// Client is the HTTP client deliveries use: no proxy, no redirects, and a
// dialer that checks every address it connects to after DNS has answered
// (so that a name resolving to a private address, or rebinding to one, is
// refused) with webhook.AllowedAddr.
func Client(allowLoopback bool, tc *tls.Config, timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout, Control: func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !webhook.AllowedAddr(ap.Addr(), allowLoopback) {
			return fmt.Errorf("%w: %s", ErrAddress, address)
		}
		return nil
	}}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{Proxy: nil, DialContext: d.DialContext, TLSClientConfig: tc,
			ForceAttemptHTTP2: true, MaxIdleConns: 10, IdleConnTimeout: 30 * time.Second, TLSHandshakeTimeout: timeout},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type fanOutWorker struct {
	river.WorkerDefaults[webhook.FanOutArgs]
	s *Sender
}

// Work creates the event's deliveries and queues them, in one system
// transaction with the job's completion.
func (w *fanOutWorker) Work(ctx context.Context, job *river.Job[webhook.FanOutArgs]) error {
	return postgres.SystemTx(ctx, w.s.DB, func(tx pgx.Tx) error {
		if _, err := postgres.WebhookFanOut(ctx, tx, job.Args.EventID); err != nil {
			return err
		}
		_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
		return err
	})
}

type deliverWorker struct {
	river.WorkerDefaults[webhook.DeliverArgs]
	s *Sender
}

// Timeout: the attempt's own timeout bounds it, with room for the database.
func (w *deliverWorker) Timeout(*river.Job[webhook.DeliverArgs]) time.Duration {
	return w.s.Timeout + time.Minute
}

// Work makes one attempt of a delivery, in a system transaction that
// locks it: a delivery done (succeeded, failed, cancelled) is not sent
// again; one whose endpoint is gone or disabled, or whose event its tenant
// may not see, is cancelled unsent. The attempt is recorded and committed
// whatever its outcome; a failure is then returned to river, which tries
// again with exponential backoff until the job's last attempt.
func (w *deliverWorker) Work(ctx context.Context, job *river.Job[webhook.DeliverArgs]) error {
	var sendErr error
	err := postgres.SystemTx(ctx, w.s.DB, func(tx pgx.Tx) error {
		sendErr = nil
		if err := postgres.LockWebhookDelivery(ctx, tx, job.Args.DeliveryID); err != nil {
			return err
		}
		t, err := postgres.LoadWebhookTarget(ctx, tx, job.Args.DeliveryID)
		if kijun.ErrorCode(err) == kijun.ENotFound {
			return river.JobCancel(err)
		}
		if err != nil || t.Delivery.Status != "pending" {
			return err
		}
		a := postgres.Attempt{At: w.s.now(), Final: job.Attempt >= job.MaxAttempts}
		if t.Deleted || !t.Endpoint.Active() {
			a.Cancelled, a.Error = true, "endpoint disabled or deleted"
			_, err := postgres.RecordAttempt(ctx, tx, t.Delivery, t.Endpoint, a, w.s.Disable)
			return err
		}
		oversight, err := postgres.Oversight(ctx, tx)
		if err != nil {
			return err
		}
		p := t.Endpoint.Tenant.Principal(t.Endpoint.CreatedBy, oversight)
		e, at, err := postgres.TenantWebhookEvent(ctx, tx, p, t.Delivery.EventID)
		if kijun.ErrorCode(err) == kijun.ENotFound {
			a.Cancelled, a.Error = true, "event not visible to the endpoint's tenant"
			_, err := postgres.RecordAttempt(ctx, tx, t.Delivery, t.Endpoint, a, w.s.Disable)
			return err
		}
		if err != nil {
			return err
		}
		body, err := json.Marshal(webhook.Payload{Type: string(e.Kind), Timestamp: at.UTC(), Data: webhook.Data{
			EventID: t.Delivery.EventID, MinistryCode: e.Scope.MinistryCode, SectorCode: e.Scope.SectorCode,
			OperatorID: e.Scope.OperatorID, Params: e.Params, Link: e.Link}})
		if err != nil {
			return err
		}
		secret, err := w.s.Box.Open(t.Sealed)
		if err != nil {
			return err
		}
		secrets := [][]byte{secret}
		if t.PreviousUntil != nil && a.At.Before(*t.PreviousUntil) && t.SealedPrevious != nil {
			previous, err := w.s.Box.Open(t.SealedPrevious)
			if err != nil {
				return err
			}
			secrets = append(secrets, previous) // a rotation's grace: signed with both
		}
		a.StatusCode, sendErr = w.s.send(ctx, t.Endpoint.URL, t.Delivery.WebhookID(), secrets, body)
		a.OK = sendErr == nil
		if sendErr != nil {
			a.Error = sendErr.Error()
		}
		disabled, err := postgres.RecordAttempt(ctx, tx, t.Delivery, t.Endpoint, a, w.s.Disable)
		if disabled {
			w.s.Log.Warn("webhook endpoint disabled", "endpoint", t.Endpoint.ID)
			sendErr = nil // no retry: the endpoint is off
			if err == nil {
				_, err = tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'failed' WHERE id = $1 AND status = 'pending'`, t.Delivery.ID)
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	return sendErr
}

// send POSTs body to url signed as msgID with each of secrets (webhook-id,
// webhook-timestamp, webhook-signature) and returns the response's status; anything but 2xx
// is an error.
func (s *Sender) send(ctx context.Context, url, msgID string, secrets [][]byte, body []byte) (int, error) {
	if p := webhook.URLProblem(url, s.AllowLoopback); p != "" {
		return 0, fmt.Errorf("%w: %s", ErrAddress, p)
	}
	ts := time.Now()
	sig, err := webhook.SignAll(secrets, msgID, ts, body)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Kijun-Webhooks/1")
	req.Header.Set("webhook-id", msgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}
