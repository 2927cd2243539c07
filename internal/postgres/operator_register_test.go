package postgres_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/register"
)

// regWorld is a register with one operator in each of four sectors, each
// with a system, a contact and a correction, and principals to look at it.
type regWorld struct {
	db                  *pgtest.DB
	elec, gas, fin, ict int64 // operator ids: electricity, gas (METI), finance (FSA), ict (MIC)
	nco, meti, fsa      *identity.Principal
	opElec, opFin       *identity.Principal
}

// regCN returns a valid 法人番号 built from n.
func regCN(n int) string {
	base := strconv.Itoa(100000000000 + n)
	d, err := register.CorporateNumberCheckDigit(base)
	if err != nil {
		panic(err)
	}
	return strconv.Itoa(d) + base
}

// regUser inserts a user as the owner (RLS lets only the system do it).
func regUser(t testing.TB, db *pgtest.DB, name string) int64 {
	t.Helper()
	var id int64
	if err := db.Owner.QueryRow(context.Background(), `INSERT INTO users (display_name, email) VALUES ($1, $2) RETURNING id`,
		name, name+"@example.jp").Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// regPrincipal makes a user holding grants and derives the principal, as
// LoadPrincipal would.
func regPrincipal(t testing.TB, db *pgtest.DB, name string, grants ...identity.Grant) *identity.Principal {
	t.Helper()
	ctx := context.Background()
	id := regUser(t, db, name)
	for i := range grants {
		grants[i].UserID = id
		if _, err := db.Owner.Exec(ctx, `INSERT INTO role_grants (user_id, role, ministry_code, operator_id, sector_code, source)
			VALUES ($1, $2, nullif($3, ''), nullif($4, 0), nullif($5, ''), 'directory')`,
			id, grants[i].Role, grants[i].MinistryCode, grants[i].OperatorID, grants[i].SectorCode); err != nil {
			t.Fatal(err)
		}
	}
	oversight, err := postgres.Oversight(ctx, db.Owner)
	if err != nil {
		t.Fatal(err)
	}
	return identity.NewPrincipal(id, name, name+"@example.jp", grants, oversight)
}

func regMinistryGrant(code string) identity.Grant {
	return identity.Grant{Role: identity.RoleMinistryStaff, MinistryCode: code}
}

func regOperatorGrant(id int64, sector string) identity.Grant {
	return identity.Grant{Role: identity.RoleOperatorAdmin, OperatorID: id, SectorCode: sector}
}

// regScope returns the id of a business scope of sector, by name.
func regScope(t testing.TB, db *pgtest.DB, sector, nameJa string) int64 {
	t.Helper()
	var id int64
	if err := db.Owner.QueryRow(context.Background(), `SELECT id FROM business_scopes WHERE sector_code = $1 AND name_ja = $2`,
		sector, nameJa).Scan(&id); err != nil {
		t.Fatalf("scope %s/%s: %v", sector, nameJa, err)
	}
	return id
}

// regOperator inserts an operator with a system, a contact and a pending
// correction as the owner, bypassing RLS.
func regOperator(t testing.TB, db *pgtest.DB, n int, sector, name string, proposer int64) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	if err := db.Owner.QueryRow(ctx, `INSERT INTO operators (corporate_number, name_ja, sector_code, designation, designated_since)
		VALUES ($1, $2, $3, 'ci', '2026-04-01') RETURNING id`, regCN(n), name, sector).Scan(&id); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO operator_systems (operator_id, sector_code, name, kind) VALUES ($1, $2, 'system of ' || $3, 'ot')`,
		`INSERT INTO operator_contacts (operator_id, sector_code, role, name) VALUES ($1, $2, 'CSIRT', 'contact of ' || $3)`,
	} {
		if _, err := db.Owner.Exec(ctx, q, id, sector, name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Owner.Exec(ctx, `INSERT INTO operator_corrections (operator_id, sector_code, proposed_by, kind, payload)
		VALUES ($1, $2, $3, 'contacts', '[]')`, id, sector, proposer); err != nil {
		t.Fatal(err)
	}
	return id
}

func newRegWorld(t testing.TB) *regWorld {
	t.Helper()
	w := &regWorld{db: pgtest.New(t)}
	someone := regUser(t, w.db, "proposer")
	w.elec = regOperator(t, w.db, 1, "electricity", "東京電力パワーグリッド", someone)
	w.gas = regOperator(t, w.db, 2, "gas", "東京ガスネットワーク", someone)
	w.fin = regOperator(t, w.db, 3, "finance", "みずほ銀行", someone)
	w.ict = regOperator(t, w.db, 4, "ict", "NTT東日本", someone)
	w.nco = regPrincipal(t, w.db, "nco", identity.Grant{Role: identity.RoleNCOAdmin})
	w.meti = regPrincipal(t, w.db, "meti", regMinistryGrant("METI"))
	w.fsa = regPrincipal(t, w.db, "fsa", regMinistryGrant("FSA"))
	w.opElec = regPrincipal(t, w.db, "op-elec", regOperatorGrant(w.elec, "electricity"))
	w.opFin = regPrincipal(t, w.db, "op-fin", regOperatorGrant(w.fin, "finance"))
	return w
}

// as runs fn in an RLS transaction for p on the application role; the
// transaction commits when fn returns nil.
func (w *regWorld) as(t testing.TB, p *identity.Principal, fn func(tx pgx.Tx) error) error {
	t.Helper()
	return postgres.InTx(context.Background(), w.db.App, p, fn)
}

func regIDs(t testing.TB, tx pgx.Tx, query string) []int64 {
	t.Helper()
	rows, _ := tx.Query(context.Background(), query)
	got, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	slices.Sort(got)
	return got
}

// TestRegisterRLS reads the register's tables with plain SELECTs: only
// row-level security limits them.
func TestRegisterRLS(t *testing.T) {
	t.Parallel()
	w := newRegWorld(t)
	all := []int64{w.elec, w.gas, w.fin, w.ict}
	slices.Sort(all)
	cases := []struct {
		name string
		p    *identity.Principal
		want []int64
	}{
		{"operator", w.opElec, []int64{w.elec}},
		{"METI", w.meti, []int64{w.elec, w.gas}},
		{"FSA", w.fsa, []int64{w.fin}},
		{"NCO", w.nco, all},
		{"anonymous", nil, nil},
	}
	queries := []string{
		`SELECT id FROM operators`,
		`SELECT operator_id FROM operator_systems`,
		`SELECT operator_id FROM operator_contacts`,
		`SELECT operator_id FROM operator_corrections`,
	}
	for _, c := range cases {
		err := w.as(t, c.p, func(tx pgx.Tx) error {
			for _, q := range queries {
				if got := regIDs(t, tx, q); !slices.Equal(got, c.want) {
					t.Errorf("%s: %s = %v, want %v", c.name, q, got, c.want)
				}
			}
			// METI sees only the sectors it oversees.
			if c.p == w.meti {
				rows, _ := tx.Query(context.Background(), `SELECT DISTINCT sector_code FROM operators`)
				sectors, err := pgx.CollectRows(rows, pgx.RowTo[string])
				if err != nil {
					return err
				}
				for _, s := range sectors {
					if !slices.Contains([]string{"electricity", "gas", "chemical", "credit", "petroleum"}, s) {
						t.Errorf("METI sees sector %s", s)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestRegisterRLSRefusesWrites bypasses the Go checks: the database alone
// refuses a ministry's writes outside its sectors and an operator's writes
// to the register.
func TestRegisterRLSRefusesWrites(t *testing.T) {
	t.Parallel()
	w := newRegWorld(t)
	ctx := context.Background()
	mustFail := func(name string, p *identity.Principal, sql string, args ...any) {
		t.Helper()
		err := w.as(t, p, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, sql, args...)
			return err
		})
		if err == nil {
			t.Errorf("%s: succeeded, want refused", name)
		}
	}
	noRows := func(name string, p *identity.Principal, sql string, args ...any) {
		t.Helper()
		err := w.as(t, p, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, sql, args...)
			if err == nil && tag.RowsAffected() != 0 {
				t.Errorf("%s: changed %d rows, want none", name, tag.RowsAffected())
			}
			return err
		})
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	mustFail("METI inserts a finance operator", w.meti,
		`INSERT INTO operators (corporate_number, name_ja, sector_code, designation) VALUES ($1, 'x', 'finance', 'ci')`, regCN(50))
	noRows("METI updates a finance operator", w.meti, `UPDATE operators SET name_ja = 'x' WHERE id = $1`, w.fin)
	mustFail("METI moves its operator to finance", w.meti, `UPDATE operators SET sector_code = 'finance' WHERE id = $1`, w.elec)
	mustFail("METI adds a system to a finance operator", w.meti,
		`INSERT INTO operator_systems (operator_id, sector_code, name, kind) VALUES ($1, 'finance', 'x', 'it')`, w.fin)
	noRows("METI deletes a finance contact", w.meti, `DELETE FROM operator_contacts WHERE operator_id = $1`, w.fin)
	mustFail("operator inserts an operator", w.opElec,
		`INSERT INTO operators (corporate_number, name_ja, sector_code, designation) VALUES ($1, 'x', 'electricity', 'ci')`, regCN(51))
	noRows("operator updates itself", w.opElec, `UPDATE operators SET name_ja = 'x' WHERE id = $1`, w.elec)
	mustFail("operator adds its own system", w.opElec,
		`INSERT INTO operator_systems (operator_id, sector_code, name, kind) VALUES ($1, 'electricity', 'x', 'it')`, w.elec)
	mustFail("operator proposes for another operator", w.opElec,
		`INSERT INTO operator_corrections (operator_id, sector_code, proposed_by, kind, payload) VALUES ($1, 'gas', $2, 'systems', '[]')`,
		w.gas, w.opElec.UserID)
	mustFail("operator proposes as someone else", w.opElec,
		`INSERT INTO operator_corrections (operator_id, sector_code, proposed_by, kind, payload) VALUES ($1, 'electricity', $2, 'systems', '[]')`,
		w.elec, w.meti.UserID)
	noRows("operator decides its own correction", w.opElec,
		`UPDATE operator_corrections SET status = 'accepted', decided_by = $2, decided_at = now() WHERE operator_id = $1`, w.elec, w.opElec.UserID)
	mustFail("ministry rewrites a proposal", w.meti, `UPDATE operator_corrections SET payload = '[{}]' WHERE operator_id = $1`, w.elec)
	mustFail("ministry deletes a proposal", w.meti, `DELETE FROM operator_corrections WHERE operator_id = $1`, w.elec)
	mustFail("anyone deletes an operator", w.nco, `DELETE FROM operators WHERE id = $1`, w.elec)

	// The store reports the same refusals as errors for the user.
	o := register.Operator{CorporateNumber: regCN(52), Name: kijun.Text{Ja: "x"}, SectorCode: "finance", Designation: register.DesignationCI,
		ScopeIDs: []int64{regScope(t, w.db, "finance", "銀行等")}}
	err := w.as(t, w.meti, func(tx pgx.Tx) error {
		_, err := postgres.RegisterOperator(ctx, tx, w.meti, o, "req")
		return err
	})
	if kijun.ErrorCode(err) != kijun.EForbidden {
		t.Errorf("RegisterOperator in finance as METI: %v, want forbidden", err)
	}
	err = w.as(t, w.meti, func(tx pgx.Tx) error {
		_, err := postgres.UpdateOperator(ctx, tx, w.meti, register.Operator{ID: w.fin, Version: 1}, "req")
		return err
	})
	if kijun.ErrorCode(err) != kijun.ENotFound {
		t.Errorf("UpdateOperator of a finance operator as METI: %v, want not found", err)
	}
	err = w.as(t, w.meti, func(tx pgx.Tx) error {
		cur, err := postgres.GetOperator(ctx, tx, w.elec)
		if err != nil {
			return err
		}
		cur.SectorCode, cur.ScopeIDs = "finance", o.ScopeIDs
		_, err = postgres.UpdateOperator(ctx, tx, w.meti, cur, "req")
		return err
	})
	if kijun.ErrorCode(err) != kijun.EForbidden {
		t.Errorf("moving an operator to finance as METI: %v, want forbidden", err)
	}
	var name, sector string
	if err := w.db.Owner.QueryRow(ctx, `SELECT name_ja, sector_code FROM operators WHERE id = $1`, w.elec).Scan(&name, &sector); err != nil {
		t.Fatal(err)
	}
	if name != "東京電力パワーグリッド" || sector != "electricity" {
		t.Errorf("operator changed by refused writes: %s %s", name, sector)
	}
}

func TestOperatorUpdateOptimisticLock(t *testing.T) {
	t.Parallel()
	w := newRegWorld(t)
	ctx := context.Background()
	var read register.Operator
	if err := w.as(t, w.meti, func(tx pgx.Tx) error {
		var err error
		read, err = postgres.GetOperator(ctx, tx, w.elec)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Two editors read version 1; the first to save wins.
	first, second := read, read
	first.Name.En = "TEPCO Power Grid"
	first.ScopeIDs = []int64{regScope(t, w.db, "electricity", "一般送配電事業")}
	second.Name.Ja = "別の名前"
	var v int
	if err := w.as(t, w.meti, func(tx pgx.Tx) error {
		var err error
		v, err = postgres.UpdateOperator(ctx, tx, w.meti, first, "req-1")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if v != read.Version+1 {
		t.Errorf("new version %d, want %d", v, read.Version+1)
	}
	err := w.as(t, w.meti, func(tx pgx.Tx) error {
		_, err := postgres.UpdateOperator(ctx, tx, w.meti, second, "req-2")
		return err
	})
	var kerr *kijun.Error
	if !errors.As(err, &kerr) || kerr.Code != kijun.EConflict || kerr.MessageID != "operators.conflict" {
		t.Fatalf("stale update: %v, want conflict operators.conflict", err)
	}
	if err := w.as(t, w.opElec, func(tx pgx.Tx) error {
		got, err := postgres.GetOperator(ctx, tx, w.elec)
		if err != nil {
			return err
		}
		if got.Name.Ja != read.Name.Ja || got.Name.En != "TEPCO Power Grid" || len(got.ScopeIDs) != 1 {
			t.Errorf("after the conflict the operator is %+v", got)
		}
		// The operator reads the audit event of the change to its record.
		events, err := postgres.ListAudit(ctx, tx, audit.Filter{Action: "operator.update"})
		if err != nil {
			return err
		}
		if len(events) != 1 || events[0].OperatorID != w.elec || events[0].SectorCode != "electricity" || events[0].RequestID != "req-1" {
			t.Errorf("audit events seen by the operator: %+v", events)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestWithdrawReinstateAndSearch(t *testing.T) {
	t.Parallel()
	w := newRegWorld(t)
	ctx := context.Background()
	err := w.as(t, w.meti, func(tx pgx.Tx) error {
		return postgres.WithdrawOperator(ctx, tx, w.meti, w.gas, 1, " ", "req")
	})
	if kijun.ErrorCode(err) != kijun.EInvalid {
		t.Errorf("withdraw without a reason: %v", err)
	}
	if err := w.as(t, w.meti, func(tx pgx.Tx) error {
		return postgres.WithdrawOperator(ctx, tx, w.meti, w.gas, 1, "指定解除", "req")
	}); err != nil {
		t.Fatal(err)
	}
	if err := w.as(t, w.meti, func(tx pgx.Tx) error {
		rec, err := postgres.GetOperatorRecord(ctx, tx, w.gas)
		if err != nil {
			return err
		}
		if rec.Status != register.Withdrawn || rec.WithdrawnAt == nil || rec.WithdrawnReason != "指定解除" || rec.Version != 2 {
			t.Errorf("withdrawn record: %+v", rec)
		}
		if len(rec.Systems) != 1 || len(rec.Contacts) != 1 || rec.PendingCorrections != 1 {
			t.Errorf("record details: %d systems, %d contacts, %d pending", len(rec.Systems), len(rec.Contacts), rec.PendingCorrections)
		}
		page, err := postgres.SearchOperators(ctx, tx, register.Filter{Status: register.Active})
		if err != nil {
			return err
		}
		if page.Total != 1 || len(page.Operators) != 1 || page.Operators[0].ID != w.elec ||
			page.Counts.Active != 1 || page.Counts.Withdrawn != 1 {
			t.Errorf("active page: total %d, %d rows, counts %+v", page.Total, len(page.Operators), page.Counts)
		}
		page, err = postgres.SearchOperators(ctx, tx, register.Filter{Query: "ガス"})
		if err != nil {
			return err
		}
		if page.Total != 1 || page.Operators[0].ID != w.gas || page.Counts.BySector["gas"] != 1 {
			t.Errorf("search ガス: %+v", page)
		}
		page, err = postgres.SearchOperators(ctx, tx, register.Filter{Query: regCN(3)[:6]})
		if err != nil {
			return err
		}
		for _, o := range page.Operators {
			if o.ID == w.fin {
				t.Error("METI found a finance operator by 法人番号")
			}
		}
		page, err = postgres.SearchOperators(ctx, tx, register.Filter{Designation: register.DesignationCore})
		if err != nil {
			return err
		}
		if page.Total != 0 {
			t.Errorf("designation core: %d", page.Total)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	err = w.as(t, w.meti, func(tx pgx.Tx) error {
		return postgres.ReinstateOperator(ctx, tx, w.meti, w.gas, 1, "req")
	})
	if kijun.ErrorCode(err) != kijun.EConflict {
		t.Errorf("reinstate with an old version: %v", err)
	}
	if err := w.as(t, w.meti, func(tx pgx.Tx) error {
		return postgres.ReinstateOperator(ctx, tx, w.meti, w.gas, 2, "req")
	}); err != nil {
		t.Fatal(err)
	}
	var actions []string
	rows, _ := w.db.Owner.Query(ctx, `SELECT action FROM audit_events WHERE operator_id = $1 ORDER BY id`, w.gas)
	actions, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(actions, []string{"operator.withdraw", "operator.reinstate"}) {
		t.Errorf("audited %v", actions)
	}
}

func TestSystemsAndContacts(t *testing.T) {
	t.Parallel()
	w := newRegWorld(t)
	ctx := context.Background()
	err := w.as(t, w.meti, func(tx pgx.Tx) error {
		_, err := postgres.CreateSystem(ctx, tx, w.meti, register.System{OperatorID: w.elec, Name: "x", Kind: "mainframe"}, "req")
		return err
	})
	if kijun.ErrorCode(err) != kijun.EInvalid {
		t.Errorf("unknown kind: %v", err)
	}
	err = w.as(t, w.meti, func(tx pgx.Tx) error {
		_, err := postgres.CreateContact(ctx, tx, w.meti, register.Contact{OperatorID: w.elec, Role: "CSIRT", Email: "not mail"}, "req")
		return err
	})
	if kijun.ErrorCode(err) != kijun.EInvalid {
		t.Errorf("bad e-mail: %v", err)
	}
	err = w.as(t, w.meti, func(tx pgx.Tx) error {
		_, err := postgres.CreateSystem(ctx, tx, w.meti, register.System{OperatorID: w.fin, Name: "x", Kind: register.SystemIT}, "req")
		return err
	})
	if kijun.ErrorCode(err) != kijun.ENotFound {
		t.Errorf("system for a finance operator as METI: %v", err)
	}
	if err := w.as(t, w.meti, func(tx pgx.Tx) error {
		sid, err := postgres.CreateSystem(ctx, tx, w.meti, register.System{OperatorID: w.elec, Name: "EMS",
			Kind: register.SystemOT, ClosedNetwork: true}, "req")
		if err != nil {
			return err
		}
		if err := postgres.UpdateSystem(ctx, tx, w.meti, register.System{ID: sid, OperatorID: w.elec, Name: "EMS",
			Kind: register.SystemOT, ClosedNetwork: true, InternetExposed: true}, "req"); err != nil {
			return err
		}
		cid, err := postgres.CreateContact(ctx, tx, w.meti, register.Contact{OperatorID: w.elec, Role: "CSIRT",
			Email: "csirt@example.jp", Phone: "０３-１２３４-５６７８"}, "req")
		if err != nil {
			return err
		}
		if err := postgres.DeleteContact(ctx, tx, w.meti, w.elec, cid, "req"); err != nil {
			return err
		}
		systems, err := postgres.ListSystems(ctx, tx, w.elec)
		if err != nil {
			return err
		}
		if len(systems) != 2 || !systems[1].InternetExposed || systems[1].SectorCode != "electricity" {
			t.Errorf("systems: %+v", systems)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The operator reads its systems but cannot change them directly.
	err = w.as(t, w.opElec, func(tx pgx.Tx) error {
		systems, err := postgres.ListSystems(ctx, tx, w.elec)
		if err != nil {
			return err
		}
		s := systems[0]
		s.Name = "changed"
		return postgres.UpdateSystem(ctx, tx, w.opElec, s, "req")
	})
	if kijun.ErrorCode(err) != kijun.EForbidden {
		t.Errorf("operator updates its system: %v", err)
	}
	var n int
	if err := w.db.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action LIKE 'operator.%' AND sector_code = 'electricity'
		AND operator_id = $1`, w.elec).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("%d audit events for the systems and contacts, want 4", n)
	}
}

func TestCorrections(t *testing.T) {
	t.Parallel()
	w := newRegWorld(t)
	ctx := context.Background()
	// The fixture's pending contacts correction is in the way of a new one.
	err := w.as(t, w.opElec, func(tx pgx.Tx) error {
		_, err := postgres.ProposeCorrection(ctx, tx, w.opElec, register.Correction{OperatorID: w.elec, Kind: register.CorrectContacts,
			Contacts: []register.Contact{{Role: "CSIRT", Name: "x"}}}, "req")
		return err
	})
	if kijun.ErrorCode(err) != kijun.EConflict {
		t.Errorf("second pending proposal: %v", err)
	}
	err = w.as(t, w.opElec, func(tx pgx.Tx) error {
		_, err := postgres.ProposeCorrection(ctx, tx, w.opElec, register.Correction{OperatorID: w.gas, Kind: register.CorrectSystems}, "req")
		return err
	})
	if kijun.ErrorCode(err) != kijun.EForbidden {
		t.Errorf("proposal for another operator: %v", err)
	}

	proposed := []register.System{
		{Name: "電力制御システム", Kind: register.SystemOT, ClosedNetwork: true},
		{Name: "スマートメーターシステム", Kind: register.SystemCloud, InternetExposed: true, Notes: "委託先運用"},
	}
	var cid int64
	if err := w.as(t, w.opElec, func(tx pgx.Tx) error {
		var err error
		cid, err = postgres.ProposeCorrection(ctx, tx, w.opElec, register.Correction{OperatorID: w.elec, Kind: register.CorrectSystems,
			Systems: proposed, Note: "システム更改"}, "req-propose")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// The operator cannot decide its own proposal.
	err = w.as(t, w.opElec, func(tx pgx.Tx) error {
		return postgres.DecideCorrection(ctx, tx, w.opElec, cid, true, "", "req")
	})
	if kijun.ErrorCode(err) != kijun.EForbidden {
		t.Errorf("operator decides: %v, want forbidden", err)
	}
	// Another ministry does not even see it.
	err = w.as(t, w.fsa, func(tx pgx.Tx) error {
		return postgres.DecideCorrection(ctx, tx, w.fsa, cid, true, "", "req")
	})
	if kijun.ErrorCode(err) != kijun.ENotFound {
		t.Errorf("FSA decides a METI correction: %v, want not found", err)
	}
	if err := w.as(t, w.meti, func(tx pgx.Tx) error {
		pending, err := postgres.ListCorrections(ctx, tx, register.CorrectionFilter{Status: register.CorrectionPending, Sector: "electricity"})
		if err != nil {
			return err
		}
		if len(pending) != 2 {
			t.Errorf("METI sees %d pending electricity corrections, want 2", len(pending))
		}
		c, err := postgres.GetCorrection(ctx, tx, cid)
		if err != nil {
			return err
		}
		if c.ProposerName != "op-elec" || len(c.Systems) != 2 || c.Systems[1].Notes != "委託先運用" || c.Note != "システム更改" {
			t.Errorf("correction as read: %+v", c)
		}
		return postgres.DecideCorrection(ctx, tx, w.meti, cid, true, "確認しました", "req-accept")
	}); err != nil {
		t.Fatal(err)
	}
	err = w.as(t, w.meti, func(tx pgx.Tx) error {
		return postgres.DecideCorrection(ctx, tx, w.meti, cid, false, "", "req")
	})
	if kijun.ErrorCode(err) != kijun.EConflict {
		t.Errorf("deciding twice: %v, want conflict", err)
	}
	if err := w.as(t, w.opElec, func(tx pgx.Tx) error {
		systems, err := postgres.ListSystems(ctx, tx, w.elec)
		if err != nil {
			return err
		}
		var names []string
		for _, s := range systems {
			names = append(names, s.Name)
		}
		if !slices.Equal(names, []string{"電力制御システム", "スマートメーターシステム"}) || !systems[1].InternetExposed {
			t.Errorf("systems after accept: %+v", systems)
		}
		c, err := postgres.GetCorrection(ctx, tx, cid)
		if err != nil {
			return err
		}
		// DeciderName stays empty here: users RLS hides ministry staff
		// from operators.
		if c.Status != register.CorrectionAccepted || c.DecidedBy != w.meti.UserID || c.DecidedAt == nil || c.DecisionNote != "確認しました" {
			t.Errorf("decided correction: %+v", c)
		}
		events, err := postgres.ListAudit(ctx, tx, audit.Filter{Action: "operator.correction."})
		if err != nil {
			return err
		}
		var got []string
		for _, e := range events {
			got = append(got, e.Action+"/"+e.RequestID)
			if e.OperatorID != w.elec || e.SectorCode != "electricity" {
				t.Errorf("event %s: operator %d sector %s", e.Action, e.OperatorID, e.SectorCode)
			}
		}
		if !slices.Equal(got, []string{"operator.correction.accept/req-accept", "operator.correction.propose/req-propose"}) {
			t.Errorf("audit seen by the operator: %v", got)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// A rejection changes nothing but the correction.
	if err := w.as(t, w.meti, func(tx pgx.Tx) error {
		pending, err := postgres.ListCorrections(ctx, tx, register.CorrectionFilter{OperatorID: w.gas, Status: register.CorrectionPending})
		if err != nil || len(pending) != 1 {
			t.Fatalf("gas pending: %v %v", pending, err)
		}
		return postgres.DecideCorrection(ctx, tx, w.meti, pending[0].ID, false, "根拠が不足", "req")
	}); err != nil {
		t.Fatal(err)
	}
	var contacts int
	if err := w.db.Owner.QueryRow(ctx, `SELECT count(*) FROM operator_contacts WHERE operator_id = $1`, w.gas).Scan(&contacts); err != nil {
		t.Fatal(err)
	}
	if contacts != 1 {
		t.Errorf("rejected empty contact list still removed contacts: %d left", contacts)
	}
}

// TestSectorMoveCarriesDetails: moving an operator to another sector the
// ministry oversees moves its systems, contacts and corrections (so RLS
// keeps showing them) and its grants.
func TestSectorMoveCarriesDetails(t *testing.T) {
	t.Parallel()
	w := newRegWorld(t)
	ctx := context.Background()
	if err := w.as(t, w.meti, func(tx pgx.Tx) error {
		o, err := postgres.GetOperator(ctx, tx, w.elec)
		if err != nil {
			return err
		}
		o.SectorCode, o.ScopeIDs = "gas", []int64{regScope(t, w.db, "gas", "ガス製造事業")}
		o.DesignatedSince = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		_, err = postgres.UpdateOperator(ctx, tx, w.meti, o, "req")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := w.db.Owner.QueryRow(ctx, `SELECT (SELECT count(*) FROM operator_systems WHERE operator_id = $1 AND sector_code = 'gas')
		+ (SELECT count(*) FROM operator_contacts WHERE operator_id = $1 AND sector_code = 'gas')
		+ (SELECT count(*) FROM operator_corrections WHERE operator_id = $1 AND sector_code = 'gas')
		+ (SELECT count(*) FROM role_grants WHERE operator_id = $1 AND sector_code = 'gas')`, w.elec).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("%d of 4 rows moved with the operator", n)
	}
}
