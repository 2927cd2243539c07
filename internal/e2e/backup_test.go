//go:build dev

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/jobs"
	"github.com/kijun-portal/kijun/internal/pgboot"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// pgTool finds a PostgreSQL client program: on PATH, else the newest
// under /usr/lib/postgresql/*/bin (Debian's layout).
func pgTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(found) == 0 {
		t.Fatalf("%s not found: sudo apt-get install postgresql-client", name)
	}
	sort.Strings(found)
	return found[len(found)-1]
}

// TestBackupRestore populates a database through the real server (sign-ins,
// a role grant, the audit events they write, an audit anchor), dumps it
// with pg_dump as docs/operations.md says, restores it into a new database
// with pg_restore, and finds the same rows in every table and an intact
// audit chain — by postgres.VerifyAudit and by `kijun audit verify`.
func TestBackupRestore(t *testing.T) {
	env := servertest.New(t)
	ctx := context.Background()
	for _, who := range []string{"nco-admin", "meti-staff", "toto-admin", "kakehashi-admin", "newcomer"} {
		env.SignIn(t, who)
	}
	admin := env.SignIn(t, "meti-admin")
	var staff int64
	if err := env.DB.Owner.QueryRow(ctx, `SELECT user_id FROM identities WHERE subject = 'meti-staff'`).Scan(&staff); err != nil {
		t.Fatal(err)
	}
	resp, err := admin.PostForm(env.HTTP.URL+"/grants", url.Values{"user": {fmt.Sprint(staff)}, "role": {"ministry_admin"}, "ministry": {"METI"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("granting a role: %d", resp.StatusCode)
	}
	s := &jobs.Scheduler{DB: env.DB.App}
	if ok, err := s.RunDue(ctx, jobs.AuditAnchor(time.Hour, 0, nil, "")); err != nil || !ok {
		t.Fatalf("audit anchor: %v %v", ok, err)
	}

	// Dump as the owner, in the custom format.
	dump := filepath.Join(t.TempDir(), "kijun.dump")
	out, err := exec.Command(pgTool(t, "pg_dump"), "--format=custom", "--file="+dump, "--dbname="+env.DB.OwnerURL).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}

	// Restore into a new, empty database on the same server.
	restored := pgtest.Empty(t)
	out, err = exec.Command(pgTool(t, "pg_restore"), "--exit-on-error", "--no-owner", "--single-transaction",
		"--dbname="+restored.OwnerURL, dump).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}

	before, after := tableCounts(t, env.DB.Owner), tableCounts(t, restored.Owner)
	if len(before) < 10 {
		t.Fatalf("only %d tables counted: %v", len(before), before)
	}
	for _, must := range []string{"users", "role_grants", "audit_events", "sessions", "job_runs", "audit_anchors"} {
		if before[must] == 0 {
			t.Errorf("the populated database has no %s rows; the test proves less than it says", must)
		}
	}
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("row counts differ after restore:\nbefore %v\nafter  %v", before, after)
	}

	breaks, heads, err := postgres.VerifyAudit(ctx, restored.Owner)
	if err != nil || len(breaks) != 0 {
		t.Fatalf("restored audit log: %v %v", breaks, err)
	}
	srcBreaks, srcHeads, _ := postgres.VerifyAudit(ctx, env.DB.Owner)
	if len(srcBreaks) != 0 || fmt.Sprint(srcHeads) != fmt.Sprint(heads) {
		t.Errorf("chain heads differ after restore:\n%v\n%v", srcHeads, heads)
	}

	// The server's role works on the restored database: the grants came
	// along (pg_dump keeps GRANTs; roles are cluster-wide).
	app, err := pgxpool.New(ctx, pgboot.WithUser(restored.OwnerURL, pgboot.AppRole))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if err := postgres.CheckSchema(ctx, app); err != nil {
		t.Errorf("restored schema as seen by the server's role: %v", err)
	}
	err = postgres.SystemTx(ctx, app, func(tx pgx.Tx) error {
		return postgres.Audit(ctx, tx, audit.Event{Action: "test.after_restore", MinistryCode: "METI"}, nil, nil)
	})
	if err != nil {
		t.Errorf("writing to the restored audit log: %v", err)
	}

	// And the operator's command agrees.
	cmd := exec.Command(kijunBinary(t), "audit", "verify")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+restored.OwnerURL)
	out, err = cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "audit log intact") {
		t.Errorf("kijun audit verify on the restored database: %v\n%s", err, out)
	}
}

// tableCounts counts the rows of every table in the public schema, as the
// owner (a superuser in tests, so row-level security does not hide any).
func tableCounts(t *testing.T, db *pgxpool.Pool) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	rows, _ := db.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, n := range names {
		var c int64
		if err := db.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{n}.Sanitize()).Scan(&c); err != nil {
			t.Fatal(err)
		}
		out[n] = c
	}
	if !slices.Contains(names, "schema_migrations") {
		t.Error("schema_migrations not restored")
	}
	return out
}
