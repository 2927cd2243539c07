package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/register"
)

// APIImport is a register file uploaded through the API and checked: its
// valid rows wait in api_operator_imports until the uploader confirms
// them (docs/api.md, "Register import"). RLS: only the service account
// that uploaded it sees it.
type APIImport struct {
	ID          int64
	FileName    string
	FileSHA256  string
	Rows        []exchange.OperatorRow
	CreatedAt   time.Time
	ExpiresAt   time.Time
	ConfirmedAt *time.Time
	Result      *register.ImportResult
}

// SaveAPIImport keeps the checked rows of an upload for the principal.
func SaveAPIImport(ctx context.Context, tx pgx.Tx, imp APIImport) (int64, error) {
	rows, err := json.Marshal(imp.Rows)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO api_operator_imports (user_id, file_name, file_sha256, rows, created_at, expires_at)
		VALUES (kijun_user_id(), $1, $2, $3, $4, $5) RETURNING id`,
		imp.FileName, imp.FileSHA256, rows, imp.CreatedAt, imp.ExpiresAt).Scan(&id)
	return id, err
}

// GetAPIImport reads one of the principal's imports; forUpdate locks it
// until the transaction ends (a confirmation runs once).
func GetAPIImport(ctx context.Context, tx pgx.Tx, id int64, forUpdate bool) (APIImport, error) {
	lock := ""
	if forUpdate {
		lock = " FOR UPDATE"
	}
	var imp APIImport
	var rows, result []byte
	err := tx.QueryRow(ctx, `SELECT id, file_name, file_sha256, rows, created_at, expires_at, confirmed_at, result
		FROM api_operator_imports WHERE id = $1 AND user_id = kijun_user_id()`+lock, id).Scan(
		&imp.ID, &imp.FileName, &imp.FileSHA256, &rows, &imp.CreatedAt, &imp.ExpiresAt, &imp.ConfirmedAt, &result)
	if errors.Is(err, pgx.ErrNoRows) {
		return imp, kijun.ErrNotFound
	}
	if err != nil {
		return imp, err
	}
	if err := json.Unmarshal(rows, &imp.Rows); err != nil {
		return imp, err
	}
	if result != nil {
		imp.Result = &register.ImportResult{}
		if err := json.Unmarshal(result, imp.Result); err != nil {
			return imp, err
		}
	}
	return imp, nil
}

// MarkAPIImportConfirmed records that an import was applied, with its
// result, so that it is never applied again.
func MarkAPIImportConfirmed(ctx context.Context, tx pgx.Tx, id int64, res register.ImportResult, now time.Time) error {
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE api_operator_imports SET confirmed_at = $2, result = $3
		WHERE id = $1 AND user_id = kijun_user_id() AND confirmed_at IS NULL`, id, now, b)
	return err
}

// DeleteEvidence removes a file from an editable assessment of the
// principal's operator (RLS; kijun_answers_guard refuses it once the
// assessment is submitted or accepted) and audits it. Anyone else's file
// is not found.
func DeleteEvidence(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64, requestID string) (assessment.Evidence, error) {
	e, _, err := GetEvidence(ctx, tx, id)
	if err != nil {
		return e, err
	}
	h, err := lockEditable(ctx, tx, p, e.AssessmentID, requestID, nil)
	if err != nil {
		return e, err
	}
	tag, err := tx.Exec(ctx, `DELETE FROM evidence WHERE id = $1`, id)
	if err != nil {
		return e, asmErr(err)
	}
	if tag.RowsAffected() != 1 {
		return e, kijun.ErrNotFound
	}
	return e, Audit(ctx, tx, h.event(p, requestID, "assessment.evidence.delete", "evidence", e.Ref), e, nil)
}

// AssessmentHasControl reports whether the assessment (as the principal
// sees it, RLS) has control ref.
func AssessmentHasControl(ctx context.Context, tx pgx.Tx, assessmentID int64, ref string) (bool, error) {
	var ok bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM assessment_controls WHERE assessment_id = $1 AND ref = $2)`,
		assessmentID, ref).Scan(&ok)
	return ok, err
}
