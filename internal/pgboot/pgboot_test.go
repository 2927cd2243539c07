package pgboot

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestPrivateCluster initialises and starts a cluster under a temporary
// directory, as `make dev` does on a machine with no server running, and
// finds the same cluster again on the second call.
func TestPrivateCluster(t *testing.T) {
	if _, err := findBinaries(); err != nil {
		t.Fatalf("PostgreSQL binaries: %v (install with `sudo apt-get install postgresql`)", err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		// The cluster runs as the postgres user, who must reach the directory.
		if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	u, err := startPrivate(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		bin, _ := findBinaries()
		args := []string{filepath.Join(bin, "pg_ctl"), "-D", filepath.Join(dir, "pg"), "-m", "immediate", "stop"}
		if os.Geteuid() == 0 {
			args = append([]string{"runuser", "-u", "postgres", "--"}, args...)
		}
		_ = exec.Command(args[0], args[1:]...).Run()
	})
	c, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("connecting to the private cluster: %v", err)
	}
	if err := EnsureAppRole(ctx, c); err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)

	owner, app, err := EnsureDatabase(ctx, u, "kijun")
	if err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{owner, app} {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		c.Close(ctx)
	}
	again, err := startPrivate(ctx, dir)
	if err != nil || again != u {
		t.Fatalf("second start: %q, %v; want the running cluster %q", again, err, u)
	}
}

// testServer returns the admin URL of the server the tests use and a name
// unique to this run, for databases and roles the test drops again.
func testServer(t *testing.T) (context.Context, *pgx.Conn, string, string) {
	t.Helper()
	ctx := context.Background()
	admin, err := AdminURL(ctx, filepath.Join("..", "..", ".data"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(ctx) })
	var super bool
	if err := c.QueryRow(ctx, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super); err != nil || !super {
		t.Skipf("the test server's user is not a superuser (%v)", err)
	}
	return ctx, c, admin, fmt.Sprintf("kijun_pgboot_%d_%d", os.Getpid(), time.Now().UnixNano())
}

func exec1(t *testing.T, c *pgx.Conn, sql string) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// `make dev` against a server named by DATABASE_URL: a database that does
// not exist yet is created, and the application role that the migrations
// made NOLOGIN gets LOGIN, so that the server can connect as it.
func TestPrepareCreatesWhatIsMissing(t *testing.T) {
	ctx, c, admin, name := testServer(t)
	role := name + "_app"
	exec1(t, c, "CREATE ROLE "+role+" NOLOGIN") // as migration 000001 leaves it
	t.Cleanup(func() {
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		_, _ = c.Exec(ctx, "DROP ROLE IF EXISTS "+role)
	})
	owner, app, err := prepare(ctx, WithDatabase(admin, name), role, true)
	if err != nil {
		t.Fatal(err)
	}
	if owner != WithDatabase(admin, name) || app != WithUser(owner, role) {
		t.Errorf("owner %s, app %s", owner, app)
	}
	ac, err := pgx.Connect(ctx, app)
	if err != nil {
		t.Fatalf("the application role cannot connect: %v", err)
	}
	ac.Close(ctx)
	// Twice changes nothing.
	if _, _, err := prepare(ctx, owner, role, true); err != nil {
		t.Fatalf("second run: %v", err)
	}
}

// When the URL's user may not create what is missing, the error names
// what is missing and the statement that fixes it.
func TestPrepareSaysWhatIsMissing(t *testing.T) {
	ctx, c, admin, name := testServer(t)
	user, role := name+"_user", name+"_app"
	exec1(t, c, "CREATE ROLE "+user+" LOGIN") // neither CREATEDB nor CREATEROLE
	exec1(t, c, "CREATE ROLE "+role+" NOLOGIN")
	t.Cleanup(func() {
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		_, _ = c.Exec(ctx, "DROP ROLE IF EXISTS "+role)
		_, _ = c.Exec(ctx, "DROP ROLE IF EXISTS "+user)
	})
	url := WithUser(WithDatabase(admin, name), user)
	check := func(step string, want ...string) {
		t.Helper()
		_, _, err := prepare(ctx, url, role, true)
		if err == nil {
			t.Fatalf("%s: no error", step)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error lacks %q:\n%v", step, w, err)
			}
		}
	}
	check("no database", `database "`+name+`" does not exist`, "may not create databases", "CREATE DATABASE "+name+" OWNER "+user)

	exec1(t, c, "CREATE DATABASE "+name) // owned by the superuser: no CREATE for user
	check("no privilege", "may not create Kijun's schema", "GRANT CREATE ON DATABASE "+name+" TO "+user)

	exec1(t, c, "ALTER DATABASE "+name+" OWNER TO "+user)
	check("role without LOGIN", "role "+role+" is not permitted to log in", "ALTER ROLE "+role+" LOGIN")

	exec1(t, c, "ALTER ROLE "+role+" LOGIN")
	if _, _, err := prepare(ctx, url, role, true); err != nil {
		t.Fatalf("everything granted: %v", err)
	}
}
