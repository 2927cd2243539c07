package main

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/kijun-portal/kijun/internal/postgres"
)

// cmdAudit runs `kijun audit verify`: it walks every chain of the audit log
// as the schema owner (who sees all rows) and reports the first broken
// link of each. It prints the chain heads so that they can be archived
// elsewhere: a head kept outside the database detects even a rewrite of a
// whole chain's tail.
func cmdAudit(ctx context.Context, args []string) error {
	cfg, rest, err := ownerConfig("audit", args)
	if err != nil {
		return err
	}
	if len(rest) != 1 || rest[0] != "verify" {
		return fmt.Errorf("usage: kijun audit verify")
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
	fmt.Printf("audit log intact: %d chains, %d events\n", len(heads), events)
	return nil
}
