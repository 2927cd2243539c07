package figcache_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/figcache"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// live returns a cache that stores values, as it does once Run listens:
// Run against a database whose notifications the test sends itself.
func live(t *testing.T, maxBytes int) (*figcache.Cache, *pgtest.DB) {
	t.Helper()
	db := pgtest.New(t)
	c := figcache.New(maxBytes)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(ctx, func(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, db.AppURL) },
			slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	t.Cleanup(func() { cancel(); <-done })
	waitFlushes(t, c, 1) // listening
	return c, db
}

// waitFlushes waits until the cache has flushed at least n times.
func waitFlushes(t *testing.T, c *figcache.Cache, n int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); c.Stats().Flushes < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("flushes: %d, want %d", c.Stats().Flushes, n)
		}
	}
}

func TestNothingStoredUntilListening(t *testing.T) {
	c := figcache.New(1 << 20)
	_, tok, _ := c.Get("k")
	c.Put("k", tok, "v", 1)
	if _, _, ok := c.Get("k"); ok {
		t.Fatal("a cache that is not listening stored a value")
	}
}

func TestGetPutAndStaleToken(t *testing.T) {
	c, _ := live(t, 1<<20)
	_, tok, ok := c.Get("k")
	if ok {
		t.Fatal("hit in an empty cache")
	}
	c.Put("k", tok, "v1", 10)
	if v, _, ok := c.Get("k"); !ok || v != "v1" {
		t.Fatalf("Get = %v, %v", v, ok)
	}
	// A value computed before a change arrives is not stored after it.
	_, tok, _ = c.Get("other")
	c.Flush()
	c.Put("other", tok, "stale", 10)
	if _, _, ok := c.Get("other"); ok {
		t.Fatal("a value computed before a flush was stored after it")
	}
	if _, _, ok := c.Get("k"); ok {
		t.Fatal("a flush left a value")
	}
	st := c.Stats()
	if st.Hits != 1 || st.Misses != 4 {
		t.Fatalf("stats %+v, want 1 hit and 4 misses", st)
	}
}

func TestLeastRecentlyUsedGoesFirst(t *testing.T) {
	c, _ := live(t, 400)
	put := func(k string) {
		_, tok, _ := c.Get(k)
		c.Put(k, tok, k, 100)
	}
	put("a")
	put("b")
	put("c")
	put("d")
	c.Get("a") // a is now the most recently used
	put("e")   // 500 bytes: the least recently used, b, goes
	for k, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true, "e": true} {
		if _, _, ok := c.Get(k); ok != want {
			t.Errorf("%s cached: %v, want %v", k, ok, want)
		}
	}
	// Larger than a quarter of the cache: not stored at all.
	_, tok, _ := c.Get("big")
	c.Put("big", tok, "big", 101)
	if _, _, ok := c.Get("big"); ok {
		t.Error("a value over a quarter of the cache was stored")
	}
}

// A committed notification empties the cache; one in a transaction that
// rolls back does not.
func TestNotificationFlushes(t *testing.T) {
	c, db := live(t, 1<<20)
	ctx := context.Background()
	put := func() {
		_, tok, _ := c.Get("k")
		c.Put("k", tok, "v", 1)
		if _, _, ok := c.Get("k"); !ok {
			t.Fatal("not stored")
		}
	}
	put()
	tx, err := db.App.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify('kijun_figures', 'test')`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	before := c.Stats().Flushes
	if _, err := db.App.Exec(ctx, `SELECT pg_notify('kijun_figures', 'test')`); err != nil {
		t.Fatal(err)
	}
	waitFlushes(t, c, before+1)
	if c.Stats().Flushes != before+1 {
		t.Errorf("flushes %d, want %d: the rolled-back notification arrived", c.Stats().Flushes, before+1)
	}
	if _, _, ok := c.Get("k"); ok {
		t.Error("the notification left the value")
	}
}

// A lost connection turns the cache off until it listens again.
func TestLostConnectionTurnsCacheOff(t *testing.T) {
	c, db := live(t, 1<<20)
	ctx := context.Background()
	_, tok, _ := c.Get("k")
	c.Put("k", tok, "v", 1)
	before := c.Stats().Flushes
	admin, err := pgx.Connect(ctx, pgtest.Admin(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var n int
	if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = $1 AND query LIKE 'LISTEN%'`, db.Name).Scan(&n); err != nil || n != 1 {
		t.Fatalf("terminated %d listeners: %v", n, err)
	}
	waitFlushes(t, c, before+1) // off
	if _, _, ok := c.Get("k"); ok {
		t.Fatal("values survived the lost connection")
	}
	waitFlushes(t, c, before+2) // listening again, after a pause of a second
	_, tok, _ = c.Get("k")
	c.Put("k", tok, "v", 1)
	if _, _, ok := c.Get("k"); !ok {
		t.Fatal("the cache stores nothing after reconnecting")
	}
}
