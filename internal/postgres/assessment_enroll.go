package postgres

import (
	"context"
	"errors"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/register"
)

// EnrollInOpenCycles gives operators designated (or reinstated) while a
// cycle is open their assessment in every open cycle, against their
// sector's profile as the cycle would have chosen it. The register calls it
// in the same transaction as the designation, so no operator is ever
// missed. However many the operators, each open cycle costs a handful of
// statements (ensureAssessments).
func EnrollInOpenCycles(ctx context.Context, tx pgx.Tx, p *identity.Principal, requestID string, operatorIDs ...int64) error {
	if len(operatorIDs) == 0 {
		return nil
	}
	cycles, err := ListCycles(ctx, tx)
	if err != nil {
		return err
	}
	for _, cy := range cycles {
		if cy.Status != assessment.CycleOpen {
			continue
		}
		if _, _, err := ensureAssessments(ctx, tx, p, cy.ID, operatorIDs, ProfileSelector(cy.FiscalYear), requestID); err != nil {
			return err
		}
	}
	return nil
}

// ensureAssessments gives each of operatorIDs an assessment in the open
// cycle cycleID, against the control set sel chooses now for its sector
// (nil: the baseline), each with its first history row and its audit
// event. The batch is refused whole if p may not enrol one of the
// operators (the NCO, or the ministry overseeing its sector), if one is
// not visible or not active. It returns every operator's assessment and
// which of them it created; operators that have one already keep it.
func ensureAssessments(ctx context.Context, tx pgx.Tx, p *identity.Principal, cycleID int64, operatorIDs []int64, sel ControlSelector, requestID string) (ids map[int64]int64, created map[int64]bool, err error) {
	if !p.SignedIn() {
		return nil, nil, errAsmForbidden
	}
	want := slices.Clone(operatorIDs)
	slices.Sort(want)
	want = slices.Compact(want)
	rows, _ := tx.Query(ctx, `SELECT o.id, o.sector_code, o.status, a.id
		FROM operators o LEFT JOIN assessments a ON a.cycle_id = $2 AND a.operator_id = o.id
		WHERE o.id = ANY($1) ORDER BY o.id`, want, cycleID)
	ids, created = make(map[int64]int64, len(want)), map[int64]bool{}
	var (
		existing *int64
		opID     int64
		sector   string
		status   register.Status
		seen     int
		missing  []int64
		sectors  []string
	)
	if _, err := pgx.ForEachRow(rows, []any{&opID, &sector, &status, &existing}, func() error {
		seen++
		if !(p.NCO || p.OverseesSector(sector)) {
			return errAsmForbidden
		}
		if status != register.Active {
			return kijun.Errorf(kijun.EConflict, msgAsmOperatorGone, nil)
		}
		if existing != nil {
			ids[opID] = *existing
			return nil
		}
		missing = append(missing, opID)
		if !slices.Contains(sectors, sector) {
			sectors = append(sectors, sector)
		}
		return nil
	}); err != nil {
		return nil, nil, err
	}
	if seen != len(want) {
		return nil, nil, kijun.ErrNotFound
	}
	if len(missing) == 0 {
		return ids, created, nil
	}
	rows, _ = tx.Query(ctx, `SELECT `+cycleColumns+` FROM cycles WHERE id = $1`, cycleID)
	cy, err := pgx.CollectExactlyOneRow(rows, scanCycle)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, kijun.ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	if cy.Status != assessment.CycleOpen {
		return nil, nil, kijun.Errorf(kijun.EConflict, msgAsmCycleClosed, nil)
	}
	cat, err := GetCatalog(ctx, tx, cy.CatalogID)
	if err != nil {
		return nil, nil, err
	}
	slices.Sort(sectors)
	setIDs, counts, err := controlSets(ctx, tx, cy.ID, cat, sectors, sel)
	if err != nil {
		return nil, nil, err
	}
	// One statement writes the assessments and their first history rows,
	// one more their audit events, in operator order.
	rows, _ = tx.Query(ctx, newAssessmentsSQL(`WHERE o.id = ANY($6) ORDER BY o.id
			ON CONFLICT (operator_id, cycle_id) DO NOTHING`)+`
		SELECT id, operator_id, sector_code, coalesce(ministry_code, ''), control_set_id FROM ins ORDER BY operator_id`,
		cy.ID, sectors, setIDs, nullInt(p.UserID), p.Name, missing)
	controls := make(map[int64]int, len(setIDs))
	for i, id := range setIDs {
		controls[id] = counts[i]
	}
	var (
		h       asmHead
		set     int64
		entries []auditEntry
	)
	if _, err := pgx.ForEachRow(rows, []any{&h.ID, &h.OperatorID, &h.SectorCode, &h.MinistryCode, &set}, func() error {
		ids[h.OperatorID], created[h.OperatorID] = h.ID, true
		entries = append(entries, auditEntry{Event: h.event(p, requestID, "assessment.create", "assessment", ""),
			After: assessmentCreated{CycleID: cy.ID, OperatorID: h.OperatorID, ControlSetID: set, Controls: controls[set]}})
		return nil
	}); err != nil {
		return nil, nil, asmErr(err)
	}
	if err := auditEach(ctx, tx, entries); err != nil {
		return nil, nil, err
	}
	if len(created) < len(missing) { // some created meanwhile
		var asmID int64
		rows, _ = tx.Query(ctx, `SELECT operator_id, id FROM assessments WHERE cycle_id = $1 AND operator_id = ANY($2)`, cy.ID, missing)
		if _, err := pgx.ForEachRow(rows, []any{&opID, &asmID}, func() error {
			ids[opID] = asmID
			return nil
		}); err != nil {
			return nil, nil, err
		}
	}
	return ids, created, nil
}

// assessmentCreated is what an assessment.create event records of the
// new assessment.
type assessmentCreated struct {
	CycleID      int64 `json:"cycle_id"`
	OperatorID   int64 `json:"operator_id"`
	ControlSetID int64 `json:"control_set_id"`
	Controls     int   `json:"controls"`
}
