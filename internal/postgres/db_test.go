package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// TestOpenPoolSize: Open makes at least twelve connections unless the URL
// says how many.
func TestOpenPoolSize(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	size := func(url string) int32 {
		t.Helper()
		pool, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		return pool.Config().MaxConns
	}
	if n := size(db.AppURL); n < 12 {
		t.Errorf("default pool: %d connections, want at least 12", n)
	}
	sep := "?"
	if strings.Contains(db.AppURL, "?") {
		sep = "&"
	}
	if n := size(db.AppURL + sep + "pool_max_conns=3"); n != 3 {
		t.Errorf("pool_max_conns=3: %d connections", n)
	}
}
