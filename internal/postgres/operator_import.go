package postgres

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/register"
)

// OperatorResolver answers exchange.ParseOperators' lookups from the
// database, inside the caller's RLS transaction for one principal. Build it
// per import with NewOperatorResolver; check Err after parsing, since the
// Resolver interface has no room for a database error.
type OperatorResolver struct {
	// ctx and tx are kept because exchange.Resolver's methods take
	// neither; the resolver lives no longer than the transaction.
	ctx context.Context
	tx  pgx.Tx
	p   *identity.Principal

	sectors  map[string]string           // code, ja name, lower-cased en name → code
	scopes   map[string]map[string]int64 // sector → ja name, lower-cased en name → id
	existing map[string]exchange.ExistingOperator
	err      error
}

var _ exchange.Resolver = (*OperatorResolver)(nil)

// NewOperatorResolver loads sectors and business scopes (reference data,
// a few hundred rows) for an import by p.
func NewOperatorResolver(ctx context.Context, tx pgx.Tx, p *identity.Principal) (*OperatorResolver, error) {
	r := &OperatorResolver{ctx: ctx, tx: tx, p: p, sectors: map[string]string{},
		scopes: map[string]map[string]int64{}, existing: map[string]exchange.ExistingOperator{}}
	rows, _ := tx.Query(ctx, `SELECT code, name_ja, name_en FROM sectors`)
	var code, ja, en string
	if _, err := pgx.ForEachRow(rows, []any{&code, &ja, &en}, func() error {
		r.sectors[strings.ToLower(code)] = code
		r.sectors[ja] = code
		r.sectors[strings.ToLower(en)] = code
		r.scopes[code] = map[string]int64{}
		return nil
	}); err != nil {
		return nil, err
	}
	rows, _ = tx.Query(ctx, `SELECT id, sector_code, name_ja, name_en FROM business_scopes`)
	var id int64
	if _, err := pgx.ForEachRow(rows, []any{&id, &code, &ja, &en}, func() error {
		r.scopes[code][ja] = id
		r.scopes[code][strings.ToLower(en)] = id
		return nil
	}); err != nil {
		return nil, err
	}
	return r, nil
}

// Sector implements exchange.Resolver: by code, Japanese or English name.
func (r *OperatorResolver) Sector(nameOrCode string) (string, bool) {
	if c, ok := r.sectors[nameOrCode]; ok {
		return c, true
	}
	c, ok := r.sectors[strings.ToLower(nameOrCode)]
	return c, ok
}

// Scope implements exchange.Resolver.
func (r *OperatorResolver) Scope(sector, name string) (int64, bool) {
	m := r.scopes[sector]
	if id, ok := m[name]; ok {
		return id, true
	}
	id, ok := m[strings.ToLower(name)]
	return id, ok
}

// MayManage implements exchange.Resolver: NCO keeps every sector's
// register, a ministry those it oversees.
func (r *OperatorResolver) MayManage(sector string) bool {
	return r.p != nil && (r.p.NCO || r.p.OverseesSector(sector))
}

// Existing implements exchange.Resolver. An operator the principal cannot
// see (another ministry's sector) is reported with ID 0 and its sector
// through kijun_operator_exists, so the row is refused as "registered in
// a sector you do not oversee" instead of failing on the unique 法人番号
// when written.
func (r *OperatorResolver) Existing(corporateNumber string) (exchange.ExistingOperator, bool) {
	if e, ok := r.existing[corporateNumber]; ok {
		return e, e.SectorCode != ""
	}
	e, err := lookupExisting(r.ctx, r.tx, corporateNumber)
	if err != nil {
		if r.err == nil {
			r.err = err
		}
		return e, false
	}
	r.existing[corporateNumber] = e
	return e, e.SectorCode != ""
}

// Err returns the first database error a lookup met; the parse result is
// then incomplete and must not be shown or applied.
func (r *OperatorResolver) Err() error { return r.err }

// lookupExisting finds the operator under a 法人番号: visible ones with
// their id, invisible ones with their sector only. SectorCode is "" when
// the number is not registered.
func lookupExisting(ctx context.Context, tx pgx.Tx, cn string) (exchange.ExistingOperator, error) {
	var e exchange.ExistingOperator
	var id *int64
	var sector *string
	err := tx.QueryRow(ctx, `SELECT (SELECT id FROM operators WHERE corporate_number = $1), kijun_operator_exists($1)`, cn).
		Scan(&id, &sector)
	if err != nil {
		return e, err
	}
	if sector != nil {
		e.SectorCode = *sector
	}
	if id != nil {
		e.ID = *id
	}
	return e, nil
}

// ParseOperatorImport parses rows for p with a resolver on tx: the
// preview. It writes nothing.
func ParseOperatorImport(ctx context.Context, tx pgx.Tx, p *identity.Principal, rows []exchange.Row) ([]exchange.OperatorRow, error) {
	r, err := NewOperatorResolver(ctx, tx, p)
	if err != nil {
		return nil, err
	}
	out := exchange.ParseOperators(rows, r)
	return out, r.Err()
}

// ApplyOperatorImport writes every valid row of a previewed import in the
// caller's transaction: creates new operators, updates existing ones
// (fields and business scopes; status is left alone), and audits each as
// operator.create or operator.update, plus one operator.import event with
// the counts. Rows with problems are skipped.
//
// designated_by is set to ministryCode where that ministry oversees the
// row's sector; otherwise (an NCO import) it is left as it was, or empty
// for a new operator.
//
// The preview may be stale by the time the user confirms. Every row is
// checked again inside the transaction: the sector must still be one p
// keeps, a row to create must still be new, a row to update must still
// find the same operator. If any row fails, nothing is written and the
// error is EConflict operators.import.stale naming the lines, so the user
// previews again; the caller must roll back on any error.
func ApplyOperatorImport(ctx context.Context, tx pgx.Tx, p *identity.Principal, rows []exchange.OperatorRow, ministryCode, requestID string) (register.ImportResult, error) {
	var res register.ImportResult
	oversight, err := Oversight(ctx, tx)
	if err != nil {
		return res, err
	}
	ministryOversees := func(sector string) bool {
		return ministryCode != "" && slices.Contains(oversight[ministryCode], sector)
	}
	var stale []string
	for _, row := range rows {
		if !row.Valid() {
			res.Skipped++
			continue
		}
		op := row.Operator
		ex, err := lookupExisting(ctx, tx, op.CorporateNumber)
		if err != nil {
			return res, err
		}
		mayManage := p.NCO || p.OverseesSector(op.SectorCode)
		switch {
		case !mayManage,
			row.Action == exchange.ActionCreate && ex.SectorCode != "",
			row.Action == exchange.ActionUpdate && (ex.ID == 0 || ex.ID != op.ID),
			row.Action != exchange.ActionCreate && row.Action != exchange.ActionUpdate:
			stale = append(stale, strconv.Itoa(row.Line))
			continue
		}
		if row.Action == exchange.ActionCreate {
			if ministryOversees(op.SectorCode) {
				op.DesignatedBy = ministryCode
			}
			id, err := CreateOperator(ctx, tx, op)
			var kerr *kijun.Error
			if errors.As(err, &kerr) && kerr.Code == kijun.EConflict {
				// A concurrent import registered it after our check.
				stale = append(stale, strconv.Itoa(row.Line))
				return res, staleImport(stale)
			}
			if err != nil {
				return res, writeError(err)
			}
			after, err := GetOperator(ctx, tx, id)
			if err != nil {
				return res, err
			}
			if err := Audit(ctx, tx, operatorEvent(p, requestID, "operator.create", id, op.SectorCode), nil, after); err != nil {
				return res, err
			}
			if err := EnrollInOpenCycles(ctx, tx, p, id, requestID); err != nil {
				return res, err
			}
			res.Created++
			res.IDs = append(res.IDs, id)
			continue
		}
		before, err := getOperatorForUpdate(ctx, tx, op.ID)
		if err != nil {
			return res, err
		}
		if !p.NCO && !p.OverseesSector(before.SectorCode) {
			stale = append(stale, strconv.Itoa(row.Line))
			continue
		}
		if ministryOversees(op.SectorCode) {
			op.DesignatedBy = ministryCode
		} else {
			op.DesignatedBy = before.DesignatedBy
		}
		if _, err := updateOperator(ctx, tx, before, op); err != nil {
			return res, err
		}
		after, err := GetOperator(ctx, tx, op.ID)
		if err != nil {
			return res, err
		}
		if err := Audit(ctx, tx, operatorEvent(p, requestID, "operator.update", op.ID, op.SectorCode), before, after); err != nil {
			return res, err
		}
		res.Updated++
		res.IDs = append(res.IDs, op.ID)
	}
	if len(stale) > 0 {
		return res, staleImport(stale)
	}
	e := ActorOf(p, requestID)
	e.Action, e.ObjectType, e.MinistryCode = "operator.import", "operator", ministryCode
	if err := Audit(ctx, tx, e, nil, map[string]any{"created": res.Created, "updated": res.Updated,
		"skipped": res.Skipped, "operator_ids": res.IDs}); err != nil {
		return res, err
	}
	return res, nil
}

func staleImport(lines []string) error {
	return kijun.Errorf(kijun.EConflict, "operators.import.stale", map[string]any{"Lines": strings.Join(lines, ", ")})
}

// getOperatorForUpdate reads an operator and locks its row until the
// transaction ends, so the version it returns is the one updated.
func getOperatorForUpdate(ctx context.Context, tx pgx.Tx, id int64) (register.Operator, error) {
	rows, _ := tx.Query(ctx, `SELECT `+operatorColumns+` FROM operators o WHERE o.id = $1 FOR UPDATE`, id)
	o, err := pgx.CollectExactlyOneRow(rows, scanOperator)
	if errors.Is(err, pgx.ErrNoRows) {
		return o, kijun.ErrNotFound
	}
	return o, err
}
