package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/identity"
)

// EnrollInOpenCycles gives operators designated (or reinstated) while a
// cycle is open their assessment in every open cycle, against their
// sector's profile as the cycle would have chosen it. The register calls it
// in the same transaction as the designation, so no operator is ever
// missed.
func EnrollInOpenCycles(ctx context.Context, tx pgx.Tx, p *identity.Principal, requestID string, operatorIDs ...int64) error {
	cycles, err := ListCycles(ctx, tx)
	if err != nil {
		return err
	}
	for _, cy := range cycles {
		if cy.Status != assessment.CycleOpen {
			continue
		}
		for _, id := range operatorIDs {
			if _, _, err := EnsureAssessment(ctx, tx, p, cy.ID, id, ProfileSelector(cy.FiscalYear), requestID); err != nil {
				return err
			}
		}
	}
	return nil
}
