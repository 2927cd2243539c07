// Package postgres is Kijun's PostgreSQL adapter: the connection pool, the
// schema migrations and one file of queries per aggregate.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"

	"github.com/golang-migrate/migrate/v4"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/kijun-portal/kijun/migrations"
)

var migrationName = regexp.MustCompile(`^(\d{6})_[a-z0-9_]+\.(up|down)\.sql$`)

// LatestVersion is the number of the newest embedded migration: the schema
// version the running binary needs.
func LatestVersion() uint {
	files, _ := fs.Glob(migrations.FS, "*.up.sql")
	var latest uint
	for _, f := range files {
		if m := migrationName.FindStringSubmatch(f); m != nil {
			n, _ := strconv.ParseUint(m[1], 10, 32)
			latest = max(latest, uint(n))
		}
	}
	return latest
}

// MigrationCount is the number of embedded migrations: the steps down to
// an empty schema (numbers may have gaps).
func MigrationCount() int {
	files, _ := fs.Glob(migrations.FS, "*.up.sql")
	return len(files)
}

// CheckMigrationFiles reports misnamed files, duplicate numbers and up
// migrations without a down: mistakes that golang-migrate would only find
// when someone tries to roll back in production.
func CheckMigrationFiles(fsys fs.FS) error {
	files, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return err
	}
	type pair struct{ up, down []string }
	byNum := map[string]*pair{}
	var errs []error
	for _, f := range files {
		m := migrationName.FindStringSubmatch(f)
		if m == nil {
			errs = append(errs, fmt.Errorf("%s: name is not NNNNNN_name.up.sql or .down.sql", f))
			continue
		}
		p := byNum[m[1]]
		if p == nil {
			p = &pair{}
			byNum[m[1]] = p
		}
		if m[2] == "up" {
			p.up = append(p.up, f)
		} else {
			p.down = append(p.down, f)
		}
	}
	nums := make([]string, 0, len(byNum))
	for n := range byNum {
		nums = append(nums, n)
	}
	sort.Strings(nums)
	for _, n := range nums {
		p := byNum[n]
		switch {
		case len(p.up) != 1 || len(p.down) > 1:
			errs = append(errs, fmt.Errorf("migration %s: number used by more than one migration: %v %v", n, p.up, p.down))
		case len(p.down) == 0:
			errs = append(errs, fmt.Errorf("migration %s: %s has no .down.sql", n, p.up[0]))
		case p.up[0][:len(p.up[0])-len(".up.sql")] != p.down[0][:len(p.down[0])-len(".down.sql")]:
			errs = append(errs, fmt.Errorf("migration %s: up and down names differ: %s, %s", n, p.up[0], p.down[0]))
		}
	}
	return errors.Join(errs...)
}

// newMigrate returns a migrator over the embedded files. Each migration file
// runs in one transaction (golang-migrate's pgx driver wraps multi-statement
// files; our files also avoid statements that cannot run in one).
func newMigrate(pool *pgxpool.Pool) (*migrate.Migrate, func(), error) {
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return nil, nil, err
	}
	db := stdlib.OpenDBFromPool(pool)
	drv, err := migratepgx.WithInstance(db, &migratepgx.Config{MultiStatementEnabled: false})
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("migrate: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", drv)
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("migrate: %w", err)
	}
	return m, func() { m.Close() }, nil
}

// MigrateUp applies every pending migration. A database at a version
// this binary has no migration for is refused with what to do: a newer
// binary's, or a development database made before the baseline migration,
// which is dropped and created again (docs/operations.md, "Upgrading").
func MigrateUp(ctx context.Context, pool *pgxpool.Pool) error {
	if v, _, err := SchemaVersion(ctx, pool); err != nil {
		return fmt.Errorf("migrate up: %w", err)
	} else if v > LatestVersion() {
		return fmt.Errorf("migrate up: database is at version %d, this binary's migrations end at %d: "+
			"deploy the newer binary, or drop a development database made before the baseline and create it again "+
			"(docs/operations.md, Upgrading)", v, LatestVersion())
	}
	m, done, err := newMigrate(pool)
	if err != nil {
		return err
	}
	defer done()
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate up: %w", err)
	}
	return nil
}

// MigrateDown rolls back n migrations.
func MigrateDown(ctx context.Context, pool *pgxpool.Pool, n int) error {
	m, done, err := newMigrate(pool)
	if err != nil {
		return err
	}
	defer done()
	if err := m.Steps(-n); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate down %d: %w", n, err)
	}
	return nil
}

// SchemaVersion reads the applied schema version straight from
// golang-migrate's table, so a server with a restricted role can check it.
// dirty is true when a migration failed half-way.
func SchemaVersion(ctx context.Context, q Querier) (version uint, dirty bool, err error) {
	var v int64
	err = q.QueryRow(ctx, `SELECT version, dirty FROM schema_migrations LIMIT 1`).Scan(&v, &dirty)
	if err != nil {
		if isUndefinedTable(err) || errors.Is(err, errNoRows) {
			return 0, false, nil
		}
		return 0, false, err
	}
	return uint(v), dirty, nil
}

// ErrSchemaBehind says the database needs `kijun migrate up` first.
var ErrSchemaBehind = errors.New("schema is behind")

// CheckSchema returns an error naming the command to run when the schema
// is not the one this binary was built for.
func CheckSchema(ctx context.Context, q Querier) error {
	v, dirty, err := SchemaVersion(ctx, q)
	if err != nil {
		return fmt.Errorf("reading schema version: %w", err)
	}
	want := LatestVersion()
	switch {
	case dirty:
		return fmt.Errorf("%w: migration %d failed half-way; repair the database as docs/operations.md describes", ErrSchemaBehind, v)
	case v < want:
		return fmt.Errorf("%w: database is at version %d, this binary needs %d; run `kijun migrate up`", ErrSchemaBehind, v, want)
	case v > want:
		return fmt.Errorf("database is at version %d, newer than this binary (%d); deploy the newer binary", v, want)
	}
	return nil
}
