package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"os"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// cmdAudit runs `kijun audit verify [-anchors FILE]`: it walks every chain
// of the audit log as the schema owner (who sees all rows) and reports the
// first broken link of each, then compares every chain with its latest
// anchor in audit_anchors and, with -anchors, with every head in FILE (the
// AUDIT_ANCHOR_FILE the audit-anchor job appends to, or its "audit anchor"
// log lines). A chain rewritten and re-hashed consistently passes the walk
// but not the anchors taken before the rewrite; the database's own anchors
// are as rewritable as the log, the file kept elsewhere is not.
func cmdAudit(ctx context.Context, args []string) error {
	cfg, rest, err := ownerConfig("audit", args)
	if err != nil {
		return err
	}
	usage := fmt.Errorf("usage: kijun audit verify [-anchors FILE]")
	if len(rest) == 0 || rest[0] != "verify" {
		return usage
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	file := fs.String("anchors", "", "file of anchors written outside the database (AUDIT_ANCHOR_FILE), one JSON line per chain head")
	if err := fs.Parse(rest[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usage
	}
	var outside []audit.ChainHead
	if *file != "" {
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		outside, err = audit.ReadAnchors(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *file, err)
		}
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	breaks, heads, err := postgres.VerifyAudit(ctx, db)
	if err != nil {
		return err
	}
	latest, err := postgres.LatestAnchors(ctx, db)
	if err != nil {
		return err
	}
	if breaks, err = postgres.CheckAnchors(ctx, db, breaks, latest, "the latest anchor in the database"); err != nil {
		return err
	}
	if *file != "" {
		if breaks, err = postgres.CheckAnchors(ctx, db, breaks, outside, *file); err != nil {
			return err
		}
	}
	var events int64
	for _, h := range heads {
		events += h.Events
		fmt.Printf("chain %-24s %8d events  head %s\n", h.Chain, h.Events, hex.EncodeToString(h.Hash))
	}
	for _, b := range breaks {
		fmt.Printf("BROKEN chain %s at event %d (id %d): %s\n", b.Chain, b.Seq, b.EventID, b.Reason)
	}
	if len(breaks) > 0 {
		return fmt.Errorf("audit log: %d of %d chains broken", len(breaks), len(heads))
	}
	fmt.Printf("audit log intact: %d chains, %d events; %d anchored heads in the database", len(heads), events, len(latest))
	if *file != "" {
		fmt.Printf(", %d in %s", len(outside), *file)
	}
	fmt.Println()
	return nil
}
