package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// signOffSubmit is how the tests of other areas submit: p (an operator
// admin) confirms the assessment internally, then submits it. A refusal
// of the confirmation (incomplete, not editable) is left for Submit to
// give, as the tests of those refusals expect Submit's.
func signOffSubmit(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64, requestID string) error {
	if err := signOffFirst(ctx, tx, p, id); err != nil {
		return err
	}
	return postgres.Submit(ctx, tx, p, id, requestID)
}

// signOffResubmit is signOffSubmit for a returned assessment.
func signOffResubmit(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64, requestID string) error {
	if err := signOffFirst(ctx, tx, p, id); err != nil {
		return err
	}
	return postgres.Resubmit(ctx, tx, p, id, requestID)
}

func signOffFirst(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64) error {
	_, err := postgres.SignOff(ctx, tx, p, id, assessment.SignOffConfirmed, "", "test")
	var ke *kijun.Error
	if err != nil && (errors.As(err, &ke) || errors.Is(err, kijun.ErrNotFound)) {
		return nil
	}
	return err
}

// confirmAsAdmin confirms assessment id internally as a new operator
// admin of its operator (for tests whose principals are staff).
func confirmAsAdmin(t *testing.T, db *pgtest.DB, id int64) {
	t.Helper()
	ctx := context.Background()
	var op int64
	var sector string
	if err := db.Owner.QueryRow(ctx, `SELECT operator_id, sector_code FROM assessments WHERE id = $1`, id).Scan(&op, &sector); err != nil {
		t.Fatal(err)
	}
	admin := regPrincipal(t, db, fmt.Sprintf("admin-%d-%d", op, id), identity.Grant{Role: identity.RoleOperatorAdmin, OperatorID: op, SectorCode: sector})
	if err := postgres.InTx(ctx, db.App, admin, func(tx pgx.Tx) error {
		_, err := postgres.SignOff(ctx, tx, admin, id, assessment.SignOffConfirmed, "", "test")
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
