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
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
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
	c, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", "", err
	}
	defer c.Close(ctx)
	if err := EnsureAppRole(ctx, c); err != nil {
		return "", "", err
	}
	var exists bool
	if err := c.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", "", err
	}
	if !exists {
		if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil && !strings.Contains(err.Error(), "already exists") {
			return "", "", fmt.Errorf("creating database %s: %w", name, err)
		}
	}
	ownerURL = WithDatabase(adminURL, name)
	return ownerURL, WithUser(ownerURL, AppRole), nil
}

// EnsureAppRole creates the application login role if it is missing. Two
// processes may race here (parallel test packages); the loser's error is
// harmless.
func EnsureAppRole(ctx context.Context, c *pgx.Conn) error {
	_, err := c.Exec(ctx, `DO $$ BEGIN
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '`+AppRole+`') THEN
			CREATE ROLE `+AppRole+` LOGIN;
		ELSE
			ALTER ROLE `+AppRole+` LOGIN;
		END IF;
	END $$`)
	if err != nil && !strings.Contains(err.Error(), "already exists") && !strings.Contains(err.Error(), "tuple concurrently updated") {
		return fmt.Errorf("creating role %s: %w", AppRole, err)
	}
	return nil
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
