//go:build dev

package e2e

import (
	"context"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestWebhookPagesAccessible: the webhooks page with the form's errors
// (after a submit without JavaScript's help: a plain form post), with a
// just-registered endpoint's secret, and an endpoint's delivery log pass
// axe-core.
func TestWebhookPagesAccessible(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	env := servertest.New(t)
	ctx := newBrowser(t)
	signIn(t, ctx, env, "meti-admin")
	do(t, ctx, chromedp.Navigate(env.HTTP.URL+"/webhooks"), chromedp.WaitVisible(chromedp.CSS("#webhook-url")))
	if v := runAxe(t, ctx, axe); v != "" {
		t.Errorf("/webhooks:\n%s", v)
	}
	do(t, ctx, chromedp.SendKeys(chromedp.CSS("#webhook-url"), "http://10.0.0.1/"),
		chromedp.Click(chromedp.CSS("form[action='/webhooks'] button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#form-errors")))
	if v := runAxe(t, ctx, axe); v != "" {
		t.Errorf("/webhooks with errors:\n%s", v)
	}
	do(t, ctx, chromedp.SetValue(chromedp.CSS("#webhook-url"), "https://hooks.example.com/kijun"),
		chromedp.Click(chromedp.CSS("#webhook-kind-0")),
		chromedp.Click(chromedp.CSS("form[action='/webhooks'] button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#webhook-secret")))
	if v := runAxe(t, ctx, axe); v != "" {
		t.Errorf("/webhooks with the secret:\n%s", v)
	}
	var id int64
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT id FROM webhook_endpoints`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Owner.Exec(context.Background(), `WITH ev AS (INSERT INTO webhook_events (kind, ministry_code, link, created_at)
			VALUES ('plan.returned', 'METI', '/plans', now()) RETURNING id)
		INSERT INTO webhook_deliveries (endpoint_id, event_id, nco, ministry_code, kind, status, attempts, last_status_code, last_error, last_attempt_at, created_at)
		SELECT $1, ev.id, false, 'METI', 'plan.returned', 'failed', 12, NULL, 'webhook: address not allowed', now(), now() FROM ev`, id); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(env.HTTP.URL+"/webhooks/"+strconv.FormatInt(id, 10)), chromedp.WaitVisible(chromedp.CSS("#delivery-table")))
	if v := runAxe(t, ctx, axe); v != "" {
		t.Errorf("/webhooks/{id}:\n%s", v)
	}
}
