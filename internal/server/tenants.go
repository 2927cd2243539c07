package server

import (
	"github.com/kijun-portal/kijun/internal/memo"
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
type tenantMemo = memo.Bounded[int64, postgres.Tenant]

// maxTenantMemo bounds the memo at about 2 MB (an open cycle has one
// assessment per operator, ~20,000 nationally).
const maxTenantMemo = 50_000
