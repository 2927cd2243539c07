//go:build dev

package postgres_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/demo"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// tenancyDB is a test database with the demo operators and a grant for
// each of them, so that every tenant has rows.
func tenancyDB(t *testing.T) (*pgtest.DB, map[string]int64) {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t)
	if err := pgx.BeginFunc(ctx, db.Owner, func(tx pgx.Tx) error { return demo.Seed(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	rows, _ := db.Owner.Query(ctx, `SELECT corporate_number, id FROM operators`)
	var cn string
	var id int64
	if _, err := pgx.ForEachRow(rows, []any{&cn, &id}, func() error { ids[cn] = id; return nil }); err != nil {
		t.Fatal(err)
	}
	for cn, op := range ids {
		if _, err := db.Owner.Exec(ctx, `WITH u AS (INSERT INTO users (display_name) VALUES ($1) RETURNING id)
			INSERT INTO role_grants (user_id, role, operator_id, sector_code, source)
			SELECT u.id, 'operator_staff', $2, (SELECT sector_code FROM operators WHERE id = $2), 'directory' FROM u`, "staff "+cn, op); err != nil {
			t.Fatal(err)
		}
	}
	return db, ids
}

func principalOf(t *testing.T, db *pgtest.DB, grants ...identity.Grant) *identity.Principal {
	t.Helper()
	oversight, err := postgres.Oversight(context.Background(), db.Owner)
	if err != nil {
		t.Fatal(err)
	}
	return identity.NewPrincipal(999, "test", "", grants, oversight)
}

// selectAs runs a plain query in a transaction as p, with nothing but RLS
// between it and the rows.
func selectAs[T any](t *testing.T, db *pgtest.DB, p *identity.Principal, sql string) []T {
	t.Helper()
	var out []T
	err := postgres.InTx(context.Background(), db.App, p, func(tx pgx.Tx) error {
		rows, _ := tx.Query(context.Background(), sql)
		var err error
		out, err = pgx.CollectRows(rows, pgx.RowTo[T])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRowLevelSecurityAlone(t *testing.T) {
	t.Parallel()
	db, ids := tenancyDB(t)
	toto := ids["2010401000001"]

	opA := principalOf(t, db, identity.Grant{Role: identity.RoleOperatorStaff, OperatorID: toto, SectorCode: "electricity"})
	if got := selectAs[int64](t, db, opA, `SELECT id FROM operators`); !slices.Equal(got, []int64{toto}) {
		t.Errorf("operator A sees operators %v, want only %d", got, toto)
	}
	if got := selectAs[int64](t, db, opA, `SELECT DISTINCT operator_id FROM operator_scopes`); !slices.Equal(got, []int64{toto}) {
		t.Errorf("operator A sees scopes of %v", got)
	}
	if got := selectAs[int64](t, db, opA, `SELECT DISTINCT operator_id FROM role_grants WHERE operator_id IS NOT NULL`); !slices.Equal(got, []int64{toto}) {
		t.Errorf("operator A sees grants of operators %v", got)
	}

	meti := principalOf(t, db, identity.Grant{Role: identity.RoleMinistryStaff, MinistryCode: "METI"})
	sectors := selectAs[string](t, db, meti, `SELECT DISTINCT sector_code FROM operators ORDER BY 1`)
	if !slices.Equal(sectors, []string{"electricity"}) {
		t.Errorf("METI sees operators of sectors %v, want only electricity (its sector among the demo operators)", sectors)
	}
	if n := len(selectAs[int64](t, db, meti, `SELECT id FROM operators`)); n != 2 {
		t.Errorf("METI sees %d operators, want the 2 electricity ones", n)
	}

	nco := principalOf(t, db, identity.Grant{Role: identity.RoleNCOAnalyst})
	if n := len(selectAs[int64](t, db, nco, `SELECT id FROM operators`)); n != len(ids) {
		t.Errorf("NCO sees %d operators, want all %d", n, len(ids))
	}
	if n := len(selectAs[int64](t, db, nil, `SELECT id FROM operators`)); n != 0 {
		t.Errorf("an anonymous transaction sees %d operators", n)
	}

	// Writes: METI cannot register an operator in a sector it does not
	// oversee, even by plain SQL.
	err := postgres.InTx(context.Background(), db.App, meti, func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), `INSERT INTO operators (corporate_number, name_ja, sector_code, designation)
			VALUES ('2010401000019', 'x', 'finance', 'ci')`)
		return err
	})
	if err == nil {
		t.Error("METI inserted an operator into the finance sector")
	}
	err = postgres.InTx(context.Background(), db.App, meti, func(tx pgx.Tx) error {
		tag, err := tx.Exec(context.Background(), `UPDATE operators SET name_ja = 'changed' WHERE sector_code = 'finance'`)
		if err == nil && tag.RowsAffected() != 0 {
			t.Errorf("METI updated %d finance operators", tag.RowsAffected())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The audit log cannot be written or changed except through the append function.
	err = postgres.InTx(context.Background(), db.App, nco, func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), `DELETE FROM audit_events`)
		return err
	})
	if err == nil {
		t.Error("the server role could delete audit events")
	}
}
