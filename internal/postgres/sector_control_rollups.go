package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// sector_control_rollups holds, per cycle, sector and
// control, the sums of the answers of the assessments that count
// (submitted or accepted): a ministry's weakest controls read one
// sector's ~100 rows instead of its answers. A trigger on assessments
// keeps it whenever an assessment moves into or out of counting (the
// answers of one that counts are locked).

// SectorControlRollup is one row of sector_control_rollups.
type SectorControlRollup struct {
	CycleID        int64
	Sector         string
	Ref            string
	Answers        int
	Implemented    int
	Partial        int
	NotImplemented int
	NA             int
	SumWeight      string // Σ weight of the applicable answers, exact (numeric as text)
}

// SectorControlRollups returns the rows the principal sees for a cycle,
// skipping rows that fell to zero, ordered by sector and ref.
func SectorControlRollups(ctx context.Context, tx pgx.Tx, cycleID int64) ([]SectorControlRollup, error) {
	rows, _ := tx.Query(ctx, `SELECT cycle_id, sector_code, ref, answers, implemented, partial, not_implemented, na,
			sum_weight::text
		FROM sector_control_rollups WHERE cycle_id = $1 AND answers <> 0 ORDER BY sector_code, ref`, cycleID)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[SectorControlRollup])
}

// RecomputeSectorControlRollups computes what sector_control_rollups must
// hold for a cycle from the answers, in the shape and order of
// SectorControlRollups (RLS of the reader applies), for tests and
// consistency checks.
func RecomputeSectorControlRollups(ctx context.Context, tx pgx.Tx, cycleID int64) ([]SectorControlRollup, error) {
	rows, _ := tx.Query(ctx, `SELECT a.cycle_id, a.sector_code, x.ref, count(*)::int,
			(count(*) FILTER (WHERE x.status = 'implemented'))::int, (count(*) FILTER (WHERE x.status = 'partial'))::int,
			(count(*) FILTER (WHERE x.status = 'not_implemented'))::int, (count(*) FILTER (WHERE sc.weight IS NULL))::int,
			coalesce(sum(sc.weight), 0)::numeric(14,2)::text
		FROM assessments a JOIN answers x ON x.assessment_id = a.id JOIN answer_scale sc ON sc.code = x.status
		WHERE a.cycle_id = $1 AND a.status IN ('submitted', 'accepted')
		GROUP BY 1, 2, 3 ORDER BY 2, 3`, cycleID)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[SectorControlRollup])
}

// RebuildSectorControlRollups recomputes a cycle's sector_control_rollups
// from the answers (kijun_rebuild_sector_control_rollups). Owner only: the
// synthetic generator calls it after its bulk load.
func RebuildSectorControlRollups(ctx context.Context, q Querier, cycleID int64) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT kijun_rebuild_sector_control_rollups($1)`, cycleID).Scan(&n)
	return n, err
}
