// Package figcache keeps computed dashboard figures in memory between the
// changes that alter them (docs/dashboards.md, "Figure cache").
//
// Every change to what the figures are computed from commits a
// notification on PostgreSQL's channel kijun_figures (migration 000010);
// Run LISTENs to it and drops everything cached on each one. While it is
// not listening (starting, or the connection lost) the cache holds nothing
// and every lookup misses, so a figure is never served stale for lack of a
// notification. Lookups return a token; a value computed after a lookup is
// stored only if no change arrived in between, so a figure read from data
// older than a change is never stored after that change's flush.
package figcache

import (
	"container/list"
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Channel is the notification channel the triggers of migration 000010
// notify.
const Channel = "kijun_figures"

// Cache is a byte-bounded, least-recently-used map of figures, emptied on
// every change notification. The zero value is not usable; call New.
type Cache struct {
	maxBytes int

	mu    sync.Mutex
	gen   uint64 // advanced by every flush
	live  bool   // listening: values may be stored
	items map[string]*list.Element
	lru   list.List // of *item, most recently used first
	bytes int

	hits, misses, flushes atomic.Int64
}

type item struct {
	key  string
	val  any
	size int
}

// Token is the cache's state at a lookup; Put stores only under the same
// state.
type Token struct{ gen uint64 }

// New returns an empty cache holding at most maxBytes (as its callers
// count them). It stores nothing until Run is listening.
func New(maxBytes int) *Cache {
	return &Cache{maxBytes: maxBytes, items: map[string]*list.Element{}}
}

// Get returns the value stored under key, if any, and the token to store
// a freshly computed one with.
func (c *Cache) Get(key string) (any, Token, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := Token{c.gen}
	if e, ok := c.items[key]; ok {
		c.lru.MoveToFront(e)
		c.hits.Add(1)
		return e.Value.(*item).val, t, true
	}
	c.misses.Add(1)
	return nil, t, false
}

// Put stores val under key unless a change arrived since the lookup that
// gave t, or the cache is not listening. A value larger than a quarter of
// the cache is not stored.
func (c *Cache) Put(key string, t Token, val any, size int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || t.gen != c.gen || size > c.maxBytes/4 {
		return
	}
	if e, ok := c.items[key]; ok {
		c.remove(e)
	}
	c.items[key] = c.lru.PushFront(&item{key: key, val: val, size: size})
	c.bytes += size
	for c.bytes > c.maxBytes {
		c.remove(c.lru.Back())
	}
}

func (c *Cache) remove(e *list.Element) {
	it := c.lru.Remove(e).(*item)
	delete(c.items, it.key)
	c.bytes -= it.size
}

// Flush drops every value and invalidates every outstanding token.
func (c *Cache) Flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLocked()
}

// setLive flushes and records whether values may be stored.
func (c *Cache) setLive(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLocked()
	c.live = live
}

func (c *Cache) flushLocked() {
	c.gen++
	clear(c.items)
	c.lru.Init()
	c.bytes = 0
	c.flushes.Add(1)
}

// Stats are the cache's counters since New.
type Stats struct{ Hits, Misses, Flushes int64 }

// Stats returns the counters, for the metrics endpoint.
func (c *Cache) Stats() Stats {
	return Stats{Hits: c.hits.Load(), Misses: c.misses.Load(), Flushes: c.flushes.Load()}
}

// Run listens for change notifications on a connection of its own made
// by connect, flushing the cache on each, until ctx ends. A lost
// connection turns the cache off (and flushes it) until a new one is
// listening again, retried with a growing pause of up to 30 s.
func (c *Cache) Run(ctx context.Context, connect func(context.Context) (*pgx.Conn, error), log *slog.Logger) {
	pause := time.Second
	for ctx.Err() == nil {
		err := c.listen(ctx, connect)
		c.setLive(false)
		if ctx.Err() != nil {
			return
		}
		log.Warn("figure cache off: change notifications lost; retrying", "err", err, "in", pause.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 30*time.Second)
	}
}

func (c *Cache) listen(ctx context.Context, connect func(context.Context) (*pgx.Conn, error)) error {
	conn, err := connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	// From here on every committed change reaches this connection; what
	// was cached before (nothing, or values from before a lost connection)
	// goes.
	c.setLive(true)
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		c.Flush()
	}
}
