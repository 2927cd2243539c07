//go:build dev

package servertest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// NCO returns an NCO admin principal backed by a real user row, for
// fixtures that go through the store as the NCO would.
func (e *Env) NCO(t testing.TB) *identity.Principal {
	t.Helper()
	ctx := context.Background()
	oversight, err := postgres.Oversight(ctx, e.DB.Owner)
	if err != nil {
		t.Fatal(err)
	}
	var uid int64
	if err := e.DB.Owner.QueryRow(ctx, `INSERT INTO users (display_name) VALUES ('統括 試験') RETURNING id`).Scan(&uid); err != nil {
		t.Fatal(err)
	}
	return identity.NewPrincipal(uid, "統括 試験", "", []identity.Grant{{Role: identity.RoleNCOAdmin}}, oversight)
}

// OpensOn is the opening day a fixture's cycle of fiscal year fy takes so
// that it is open already (nothing is answered before a cycle opens): the
// year's first day or, for a later year, today by the database's clock.
func (e *Env) OpensOn(t testing.TB, fy int) time.Time {
	t.Helper()
	opens := time.Date(fy, 4, 1, 0, 0, 0, 0, kijun.JST)
	if today := e.DB.Today(t); today.Before(opens) {
		return today
	}
	return opens
}

// SmallCycle publishes a five-control catalog (two GV, two PR, one DE)
// under code and opens fiscal year fy on it. It returns the assessment id
// of each demo operator by corporate number.
func (e *Env) SmallCycle(t testing.TB, code string, fy int) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	ctl := func(ref, section string, csf string) catalog.Control {
		return catalog.Control{Ref: ref, Section: section, CSF: []string{csf}, Themes: []string{"resilience"},
			Title:     kijun.Text{Ja: ref + " の対策", En: "Measure " + ref},
			Statement: kijun.Text{Ja: ref + " を実施すること。", En: "Do " + ref + "."}}
	}
	cat := &catalog.Catalog{Code: code, Version: "1", Title: kijun.Text{Ja: "試験用カタログ", En: "Test catalog"},
		Controls: []catalog.Control{ctl("GV-01", "GV", "GV.OC"), ctl("GV-02", "GV", "GV.SC"),
			ctl("PR-01", "PR", "PR.DS"), ctl("PR-02", "PR", "PR.AA"), ctl("DE-01", "DE", "DE.CM")}}
	var catalogID int64
	err := pgx.BeginFunc(ctx, e.DB.Owner, func(tx pgx.Tx) (err error) {
		if catalogID, _, err = postgres.ImportCatalog(ctx, tx, cat, audit.Event{}); err != nil {
			return err
		}
		return postgres.Publish(ctx, tx, catalogID, audit.Event{})
	})
	if err != nil {
		t.Fatal(err)
	}
	nco := e.NCO(t)
	opens := e.OpensOn(t, fy)
	err = postgres.InTx(ctx, e.DB.App, nco, func(tx pgx.Tx) error {
		_, _, err := postgres.OpenCycle(ctx, tx, nco, postgres.CycleInput{FiscalYear: kijun.FiscalYear(fy), CatalogID: catalogID,
			OpensOn: opens, DueOn: time.Date(fy+1, 1, 31, 0, 0, 0, 0, kijun.JST)}, nil, "test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	rows, _ := e.DB.Owner.Query(ctx, `SELECT o.corporate_number, a.id FROM assessments a JOIN operators o ON o.id = a.operator_id
		JOIN cycles c ON c.id = a.cycle_id WHERE c.fiscal_year = $1`, fy)
	var corp string
	var id int64
	if _, err := pgx.ForEachRow(rows, []any{&corp, &id}, func() error { out[corp] = id; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// Token issues an API token with role in the scope of ministry or
// operator (the NCO's when both are empty), through the store as an admin
// of that tenant would, and returns its secret.
func (e *Env) Token(t testing.TB, role identity.Role, ministry string, operator int64) string {
	t.Helper()
	ctx := context.Background()
	oversight, err := postgres.Oversight(ctx, e.DB.Owner)
	if err != nil {
		t.Fatal(err)
	}
	var uid int64
	if err := e.DB.Owner.QueryRow(ctx, `INSERT INTO users (display_name) VALUES ('発行 管理者') RETURNING id`).Scan(&uid); err != nil {
		t.Fatal(err)
	}
	admin := identity.Grant{Role: identity.RoleNCOAdmin}
	switch role.ScopeKind() {
	case "ministry":
		admin = identity.Grant{Role: identity.RoleMinistryAdmin, MinistryCode: ministry}
	case "operator":
		admin = identity.Grant{Role: identity.RoleOperatorAdmin, OperatorID: operator}
	}
	p := identity.NewPrincipal(uid, "発行 管理者", "", []identity.Grant{admin}, oversight)
	secret, hash := identity.NewTokenSecret()
	now := time.Now()
	err = postgres.InTx(ctx, e.DB.App, p, func(tx pgx.Tx) error {
		_, err := postgres.IssueToken(ctx, tx, p, identity.APIToken{Name: "test " + string(role), Role: role,
			MinistryCode: ministry, OperatorID: operator, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}, hash, "test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}
