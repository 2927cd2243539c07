package jobs_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/kijun-portal/kijun/internal/jobs"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

var update = flag.Bool("update", false, "rewrite river's migrations in migrations/ from river's own SQL")

// riverSQL builds the migration pairs that bring river's tables into the
// project's one migration chain: river's main-line migrations of the
// pinned version, in order, with the schema template left empty (river's
// tables live in the search path, like every other table), and the rows
// river's migrator would have written into river_migration. River runs
// each of its versions in its own transaction; golang-migrate runs a file
// in one, and river 004 adds an enum value that 006 uses, which PostgreSQL
// allows only after a commit: so two files, river 001-004 and 005 on.
func riverSQL() map[string]string {
	m, err := rivermigrate.New(riverpgxv5.New(nil), nil)
	if err != nil {
		panic(err)
	}
	head := "-- GENERATED from the SQL of riverqueue/river's main migration line\n" +
		"-- (github.com/riverqueue/river/riverdriver/riverpgxv5/migration/main) at the\n" +
		"-- version pinned in go.mod. Do not edit: regenerate with\n" +
		"--   go test ./internal/jobs -run TestRiverMigrationFile -update\n" +
		"-- TestRiverSchemaCurrent checks that river's own migrator finds nothing to do.\n"
	tmpl := func(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "/* TEMPLATE: schema */", "")) }
	files := map[string]string{}
	all := m.AllVersions()
	for i, name := range jobs.RiverMigrations {
		var vs []rivermigrate.Migration
		for _, v := range all {
			if (i == 0) == (v.Version <= jobs.RiverSplit) {
				vs = append(vs, v)
			}
		}
		var u, d strings.Builder
		u.WriteString(head)
		d.WriteString(head)
		for _, v := range vs {
			fmt.Fprintf(&u, "\n-- river %03d %s\n%s\n", v.Version, v.Name, tmpl(v.SQLUp))
		}
		for _, v := range slices.Backward(vs) {
			fmt.Fprintf(&d, "\n-- river %03d %s\n%s\n", v.Version, v.Name, tmpl(v.SQLDown))
		}
		if i == len(jobs.RiverMigrations)-1 {
			var versions []string
			for _, v := range all {
				versions = append(versions, fmt.Sprintf("('main', %d)", v.Version))
			}
			fmt.Fprintf(&u, "\n-- What river's migrator records after applying every version above.\nINSERT INTO river_migration (line, version) VALUES %s;\n", strings.Join(versions, ", "))
			u.WriteString(jobs.RiverGrants)
		}
		files[name+".up.sql"] = u.String()
		files[name+".down.sql"] = d.String()
	}
	return files
}

// TestRiverMigrationFile: the migrations in migrations/ are river's own
// SQL for the pinned version (upgrading river without regenerating fails
// here).
func TestRiverMigrationFile(t *testing.T) {
	for name, want := range riverSQL() {
		path := filepath.Join("..", "..", "migrations", name)
		if *update {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s is not river's SQL for the pinned version: run go test ./internal/jobs -run TestRiverMigrationFile -update", path)
		}
	}
}

// TestRiverSchemaCurrent: after the project's migrations, river's own
// migrator finds every version applied.
func TestRiverSchemaCurrent(t *testing.T) {
	db := pgtest.New(t)
	m, err := rivermigrate.New(riverpgxv5.New(db.Owner), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Validate(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK {
		t.Fatalf("river's migrator: %v", res.Messages)
	}
	var n int
	if err := db.Owner.QueryRow(context.Background(), `SELECT count(*) FROM river_migration`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(m.AllVersions()) {
		t.Fatalf("river_migration has %d rows, want %d", n, len(m.AllVersions()))
	}
}
