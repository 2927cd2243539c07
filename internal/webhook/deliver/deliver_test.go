//go:build dev

package deliver_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/demo"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/jobs"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/webhook"
	"github.com/kijun-portal/kijun/internal/webhook/deliver"
)

type quickRetry struct{}

func (quickRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now() }

// receiver is a TLS endpoint that verifies every request's signature
// with the Standard Webhooks library and fails the first failFirst
// attempts of each message (all of them if failFirst < 0).
type receiver struct {
	t         *testing.T
	srv       *httptest.Server
	wh        *standardwebhooks.Webhook
	failFirst int

	mu       sync.Mutex
	attempts map[string]int    // webhook-id → requests
	ok       map[string]int    // webhook-id → 2xx answered
	payloads []webhook.Payload // of every request
	bad      []string          // signature failures
	seen     map[string][]byte // webhook-id → body
	last     http.Header       // of the last request verified
	lastBody []byte
}

func newReceiver(t *testing.T, failFirst int) *receiver {
	r := &receiver{t: t, failFirst: failFirst, attempts: map[string]int{}, ok: map[string]int{}, seen: map[string][]byte{}}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.wh == nil || r.wh.Verify(body, req.Header) != nil {
			r.bad = append(r.bad, req.Header.Get("webhook-id"))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		r.last, r.lastBody = req.Header.Clone(), body
		id := req.Header.Get("webhook-id")
		if prev, ok := r.seen[id]; ok && string(prev) != string(body) {
			r.t.Errorf("message %s changed between attempts", id)
		}
		r.seen[id] = body
		var p webhook.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			r.t.Errorf("payload: %v", err)
		}
		r.payloads = append(r.payloads, p)
		r.attempts[id]++
		if r.failFirst < 0 || r.attempts[id] <= r.failFirst {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		r.ok[id]++
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// TestDeliveries: events of several tenants, written with their
// notifications, reach the endpoints of the tenants whose people would
// be told of them and no other: every request is signed (the receiver
// verifies each with the Standard Webhooks library), failed attempts are
// retried and each event is delivered successfully exactly once; the log
// says so; an endpoint that keeps failing is disabled, its admin told and
// the disabling audited; after a secret's rotation deliveries carry a
// signature by each secret until the grace ends; an endpoint on a
// loopback address is refused at delivery time without the test flag.
func TestDeliveries(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	if err := pgx.BeginFunc(ctx, db.Owner, func(tx pgx.Tx) error { return demo.Seed(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
	ops := map[string]int64{}
	rows, _ := db.Owner.Query(ctx, `SELECT corporate_number, id FROM operators`)
	var cn string
	var id int64
	if _, err := pgx.ForEachRow(rows, []any{&cn, &id}, func() error { ops[cn] = id; return nil }); err != nil {
		t.Fatal(err)
	}
	toto, kitahama, bank := ops["2010401000001"], ops["1010401000002"], ops["4010001000003"]
	oversight, err := postgres.Oversight(ctx, db.Owner)
	if err != nil {
		t.Fatal(err)
	}
	admin := func(g identity.Grant) *identity.Principal {
		var uid int64
		if err := db.Owner.QueryRow(ctx, `INSERT INTO users (display_name) VALUES ('admin') RETURNING id`).Scan(&uid); err != nil {
			t.Fatal(err)
		}
		g.UserID = uid
		return identity.NewPrincipal(uid, "admin", "", []identity.Grant{g}, oversight)
	}
	box, err := webhook.NewBox("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	if err != nil {
		t.Fatal(err)
	}
	register := func(p *identity.Principal, tenant webhook.Tenant, url string, kinds ...notify.Kind) (int64, string) {
		raw, text := webhook.NewSecret()
		var id int64
		err := postgres.InTx(ctx, db.App, p, func(tx pgx.Tx) (err error) {
			id, err = postgres.CreateWebhook(ctx, tx, p, webhook.Endpoint{Tenant: tenant, URL: url, Kinds: kinds,
				CreatedAt: time.Now()}, box.Seal(raw), "test")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return id, text
	}
	secretOf := func(r *receiver, text string) {
		r.wh, err = standardwebhooks.NewWebhook(text)
		if err != nil {
			t.Fatal(err)
		}
	}
	totoAdmin := admin(identity.Grant{Role: identity.RoleOperatorAdmin, OperatorID: toto, SectorCode: "electricity"})
	kitaAdmin := admin(identity.Grant{Role: identity.RoleOperatorAdmin, OperatorID: kitahama, SectorCode: "electricity"})
	bankAdmin := admin(identity.Grant{Role: identity.RoleOperatorAdmin, OperatorID: bank, SectorCode: "finance"})
	metiAdmin := admin(identity.Grant{Role: identity.RoleMinistryAdmin, MinistryCode: "METI"})

	// RLS: an admin cannot register an endpoint for another tenant.
	err = postgres.InTx(ctx, db.App, totoAdmin, func(tx pgx.Tx) error {
		_, err := postgres.CreateWebhook(ctx, tx, totoAdmin, webhook.Endpoint{Tenant: webhook.Tenant{OperatorID: bank},
			URL: "https://x.example/", Kinds: []notify.Kind{notify.AssessmentReturned}, CreatedAt: time.Now()}, box.Seal([]byte("0123456789abcdef")), "test")
		return err
	})
	if err == nil {
		t.Fatal("an operator admin registered an endpoint for another operator")
	}

	recvToto, recvBank, recvMETI, recvKita := newReceiver(t, 2), newReceiver(t, 0), newReceiver(t, 0), newReceiver(t, -1)
	_, s := register(totoAdmin, webhook.Tenant{OperatorID: toto}, recvToto.srv.URL+"/hook", notify.AssessmentReturned, notify.ReviewWaiting)
	secretOf(recvToto, s)
	bankEP, s := register(bankAdmin, webhook.Tenant{OperatorID: bank}, recvBank.srv.URL, notify.AssessmentReturned)
	secretOf(recvBank, s)
	_, s = register(metiAdmin, webhook.Tenant{MinistryCode: "METI"}, recvMETI.srv.URL, notify.ReviewWaiting, notify.AssessmentReturned)
	secretOf(recvMETI, s)
	kitaEP, s := register(kitaAdmin, webhook.Tenant{OperatorID: kitahama}, recvKita.srv.URL, notify.AssessmentReturned)
	secretOf(recvKita, s)

	scope := func(op int64, sector string) authz.Resource {
		return authz.Resource{SectorCode: sector, OperatorID: op}
	}
	par := func(y string) map[string]kijun.Text { return map[string]kijun.Text{"Year": {Ja: y, En: y}} }
	events := []notify.Event{
		{Kind: notify.AssessmentReturned, Scope: scope(toto, "electricity"), Params: par("2026"), Link: "/assessments/1"},
		{Kind: notify.AssessmentReturned, Scope: scope(toto, "electricity"), Params: par("2027"), Link: "/assessments/2"},
		{Kind: notify.ReviewWaiting, Scope: scope(toto, "electricity"), Params: par("2026"), Link: "/assessments/1"},
		{Kind: notify.AssessmentReturned, Scope: scope(bank, "finance"), Params: par("2026"), Link: "/assessments/3"},
		{Kind: notify.AssessmentReturned, Scope: scope(kitahama, "electricity"), Params: par("2026"), Link: "/assessments/4"},
		{Kind: notify.AssessmentAccepted, Scope: scope(toto, "electricity"), Params: par("2026"), Link: "/assessments/1"},
	}
	// Written by the people who act, under their RLS, with the notices.
	for _, e := range events {
		actor := metiAdmin
		if e.Scope.SectorCode == "finance" {
			actor = admin(identity.Grant{Role: identity.RoleMinistryAdmin, MinistryCode: "FSA"})
		}
		if e.Kind == notify.ReviewWaiting {
			actor = totoAdmin
		}
		if err := postgres.InTx(ctx, db.App, actor, func(tx pgx.Tx) error {
			_, err := postgres.Notify(ctx, tx, e)
			return err
		}); err != nil {
			t.Fatalf("notify %s: %v", e.Kind, err)
		}
	}
	// The accepted kind no endpoint subscribes to is not even written.
	var written int
	db.Owner.QueryRow(ctx, `SELECT count(*) FROM webhook_events`).Scan(&written)
	if written != 5 {
		t.Errorf("%d webhook events written, want 5", written)
	}

	tc := recvToto.srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	sender := &deliver.Sender{DB: db.App, Box: box, AllowLoopback: true, TLS: tc,
		Disable: postgres.DisablePolicy{MaxFailures: 5, FailingFor: time.Hour}}
	sched := &jobs.Scheduler{DB: db.App, Workers: []func(*river.Workers){sender.Register}, Poll: 100 * time.Millisecond, Retry: quickRetry{}}
	if err := sched.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer sched.Stop(ctx)
	waitDone(t, db)

	for name, r := range map[string]*receiver{"toto": recvToto, "bank": recvBank, "METI": recvMETI, "kitahama": recvKita} {
		r.mu.Lock()
		if len(r.bad) > 0 {
			t.Errorf("%s: %d requests with a bad signature", name, len(r.bad))
		}
		for id, n := range r.ok {
			if n != 1 {
				t.Errorf("%s: message %s delivered successfully %d times", name, id, n)
			}
		}
		r.mu.Unlock()
	}
	// toto: its two returns (each 2 failures, then one success), not the
	// review notice its people are not told of, nothing of others.
	if len(recvToto.ok) != 2 {
		t.Errorf("toto received %d events, want 2", len(recvToto.ok))
	}
	for id, n := range recvToto.attempts {
		if n != 3 {
			t.Errorf("toto: message %s attempted %d times, want 3 (two failures, a success)", id, n)
		}
	}
	for _, p := range recvToto.payloads {
		if p.Data.OperatorID != toto || p.Type != string(notify.AssessmentReturned) {
			t.Errorf("toto received %s of operator %d", p.Type, p.Data.OperatorID)
		}
	}
	if len(recvBank.ok) != 1 || recvBank.payloads[0].Data.OperatorID != bank || recvBank.payloads[0].Data.Link != "/assessments/3" {
		t.Errorf("bank received %+v", recvBank.payloads)
	}
	// METI: the review waiting of its sector's operator; never the bank's.
	var metiKinds []string
	for _, p := range recvMETI.payloads {
		metiKinds = append(metiKinds, p.Type)
		if p.Data.SectorCode != "electricity" {
			t.Errorf("METI received an event of sector %s", p.Data.SectorCode)
		}
	}
	if !strings.Contains(strings.Join(metiKinds, ","), string(notify.ReviewWaiting)) {
		t.Errorf("METI received %v, want the review waiting", metiKinds)
	}

	// The log of toto's endpoint.
	var succeeded, attempts, code int
	db.Owner.QueryRow(ctx, `SELECT count(*), min(attempts), min(last_status_code) FROM webhook_deliveries d
		JOIN webhook_endpoints w ON w.id = d.endpoint_id WHERE w.operator_id = $1 AND d.status = 'succeeded'`, toto).Scan(&succeeded, &attempts, &code)
	if succeeded != 2 || attempts != 3 || code != 204 {
		t.Errorf("toto's log: %d succeeded, %d attempts, code %d", succeeded, attempts, code)
	}
	// kitahama's endpoint always fails: disabled after 5 attempts, its
	// admin told, the disabling audited.
	var disabled bool
	var reason, status string
	db.Owner.QueryRow(ctx, `SELECT disabled_at IS NOT NULL, coalesce(disabled_reason, '') FROM webhook_endpoints WHERE id = $1`, kitaEP).Scan(&disabled, &reason)
	db.Owner.QueryRow(ctx, `SELECT status, attempts FROM webhook_deliveries WHERE endpoint_id = $1`, kitaEP).Scan(&status, &attempts)
	if !disabled || reason != "failures" || status != "failed" || attempts != 5 {
		t.Errorf("the failing endpoint: disabled %v (%s), delivery %s after %d attempts", disabled, reason, status, attempts)
	}
	var notices, audits int
	db.Owner.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'webhook.disabled'`, kitaAdmin.UserID).Scan(&notices)
	db.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'webhook.disable' AND object_id = $1`, itoa(kitaEP)).Scan(&audits)
	if notices != 1 || audits != 1 {
		t.Errorf("disabling: %d notices to its admin, %d audit events", notices, audits)
	}

	// The bank's secret rotated: for the grace period each delivery is
	// signed with the new and the previous secret (the receiver still
	// holding the previous one verifies it, and so does one with the new);
	// after it, with the new one only.
	newRaw, newText := webhook.NewSecret()
	if err := postgres.InTx(ctx, db.App, bankAdmin, func(tx pgx.Tx) error {
		e, err := postgres.GetWebhook(ctx, tx, bankEP)
		if err != nil {
			return err
		}
		return postgres.RotateWebhookSecret(ctx, tx, bankAdmin, e, box.Seal(newRaw), time.Now().Add(webhook.RotationGrace), "test")
	}); err != nil {
		t.Fatal(err)
	}
	bankEvent := func(link string) {
		t.Helper()
		fsa := admin(identity.Grant{Role: identity.RoleMinistryAdmin, MinistryCode: "FSA"})
		if err := postgres.InTx(ctx, db.App, fsa, func(tx pgx.Tx) error {
			_, err := postgres.Notify(ctx, tx, notify.Event{Kind: notify.AssessmentReturned, Scope: scope(bank, "finance"), Params: par("2028"), Link: link})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		waitDone(t, db)
	}
	bankEvent("/assessments/5")
	withNew, _ := standardwebhooks.NewWebhook(newText)
	recvBank.mu.Lock()
	if len(recvBank.bad) > 0 || len(recvBank.ok) != 2 || len(strings.Fields(recvBank.last.Get("webhook-signature"))) != 2 ||
		withNew.Verify(recvBank.lastBody, recvBank.last) != nil {
		t.Errorf("during the grace: %d bad, %d delivered, signature %q", len(recvBank.bad), len(recvBank.ok), recvBank.last.Get("webhook-signature"))
	}
	recvBank.wh = withNew
	recvBank.mu.Unlock()
	db.Owner.Exec(ctx, `UPDATE webhook_endpoints SET previous_secret_until = now() - interval '1 second' WHERE id = $1`, bankEP)
	bankEvent("/assessments/6")
	recvBank.mu.Lock()
	if len(recvBank.bad) > 0 || len(recvBank.ok) != 3 || len(strings.Fields(recvBank.last.Get("webhook-signature"))) != 1 {
		t.Errorf("after the grace: %d bad, %d delivered, signature %q", len(recvBank.bad), len(recvBank.ok), recvBank.last.Get("webhook-signature"))
	}
	recvBank.mu.Unlock()

	// Without the test flag a loopback address is refused when sending.
	strict := deliver.Client(false, tc, time.Second)
	_, err = strict.Get(recvBank.srv.URL)
	if !errors.Is(err, deliver.ErrAddress) {
		t.Errorf("a loopback address without the flag: %v", err)
	}
	if _, err := deliver.Client(true, tc, time.Second).Get(recvBank.srv.URL); err != nil {
		t.Errorf("with the flag: %v", err)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// waitDone waits until no delivery is pending and no webhook job is left.
func waitDone(t *testing.T, db *pgtest.DB) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var pending, jobsLeft int
		db.Owner.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'),
			(SELECT count(*) FROM river_job WHERE kind LIKE 'webhook.%' AND state NOT IN ('completed', 'discarded', 'cancelled'))`).Scan(&pending, &jobsLeft)
		if pending == 0 && jobsLeft == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	rows, _ := db.Owner.Query(context.Background(), `SELECT kind, state::text, attempt, coalesce(errors::text, '') FROM river_job ORDER BY id`)
	for rows.Next() {
		var k, st, errs string
		var a int
		rows.Scan(&k, &st, &a, &errs)
		t.Logf("job %s %s attempt %d: %.600s", k, st, a, errs)
	}
	t.Fatal("deliveries still pending after 60 s")
}
