// Package pgboot finds or starts a PostgreSQL server for `kijun dev` and the
// tests, so that a newcomer never has to set one up by hand: DATABASE_URL
// when set, else a server on 127.0.0.1:5432, else a private cluster under
// .data/ made with the machine's PostgreSQL binaries.
package pgboot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// AppRole is the role the server connects as (created by the migrations).
const AppRole = "kijun_app"

// ErrNoPostgres says no server could be found or started.
var ErrNoPostgres = errors.New("PostgreSQL not found: install it with `sudo apt-get install postgresql` or set DATABASE_URL")

// AdminURL returns the URL of a server where Kijun may create databases and
// roles. dataDir is where a private cluster lives if one is needed.
func AdminURL(ctx context.Context, dataDir string) (string, error) {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u, nil
	}
	local := "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	if ping(ctx, local) == nil {
		return local, nil
	}
	return startPrivate(ctx, dataDir)
}

func ping(ctx context.Context, u string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	return c.Close(ctx)
}

// EnsureDatabase creates database name on the admin server if it is missing
// and lets the application role log in (trust or peer auth in development;
// production gives the role a password, see docs/configuration.md). It
// returns the owner URL and the application URL of the database.
func EnsureDatabase(ctx context.Context, adminURL, name string) (ownerURL, appURL string, err error) {
	return Prepare(ctx, WithDatabase(adminURL, name), true)
}

// Prepare makes the server named by ownerURL ready for `kijun dev`: it
// creates the URL's database when it is missing, checks that the URL's user
// may create the schema there, and (withApp) creates the application role
// or gives it LOGIN. It returns the owner's URL (database kijun when the
// URL names none) and the URL the server connects as. When the
// URL's user may not do one of these, the error says exactly what is
// missing and the command that fixes it.
func Prepare(ctx context.Context, ownerURL string, withApp bool) (owner, app string, err error) {
	return prepare(ctx, ownerURL, AppRole, withApp)
}

// prepare is Prepare for an application role of any name (tests use
// their own, so as not to change the one other tests log in as).
func prepare(ctx context.Context, ownerURL, appRole string, withApp bool) (string, string, error) {
	p, err := url.Parse(ownerURL)
	if err != nil || p.Scheme == "" {
		return "", "", fmt.Errorf("DATABASE_URL %q is not a postgres:// URL", redact(ownerURL))
	}
	name := strings.TrimPrefix(p.Path, "/")
	if name == "" {
		name = "kijun"
		ownerURL = WithDatabase(ownerURL, name)
	}
	if err := createDatabase(ctx, ownerURL, name); err != nil {
		return "", "", err
	}
	c, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		return "", "", fmt.Errorf("connecting to %s: %w", redact(ownerURL), err)
	}
	defer c.Close(ctx)
	var who string
	var createSchema, createDB bool
	if err := c.QueryRow(ctx, `SELECT current_user,
		has_schema_privilege('public', 'CREATE'), has_database_privilege(current_database(), 'CREATE')`).Scan(&who, &createSchema, &createDB); err != nil {
		return "", "", err
	}
	if !createSchema || !createDB {
		return "", "", fmt.Errorf("role %q may not create Kijun's schema in database %q: as a superuser run\n"+
			"  GRANT CREATE ON DATABASE %s TO %s; GRANT CREATE ON SCHEMA public TO %s;\n"+
			"(or `ALTER DATABASE %s OWNER TO %s`)", who, name,
			ident(name), ident(who), ident(who), ident(name), ident(who))
	}
	appURL := WithUser(ownerURL, appRole)
	if !withApp {
		return ownerURL, appURL, nil
	}
	if err := ensureLoginRole(ctx, c, appRole); err != nil {
		return "", "", err
	}
	app, err := pgx.Connect(ctx, appURL)
	if err != nil {
		return "", "", fmt.Errorf("role %s may log in but the server refused it (%w): give it a password\n"+
			"  ALTER ROLE %s PASSWORD '…';\n"+
			"and set APP_DATABASE_URL=%s", appRole, err, appRole, withPasswordHint(ownerURL, appRole))
	}
	app.Close(ctx)
	return ownerURL, appURL, nil
}

// createDatabase creates database name when it does not exist, connecting
// to the server's maintenance database as the URL's user.
func createDatabase(ctx context.Context, ownerURL, name string) error {
	c, err := pgx.Connect(ctx, ownerURL)
	if err == nil {
		return c.Close(ctx)
	}
	if !isCode(err, "3D000") { // invalid_catalog_name: the database is missing
		return fmt.Errorf("connecting to %s: %w", redact(ownerURL), err)
	}
	var maint *pgx.Conn
	for _, db := range []string{"postgres", "template1"} {
		if maint, err = pgx.Connect(ctx, WithDatabase(ownerURL, db)); err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("database %q does not exist, and connecting to the server's postgres database to create it failed: %w", name, err)
	}
	defer maint.Close(ctx)
	_, err = maint.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	switch {
	case err == nil, isCode(err, "42P04"): // duplicate_database: a parallel run made it
		return nil
	case isCode(err, "42501"): // insufficient_privilege
		return fmt.Errorf("database %q does not exist and role %q may not create databases: as a superuser run\n"+
			"  CREATE DATABASE %s OWNER %s;\n(or `ALTER ROLE %s CREATEDB`)",
			name, userOf(ownerURL), ident(name), ident(userOf(ownerURL)), ident(userOf(ownerURL)))
	}
	return fmt.Errorf("creating database %s: %w", name, err)
}

// EnsureAppRole creates the application login role if it is missing, or
// gives it LOGIN (the migrations create it NOLOGIN).
func EnsureAppRole(ctx context.Context, c *pgx.Conn) error { return ensureLoginRole(ctx, c, AppRole) }

// ensureLoginRole creates role (LOGIN) or gives it LOGIN. Two processes may
// race here (parallel test packages); the loser's error is harmless.
func ensureLoginRole(ctx context.Context, c *pgx.Conn, role string) error {
	var exists, login bool
	err := c.QueryRow(ctx, `SELECT true, rolcanlogin FROM pg_roles WHERE rolname = $1`, role).Scan(&exists, &login)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	if exists && login {
		return nil
	}
	stmt := "CREATE ROLE " + pgx.Identifier{role}.Sanitize() + " LOGIN"
	if exists {
		stmt = "ALTER ROLE " + pgx.Identifier{role}.Sanitize() + " LOGIN"
	}
	_, err = c.Exec(ctx, stmt)
	switch {
	case err == nil, isCode(err, "42710"), isCode(err, "XX000") && strings.Contains(err.Error(), "tuple concurrently updated"):
		return nil
	case isCode(err, "42501"):
		var who string
		_ = c.QueryRow(ctx, `SELECT current_user`).Scan(&who)
		if exists {
			return fmt.Errorf("role %s is not permitted to log in, and role %q may not change that: as a superuser run\n"+
				"  ALTER ROLE %s LOGIN;\n(or set APP_DATABASE_URL to a role that may log in)", role, who, ident(role))
		}
		return fmt.Errorf("role %s does not exist, and role %q may not create roles: as a superuser run\n"+
			"  CREATE ROLE %s LOGIN;\n(or `ALTER ROLE %s CREATEROLE`)", role, who, ident(role), ident(who))
	}
	return fmt.Errorf("giving role %s LOGIN: %w", role, err)
}

func isCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

// ident quotes s as an SQL identifier when it needs quoting, so that the
// statements in messages read as one would type them (messages only).
func ident(s string) string {
	if plainIdent.MatchString(s) {
		return s
	}
	return pgx.Identifier{s}.Sanitize()
}

var plainIdent = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func userOf(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		return os.Getenv("USER")
	}
	return p.User.Username()
}

// withPasswordHint is u with user role and the password left to fill in.
func withPasswordHint(u, role string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	p.User = url.UserPassword(role, "PASSWORD")
	return p.String()
}

// redact hides a URL's password.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}

// WithDatabase returns u with its database replaced.
func WithDatabase(u, db string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	p.Path = "/" + db
	return p.String()
}

// WithUser returns u with its user replaced and no password.
func WithUser(u, name string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	p.User = url.User(name)
	return p.String()
}

// startPrivate initialises (once) and starts a cluster under dataDir on a
// free port, and returns its admin URL. The port is kept in dataDir/port so
// that the next run finds the same cluster.
func startPrivate(ctx context.Context, dataDir string) (string, error) {
	bin, err := findBinaries()
	if err != nil {
		return "", err
	}
	dataDir, err = filepath.Abs(dataDir)
	if err != nil {
		return "", err
	}
	pgdata := filepath.Join(dataDir, "pg")
	sockDir := filepath.Join(dataDir, "sock")
	portFile := filepath.Join(dataDir, "port")
	if b, err := os.ReadFile(portFile); err == nil {
		u := adminURLFor(strings.TrimSpace(string(b)))
		if ping(ctx, u) == nil {
			return u, nil
		}
	}
	if err := os.MkdirAll(sockDir, 0o755); err != nil {
		return "", err
	}
	// PostgreSQL refuses to run as root; run it as the postgres user then.
	var runAs []string
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			return "", fmt.Errorf("running as root and there is no postgres user to run the private cluster as: %w", err)
		}
		runAs = []string{"runuser", "-u", "postgres", "--"}
		if err := exec.Command("chown", "-R", "postgres", dataDir).Run(); err != nil {
			return "", fmt.Errorf("chown %s: %w", dataDir, err)
		}
	}
	run := func(name string, args ...string) error {
		full := append(append(append([]string{}, runAs...), filepath.Join(bin, name)), args...)
		cmd := exec.CommandContext(ctx, full[0], full[1:]...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", name, err, out)
		}
		return nil
	}
	if _, err := os.Stat(filepath.Join(pgdata, "PG_VERSION")); err != nil {
		if err := run("initdb", "-D", pgdata, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"); err != nil {
			return "", err
		}
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", port, sockDir)
	if err := run("pg_ctl", "-D", pgdata, "-l", filepath.Join(dataDir, "postgres.log"), "-o", opts, "-w", "start"); err != nil {
		return "", err
	}
	if err := os.WriteFile(portFile, []byte(strconv.Itoa(port)), 0o644); err != nil {
		return "", err
	}
	return adminURLFor(strconv.Itoa(port)), nil
}

func adminURLFor(port string) string {
	return "postgres://postgres@127.0.0.1:" + port + "/postgres?sslmode=disable"
}

// findBinaries returns the newest /usr/lib/postgresql/N/bin with initdb.
func findBinaries() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(dirs) == 0 {
		return "", ErrNoPostgres
	}
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	return filepath.Dir(dirs[0]), nil
}

func version(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
