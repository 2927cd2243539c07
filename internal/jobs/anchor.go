package jobs

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/postgres"
)

// AuditAnchorName is the audit-anchor job's name in job_runs.
const AuditAnchorName = "audit-anchor"

// AnchorHead is one chain's head as recorded in audit_anchors.heads.
type AnchorHead struct {
	Chain  string `json:"chain"`
	Events int64  `json:"events"`
	Hash   string `json:"hash"` // hex
}

// AnchorBreak is one broken chain as recorded in audit_anchors.breaks.
type AnchorBreak struct {
	Chain  string `json:"chain"`
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

// AnchorResult is what one run of the audit-anchor job found.
type AnchorResult struct {
	Intact bool          `json:"intact"`
	Chains int           `json:"chains"`
	Events int64         `json:"events"`
	Breaks []AnchorBreak `json:"breaks"`
}

// AuditAnchor is the nightly job that verifies the audit log
// (postgres.VerifyAudit) and records every chain's head in audit_anchors.
// It also checks the log against the previous anchor: the event that was a
// chain's head then must still be there with the same hash. That catches
// what VerifyAudit alone cannot — a tail rewritten and re-hashed so that
// the chain is consistent again. The heads are also written to the log,
// so that a copy lives outside the database (log shipping).
func AuditAnchor(every, at time.Duration, log *slog.Logger) Job {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return Job{Name: AuditAnchorName, Every: every, At: at,
		Run: func(ctx context.Context, tx pgx.Tx, period time.Time) (any, error) {
			res, heads, err := anchor(ctx, tx)
			if err != nil {
				return nil, err
			}
			hj, _ := json.Marshal(heads)
			bj, _ := json.Marshal(res.Breaks)
			if _, err := tx.Exec(ctx, `INSERT INTO audit_anchors (period, intact, chains, events, heads, breaks)
				VALUES ($1, $2, $3, $4, $5, $6)`, period, res.Intact, res.Chains, res.Events, hj, bj); err != nil {
				return nil, err
			}
			if res.Intact {
				log.Info("audit log intact", "job", AuditAnchorName, "chains", res.Chains, "events", res.Events, "heads", string(hj))
			} else {
				log.Error("AUDIT LOG BROKEN", "job", AuditAnchorName, "chains", res.Chains, "breaks", string(bj), "heads", string(hj))
			}
			return res, nil
		}}
}

// anchor verifies the log and compares it with the latest anchor.
func anchor(ctx context.Context, tx pgx.Tx) (AnchorResult, []AnchorHead, error) {
	breaks, heads, err := postgres.VerifyAudit(ctx, tx)
	if err != nil {
		return AnchorResult{}, nil, fmt.Errorf("verifying the audit log: %w", err)
	}
	res := AnchorResult{Chains: len(heads), Breaks: []AnchorBreak{}}
	broken := map[string]bool{}
	for _, b := range breaks {
		broken[b.Chain] = true
		res.Breaks = append(res.Breaks, AnchorBreak{Chain: b.Chain, Seq: b.Seq, Reason: b.Reason})
	}
	out := make([]AnchorHead, 0, len(heads))
	for _, h := range heads {
		res.Events += h.Events
		out = append(out, AnchorHead{Chain: h.Chain, Events: h.Events, Hash: hex.EncodeToString(h.Hash)})
	}
	var prevJSON []byte
	err = tx.QueryRow(ctx, `SELECT heads FROM audit_anchors ORDER BY id DESC LIMIT 1`).Scan(&prevJSON)
	if err != nil && err != pgx.ErrNoRows {
		return res, nil, err
	}
	var prev []AnchorHead
	if len(prevJSON) > 0 {
		if err := json.Unmarshal(prevJSON, &prev); err != nil {
			return res, nil, fmt.Errorf("previous anchor: %w", err)
		}
	}
	for _, p := range prev {
		if broken[p.Chain] || p.Events == 0 {
			continue
		}
		want, _ := hex.DecodeString(p.Hash)
		var got []byte
		err := tx.QueryRow(ctx, `SELECT hash FROM audit_events WHERE chain = $1 AND seq = $2`, p.Chain, p.Events).Scan(&got)
		reason := ""
		switch {
		case err == pgx.ErrNoRows:
			reason = fmt.Sprintf("event %d, the chain's head at the previous anchor, is gone", p.Events)
		case err != nil:
			return res, nil, err
		case !bytes.Equal(got, want):
			reason = fmt.Sprintf("event %d differs from the chain's head recorded at the previous anchor (rewritten since)", p.Events)
		}
		if reason != "" {
			broken[p.Chain] = true
			res.Breaks = append(res.Breaks, AnchorBreak{Chain: p.Chain, Seq: p.Events, Reason: reason})
		}
	}
	res.Intact = len(res.Breaks) == 0
	return res, out, nil
}
