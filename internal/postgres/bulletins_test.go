package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kijun-portal/kijun/internal/bulletin"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// TestBulletinAudienceSQLFollowsTheRule: the recipients the database
// writes for a bulletin (bulletinAudienceSQL) are exactly the
// organisations bulletin.Audience.Includes admits, for every kind of
// audience over operators of every designation, sector and status and
// every ministry.
func TestBulletinAudienceSQLFollowsTheRule(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	n := 0
	op := func(sector, designation string, withdrawn bool) int64 {
		n++
		var id int64
		if err := db.Owner.QueryRow(ctx, `INSERT INTO operators (corporate_number, name_ja, sector_code, designation, status, withdrawn_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, fmt.Sprintf("90000000%05d", n), fmt.Sprintf("事業者%d", n), sector, designation,
			map[bool]string{true: "withdrawn", false: "active"}[withdrawn], map[bool]any{true: "2026-01-01", false: nil}[withdrawn]).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	var ids []int64
	for _, s := range []string{"electricity", "finance", "gas"} {
		for _, d := range []string{"ci", "core", "both"} {
			ids = append(ids, op(s, d, false))
		}
		ids = append(ids, op(s, "both", true))
	}
	// Every organisation as the rule sees it.
	var orgs []bulletin.Org
	rows, _ := db.Owner.Query(ctx, `SELECT id, sector_code, designation, status = 'active' FROM operators ORDER BY id`)
	var o bulletin.Org
	if _, err := pgx.ForEachRow(rows, []any{&o.OperatorID, &o.SectorCode, &o.Designation, &o.Active}, func() error {
		orgs = append(orgs, o)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rows, _ = db.Owner.Query(ctx, `SELECT code FROM ministries WHERE NOT is_coordinator ORDER BY code`)
	ministries, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(ministries) < 2 {
		t.Fatalf("ministries %v %v", ministries, err)
	}
	for _, m := range ministries {
		orgs = append(orgs, bulletin.Org{MinistryCode: m})
	}
	nco := regPrincipal(t, db, "nco-publisher", identity.Grant{Role: identity.RoleNCOAdmin})
	audiences := []bulletin.Audience{
		{Kind: bulletin.Everyone},
		{Kind: bulletin.Ministries, Ministries: ministries[:2]},
		{Kind: bulletin.Sectors, Sectors: []string{"electricity", "gas"}},
		{Kind: bulletin.Scope, Designation: bulletin.DesignationCI},
		{Kind: bulletin.Scope, Designation: bulletin.DesignationCore},
		{Kind: bulletin.Scope, Designation: bulletin.DesignationCore, Sectors: []string{"finance"}},
		{Kind: bulletin.Operators, Operators: []int64{ids[0], ids[5], ids[10]}},
	}
	for _, a := range audiences {
		var b bulletin.Bulletin
		err := postgres.InTx(ctx, db.App, nco, func(tx pgx.Tx) error {
			var err error
			b, _, err = postgres.PublishBulletin(ctx, tx, nco, bulletin.Bulletin{Category: bulletin.Alert, Title: "t", Body: "b", Audience: a}, "test")
			return err
		})
		if err != nil {
			t.Fatalf("%+v: %v", a, err)
		}
		rows, _ := db.Owner.Query(ctx, `SELECT coalesce(ministry_code, ''), coalesce(operator_id, 0) FROM bulletin_recipients WHERE bulletin_id = $1`, b.ID)
		var got []string
		var m string
		var id int64
		if _, err := pgx.ForEachRow(rows, []any{&m, &id}, func() error {
			got = append(got, fmt.Sprint(m, id))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, o := range orgs {
			if a.Includes(o) {
				want = append(want, fmt.Sprint(o.MinistryCode, o.OperatorID))
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("%+v:\n SQL %v\n Go  %v", a, got, want)
		}
	}
	laterOperatorsFollowTheRule(t, db, nco, audiences, orgs, op)
}

// laterOperatorsFollowTheRule: operators that enter the audience after
// publication (new, or made active again) become recipients of exactly
// the bulletins bulletin.Bulletin.ReachesLater keeps open, as
// Audience.Includes admits them (postgres.DeliverToLaterOperators); the
// others keep the audience they were published with.
func laterOperatorsFollowTheRule(t *testing.T, db *pgtest.DB, nco *identity.Principal, audiences []bulletin.Audience,
	before []bulletin.Org, op func(sector, designation string, withdrawn bool) int64) {
	ctx := context.Background()
	now := time.Now()
	today := kijun.Date(now.In(kijun.JST).Format(time.DateOnly)).Time()
	acks := []*time.Time{nil, ptrTime(today.AddDate(0, 0, -1)), ptrTime(today), ptrTime(today.AddDate(0, 0, 7))}
	type published struct {
		b   bulletin.Bulletin
		ack *time.Time
	}
	var pubs []published
	for _, a := range audiences {
		for _, ack := range acks {
			var b bulletin.Bulletin
			if err := postgres.InTx(ctx, db.App, nco, func(tx pgx.Tx) (err error) {
				b, _, err = postgres.PublishBulletin(ctx, tx, nco, bulletin.Bulletin{Category: bulletin.Request, Title: "t", Body: "b",
					Audience: a, AckBy: ack}, "test")
				return err
			}); err != nil {
				t.Fatalf("%+v: %v", a, err)
			}
			pubs = append(pubs, published{b, ack})
		}
	}
	// Later: a new operator of every sector and designation, and a
	// withdrawn one made active again.
	var added []bulletin.Org
	for _, s := range []string{"electricity", "finance", "gas"} {
		for _, d := range []string{"ci", "core", "both"} {
			added = append(added, bulletin.Org{OperatorID: op(s, d, false), SectorCode: s, Designation: d, Active: true})
		}
	}
	var back bulletin.Org
	for _, o := range before {
		if o.OperatorID != 0 && !o.Active {
			back = o
			break
		}
	}
	if _, err := db.Owner.Exec(ctx, `UPDATE operators SET status = 'active', withdrawn_at = NULL WHERE id = $1`, back.OperatorID); err != nil {
		t.Fatal(err)
	}
	back.Active = true
	added = append(added, back)
	var n int
	if err := postgres.SystemTx(ctx, db.App, func(tx pgx.Tx) (err error) {
		n, err = postgres.DeliverToLaterOperators(ctx, tx, now)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Again: nothing more.
	if err := postgres.SystemTx(ctx, db.App, func(tx pgx.Tx) error {
		again, err := postgres.DeliverToLaterOperators(ctx, tx, now)
		if again != 0 {
			t.Errorf("a second run added %d recipients", again)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, p := range pubs {
		rows, _ := db.Owner.Query(ctx, `SELECT operator_id FROM bulletin_recipients WHERE bulletin_id = $1 AND operator_id = ANY ($2)`,
			p.b.ID, orgIDs(added))
		got, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			t.Fatal(err)
		}
		var want []int64
		if p.b.ReachesLater(now) {
			for _, o := range added {
				if p.b.Audience.Includes(o) {
					want = append(want, o.OperatorID)
				}
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%+v ack %v: later recipients\n SQL %v\n Go  %v", p.b.Audience, p.ack, got, want)
		}
		total += len(want)
	}
	if n != total || total == 0 {
		t.Errorf("DeliverToLaterOperators added %d, the rule %d", n, total)
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

func orgIDs(orgs []bulletin.Org) []int64 {
	var out []int64
	for _, o := range orgs {
		out = append(out, o.OperatorID)
	}
	return out
}

// TestBulletinsAreImmutable: a published bulletin, an inquiry's message
// and an FAQ entry refuse any change, even to the owner (KJ017); a
// recipient acknowledges once and only when asked; a ministry cannot
// publish as another or to a sector it does not oversee.
func TestBulletinsAreImmutable(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	nco := regPrincipal(t, db, "nco", identity.Grant{Role: identity.RoleNCOAdmin})
	var b bulletin.Bulletin
	if err := postgres.InTx(ctx, db.App, nco, func(tx pgx.Tx) error {
		var err error
		b, _, err = postgres.PublishBulletin(ctx, tx, nco, bulletin.Bulletin{Category: bulletin.Request, Title: "t", Body: "b",
			Audience: bulletin.Audience{Kind: bulletin.Everyone}}, "test")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{`UPDATE bulletins SET title = 'x' WHERE id = $1`, `DELETE FROM bulletins WHERE id = $1`,
		`UPDATE bulletin_recipients SET acked_at = now(), acked_by = (SELECT published_by FROM bulletins WHERE id = $1) WHERE bulletin_id = $1`} {
		_, err := db.Owner.Exec(ctx, sql, b.ID)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "KJ017" {
			t.Errorf("%s: %v, want KJ017", sql, err)
		}
	}
	meti := regPrincipal(t, db, "meti", regMinistryGrant("METI"))
	for name, a := range map[string]bulletin.Bulletin{
		"another ministry": {Ministry: "FSA", Audience: bulletin.Audience{Kind: bulletin.Sectors, Sectors: []string{"finance"}}},
		"foreign sector":   {Ministry: "METI", Audience: bulletin.Audience{Kind: bulletin.Sectors, Sectors: []string{"finance"}}},
		"everyone":         {Ministry: "METI", Audience: bulletin.Audience{Kind: bulletin.Everyone}},
	} {
		a.Category, a.Title, a.Body = bulletin.Alert, "t", "b"
		err := postgres.InTx(ctx, db.App, meti, func(tx pgx.Tx) error {
			_, _, err := postgres.PublishBulletin(ctx, tx, meti, a, "test")
			return err
		})
		if err == nil {
			t.Errorf("%s: published", name)
		}
	}
}
