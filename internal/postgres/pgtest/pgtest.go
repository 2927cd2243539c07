// Package pgtest gives each test its own real PostgreSQL database, cloned
// from a template that is migrated and seeded once per schema version, so
// tests run in parallel and never see each other's rows.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/pgboot"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/refdata"
	"github.com/kijun-portal/kijun/migrations"
)

// DB is one test's database.
type DB struct {
	Name     string
	OwnerURL string        // the schema owner, as migrations and seeds connect
	AppURL   string        // the restricted role the server connects as
	Owner    *pgxpool.Pool // connected as the owner
	App      *pgxpool.Pool // connected as kijun_app
}

var (
	adminOnce sync.Once
	adminURL  string
	adminErr  error

	tmplMu    sync.Mutex
	tmplReady = map[string]bool{}
)

// Admin returns the URL of the server the tests use (see internal/pgboot).
func Admin(t testing.TB) string {
	t.Helper()
	adminOnce.Do(func() {
		adminURL, adminErr = pgboot.AdminURL(context.Background(), filepath.Join(repoRoot(), ".data"))
	})
	if adminErr != nil {
		t.Fatalf("pgtest: %v", adminErr)
	}
	return adminURL
}

// New returns a migrated and seeded database that is dropped after the test.
func New(t testing.TB) *DB {
	t.Helper()
	tmpl := template(t)
	return create(t, "TEMPLATE "+pgx.Identifier{tmpl}.Sanitize())
}

// Empty returns a database with no schema at all, for migration tests.
func Empty(t testing.TB) *DB {
	t.Helper()
	return create(t, "")
}

func create(t testing.TB, clause string) *DB {
	t.Helper()
	ctx := context.Background()
	admin := Admin(t)
	name := "kijun_t_" + randHex(6)
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name+" "+clause); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	db := &DB{Name: name, OwnerURL: pgboot.WithDatabase(admin, name)}
	db.AppURL = pgboot.WithUser(db.OwnerURL, pgboot.AppRole)
	t.Cleanup(func() {
		if db.Owner != nil {
			db.Owner.Close()
		}
		if db.App != nil {
			db.App.Close()
		}
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	if db.Owner, err = pgxpool.New(ctx, db.OwnerURL); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if db.App, err = pgxpool.New(ctx, db.AppURL); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return db
}

// template builds, once per schema and reference data, a database that
// new test databases are copied from. Test binaries of several packages run
// at once, so the build is guarded by an advisory lock on the server.
func template(t testing.TB) string {
	t.Helper()
	name := "kijun_tmpl_" + schemaHash()
	tmplMu.Lock()
	defer tmplMu.Unlock()
	if tmplReady[name] {
		return name
	}
	ctx := context.Background()
	admin := Admin(t)
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, `SELECT pg_advisory_lock(7283401)`); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer c.Exec(ctx, `SELECT pg_advisory_unlock(7283401)`)
	if err := pgboot.EnsureAppRole(ctx, c); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	var ready bool
	err = c.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1 AND datistemplate)`, name).Scan(&ready)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if !ready {
		if err := buildTemplate(ctx, c, admin, name); err != nil {
			t.Fatalf("pgtest: building template %s: %v", name, err)
		}
	}
	tmplReady[name] = true
	return name
}

func buildTemplate(ctx context.Context, c *pgx.Conn, admin, name string) error {
	if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return err
	}
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, pgboot.WithDatabase(admin, name))
	if err != nil {
		return err
	}
	err = postgres.MigrateUp(ctx, pool)
	if err == nil {
		err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return refdata.Seed(ctx, tx) })
	}
	pool.Close()
	if err != nil {
		return err
	}
	// Marked only when complete, so a crash half-way is rebuilt next time.
	_, err = c.Exec(ctx, "ALTER DATABASE "+name+" WITH is_template true")
	return err
}

// schemaHash names the template after everything that shapes it.
func schemaHash() string {
	h := sha256.New()
	_ = fs.WalkDir(migrations.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(migrations.FS, p)
			fmt.Fprintf(h, "%s\x00%s\x00", p, b)
		}
		return nil
	})
	h.Write(refdata.Fingerprint())
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// repoRoot is the directory holding go.mod, found from the working
// directory (a package's directory under `go test`).
func repoRoot() string {
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}
