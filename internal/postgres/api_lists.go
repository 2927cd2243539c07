package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/register"
)

// The API's lists page by key (docs/api.md, "Pagination"): in id order,
// the items after the id of the previous page's last, so that a page never
// repeats or skips an item when others are inserted meanwhile. Each reads
// limit+1 rows; the extra one only says that there is a next page.

// ListOperatorsAfter returns the operators the principal may see (RLS) of
// sector ("" for any), with ids above after, in id order.
func ListOperatorsAfter(ctx context.Context, tx pgx.Tx, sector string, after int64, limit int) (ops []register.Operator, more bool, err error) {
	rows, _ := tx.Query(ctx, `SELECT `+operatorColumns+` FROM operators o
		WHERE ($1 = '' OR o.sector_code = $1) AND o.id > $2 ORDER BY o.id LIMIT $3`, sector, after, limit+1)
	ops, err = pgx.CollectRows(rows, scanOperator)
	if len(ops) > limit {
		return ops[:limit], true, err
	}
	return ops, false, err
}

// ListAssessmentsAfter returns the assessments the principal may see (RLS)
// matching f's cycle, sector and status, with ids above after, in id order.
func ListAssessmentsAfter(ctx context.Context, tx pgx.Tx, f assessment.Filter, after int64, limit int) (list []assessment.Assessment, more bool, err error) {
	rows, _ := tx.Query(ctx, `SELECT `+assessmentColumns+assessmentFrom+`
		WHERE ($1 = 0 OR a.cycle_id = $1) AND ($2 = '' OR a.sector_code = $2)
		  AND ($3 = '' OR a.status = $3 OR ($3 = 'overdue' AND `+overdueSQL+`)) AND a.id > $4
		ORDER BY a.id LIMIT $5`, f.CycleID, f.Sector, f.Status, after, limit+1)
	list, err = pgx.CollectRows(rows, scanAssessment)
	if len(list) > limit {
		return list[:limit], true, err
	}
	return list, false, err
}

// ListNotificationsAfter returns the reader's notifications (RLS, and
// the inbox's own-user condition) with ids above after, in id order.
func ListNotificationsAfter(ctx context.Context, tx pgx.Tx, after int64, limit int) (list []notify.Note, more bool, err error) {
	rows, _ := tx.Query(ctx, `SELECT `+noteColumns+` FROM notifications
		WHERE user_id = kijun_user_id() AND id > $1 ORDER BY id LIMIT $2`, after, limit+1)
	list, err = pgx.CollectRows(rows, scanNote)
	if len(list) > limit {
		return list[:limit], true, err
	}
	return list, false, err
}
