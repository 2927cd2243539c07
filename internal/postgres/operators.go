package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/register"
)

const operatorColumns = `o.id, o.corporate_number, coalesce(o.local_gov_code, ''), o.name_ja, o.name_en, o.sector_code,
	o.designation, coalesce(o.designated_since, '0001-01-01'), coalesce(o.designated_by, ''), o.reason, o.status, o.version,
	coalesce((SELECT array_agg(scope_id ORDER BY scope_id) FROM operator_scopes s WHERE s.operator_id = o.id), '{}')`

func scanOperator(r pgx.CollectableRow) (register.Operator, error) {
	var o register.Operator
	err := r.Scan(&o.ID, &o.CorporateNumber, &o.LocalGovCode, &o.Name.Ja, &o.Name.En, &o.SectorCode,
		&o.Designation, &o.DesignatedSince, &o.DesignatedBy, &o.Reason, &o.Status, &o.Version, &o.ScopeIDs)
	return o, err
}

// GetOperator returns an operator the transaction's principal may see.
func GetOperator(ctx context.Context, tx pgx.Tx, id int64) (register.Operator, error) {
	rows, _ := tx.Query(ctx, `SELECT `+operatorColumns+` FROM operators o WHERE o.id = $1`, id)
	o, err := pgx.CollectExactlyOneRow(rows, scanOperator)
	if errors.Is(err, pgx.ErrNoRows) {
		return o, kijun.ErrNotFound
	}
	return o, err
}

// ListOperators returns the operators the principal may see, by sector and
// name.
func ListOperators(ctx context.Context, tx pgx.Tx, sector string) ([]register.Operator, error) {
	rows, _ := tx.Query(ctx, `SELECT `+operatorColumns+` FROM operators o
		JOIN sectors s ON s.code = o.sector_code
		WHERE $1 = '' OR o.sector_code = $1
		ORDER BY s.sort_order, o.name_ja, o.id`, sector)
	return pgx.CollectRows(rows, scanOperator)
}

// CreateOperator inserts an operator with its business scopes.
func CreateOperator(ctx context.Context, tx pgx.Tx, o register.Operator) (int64, error) {
	var id int64
	var since any
	if !o.DesignatedSince.IsZero() {
		since = o.DesignatedSince
	}
	err := tx.QueryRow(ctx, `INSERT INTO operators (corporate_number, local_gov_code, name_ja, name_en, sector_code,
			designation, designated_since, designated_by, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		o.CorporateNumber, nullStr(o.LocalGovCode), o.Name.Ja, o.Name.En, o.SectorCode,
		o.Designation, since, nullStr(o.DesignatedBy), o.Reason).Scan(&id)
	if IsUniqueViolation(err) {
		return 0, kijun.Errorf(kijun.EConflict, "operators.duplicate_corporate_number", map[string]any{"Number": o.CorporateNumber})
	}
	if err != nil {
		return 0, err
	}
	for _, sid := range o.ScopeIDs {
		if _, err := tx.Exec(ctx, `INSERT INTO operator_scopes (operator_id, scope_id, sector_code) VALUES ($1, $2, $3)`,
			id, sid, o.SectorCode); err != nil {
			return 0, err
		}
	}
	return id, nil
}
