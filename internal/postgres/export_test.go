package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/exchange"
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
