package jobs

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/audit"
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
// (postgres.VerifyAudit), checks it against the latest anchor
// (postgres.CheckAnchors: the event that was each chain's head then must
// still be there with the same hash, which catches a tail rewritten and
// re-hashed so that the chain is consistent again) and records every
// chain's head in audit_anchors.
//
// Anchors in the database are within reach of whoever can rewrite the log
// itself (a database superuser, the schema owner), so each head is also
// written outside it: one "audit anchor" line per chain to log (ship the
// log elsewhere) and, when file is set (AUDIT_ANCHOR_FILE), one JSON line
// per chain appended to that file, fsynced before the run commits.
// `kijun audit verify -anchors` checks the log against either.
func AuditAnchor(every, at time.Duration, log *slog.Logger, file string) Job {
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
			now := time.Now().UTC()
			var lines []byte
			for _, h := range heads {
				if h.Events == 0 {
					continue
				}
				log.Info("audit anchor", "job", AuditAnchorName, "chain", h.Chain, "seq", h.Events, "hash", h.Hash)
				l, _ := json.Marshal(audit.Anchor{At: now, Chain: h.Chain, Seq: h.Events, Hash: h.Hash})
				lines = append(append(lines, l...), '\n')
			}
			if file != "" {
				if err := appendSync(file, lines); err != nil {
					return nil, fmt.Errorf("writing the anchors file: %w", err)
				}
			}
			if res.Intact {
				log.Info("audit log intact", "job", AuditAnchorName, "chains", res.Chains, "events", res.Events)
			} else {
				log.Error("AUDIT LOG BROKEN", "job", AuditAnchorName, "chains", res.Chains, "breaks", string(bj))
			}
			return res, nil
		}}
}

// appendSync appends b to the file name (created if need be, readable by
// its owner only) and flushes it to disk.
func appendSync(name string, b []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// anchor verifies the log and compares it with the latest anchor.
func anchor(ctx context.Context, tx pgx.Tx) (AnchorResult, []AnchorHead, error) {
	breaks, heads, err := postgres.VerifyAudit(ctx, tx)
	if err != nil {
		return AnchorResult{}, nil, fmt.Errorf("verifying the audit log: %w", err)
	}
	prev, err := postgres.LatestAnchors(ctx, tx)
	if err != nil {
		return AnchorResult{}, nil, fmt.Errorf("reading the latest anchors: %w", err)
	}
	if breaks, err = postgres.CheckAnchors(ctx, tx, breaks, prev, "the previous anchor"); err != nil {
		return AnchorResult{}, nil, fmt.Errorf("checking the latest anchors: %w", err)
	}
	res := AnchorResult{Chains: len(heads), Breaks: []AnchorBreak{}, Intact: len(breaks) == 0}
	for _, b := range breaks {
		res.Breaks = append(res.Breaks, AnchorBreak{Chain: b.Chain, Seq: b.Seq, Reason: b.Reason})
	}
	out := make([]AnchorHead, 0, len(heads))
	for _, h := range heads {
		res.Events += h.Events
		out = append(out, AnchorHead{Chain: h.Chain, Events: h.Events, Hash: hex.EncodeToString(h.Hash)})
	}
	return res, out, nil
}
