package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/dashboard"
)

// sector_rollups holds, per cycle, sector and
// dimension, the sums of the assessment_rollups of the assessments that
// count (submitted or accepted): the national and ministry dashboards read
// 15 × ~30 rows per cycle instead of every operator's rollups. Triggers on
// assessment_rollups and on assessments' status keep it in the same
// transaction as every submit, accept and return, whoever writes.

// SectorRollup is one row of sector_rollups.
type SectorRollup struct {
	CycleID        int64
	Sector         string
	Kind           string
	Key            string
	Assessments    int    // rollup rows that count
	Scored         int    // of which with a score
	SumScore       string // Σ score, exact (numeric as text)
	Controls       int
	Answered       int
	Applicable     int
	Implemented    int
	Partial        int
	NotImplemented int
	NA             int
}

const sectorRollupColumns = `cycle_id, sector_code, kind, key, assessments, scored, sum_score::text,
	controls, answered, applicable, implemented, partial, not_implemented, na`

// SectorRollups returns the rows of sector_rollups the principal sees (the
// NCO all, a ministry its sectors, an operator none) for a cycle, skipping
// rows that fell to zero, ordered by sector, kind and key.
func SectorRollups(ctx context.Context, tx pgx.Tx, cycleID int64) ([]SectorRollup, error) {
	rows, _ := tx.Query(ctx, `SELECT `+sectorRollupColumns+` FROM sector_rollups
		WHERE cycle_id = $1 AND assessments > 0 ORDER BY sector_code, kind, key`, cycleID)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[SectorRollup])
}

// RecomputeSectorRollups computes what sector_rollups must hold for a
// cycle from assessment_rollups and the assessments' status, in the same
// shape and order as SectorRollups (RLS of the reader applies). Tests and
// consistency checks compare the two.
func RecomputeSectorRollups(ctx context.Context, tx pgx.Tx, cycleID int64) ([]SectorRollup, error) {
	rows, _ := tx.Query(ctx, `SELECT r.cycle_id, r.sector_code, r.kind, r.key, count(*)::int, count(r.score)::int,
			coalesce(sum(r.score), 0)::numeric(14,4)::text,
			sum(r.controls)::int, sum(r.answered)::int, sum(r.applicable)::int, sum(r.implemented)::int,
			sum(r.partial)::int, sum(r.not_implemented)::int, sum(r.na)::int
		FROM assessment_rollups r JOIN assessments a ON a.id = r.assessment_id
		WHERE r.cycle_id = $1 AND a.status IN ('submitted', 'accepted')
		GROUP BY 1, 2, 3, 4 ORDER BY 2, 3, 4`, cycleID)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[SectorRollup])
}

// RebuildSectorRollups recomputes a cycle's sector_rollups from
// assessment_rollups (kijun_rebuild_sector_rollups). Owner only: the
// synthetic generator calls it after its bulk load.
func RebuildSectorRollups(ctx context.Context, q Querier, cycleID int64) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT kijun_rebuild_sector_rollups($1)`, cycleID).Scan(&n)
	return n, err
}

// SectorBenchmarkTx returns the anonymised benchmark of a sector in a
// cycle for an operator's scorecard, in the principal's transaction: per
// overall, section and theme, the number of scores and, for groups of at
// least MinBenchmarkGroup, the quartiles (continuous percentiles). The
// database function kijun_sector_benchmark reads the other operators'
// rollups as its owner, returns aggregates only with the suppression
// applied, and answers only for a sector the principal may benchmark
// against (one of its operators' sectors, a sector its ministry oversees,
// the NCO any); for any other sector the result is empty.
func SectorBenchmarkTx(ctx context.Context, tx pgx.Tx, cycleID int64, sector string) ([]dashboard.Benchmark, error) {
	var list []dashboard.Benchmark
	b := &pgx.Batch{}
	queueBenchmark(b, &list, cycleID, sector)
	return list, tx.SendBatch(ctx, b).Close()
}

func queueBenchmark(b *pgx.Batch, list *[]dashboard.Benchmark, cycleID int64, sector string) {
	b.Queue(`SELECT kind, key, n, quartiles FROM kijun_sector_benchmark($1, $2)`, cycleID, sector).Query(func(rows pgx.Rows) (err error) {
		*list, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (dashboard.Benchmark, error) {
			var b dashboard.Benchmark
			var q []float64
			if err := r.Scan(&b.Kind, &b.Key, &b.N, &q); err != nil {
				return b, err
			}
			if len(q) == 3 && b.N >= dashboard.MinBenchmarkGroup {
				b.Q1, b.Median, b.Q3 = round4(q[0]), round4(q[1]), round4(q[2])
			}
			return b, nil
		})
		return err
	})
}
