package pgboot

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

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
