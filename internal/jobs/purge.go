package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/postgres"
)

// PurgeAPIName is the API purge job's name in job_runs.
const PurgeAPIName = "purge-api"

// IdempotencyKeep is how long a kept idempotent response is replayed
// (docs/api.md): a retry of the same key later than that runs again.
const IdempotencyKeep = 24 * time.Hour

// WebhookLogKeep is how long the webhook delivery log (and the events it
// sent) is kept (docs/webhooks.md).
const WebhookLogKeep = 30 * 24 * time.Hour

// PurgeAPI is the hourly job (once across instances) that deletes the
// API's kept idempotent responses older than IdempotencyKeep counted from
// the period's start, clears rate counts of windows that old, deletes the
// API's register imports that expired unconfirmed by the period's start
// (postgres.PurgeAPI; like the other purges, counted in job_runs, not
// audited: nothing anyone did is undone), and deletes finished webhook deliveries and their
// events older than WebhookLogKeep (postgres.PurgeWebhooks).
func PurgeAPI() Job {
	return Job{Name: PurgeAPIName, Every: time.Hour,
		Run: func(ctx context.Context, tx pgx.Tx, period time.Time) (any, error) {
			keys, windows, imports, err := postgres.PurgeAPI(ctx, tx, period, period.Add(-IdempotencyKeep))
			if err != nil {
				return nil, err
			}
			deliveries, events, err := postgres.PurgeWebhooks(ctx, tx, period.Add(-WebhookLogKeep))
			return map[string]int64{"idempotency_keys": keys, "rate_windows": windows, "operator_imports": imports,
				"webhook_deliveries": deliveries, "webhook_events": events}, err
		}}
}
