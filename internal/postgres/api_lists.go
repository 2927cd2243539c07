package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/incident"
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

// ListIncidentsAfter returns the incident reports the principal may see
// (RLS: its named recipients) matching f's operator, sector and status,
// with ids above after, in id order.
func ListIncidentsAfter(ctx context.Context, tx pgx.Tx, f IncidentFilter, after int64, limit int) (list []incident.Report, more bool, err error) {
	rows, _ := tx.Query(ctx, `SELECT `+incidentColumns+` FROM incidents i JOIN operators o ON o.id = i.operator_id
		WHERE ($1 = 0 OR i.operator_id = $1) AND ($2 = '' OR i.sector_code = $2) AND ($3 = '' OR i.status = $3)
		  AND NOT ($4 AND i.tlp = 'red') AND i.id > $5
		ORDER BY i.id LIMIT $6`, f.OperatorID, f.SectorCode, string(f.Status), f.NoRed, after, limit+1)
	list, err = pgx.CollectRows(rows, scanIncident)
	if len(list) > limit {
		return list[:limit], true, err
	}
	return list, false, err
}

// ListIncidentSummariesAfter returns the summaries of the principal's
// audience (RLS), with ids above after, in id order.
func ListIncidentSummariesAfter(ctx context.Context, tx pgx.Tx, after int64, limit int) (list []incident.Summary, more bool, err error) {
	rows, _ := tx.Query(ctx, `SELECT id, coalesce(sector_code, ''), tlp, title, body, kind, published_at
		FROM incident_summaries WHERE id > $1 ORDER BY id LIMIT $2`, after, limit+1)
	list, err = pgx.CollectRows(rows, scanSummary)
	if len(list) > limit {
		return list[:limit], true, err
	}
	return list, false, err
}
