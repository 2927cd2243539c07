package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/jobs"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// TestPurgeAPI: the hourly purge deletes kept idempotent responses older
// than a day (a fresh one stays, replayable) and clears rate counts of
// windows that old (a current window keeps its count), deletes the API's
// register imports that expired unconfirmed (not a confirmed or an open
// one), as the server's
// role under row-level security's system setting.
func TestPurgeAPI(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 10, 30, 0, 0, time.UTC)
	var uid, tokOld, tokNew int64
	err := db.Owner.QueryRow(ctx, `WITH u AS (INSERT INTO users (display_name, service) VALUES ('svc', true) RETURNING id)
		SELECT id FROM u`).Scan(&uid)
	if err != nil {
		t.Fatal(err)
	}
	token := func(name string, window time.Time) int64 {
		var gid, id, u int64
		if err := db.Owner.QueryRow(ctx, `INSERT INTO users (display_name, service) VALUES ($1, true) RETURNING id`, name).Scan(&u); err != nil {
			t.Fatal(err)
		}
		if err := db.Owner.QueryRow(ctx, `INSERT INTO role_grants (user_id, role, source) VALUES ($1, 'nco_analyst', 'directory') RETURNING id`, u).Scan(&gid); err != nil {
			t.Fatal(err)
		}
		if err := db.Owner.QueryRow(ctx, `INSERT INTO api_tokens (user_id, grant_id, name, hash, role, created_by, created_at, expires_at, rate_window, rate_count)
			VALUES ($1, $2, $3::text, sha256(convert_to($3::text, 'UTF8')), 'nco_analyst', $1, $4::timestamptz, $4::timestamptz + interval '90 days', $5, 7) RETURNING id`,
			u, gid, name, now.Add(-48*time.Hour), window).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	tokOld = token("old", now.Add(-30*time.Hour).Truncate(time.Minute))
	tokNew = token("new", now.Truncate(time.Minute))
	for key, at := range map[string]time.Time{"old": now.Add(-25 * time.Hour), "fresh": now.Add(-23 * time.Hour)} {
		if _, err := db.Owner.Exec(ctx, `INSERT INTO api_idempotency (user_id, key, request_hash, status, created_at)
			VALUES ($1, $2, sha256('x'), 201, $3)`, uid, key, at); err != nil {
			t.Fatal(err)
		}
	}
	// Webhooks: an old finished delivery and its event go, a pending old
	// one and a recent one stay, and so do their events.
	var ep int64
	if err := db.Owner.QueryRow(ctx, `INSERT INTO webhook_endpoints (nco, url, kinds, secret, created_by, created_at)
		VALUES (true, 'https://hooks.example.com/', '{plan.returned}', '\x000102030405060708090a0b0c0d0e0f', $1, $2) RETURNING id`,
		uid, now.Add(-90*24*time.Hour)).Scan(&ep); err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct {
		status string
		age    time.Duration
	}{{"succeeded", 31 * 24 * time.Hour}, {"pending", 31 * 24 * time.Hour}, {"failed", 29 * 24 * time.Hour}} {
		if _, err := db.Owner.Exec(ctx, `WITH ev AS (INSERT INTO webhook_events (kind, ministry_code, link, created_at)
				VALUES ('plan.returned', 'METI', '/plans', $3) RETURNING id)
			INSERT INTO webhook_deliveries (endpoint_id, event_id, nco, kind, status, created_at)
			SELECT $1, ev.id, true, 'plan.returned', $2, $3 FROM ev`, ep, d.status, now.Add(-d.age)); err != nil {
			t.Fatal(err)
		}
	}
	// Register imports uploaded through the API: one expired unconfirmed
	// goes; one not yet expired, and one expired after it was confirmed
	// (it holds the result), stay.
	for _, im := range []struct {
		name      string
		expires   time.Time
		confirmed bool
	}{{"expired.csv", now.Add(-2 * time.Hour), false}, {"open.csv", now.Add(20 * time.Minute), false},
		{"done.csv", now.Add(-2 * time.Hour), true}} {
		if _, err := db.Owner.Exec(ctx, `INSERT INTO api_operator_imports (user_id, file_name, file_sha256, rows, created_at, expires_at,
				confirmed_at, result)
			VALUES ($1, $2, 'x', '[]', $3::timestamptz - interval '30 minutes', $3, CASE WHEN $4 THEN $3::timestamptz - interval '1 minute' END,
				CASE WHEN $4 THEN '{}'::jsonb END)`, uid, im.name, im.expires, im.confirmed); err != nil {
			t.Fatal(err)
		}
	}
	s := &jobs.Scheduler{DB: db.App, Now: func() time.Time { return now }}
	if ran, err := s.RunDue(ctx, jobs.PurgeAPI()); err != nil || !ran {
		t.Fatalf("purge: ran %v, %v", ran, err)
	}
	var keys []string
	rows, _ := db.Owner.Query(ctx, `SELECT key FROM api_idempotency ORDER BY key`)
	for rows.Next() {
		var k string
		rows.Scan(&k)
		keys = append(keys, k)
	}
	if rows.Err() != nil || len(keys) != 1 || keys[0] != "fresh" {
		t.Errorf("kept keys after the purge: %v (%v), want [fresh]", keys, rows.Err())
	}
	var oldCount, newCount int
	var oldWindow *time.Time
	if err := db.Owner.QueryRow(ctx, `SELECT (SELECT rate_count FROM api_tokens WHERE id = $1), (SELECT rate_window FROM api_tokens WHERE id = $1),
		(SELECT rate_count FROM api_tokens WHERE id = $2)`, tokOld, tokNew).Scan(&oldCount, &oldWindow, &newCount); err != nil {
		t.Fatal(err)
	}
	if oldCount != 0 || oldWindow != nil || newCount != 7 {
		t.Errorf("rate counts after the purge: old %d (window %v), current %d; want 0 (none), 7", oldCount, oldWindow, newCount)
	}
	var detail string
	if err := db.Owner.QueryRow(ctx, `SELECT detail::text FROM job_runs WHERE job = 'purge-api'`).Scan(&detail); err != nil {
		t.Fatal(err)
	}
	var deliveries, events int
	db.Owner.QueryRow(ctx, `SELECT (SELECT count(*) FROM webhook_deliveries), (SELECT count(*) FROM webhook_events)`).Scan(&deliveries, &events)
	if deliveries != 2 || events != 2 {
		t.Errorf("after the purge: %d deliveries, %d events; want 2, 2", deliveries, events)
	}
	var imports []string
	rows, _ = db.Owner.Query(ctx, `SELECT file_name FROM api_operator_imports ORDER BY file_name`)
	for rows.Next() {
		var n string
		rows.Scan(&n)
		imports = append(imports, n)
	}
	if rows.Err() != nil || len(imports) != 2 || imports[0] != "done.csv" || imports[1] != "open.csv" {
		t.Errorf("register imports after the purge: %v (%v), want [done.csv open.csv]", imports, rows.Err())
	}
	if detail != `{"rate_windows": 1, "webhook_events": 1, "idempotency_keys": 1, "operator_imports": 1, "webhook_deliveries": 1}` {
		t.Errorf("job_runs detail %s", detail)
	}
}
