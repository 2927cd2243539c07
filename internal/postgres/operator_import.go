package postgres

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/register"
)

// operatorResolver answers exchange.ParseOperators' lookups from what it
// read in the caller's RLS transaction for one principal, so a lookup
// never fails. Build it per import with newOperatorResolver.
type operatorResolver struct {
	p *identity.Principal

	sectors  map[string]string           // code, ja name, lower-cased en name → code
	scopes   map[string]map[string]int64 // sector → ja name, lower-cased en name → id
	existing map[string]exchange.ExistingOperator
	// collecting: Existing notes the numbers asked for in wanted.
	collecting bool
	wanted     []string
}

var _ exchange.Resolver = (*operatorResolver)(nil)

// newOperatorResolver loads sectors and business scopes (reference data,
// a few hundred rows) for an import by p.
func newOperatorResolver(ctx context.Context, tx pgx.Tx, p *identity.Principal) (*operatorResolver, error) {
	r := &operatorResolver{p: p, sectors: map[string]string{},
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
func (r *operatorResolver) Sector(nameOrCode string) (string, bool) {
	if c, ok := r.sectors[nameOrCode]; ok {
		return c, true
	}
	c, ok := r.sectors[strings.ToLower(nameOrCode)]
	return c, ok
}

// Scope implements exchange.Resolver.
func (r *operatorResolver) Scope(sector, name string) (int64, bool) {
	m := r.scopes[sector]
	if id, ok := m[name]; ok {
		return id, true
	}
	id, ok := m[strings.ToLower(name)]
	return id, ok
}

// MayManage implements exchange.Resolver: NCO keeps every sector's
// register, a ministry those it oversees.
func (r *operatorResolver) MayManage(sector string) bool {
	return r.p != nil && (r.p.NCO || r.p.OverseesSector(sector))
}

// Existing implements exchange.Resolver. An operator the principal cannot
// see (another ministry's sector) is reported with ID 0 and its sector
// through kijun_operator_exists, so the row is refused as "registered in
// a sector you do not oversee" instead of failing on the unique 法人番号
// when written. While collecting (see ParseOperatorImport) it only notes
// the number.
func (r *operatorResolver) Existing(corporateNumber string) (exchange.ExistingOperator, bool) {
	if r.collecting {
		r.wanted = append(r.wanted, corporateNumber)
		return exchange.ExistingOperator{}, false
	}
	e := r.existing[corporateNumber]
	return e, e.SectorCode != ""
}

// existingOperators finds the operators under the 法人番号s in one query:
// visible ones with their id, invisible ones with their sector only. A
// number that is not registered maps to SectorCode "".
func existingOperators(ctx context.Context, tx pgx.Tx, cns []string) (map[string]exchange.ExistingOperator, error) {
	m := make(map[string]exchange.ExistingOperator, len(cns))
	rows, _ := tx.Query(ctx, `SELECT n.cn::text, coalesce(o.id, 0), coalesce(kijun_operator_exists(n.cn::text), '')
		FROM unnest($1::bpchar[]) AS n(cn) LEFT JOIN operators o ON o.corporate_number = n.cn`, cns)
	var cn string
	var e exchange.ExistingOperator
	_, err := pgx.ForEachRow(rows, []any{&cn, &e.ID, &e.SectorCode}, func() error {
		m[cn] = e
		return nil
	})
	return m, err
}

// ParseOperatorImport parses rows for p with a resolver on tx: the
// preview. It writes nothing. The parser asks for existing operators one
// 法人番号 at a time; a first pass only collects the numbers, which are
// then looked up in one query for the second.
func ParseOperatorImport(ctx context.Context, tx pgx.Tx, p *identity.Principal, rows []exchange.Row) ([]exchange.OperatorRow, error) {
	r, err := newOperatorResolver(ctx, tx, p)
	if err != nil {
		return nil, err
	}
	r.collecting = true
	exchange.ParseOperators(rows, r)
	r.collecting = false
	if r.existing, err = existingOperators(ctx, tx, r.wanted); err != nil {
		return nil, err
	}
	return exchange.ParseOperators(rows, r), nil
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
//
// The work is set-based, so that ten thousand rows take seconds: the
// checks read every row's operator in one query (locking those to
// update), the rows are copied into a temporary table, and each table is
// written with one statement as p, under p's row-level security, which
// checks every row written.
func ApplyOperatorImport(ctx context.Context, tx pgx.Tx, p *identity.Principal, rows []exchange.OperatorRow, ministryCode, requestID string) (register.ImportResult, error) {
	var res register.ImportResult
	oversight, err := Oversight(ctx, tx)
	if err != nil {
		return res, err
	}
	ministryOversees := func(sector string) bool {
		return ministryCode != "" && slices.Contains(oversight[ministryCode], sector)
	}
	mayManage := func(sector string) bool { return p.NCO || p.OverseesSector(sector) }
	var valid []exchange.OperatorRow
	var cns []string
	var updateIDs []int64
	for _, row := range rows {
		if !row.Valid() {
			res.Skipped++
			continue
		}
		valid = append(valid, row)
		cns = append(cns, row.Operator.CorporateNumber)
		if row.Action == exchange.ActionUpdate {
			updateIDs = append(updateIDs, row.Operator.ID)
		}
	}
	existing, err := existingOperators(ctx, tx, cns)
	if err != nil {
		return res, err
	}
	befores, err := operatorsForUpdate(ctx, tx, updateIDs)
	if err != nil {
		return res, err
	}
	var stale []string
	for i := range valid {
		row := &valid[i]
		op := &row.Operator
		ex := existing[op.CorporateNumber]
		switch row.Action {
		case exchange.ActionCreate:
			if !mayManage(op.SectorCode) || ex.SectorCode != "" {
				stale = append(stale, strconv.Itoa(row.Line))
			} else if ministryOversees(op.SectorCode) {
				op.DesignatedBy = ministryCode
			}
		case exchange.ActionUpdate:
			before, ok := befores[op.ID]
			if !mayManage(op.SectorCode) || ex.ID == 0 || ex.ID != op.ID || !ok || !mayManage(before.SectorCode) {
				stale = append(stale, strconv.Itoa(row.Line))
			} else if ministryOversees(op.SectorCode) {
				op.DesignatedBy = ministryCode
			} else {
				op.DesignatedBy = before.DesignatedBy
			}
		default:
			stale = append(stale, strconv.Itoa(row.Line))
		}
	}
	if len(stale) > 0 {
		return res, staleImport(stale)
	}
	if err := stageImport(ctx, tx, valid, befores); err != nil {
		return res, err
	}
	if stale, err := writeImport(ctx, tx); err != nil {
		return res, err
	} else if len(stale) > 0 {
		// A concurrent import registered them after our check.
		return res, staleImport(stale)
	}
	if err := auditImport(ctx, tx, p, requestID, valid, befores, &res); err != nil {
		return res, err
	}
	var created []int64
	for _, row := range valid {
		if row.Action == exchange.ActionCreate {
			created = append(created, row.Operator.ID)
		}
	}
	if err := EnrollInOpenCycles(ctx, tx, p, requestID, created...); err != nil {
		return res, err
	}
	e := ActorOf(p, requestID)
	e.Action, e.ObjectType, e.MinistryCode = "operator.import", "operator", ministryCode
	if err := Audit(ctx, tx, e, nil, map[string]any{"created": res.Created, "updated": res.Updated,
		"skipped": res.Skipped, "operator_ids": res.IDs}); err != nil {
		return res, err
	}
	_, err = tx.Exec(ctx, `DROP TABLE operator_import`)
	return res, err
}

// operatorsForUpdate reads the operators p may see among ids and locks
// their rows until the transaction ends, so the versions it returns are
// the ones updated.
func operatorsForUpdate(ctx context.Context, tx pgx.Tx, ids []int64) (map[int64]register.Operator, error) {
	m := make(map[int64]register.Operator, len(ids))
	if len(ids) == 0 {
		return m, nil
	}
	rows, _ := tx.Query(ctx, `SELECT `+operatorColumns+` FROM operators o WHERE o.id = ANY($1) ORDER BY o.id FOR UPDATE`, ids)
	ops, err := pgx.CollectRows(rows, scanOperator)
	for _, o := range ops {
		m[o.ID] = o
	}
	return m, err
}

// stageImport copies the checked rows into operator_import, a temporary
// table dropped at the latest when the transaction ends. id is the
// operator to update, NULL for a new one until writeImport inserts it.
func stageImport(ctx context.Context, tx pgx.Tx, rows []exchange.OperatorRow, befores map[int64]register.Operator) error {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE operator_import (
			line int NOT NULL, is_new boolean NOT NULL, id bigint, version int, before_sector text,
			corporate_number char(13) NOT NULL, local_gov_code char(6), name_ja text NOT NULL, name_en text NOT NULL,
			sector_code text NOT NULL, designation text NOT NULL, designated_since date, designated_by text,
			reason text NOT NULL, scope_ids bigint[] NOT NULL
		) ON COMMIT DROP`); err != nil {
		return err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"operator_import"}, []string{"line", "is_new", "id", "version", "before_sector",
		"corporate_number", "local_gov_code", "name_ja", "name_en", "sector_code", "designation", "designated_since",
		"designated_by", "reason", "scope_ids"},
		pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
			op := rows[i].Operator
			var since any
			if !op.DesignatedSince.IsZero() {
				since = op.DesignatedSince
			}
			isNew := rows[i].Action == exchange.ActionCreate
			var id, version, beforeSector any
			if !isNew {
				b := befores[op.ID]
				id, version, beforeSector = op.ID, b.Version, b.SectorCode
			}
			scopes := op.ScopeIDs
			if scopes == nil {
				scopes = []int64{}
			}
			return []any{rows[i].Line, isNew, id, version, beforeSector, op.CorporateNumber, nullStr(op.LocalGovCode),
				op.Name.Ja, op.Name.En, op.SectorCode, string(op.Designation), since, nullStr(op.DesignatedBy),
				op.Reason, scopes}, nil
		}))
	return err
}

// writeImport writes operator_import into the register as the
// transaction's principal: one statement per table, each row checked by
// row-level security as if written alone. New operators whose 法人番号 was
// registered meanwhile are not inserted; their lines are returned.
func writeImport(ctx context.Context, tx pgx.Tx) (stale []string, err error) {
	steps := []string{
		`WITH ins AS (
			INSERT INTO operators (corporate_number, local_gov_code, name_ja, name_en, sector_code,
				designation, designated_since, designated_by, reason)
			SELECT corporate_number, local_gov_code, name_ja, name_en, sector_code,
				designation, designated_since, designated_by, reason
			FROM operator_import WHERE is_new ORDER BY line
			ON CONFLICT (corporate_number) DO NOTHING
			RETURNING id, corporate_number)
		UPDATE operator_import s SET id = ins.id FROM ins WHERE s.is_new AND s.corporate_number = ins.corporate_number`,
		`DELETE FROM operator_scopes os USING operator_import s WHERE NOT s.is_new AND os.operator_id = s.id`,
		`UPDATE operators o SET local_gov_code = s.local_gov_code, name_ja = s.name_ja, name_en = s.name_en,
			sector_code = s.sector_code, designation = s.designation, designated_since = s.designated_since,
			designated_by = s.designated_by, reason = s.reason, version = o.version + 1, updated_at = now()
		FROM operator_import s WHERE NOT s.is_new AND o.id = s.id AND o.version = s.version`,
		`INSERT INTO operator_scopes (operator_id, scope_id, sector_code)
		SELECT s.id, sc.id, s.sector_code FROM operator_import s, unnest(s.scope_ids) AS sc(id) WHERE s.id IS NOT NULL`,
		`UPDATE role_grants g SET sector_code = s.sector_code
		FROM operator_import s WHERE NOT s.is_new AND s.sector_code <> s.before_sector AND g.operator_id = s.id`,
	}
	for i, q := range steps {
		tag, err := tx.Exec(ctx, q)
		if err != nil {
			return nil, writeError(err)
		}
		if i == 0 {
			rows, _ := tx.Query(ctx, `SELECT line::text FROM operator_import WHERE is_new AND id IS NULL ORDER BY line`)
			if stale, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil || len(stale) > 0 {
				return stale, err
			}
		}
		if i == 2 {
			// Every row to update is locked and visible: one not updated
			// was refused by row-level security.
			var n int64
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM operator_import WHERE NOT is_new`).Scan(&n); err != nil {
				return nil, err
			}
			if tag.RowsAffected() != n {
				return nil, errForbiddenSector
			}
		}
	}
	return nil, nil
}

// auditImport records each written row as operator.create or
// operator.update with the operator before and after, in one statement,
// fills rows' new ids and counts them into res.
func auditImport(ctx context.Context, tx pgx.Tx, p *identity.Principal, requestID string, rows []exchange.OperatorRow,
	befores map[int64]register.Operator, res *register.ImportResult) error {
	idRows, _ := tx.Query(ctx, `SELECT line, id FROM operator_import`)
	ids := map[int]int64{}
	var line int
	var id int64
	if _, err := pgx.ForEachRow(idRows, []any{&line, &id}, func() error {
		ids[line] = id
		return nil
	}); err != nil {
		return err
	}
	all := make([]int64, len(rows))
	for i := range rows {
		rows[i].Operator.ID = ids[rows[i].Line]
		all[i] = rows[i].Operator.ID
	}
	afterRows, _ := tx.Query(ctx, `SELECT `+operatorColumns+` FROM operators o WHERE o.id = ANY($1)`, all)
	afters, err := pgx.CollectRows(afterRows, scanOperator)
	if err != nil {
		return err
	}
	after := make(map[int64]register.Operator, len(afters))
	for _, o := range afters {
		after[o.ID] = o
	}
	entries := make([]auditEntry, len(rows))
	for i, row := range rows {
		op := row.Operator
		en := auditEntry{Event: operatorEvent(p, requestID, "operator.create", op.ID, op.SectorCode), After: after[op.ID]}
		if row.Action == exchange.ActionUpdate {
			en.Event.Action, en.Before = "operator.update", befores[op.ID]
			res.Updated++
		} else {
			res.Created++
		}
		entries[i] = en
		res.IDs = append(res.IDs, op.ID)
	}
	return auditEach(ctx, tx, entries)
}

func staleImport(lines []string) error {
	return kijun.Errorf(kijun.EConflict, "operators.import.stale", map[string]any{"Lines": strings.Join(lines, ", ")})
}
