package server

import (
	"sync"

	"github.com/kijun-portal/kijun/internal/postgres"
)

// tenantMemo remembers each assessment's tenant for the autosave, so that
// a save asks the policy without first reading the assessment (one round
// trip fewer; docs/performance.md, "Saving an answer"). It is only a hint:
// the save holds the tenant the policy decided on (kijun_lock_editable,
// migration 000015) and fails if the assessment is not that tenant's as
// the principal sees it, and the handler then forgets it and reads again.
// So a stale entry never lets a save through, and one principal's entry
// tells another nothing: the policy answers from it exactly as it would
// from the row, and a save it allows still runs under row-level security.
type tenantMemo struct {
	mu sync.Mutex
	m  map[int64]postgres.Tenant
}

// maxTenantMemo bounds the memo at about 2 MB; when full it starts over
// (an open cycle has one assessment per operator, ~20,000 nationally).
const maxTenantMemo = 50_000

func (t *tenantMemo) get(id int64) (postgres.Tenant, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.m[id]
	return v, ok
}

func (t *tenantMemo) put(id int64, v postgres.Tenant) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil || len(t.m) >= maxTenantMemo {
		t.m = make(map[int64]postgres.Tenant)
	}
	t.m[id] = v
}

func (t *tenantMemo) forget(id int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, id)
}
