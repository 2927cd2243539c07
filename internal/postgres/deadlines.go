package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// Deadlines (docs/deadlines.md): a ministry's extension of one
// operator's due date. The rule is assessment.CheckExtension; RLS and the
// trigger kijun_assessments_due_by_overseer let only the ministry
// overseeing the sector write it.

// MsgExtendInvalid is the refusal of an extension; its argument Problems
// ([]assessment.Problem) says what, by field.
const MsgExtendInvalid = "asmui.extend.error.invalid"

// ExtendDue moves assessment id's due date to due, with reason, for the
// ministry overseeing its sector; now is the caller's clock (the new date
// may not be before today). It writes the assessment's due date, the
// extension's row and the audit event in tx, and returns the assessment
// as it was before and the extension.
func ExtendDue(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64, due time.Time, reason string, now time.Time, requestID string) (assessment.Assessment, assessment.Extension, error) {
	var x assessment.Extension
	h, err := readHead(ctx, tx, id, "FOR UPDATE")
	if err != nil {
		return assessment.Assessment{}, x, err
	}
	if !p.OverseesSector(h.SectorCode) {
		return assessment.Assessment{}, x, errAsmForbidden
	}
	a, err := GetAssessment(ctx, tx, id)
	if err != nil {
		return a, x, err
	}
	if ps := assessment.CheckExtension(a.FiscalYear, a.Status, a.DueOn, due, reason, now); len(ps) > 0 {
		return a, x, kijun.Errorf(kijun.EInvalid, MsgExtendInvalid, map[string]any{"Problems": ps})
	}
	x = assessment.Extension{AssessmentID: id, PreviousDue: a.DueOn, DueOn: assessment.Day(due),
		Reason: strings.TrimSpace(reason), GrantedBy: p.UserID, GrantedByName: p.Name}
	day := func(t time.Time) string { return kijun.ISODate(t) }
	if _, err := tx.Exec(ctx, `UPDATE assessments SET due_on = $2::date WHERE id = $1`, id, day(x.DueOn)); err != nil {
		return a, x, asmErr(err)
	}
	if err := tx.QueryRow(ctx, `INSERT INTO assessment_extensions (assessment_id, operator_id, sector_code, previous_due, due_on,
			reason, granted_by, granted_by_name)
		VALUES ($1, $2, $3, $4::date, $5::date, $6, $7, left($8, 200)) RETURNING id, granted_at`,
		id, h.OperatorID, h.SectorCode, day(x.PreviousDue), day(x.DueOn), x.Reason, p.UserID, p.Name).Scan(&x.ID, &x.GrantedAt); err != nil {
		return a, x, asmErr(err)
	}
	return a, x, Audit(ctx, tx, h.event(p, requestID, "assessment.extend", "assessment", ""),
		map[string]any{"due_on": day(x.PreviousDue)}, map[string]any{"due_on": day(x.DueOn), "reason": x.Reason})
}

// ListExtensions returns the extensions of an assessment the principal
// sees, oldest first.
func ListExtensions(ctx context.Context, tx pgx.Tx, assessmentID int64) ([]assessment.Extension, error) {
	rows, _ := tx.Query(ctx, `SELECT id, assessment_id, previous_due, due_on, reason, granted_by, granted_by_name, granted_at
		FROM assessment_extensions WHERE assessment_id = $1 ORDER BY granted_at, id`, assessmentID)
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[assessment.Extension])
	for i := range list {
		list[i].PreviousDue, list[i].DueOn = assessment.Day(list[i].PreviousDue), assessment.Day(list[i].DueOn)
	}
	return list, err
}
