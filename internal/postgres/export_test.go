package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/identity"
)

// WriteImportUnchecked writes new operators through the import's staging
// table without ApplyOperatorImport's checks, so that a test can show
// row-level security alone refusing what the checks would have caught.
func WriteImportUnchecked(ctx context.Context, tx pgx.Tx, rows []exchange.OperatorRow) error {
	if err := stageImport(ctx, tx, rows, nil); err != nil {
		return err
	}
	_, err := writeImport(ctx, tx)
	return err
}

// DueRemindersSQL is the statement SendDueReminders runs, for the
// benchmark's EXPLAIN ANALYZE beside it.
const DueRemindersSQL = dueRemindersSQL

// OverdueSQLForTest is the overdue filter, for the test that derives it
// from assessment.Overdue.
const OverdueSQLForTest = overdueSQL

// EnsureAssessment is ensureAssessments for one operator, with the
// control selector a test chooses (the register enrols through
// EnrollInOpenCycles): operatorID's assessment in the open cycle cycleID,
// created true if this call made it.
func EnsureAssessment(ctx context.Context, tx pgx.Tx, p *identity.Principal, cycleID, operatorID int64, sel ControlSelector, requestID string) (int64, bool, error) {
	ids, created, err := ensureAssessments(ctx, tx, p, cycleID, []int64{operatorID}, sel, requestID)
	if err != nil {
		return 0, false, err
	}
	return ids[operatorID], created[operatorID], nil
}

// AuditEach is auditEach for a test: events with before and after at the
// same index (nil: none).
func AuditEach(ctx context.Context, tx pgx.Tx, events []audit.Event, befores, afters []any) error {
	entries := make([]auditEntry, len(events))
	for i, e := range events {
		entries[i] = auditEntry{Event: e, Before: befores[i], After: afters[i]}
	}
	return auditEach(ctx, tx, entries)
}
