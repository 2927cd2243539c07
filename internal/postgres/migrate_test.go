package postgres_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/migrations"
)

func TestMigrationsUpDownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.Empty(t)
	tables := func() int {
		var n int
		if err := db.Owner.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := postgres.CheckSchema(ctx, db.Owner); err == nil {
		t.Fatal("CheckSchema on an empty database: want an error")
	} else if !strings.Contains(err.Error(), "kijun migrate up") {
		t.Errorf("CheckSchema error should name the command to run, got %q", err)
	}
	if err := postgres.MigrateUp(ctx, db.Owner); err != nil {
		t.Fatal(err)
	}
	if err := postgres.CheckSchema(ctx, db.Owner); err != nil {
		t.Fatalf("after up: %v", err)
	}
	afterUp := tables()
	if afterUp == 0 {
		t.Fatal("no tables after migrate up")
	}
	if err := postgres.MigrateDown(ctx, db.Owner, postgres.MigrationCount()); err != nil {
		t.Fatal(err)
	}
	if n := tables(); n != 0 {
		t.Fatalf("after down to zero: %d tables left", n)
	}
	if v, _, _ := postgres.SchemaVersion(ctx, db.Owner); v != 0 {
		t.Fatalf("after down to zero: version %d", v)
	}
	if err := postgres.MigrateUp(ctx, db.Owner); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if n := tables(); n != afterUp {
		t.Fatalf("up again: %d tables, first time %d", n, afterUp)
	}
}

// A database at a version the binary has no migration for (a development
// database made before the baseline) is refused with what to do, and left
// as it was.
func TestMigrateUpRefusesAnUnknownVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.Empty(t)
	if err := postgres.MigrateUp(ctx, db.Owner); err != nil {
		t.Fatal(err)
	}
	future := postgres.LatestVersion() + 15
	if _, err := db.Owner.Exec(ctx, `UPDATE schema_migrations SET version = $1`, future); err != nil {
		t.Fatal(err)
	}
	err := postgres.MigrateUp(ctx, db.Owner)
	if err == nil || !strings.Contains(err.Error(), "drop a development database") {
		t.Fatalf("MigrateUp at version %d: %v", future, err)
	}
	if v, dirty, _ := postgres.SchemaVersion(ctx, db.Owner); v != future || dirty {
		t.Errorf("after the refusal: version %d dirty %v, want %d clean", v, dirty, future)
	}
}

func TestMigrationFilesArePaired(t *testing.T) {
	t.Parallel()
	if err := postgres.CheckMigrationFiles(migrations.FS); err != nil {
		t.Fatal(err)
	}
	bad := fstest.MapFS{
		"000001_a.up.sql":   {},
		"000001_a.down.sql": {},
		"000002_b.up.sql":   {},
		"000003_c.up.sql":   {},
		"000003_d.up.sql":   {},
		"000003_c.down.sql": {},
		"4_e.up.sql":        {},
	}
	err := postgres.CheckMigrationFiles(bad)
	if err == nil {
		t.Fatal("want errors for a bad migration set")
	}
	for _, want := range []string{"000002_b.up.sql has no .down.sql", "migration 000003: number used by more than one", "4_e.up.sql: name is not"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestAppRoleOwnsNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	var n int
	err := db.Owner.QueryRow(ctx, `SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
		WHERE r.rolname = 'kijun_app'`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("kijun_app owns %d relations; it must own none", n)
	}
	if _, err := db.App.Exec(ctx, `DELETE FROM sectors`); err == nil {
		t.Fatal("kijun_app could delete reference data")
	}
}
