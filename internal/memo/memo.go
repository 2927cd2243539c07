// Package memo is a bounded map for hints the server remembers between
// requests (an assessment's tenant, a session's principal), each of which
// the database checks again before anything depends on it.
package memo

import "sync"

// Bounded maps keys to values, safe for concurrent use, holding at most
// Max entries: when full it starts over, which costs the next requests a
// read each and needs no bookkeeping of age or use.
type Bounded[K comparable, V any] struct {
	Max int

	mu sync.Mutex
	m  map[K]V
}

// Get returns the value remembered for k.
func (b *Bounded[K, V]) Get(k K) (V, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.m[k]
	return v, ok
}

// Put remembers v for k.
func (b *Bounded[K, V]) Put(k K, v V) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil || len(b.m) >= b.Max {
		b.m = make(map[K]V)
	}
	b.m[k] = v
}

// Forget drops what is remembered for k.
func (b *Bounded[K, V]) Forget(k K) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, k)
}
