//go:build dev

package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/register"
)

// TestOperatorDesignatedMidCycleGetsAnAssessment: an operator registered
// while a cycle is open gets its assessment in the same transaction; one
// registered with no open cycle gets none.
func TestOperatorDesignatedMidCycleGetsAnAssessment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _ := tenancyDB(t)
	nco := principalOf(t, db, identity.Grant{Role: identity.RoleNCOAdmin})
	meti := principalOf(t, db, identity.Grant{Role: identity.RoleMinistryStaff, MinistryCode: "METI"})
	if _, err := db.Owner.Exec(ctx, `INSERT INTO users (id, display_name) OVERRIDING SYSTEM VALUE VALUES (999, 'test')`); err != nil {
		t.Fatal(err)
	}
	cat := importPublished(t, db, smallCatalog("enroll"))
	register := func(corp string) int64 {
		var id int64
		err := postgres.InTx(ctx, db.App, meti, func(tx pgx.Tx) (err error) {
			id, err = postgres.RegisterOperator(ctx, tx, meti, register.Operator{CorporateNumber: corp, Name: kijun.Text{Ja: "新規指定(試験)"},
				SectorCode: "gas", Designation: register.DesignationCI}, "test")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	count := func(op int64) int {
		var n int
		if err := db.Owner.QueryRow(ctx, `SELECT count(*) FROM assessments WHERE operator_id = $1`, op).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := register("1010401000019")
	if n := count(before); n != 0 {
		t.Fatalf("operator registered with no open cycle has %d assessments", n)
	}
	err := postgres.InTx(ctx, db.App, nco, func(tx pgx.Tx) error {
		_, _, err := postgres.OpenCycle(ctx, tx, nco, postgres.CycleInput{FiscalYear: 2027, CatalogID: cat,
			OpensOn: time.Date(2027, 4, 1, 0, 0, 0, 0, kijun.JST), DueOn: time.Date(2027, 9, 30, 0, 0, 0, 0, kijun.JST)}, nil, "test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(before); n != 1 {
		t.Fatalf("the cycle gave the earlier operator %d assessments", n)
	}
	mid := register("1010401000027")
	if n := count(mid); n != 1 {
		t.Fatalf("operator designated mid-cycle has %d assessments, want 1", n)
	}
}
