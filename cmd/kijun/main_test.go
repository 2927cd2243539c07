package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/jobs"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// TestAuditVerifyCommand runs `kijun audit verify` on an intact and a
// tampered log.
func TestAuditVerifyCommand(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		err := postgres.SystemTx(ctx, db.App, func(tx pgx.Tx) error {
			return postgres.Audit(ctx, tx, audit.Event{Action: "test", MinistryCode: "MLIT"}, nil, map[string]int{"i": i})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("DATABASE_URL", db.OwnerURL)
	if err := run(ctx, []string{"audit", "verify"}); err != nil {
		t.Fatalf("intact log: %v", err)
	}
	if _, err := db.Owner.Exec(ctx, `DELETE FROM audit_events WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	err := run(ctx, []string{"audit", "verify"})
	if err == nil || !strings.Contains(err.Error(), "1 of 1 chains broken") {
		t.Fatalf("tampered log: %v", err)
	}
	_ = os.Stdout.Sync()
}

// TestAuditVerifyAnchors: a chain rewritten and re-hashed consistently by
// the schema owner passes the walk of the chains but fails against the
// anchors taken before; rewriting the database's anchors too hides it from
// them, not from the anchors file kept outside the database.
func TestAuditVerifyAnchors(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		err := postgres.SystemTx(ctx, db.App, func(tx pgx.Tx) error {
			return postgres.Audit(ctx, tx, audit.Event{Action: "test", MinistryCode: "MLIT"}, nil, map[string]int{"i": i})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "anchors.jsonl")
	s := &jobs.Scheduler{DB: db.App}
	if ok, err := s.RunDue(ctx, jobs.AuditAnchor(time.Hour, 0, nil, file)); err != nil || !ok {
		t.Fatalf("audit anchor: %v %v", ok, err)
	}
	t.Setenv("DATABASE_URL", db.OwnerURL)
	verify := func(args ...string) error { return run(ctx, append([]string{"audit", "verify"}, args...)) }
	if err := verify(); err != nil {
		t.Fatalf("untouched log: %v", err)
	}
	if err := verify("-anchors", file); err != nil {
		t.Fatalf("untouched log against the anchors file: %v", err)
	}

	// Change event 2 and re-hash it, event 3 and the chain's head.
	if _, err := db.Owner.Exec(ctx, `UPDATE audit_events SET after = '{"i": 99}' WHERE chain = 'ministry:MLIT' AND seq = 2;
		UPDATE audit_events e SET hash = kijun_audit_hash(e) WHERE chain = 'ministry:MLIT' AND seq = 2;
		UPDATE audit_events e SET prev_hash = p.hash FROM audit_events p
			WHERE e.chain = 'ministry:MLIT' AND e.seq = 3 AND p.chain = e.chain AND p.seq = 2;
		UPDATE audit_events e SET hash = kijun_audit_hash(e) WHERE chain = 'ministry:MLIT' AND seq = 3;
		UPDATE audit_chain_heads h SET last_hash = e.hash FROM audit_events e
			WHERE e.chain = h.chain AND e.seq = 3 AND h.chain = 'ministry:MLIT'`); err != nil {
		t.Fatal(err)
	}
	if breaks, _, err := postgres.VerifyAudit(ctx, db.Owner); err != nil || len(breaks) != 0 {
		t.Fatalf("the rewrite should be consistent: %v %v", breaks, err)
	}
	if err := verify(); err == nil || !strings.Contains(err.Error(), "1 of 1 chains broken") {
		t.Fatalf("a consistent rewrite against the database's anchors: %v", err)
	}

	// Re-anchor the rewritten chain in the database as well.
	if _, err := db.Owner.Exec(ctx, `UPDATE audit_anchors SET heads = (SELECT jsonb_agg(jsonb_build_object(
		'chain', chain, 'events', last_seq, 'hash', encode(last_hash, 'hex'))) FROM audit_chain_heads)`); err != nil {
		t.Fatal(err)
	}
	if err := verify(); err != nil {
		t.Fatalf("the rewritten database anchors should agree with the rewritten log: %v", err)
	}
	if err := verify("-anchors", file); err == nil || !strings.Contains(err.Error(), "1 of 1 chains broken") {
		t.Fatalf("a consistent rewrite against the anchors file: %v", err)
	}
	_ = os.Stdout.Sync()
}

func TestUnknownCommand(t *testing.T) {
	if err := run(context.Background(), []string{"frobnicate"}); err == nil {
		t.Fatal("unknown command accepted")
	}
}
