package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/audit"
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

func TestUnknownCommand(t *testing.T) {
	if err := run(context.Background(), []string{"frobnicate"}); err == nil {
		t.Fatal("unknown command accepted")
	}
}
