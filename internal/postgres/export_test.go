package postgres

// ExpireOversightCache makes the next principal read refresh the
// ministry → sectors map, as it does once a minute.
func ExpireOversightCache() {
	oversightCache.Lock()
	defer oversightCache.Unlock()
	oversightCache.m = nil
}
