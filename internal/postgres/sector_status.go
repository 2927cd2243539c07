package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// sector_status_counts holds, per cycle, sector and
// status, the number of assessments: the national and ministry
// dashboards' submission progress reads ~15 × 5 rows per cycle instead of
// counting the cycle's assessments. Statement triggers on assessments
// (INSERT, UPDATE, DELETE) keep it in the same transaction as every
// change, whoever writes. Overdue is derived by the reader from the
// cycle's due date (progressSQL).

// SectorStatusCount is one row of sector_status_counts.
type SectorStatusCount struct {
	CycleID int64
	Sector  string
	Status  string
	N       int
}

// SectorStatusCounts returns the rows of sector_status_counts the
// principal sees (the NCO all, a ministry its sectors, an operator none)
// for a cycle, skipping rows that fell to zero, by sector and status.
func SectorStatusCounts(ctx context.Context, tx pgx.Tx, cycleID int64) ([]SectorStatusCount, error) {
	rows, _ := tx.Query(ctx, `SELECT cycle_id, sector_code, status, n FROM sector_status_counts
		WHERE cycle_id = $1 AND n <> 0 ORDER BY sector_code, status`, cycleID)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[SectorStatusCount])
}

// RecomputeSectorStatusCounts counts a cycle's assessments by sector and
// status, in the shape and order of SectorStatusCounts (RLS of the reader
// applies). Tests and consistency checks compare the two.
func RecomputeSectorStatusCounts(ctx context.Context, tx pgx.Tx, cycleID int64) ([]SectorStatusCount, error) {
	rows, _ := tx.Query(ctx, `SELECT cycle_id, sector_code, status, count(*)::int FROM assessments
		WHERE cycle_id = $1 GROUP BY 1, 2, 3 ORDER BY 2, 3`, cycleID)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[SectorStatusCount])
}

// RebuildSectorStatusCounts recomputes a cycle's sector_status_counts from
// assessments (kijun_rebuild_sector_status_counts). Owner only: the
// synthetic generator calls it after its bulk load.
func RebuildSectorStatusCounts(ctx context.Context, q Querier, cycleID int64) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT kijun_rebuild_sector_status_counts($1)`, cycleID).Scan(&n)
	return n, err
}

// extendedOverdueSQL corrects the overdue count of sector s.sector_code
// in cycle c, taken from the cycle's due date, for the few owed
// assessments with a due date of their own (an extension): +1 for one
// overdue by its own date, −1 for one the cycle's date counted
// (assessments_extended, a partial index, finds them).
const extendedOverdueSQL = `coalesce((SELECT sum((a.due_on < ` + todaySQL + `)::int - (c.due_on < ` + todaySQL + `)::int)
		FROM assessments a WHERE a.cycle_id = c.id AND a.sector_code = s.sector_code AND a.due_on IS NOT NULL
			AND a.status IN ('not_started', 'in_progress', 'returned')), 0)`

// progressSQL is the dashboards' submission progress: per sector of $2
// in cycle $1, the count of assessments by status, overdue (the effective
// due date passed, Asia/Tokyo, and not started, in progress or returned:
// overdueSQL)
// and the total, from sector_status_counts; sectors without assessments
// are left out.
const progressSQL = `SELECT s.sector_code,
		coalesce(sum(s.n) FILTER (WHERE s.status = 'not_started'), 0)::int,
		coalesce(sum(s.n) FILTER (WHERE s.status = 'in_progress'), 0)::int,
		coalesce(sum(s.n) FILTER (WHERE s.status = 'submitted'), 0)::int,
		coalesce(sum(s.n) FILTER (WHERE s.status = 'returned'), 0)::int,
		coalesce(sum(s.n) FILTER (WHERE s.status = 'accepted'), 0)::int,
		(coalesce(sum(s.n) FILTER (WHERE s.status IN ('not_started', 'in_progress', 'returned')
			AND c.due_on < ` + todaySQL + `), 0) + ` + extendedOverdueSQL + `)::int,
		sum(s.n)::int
	FROM sector_status_counts s JOIN cycles c ON c.id = s.cycle_id
	WHERE s.cycle_id = $1 AND s.sector_code = ANY ($2)
	GROUP BY 1, c.id, c.due_on HAVING sum(s.n) > 0`
