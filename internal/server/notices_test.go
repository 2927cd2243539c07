//go:build dev

package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestDeadJobsPage: a job river discarded is on the NCO admin's page, and
// nobody else may open it.
func TestDeadJobsPage(t *testing.T) {
	env := servertest.New(t)
	if _, err := env.DB.Owner.Exec(context.Background(), `INSERT INTO river_job
		(kind, args, state, attempt, max_attempts, errors, finalized_at, queue, priority)
		VALUES ('mail', '{"notification_id": 42}', 'discarded', 25, 25,
			ARRAY['{"at":"2026-05-01T00:00:00Z","attempt":25,"error":"smtp: 421 try later"}'::jsonb], now(), 'default', 1)`); err != nil {
		t.Fatal(err)
	}
	admin := env.SignIn(t, "nco-admin")
	status, body := env.Get(t, admin, "/admin/jobs")
	if status != http.StatusOK || !strings.Contains(body, "smtp: 421 try later") || !strings.Contains(body, "notification_id") ||
		!strings.Contains(body, `href="/admin/jobs"`) {
		t.Fatalf("NCO admin: %d\n%.3000s", status, body)
	}
	for _, who := range []string{"nco-analyst", "meti-admin", "toto-admin"} {
		if status, _ := env.Get(t, env.SignIn(t, who), "/admin/jobs"); status != http.StatusNotFound {
			t.Errorf("%s: /admin/jobs %d, want 404", who, status)
		}
	}
}
