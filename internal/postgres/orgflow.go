package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// Work inside an operator: assignments and the internal check
// (assessment.CanSignOff, assessment.CanSubmit; docs/assessment.md).

const sqlStateAssignDue = "KJ018"
const sqlStateNotConfirmed = "KJ019"

const assignmentCols = `s.id, s.assessment_id, s.operator_id, s.sector_code, s.section_code, coalesce(s.ref, ''),
	s.assignee_id, s.assignee_name, s.due_on, coalesce(s.assigned_by, 0), s.assigned_at, s.ready_at,
	c.fiscal_year, o.name_ja, a.status`

const assignmentFrom = ` FROM assessment_assignments s JOIN assessments a ON a.id = s.assessment_id
	JOIN cycles c ON c.id = a.cycle_id JOIN operators o ON o.id = a.operator_id `

func scanAssignment(r pgx.CollectableRow) (assessment.Assignment, error) {
	var x assessment.Assignment
	err := r.Scan(&x.ID, &x.AssessmentID, &x.OperatorID, &x.SectorCode, &x.Section, &x.Ref, &x.AssigneeID, &x.AssigneeName,
		&x.DueOn, &x.AssignedBy, &x.AssignedAt, &x.ReadyAt, &x.FiscalYear, &x.OperatorName, &x.Status)
	return x, err
}

// ListAssignments returns an assessment's assignments, by section and control.
func ListAssignments(ctx context.Context, q Querier, assessmentID int64) ([]assessment.Assignment, error) {
	rows, _ := q.Query(ctx, `SELECT `+assignmentCols+assignmentFrom+`WHERE s.assessment_id = $1
		ORDER BY s.section_code, coalesce(s.ref, ''), s.id`, assessmentID)
	return pgx.CollectRows(rows, scanAssignment)
}

// ListMyAssignments returns the assignments of user in assessments the
// operator still edits: those not ready first, then by due date. With
// them come the assignments of the absent users user is the deputy of
// (deputyFor: the deputyships that hold today, as authz.DeputyFor
// decides), marked with the absent user's name (DeputyFor).
func ListMyAssignments(ctx context.Context, q Querier, userID int64, deputyFor []identity.Deputyship) ([]assessment.Assignment, error) {
	ops, users := make([]int64, len(deputyFor)), make([]int64, len(deputyFor))
	for i, d := range deputyFor {
		ops[i], users[i] = d.OperatorID, d.ForUserID
	}
	rows, _ := q.Query(ctx, `SELECT `+assignmentCols+assignmentFrom+`WHERE (s.assignee_id = $1
			OR (s.operator_id, s.assignee_id) IN (SELECT * FROM unnest($2::bigint[], $3::bigint[])))
		AND a.status IN ('not_started', 'in_progress', 'returned')
		ORDER BY s.ready_at IS NOT NULL, s.due_on, s.assessment_id, s.section_code, coalesce(s.ref, '')`, userID, ops, users)
	list, err := pgx.CollectRows(rows, scanAssignment)
	for i := range list {
		if list[i].AssigneeID != userID {
			list[i].DeputyFor = list[i].AssigneeName
		}
	}
	return list, err
}

// AssignInput is an admin's assignment of a section (Ref "") or one
// control of an assessment.
type AssignInput struct {
	AssessmentID int64
	Section      string
	Ref          string
	AssigneeID   int64
	DueOn        time.Time
}

// AssignmentProblems are what is wrong with an assignment, by form field
// (section, assignee, due_on): message ids.
type AssignmentProblems map[string]string

func (p AssignmentProblems) Error() string { return "assignment: invalid" }

// Assign gives a section, or one control, of an assessment to a member of
// its operator (one holding a grant of the operator), due by a day inside
// the cycle (assessment.CheckAssignmentDue at the database's today in
// Japan). An
// existing assignment of the same section or control moves to the new
// assignee and date and is not ready again. The caller asked the policy
// (authz.AssignAssessment) with the assessment's tenant. Problems with
// the input come back as AssignmentProblems.
func Assign(ctx context.Context, tx pgx.Tx, p *identity.Principal, in AssignInput, requestID string) (assessment.Assignment, error) {
	var x assessment.Assignment
	h, err := readHead(ctx, tx, in.AssessmentID, "FOR UPDATE")
	if err != nil {
		return x, err
	}
	if !h.Status.Editable() {
		return x, kijun.Errorf(kijun.EConflict, assessment.MsgNotEditableCheck, nil)
	}
	problems := AssignmentProblems{}
	var due, today time.Time
	var sectionOK bool
	var assigneeName string
	err = tx.QueryRow(ctx, `SELECT coalesce(a.due_on, c.due_on), (now() AT TIME ZONE 'Asia/Tokyo')::date,
			EXISTS (SELECT FROM control_set_items i WHERE i.set_id = a.control_set_id AND i.section_code = $2
				AND ($3 = '' OR i.ref = $3)),
			coalesce((SELECT u.display_name FROM users u WHERE u.id = $4 AND NOT u.service AND EXISTS (SELECT FROM role_grants g
				WHERE g.user_id = u.id AND g.operator_id = a.operator_id AND g.revoked_at IS NULL
				AND g.role IN ('operator_admin', 'operator_staff', 'operator_reviewer'))), '')
		FROM assessments a JOIN cycles c ON c.id = a.cycle_id WHERE a.id = $1`,
		in.AssessmentID, in.Section, in.Ref, in.AssigneeID).Scan(&due, &today, &sectionOK, &assigneeName)
	if err != nil {
		return x, err
	}
	if !sectionOK {
		problems["section"] = assessment.MsgAssignNoSection
	}
	if in.AssigneeID == 0 || assigneeName == "" {
		problems["assignee"] = assessment.MsgAssignNotStaff
	}
	if in.DueOn.IsZero() {
		problems["due_on"] = "orgflow.error.due_required"
	} else if m := assessment.CheckAssignmentDue(in.DueOn, dateInJST(due), dateInJST(today)); m != "" {
		problems["due_on"] = m
	}
	if len(problems) > 0 {
		return x, problems
	}
	err = tx.QueryRow(ctx, `INSERT INTO assessment_assignments (assessment_id, operator_id, sector_code, section_code, ref,
			assignee_id, assignee_name, due_on, assigned_by)
		VALUES ($1, $2, $3, $4, nullif($5, ''), $6, $7, $8, $9)
		ON CONFLICT (assessment_id, section_code, coalesce(ref, '')) DO UPDATE SET assignee_id = EXCLUDED.assignee_id,
			assignee_name = EXCLUDED.assignee_name, due_on = EXCLUDED.due_on, assigned_by = EXCLUDED.assigned_by,
			assigned_at = now(), ready_at = NULL, ready_by = NULL
		RETURNING id`, h.ID, h.OperatorID, h.SectorCode, in.Section, in.Ref, in.AssigneeID, assigneeName,
		in.DueOn.In(kijun.JST).Format(time.DateOnly), nullInt(p.UserID)).Scan(&x.ID)
	if err != nil {
		return x, orgErr(err)
	}
	x = assessment.Assignment{ID: x.ID, AssessmentID: h.ID, OperatorID: h.OperatorID, SectorCode: h.SectorCode,
		Section: in.Section, Ref: in.Ref, AssigneeID: in.AssigneeID, AssigneeName: assigneeName, DueOn: in.DueOn}
	return x, Audit(ctx, tx, h.event(p, requestID, "assessment.assign", "assessment_assignment", in.Section+refSuffix(in.Ref)), nil,
		map[string]any{"assignment": x.ID, "section": in.Section, "ref": in.Ref, "assignee": in.AssigneeID,
			"due_on": in.DueOn.In(kijun.JST).Format(time.DateOnly)})
}

func refSuffix(ref string) string {
	if ref == "" {
		return ""
	}
	return "/" + ref
}

// dateInJST reads a date column (UTC midnight) as that day in Japan.
func dateInJST(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, kijun.JST)
}

// Unassign removes an assignment (operator admins; the caller asked the
// policy with its tenant).
func Unassign(ctx context.Context, tx pgx.Tx, p *identity.Principal, assessmentID, id int64, requestID string) error {
	h, err := readHead(ctx, tx, assessmentID, "FOR UPDATE")
	if err != nil {
		return err
	}
	var section, ref string
	err = tx.QueryRow(ctx, `DELETE FROM assessment_assignments WHERE id = $1 AND assessment_id = $2
		RETURNING section_code, coalesce(ref, '')`, id, assessmentID).Scan(&section, &ref)
	if errors.Is(err, pgx.ErrNoRows) {
		return kijun.ErrNotFound
	}
	if err != nil {
		return orgErr(err)
	}
	return Audit(ctx, tx, h.event(p, requestID, "assessment.unassign", "assessment_assignment", section+refSuffix(ref)),
		map[string]any{"assignment": id}, nil)
}

// MarkReady marks an assignment ready (or not ready again): by its
// assignee or an operator admin, while the operator edits the
// assessment. It reports whether every assignment of the assessment is
// now ready.
func MarkReady(ctx context.Context, tx pgx.Tx, p *identity.Principal, assessmentID, id int64, ready bool, requestID string) (allReady bool, err error) {
	h, err := readHead(ctx, tx, assessmentID, "FOR UPDATE")
	if err != nil {
		return false, err
	}
	if !p.InOperator(h.OperatorID) {
		return false, kijun.ErrNotFound
	}
	if !h.Status.Editable() {
		return false, kijun.Errorf(kijun.EConflict, assessment.MsgNotEditableCheck, nil)
	}
	var assignee int64
	var section, ref string
	err = tx.QueryRow(ctx, `SELECT assignee_id, section_code, coalesce(ref, '') FROM assessment_assignments
		WHERE id = $1 AND assessment_id = $2`, id, assessmentID).Scan(&assignee, &section, &ref)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, kijun.ErrNotFound
	}
	if err != nil {
		return false, err
	}
	// The assignee, an admin, or the assignee's deputy while they are away.
	var deputy *identity.Deputyship
	if assignee != p.UserID && !p.IsOperatorAdmin(h.OperatorID) {
		d, ok := authz.DeputyOf(p, h.OperatorID, assignee, time.Now())
		if !ok {
			return false, errAsmForbidden
		}
		deputy = &d
	}
	var tag pgconn.CommandTag
	if ready {
		tag, err = tx.Exec(ctx, `UPDATE assessment_assignments SET ready_at = now(), ready_by = $2 WHERE id = $1`, id, nullInt(p.UserID))
	} else {
		tag, err = tx.Exec(ctx, `UPDATE assessment_assignments SET ready_at = NULL, ready_by = NULL WHERE id = $1`, id)
	}
	if err != nil {
		return false, orgErr(err)
	}
	if tag.RowsAffected() != 1 { // row-level security kept the row from the writer
		return false, errAsmForbidden
	}
	if err := tx.QueryRow(ctx, `SELECT NOT EXISTS (SELECT FROM assessment_assignments WHERE assessment_id = $1 AND ready_at IS NULL)`,
		assessmentID).Scan(&allReady); err != nil {
		return false, err
	}
	action := "assessment.assignment_ready"
	if !ready {
		action = "assessment.assignment_not_ready"
	}
	after := map[string]any{"assignment": id, "ready": ready}
	if deputy != nil {
		after["delegation"], after["on_behalf_of"] = deputy.ID, assignee
	}
	return allReady, Audit(ctx, tx, h.event(p, requestID, action, "assessment_assignment", section+refSuffix(ref)), nil, after)
}

// ListSignOffs returns an assessment's internal checks, newest first.
func ListSignOffs(ctx context.Context, q Querier, assessmentID int64) ([]assessment.SignOff, error) {
	rows, _ := q.Query(ctx, `SELECT id, assessment_id, decision, comment, by_user, by_name, at, voided_at, coalesce(voided_why, ''),
			coalesce(delegation_id, 0), coalesce(on_behalf_of, 0), on_behalf_name
		FROM assessment_signoffs WHERE assessment_id = $1 ORDER BY id DESC`, assessmentID)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (assessment.SignOff, error) {
		var s assessment.SignOff
		err := r.Scan(&s.ID, &s.AssessmentID, &s.Decision, &s.Comment, &s.ByID, &s.ByName, &s.At, &s.VoidedAt, &s.VoidedWhy,
			&s.DelegationID, &s.OnBehalfOf, &s.OnBehalfName)
		return s, err
	})
}

// CurrentSignOff returns the assessment's confirmation that still holds,
// or nil.
func CurrentSignOff(ctx context.Context, q Querier, assessmentID int64) (*assessment.SignOff, error) {
	list, err := ListSignOffs(ctx, q, assessmentID)
	if err != nil {
		return nil, err
	}
	for _, s := range list {
		if s.Current() {
			return &s, nil
		}
	}
	return nil, nil
}

// SignOff records the internal check of an assessment by an operator admin
// or reviewer, or by the deputy of one who is away (authz.DeputyFor: the
// check names the delegation and the absent user), as
// assessment.CanSignOff says: a confirmation needs every assignment ready
// and the assessment complete (the same check as a submission; its gaps
// come back as assessment.incomplete); sending back needs a comment and
// makes every assignment not ready again. The caller asked the policy
// (authz.SignOffAssessment) with the assessment's tenant.
func SignOff(ctx context.Context, tx pgx.Tx, p *identity.Principal, assessmentID int64, d assessment.SignOffDecision, comment, requestID string) (assessment.SignOff, error) {
	var s assessment.SignOff
	h, err := readHead(ctx, tx, assessmentID, "FOR UPDATE")
	if err != nil {
		return s, err
	}
	var deputy identity.Deputyship
	if !slices.Contains(p.CheckOperators, h.OperatorID) {
		var ok bool
		if deputy, ok = authz.DeputyFor(p, h.OperatorID, time.Now()); !ok {
			return s, errAsmForbidden
		}
	}
	if n := len(comment); n > assessment.MaxCommentLen {
		return s, kijun.Errorf(kijun.EInvalid, "assessment.answer.too_long", map[string]any{"Max": assessment.MaxCommentLen})
	}
	list, err := ListAssignments(ctx, tx, assessmentID)
	if err != nil {
		return s, err
	}
	if m := assessment.CanSignOff(h.Status, d, comment, list); m != "" {
		code := kijun.EConflict
		if m == assessment.MsgSendBackComment || m == assessment.MsgBadDecision {
			code = kijun.EInvalid
		}
		return s, kijun.Errorf(code, m, nil)
	}
	if d == assessment.SignOffConfirmed {
		problems, err := CheckCompleteness(ctx, tx, assessmentID)
		if err != nil {
			return s, err
		}
		if len(problems) > 0 {
			return s, kijun.Errorf(kijun.EInvalid, msgAsmIncomplete, map[string]any{"Count": len(problems), "Problems": problems})
		}
	}
	comment = strings.TrimSpace(comment)
	err = tx.QueryRow(ctx, `INSERT INTO assessment_signoffs (assessment_id, operator_id, sector_code, decision, comment, by_user, by_name,
			delegation_id, on_behalf_of, on_behalf_name)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
		WHERE NOT EXISTS (SELECT FROM assessment_signoffs WHERE assessment_id = $1 AND decision = 'confirmed'
			AND voided_at IS NULL AND $4 = 'confirmed')
		RETURNING id, at`, h.ID, h.OperatorID, h.SectorCode, string(d), comment, p.UserID, p.Name,
		nullInt(deputy.ID), nullInt(deputy.ForUserID), deputy.ForName).Scan(&s.ID, &s.At)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, kijun.Errorf(kijun.EConflict, "orgflow.error.already_confirmed", nil)
	}
	if err != nil {
		return s, orgErr(err)
	}
	s.AssessmentID, s.Decision, s.Comment, s.ByID, s.ByName = h.ID, d, comment, p.UserID, p.Name
	s.DelegationID, s.OnBehalfOf, s.OnBehalfName = deputy.ID, deputy.ForUserID, deputy.ForName
	if d == assessment.SignOffSentBack {
		if _, err := tx.Exec(ctx, `UPDATE assessment_assignments SET ready_at = NULL, ready_by = NULL WHERE assessment_id = $1`, h.ID); err != nil {
			return s, orgErr(err)
		}
	}
	return s, Audit(ctx, tx, h.event(p, requestID, "assessment.signoff."+string(d), "assessment", ""), nil,
		signOffAudit(s))
}

// signOffAudit is what the audit log keeps of an internal check: a
// deputy's names the delegation and the absent user (代理).
func signOffAudit(s assessment.SignOff) map[string]any {
	m := map[string]any{"signoff": s.ID, "decision": s.Decision, "comment": s.Comment}
	if s.ByDeputy() {
		m["delegation"], m["on_behalf_of"], m["on_behalf_of_name"] = s.DelegationID, s.OnBehalfOf, s.OnBehalfName
	}
	return m
}

// orgErr explains the database's refusals of the internal workflow.
func orgErr(err error) error {
	switch pgCode(err) {
	case sqlStateAssignDue:
		return kijun.Errorf(kijun.EInvalid, assessment.MsgAssignDueAfter, nil)
	case sqlStateNotConfirmed:
		return kijun.Errorf(kijun.EConflict, assessment.MsgNotConfirmed, nil)
	case "42501":
		return errAsmForbidden
	}
	return asmErr(err)
}

// Member is a user holding a grant of an operator: someone an admin may
// assign work to.
type Member struct {
	ID   int64
	Name string
}

// OperatorMembers returns the people holding an active grant of operator,
// by name: whom work is assigned to and who may be a deputy (a service
// account, an API token's, is neither).
func OperatorMembers(ctx context.Context, q Querier, operatorID int64) ([]Member, error) {
	rows, _ := q.Query(ctx, `SELECT DISTINCT u.id, u.display_name FROM role_grants g JOIN users u ON u.id = g.user_id
		WHERE g.operator_id = $1 AND NOT u.service AND g.revoked_at IS NULL AND g.role IN ('operator_admin', 'operator_staff', 'operator_reviewer')
		ORDER BY u.display_name, u.id`, operatorID)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Member])
}
