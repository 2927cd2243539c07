package postgres

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// Delegation while away (不在時の代理; assessment.Delegation,
// docs/assessment.md).

const sqlStateDelegation = "KJ024"

// DelegationInput is a user's absence, from From to To (days in Japan),
// and its deputy, in Operator.
type DelegationInput struct {
	OperatorID int64
	DeputyID   int64
	From, To   time.Time
}

// DelegationProblems are what is wrong with a delegation, by form field
// (operator, deputy, from, to): message ids.
type DelegationProblems map[string]string

func (p DelegationProblems) Error() string { return "delegation: invalid" }

const delegationCols = `d.id, d.operator_id, d.user_id, d.user_name, d.deputy_id, d.deputy_name, d.starts_on, d.ends_on,
	d.created_at, d.cancelled_at`

func scanDelegation(r pgx.CollectableRow) (assessment.Delegation, error) {
	var d assessment.Delegation
	err := r.Scan(&d.ID, &d.OperatorID, &d.UserID, &d.UserName, &d.DeputyID, &d.DeputyName, &d.From, &d.To, &d.CreatedAt, &d.CancelledAt)
	d.From, d.To = dateInJST(d.From), dateInJST(d.To)
	return d, err
}

// ListDelegations returns the delegations that have not ended and were
// not cancelled that user recorded or is the deputy of, and every one of
// the operators in adminOf (those user administers, and may cancel),
// newest first.
func ListDelegations(ctx context.Context, q Querier, userID int64, adminOf []int64) ([]assessment.Delegation, error) {
	if adminOf == nil {
		adminOf = []int64{}
	}
	rows, _ := q.Query(ctx, `SELECT `+delegationCols+` FROM operator_delegations d
		WHERE (d.user_id = $1 OR d.deputy_id = $1 OR d.operator_id = ANY ($2)) AND d.cancelled_at IS NULL
			AND d.ends_on >= (now() AT TIME ZONE 'Asia/Tokyo')::date
		ORDER BY d.starts_on DESC, d.id DESC`, userID, adminOf)
	return pgx.CollectRows(rows, scanDelegation)
}

// SetDelegation records p's absence and its deputy (the caller asked the
// policy, authz.ManageDelegation, with the operator). The deputy is an
// active user of the same operator other than p, the period is
// assessment.CheckDelegationPeriod's at the database's today in Japan;
// the database checks the deputy and p's authority again (KJ024).
// Problems with the input come back as DelegationProblems.
func SetDelegation(ctx context.Context, tx pgx.Tx, p *identity.Principal, in DelegationInput, requestID string) (assessment.Delegation, error) {
	var d assessment.Delegation
	problems := DelegationProblems{}
	if !slices.Contains(p.CheckOperators, in.OperatorID) {
		problems["operator"] = assessment.MsgDelegOperator
		return d, problems
	}
	var today time.Time
	var sector, deputyName string
	err := tx.QueryRow(ctx, `SELECT (now() AT TIME ZONE 'Asia/Tokyo')::date, o.sector_code,
			coalesce((SELECT u.display_name FROM users u WHERE u.id = $2 AND NOT u.service AND EXISTS (SELECT FROM role_grants g
				WHERE g.user_id = u.id AND g.operator_id = o.id AND g.revoked_at IS NULL
				AND g.role IN ('operator_admin', 'operator_staff', 'operator_reviewer'))), '')
		FROM operators o WHERE o.id = $1`, in.OperatorID, in.DeputyID).Scan(&today, &sector, &deputyName)
	if errors.Is(err, pgx.ErrNoRows) {
		problems["operator"] = assessment.MsgDelegOperator
		return d, problems
	}
	if err != nil {
		return d, err
	}
	switch {
	case in.DeputyID != 0 && in.DeputyID == p.UserID:
		problems["deputy"] = assessment.MsgDelegSelf
	case in.DeputyID == 0 || deputyName == "":
		problems["deputy"] = assessment.MsgDelegDeputy
	}
	for f, m := range assessment.CheckDelegationPeriod(in.From, in.To, dateInJST(today)) {
		problems[f] = m
	}
	if len(problems) > 0 {
		return d, problems
	}
	from, to := in.From.In(kijun.JST).Format(time.DateOnly), in.To.In(kijun.JST).Format(time.DateOnly)
	err = tx.QueryRow(ctx, `INSERT INTO operator_delegations (operator_id, sector_code, user_id, user_name, deputy_id, deputy_name,
			starts_on, ends_on, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $3) RETURNING id, created_at`,
		in.OperatorID, sector, p.UserID, p.Name, in.DeputyID, deputyName, from, to).Scan(&d.ID, &d.CreatedAt)
	if err != nil {
		return d, delegationErr(err)
	}
	d.OperatorID, d.UserID, d.UserName, d.DeputyID, d.DeputyName = in.OperatorID, p.UserID, p.Name, in.DeputyID, deputyName
	d.From, d.To = in.From, in.To
	e := ActorOf(p, requestID)
	e.Action, e.ObjectType, e.ObjectID = "delegation.set", "operator_delegation", strconv.FormatInt(d.ID, 10)
	e.SectorCode, e.OperatorID = sector, in.OperatorID
	return d, Audit(ctx, tx, e, nil, map[string]any{"delegation": d.ID, "user": p.UserID, "user_name": p.Name,
		"deputy": in.DeputyID, "deputy_name": deputyName, "from": from, "to": to})
}

// CancelDelegation ends a delegation now: by the absent user, or an admin
// of the operator (row-level security agrees).
func CancelDelegation(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64, requestID string) (assessment.Delegation, error) {
	rows, _ := tx.Query(ctx, `SELECT `+delegationCols+`, o.sector_code FROM operator_delegations d
		JOIN operators o ON o.id = d.operator_id WHERE d.id = $1 FOR UPDATE OF d`, id)
	var sector string
	d, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (assessment.Delegation, error) {
		var d assessment.Delegation
		err := r.Scan(&d.ID, &d.OperatorID, &d.UserID, &d.UserName, &d.DeputyID, &d.DeputyName, &d.From, &d.To,
			&d.CreatedAt, &d.CancelledAt, &sector)
		return d, err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return d, kijun.ErrNotFound
	}
	if err != nil {
		return d, err
	}
	if d.UserID != p.UserID && !p.IsOperatorAdmin(d.OperatorID) {
		return d, kijun.ErrNotFound
	}
	if d.CancelledAt != nil {
		return d, kijun.Errorf(kijun.EConflict, "orgdeleg.error.cancelled", nil)
	}
	if _, err := tx.Exec(ctx, `UPDATE operator_delegations SET cancelled_at = now(), cancelled_by = $2 WHERE id = $1`,
		id, nullInt(p.UserID)); err != nil {
		return d, delegationErr(err)
	}
	e := ActorOf(p, requestID)
	e.Action, e.ObjectType, e.ObjectID = "delegation.cancel", "operator_delegation", strconv.FormatInt(d.ID, 10)
	e.SectorCode, e.OperatorID = sector, d.OperatorID
	return d, Audit(ctx, tx, e, map[string]any{"delegation": d.ID, "user": d.UserID, "deputy": d.DeputyID,
		"from": dateInJST(d.From).Format(time.DateOnly), "to": dateInJST(d.To).Format(time.DateOnly)}, nil)
}

// delegationErr explains the database's refusals of a delegation.
func delegationErr(err error) error {
	switch pgCode(err) {
	case sqlStateDelegation:
		return DelegationProblems{"deputy": assessment.MsgDelegDeputy}
	case "23514": // the table's checks: deputy_id <> user_id, ends_on >= starts_on
		return DelegationProblems{"deputy": assessment.MsgDelegSelf}
	case "42501":
		return errAsmForbidden
	}
	return err
}

// CheckMembers returns, of each operator in ops, its users a delegation
// may name as deputy: active users of the operator but p, by name.
func CheckMembers(ctx context.Context, q Querier, p *identity.Principal, ops []int64) (map[int64][]Member, error) {
	out := map[int64][]Member{}
	for _, op := range ops {
		ms, err := OperatorMembers(ctx, q, op)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if m.ID != p.UserID {
				out[op] = append(out[op], m)
			}
		}
	}
	return out, nil
}
