package postgres_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/text/unicode/norm"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/catalog/baseline"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// catalogEnv is a test database with the shipped draft seeded and the
// principals the catalog tests act as.
type catalogEnv struct {
	db       *pgtest.DB
	draftID  int64
	nco      *identity.Principal
	nco2     *identity.Principal // a second NCO editor
	ministry *identity.Principal // METI staff
	operator *identity.Principal // staff of an electricity operator
}

func newCatalogEnv(t *testing.T) *catalogEnv {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t)
	e := &catalogEnv{db: db}
	oversight, err := postgres.Oversight(ctx, db.Owner)
	if err != nil {
		t.Fatal(err)
	}
	user := func(name string) int64 {
		var id int64
		if err := db.Owner.QueryRow(ctx, `INSERT INTO users (display_name) VALUES ($1) RETURNING id`, name).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	e.nco = identity.NewPrincipal(user("統括 一郎"), "統括 一郎", "", []identity.Grant{{Role: identity.RoleNCOAdmin}}, oversight)
	e.nco2 = identity.NewPrincipal(user("統括 二郎"), "統括 二郎", "", []identity.Grant{{Role: identity.RoleNCOAnalyst}}, oversight)
	e.ministry = identity.NewPrincipal(user("経産 花子"), "経産 花子", "",
		[]identity.Grant{{Role: identity.RoleMinistryStaff, MinistryCode: "METI"}}, oversight)
	e.operator = identity.NewPrincipal(user("電力 太郎"), "電力 太郎", "",
		[]identity.Grant{{Role: identity.RoleOperatorStaff, OperatorID: 1, SectorCode: "electricity"}}, oversight)
	if !seed(t, db) {
		t.Fatal("first seed created nothing")
	}
	if err := db.Owner.QueryRow(ctx, `SELECT id FROM catalogs WHERE code = 'kijun-baseline'`).Scan(&e.draftID); err != nil {
		t.Fatal(err)
	}
	return e
}

// seed runs `kijun seed`'s catalog step as the owner, as the command does.
func seed(t *testing.T, db *pgtest.DB) bool {
	t.Helper()
	var created bool
	err := pgx.BeginFunc(context.Background(), db.Owner, func(tx pgx.Tx) (err error) {
		created, err = postgres.SeedBaseline(context.Background(), tx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return created
}

// as runs fn as p through the application role, so RLS applies.
func (e *catalogEnv) as(t *testing.T, p *identity.Principal, fn func(ctx context.Context, tx pgx.Tx) error) error {
	t.Helper()
	ctx := context.Background()
	return postgres.InTx(ctx, e.db.App, p, func(tx pgx.Tx) error { return fn(ctx, tx) })
}

func actor(p *identity.Principal) audit.Event { return postgres.ActorOf(p, "test") }

func draftCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	ref := catalog.Reference{
		Sections: strings.Fields("BASE GV ID PR DE RR TT"),
		Themes:   strings.Fields("closed-network supply-chain resilience tech-trends communication"),
		Sectors: strings.Fields("ict finance aviation airport railway electricity gas government medical water " +
			"logistics chemical credit petroleum port"),
	}
	c, ps := catalog.ParseYAML(baseline.DraftYAML, ref)
	if catalog.HasErrors(ps) {
		t.Fatal(ps)
	}
	return c
}

func wantError(t *testing.T, err error, code, messageID string) *kijun.Error {
	t.Helper()
	var ke *kijun.Error
	if !errors.As(err, &ke) || ke.Code != code || ke.MessageID != messageID {
		t.Fatalf("error %v: want %s %s", err, code, messageID)
	}
	return ke
}

func auditActions(t *testing.T, db *pgtest.DB) []string {
	t.Helper()
	rows, _ := db.Owner.Query(context.Background(), `SELECT action || ' ' || object_type || ' ' || object_id FROM audit_events ORDER BY id`)
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestSeedBaselineTwiceGivesOneCatalog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newCatalogEnv(t)
	if seed(t, e.db) {
		t.Error("second seed reports it created the catalog")
	}
	var catalogs, controls int
	if err := e.db.Owner.QueryRow(ctx, `SELECT (SELECT count(*) FROM catalogs), (SELECT count(*) FROM controls)`).
		Scan(&catalogs, &controls); err != nil {
		t.Fatal(err)
	}
	want := draftCatalog(t)
	if catalogs != 1 || controls != len(want.Controls) {
		t.Errorf("after two seeds: %d catalogs, %d controls; want 1, %d", catalogs, controls, len(want.Controls))
	}
	if got := auditActions(t, e.db); !reflect.DeepEqual(got, []string{"catalog.import catalog " + itoa(e.draftID)}) {
		t.Errorf("audit: %v", got)
	}

	// What is stored is what was shipped, in order.
	var got *catalog.Catalog
	if err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) (err error) {
		got, err = postgres.GetCatalog(ctx, tx, e.draftID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got.Status != catalog.Draft || got.Code != want.Code || got.Version != want.Version || got.Title != want.Title || got.Note != want.Note {
		t.Errorf("catalog %+v", got)
	}
	if ch := catalog.Diff(want, got); !ch.Empty() {
		t.Errorf("stored draft differs from the shipped one: %+v", ch)
	}
	for i := range got.Controls {
		if got.Controls[i].Ref != want.Controls[i].Ref || got.Controls[i].Version != 1 {
			t.Fatalf("control %d: %s v%d, want %s v1", i, got.Controls[i].Ref, got.Controls[i].Version, want.Controls[i].Ref)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestDraftVisibility(t *testing.T) {
	t.Parallel()
	e := newCatalogEnv(t)
	count := func(p *identity.Principal) (catalogs, controls int) {
		t.Helper()
		if err := e.as(t, p, func(ctx context.Context, tx pgx.Tx) error {
			list, err := postgres.ListCatalogs(ctx, tx)
			catalogs = len(list)
			if err != nil {
				return err
			}
			return tx.QueryRow(ctx, `SELECT count(*) FROM controls`).Scan(&controls)
		}); err != nil {
			t.Fatal(err)
		}
		return
	}
	n := len(draftCatalog(t).Controls)
	if c, k := count(e.nco); c != 1 || k != n {
		t.Errorf("NCO sees %d catalogs, %d controls; want 1, %d", c, k, n)
	}
	for name, p := range map[string]*identity.Principal{"ministry": e.ministry, "operator": e.operator, "anonymous": nil} {
		if c, k := count(p); c != 0 || k != 0 {
			t.Errorf("%s sees %d catalogs, %d controls of a draft", name, c, k)
		}
	}
	err := e.as(t, e.ministry, func(ctx context.Context, tx pgx.Tx) error {
		_, err := postgres.GetCatalog(ctx, tx, e.draftID)
		return err
	})
	wantError(t, err, kijun.ENotFound, "error.not_found")
	err = e.as(t, e.ministry, func(ctx context.Context, tx pgx.Tx) error {
		_, err := postgres.UpdateControl(ctx, tx, e.draftID, "BASE-01", catalog.Control{}, 1, actor(e.ministry))
		return err
	})
	wantError(t, err, kijun.ENotFound, "error.not_found")
	// RLS refuses the write itself, not only the store.
	err = e.as(t, e.ministry, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO catalogs (code, version, title_ja) VALUES ('mine', '1', 'x')`)
		return err
	})
	if pgCodeOf(err) != "42501" {
		t.Errorf("ministry inserting a catalog: %v, want an RLS violation", err)
	}
	err = e.as(t, e.ministry, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE controls SET title_ja = 'x'`)
		if err == nil && tag.RowsAffected() != 0 {
			t.Errorf("ministry updated %d controls", tag.RowsAffected())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// Once published, every signed-in user reads it; anonymous still nothing.
	if err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) error {
		return postgres.Publish(ctx, tx, e.draftID, actor(e.nco))
	}); err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]*identity.Principal{"ministry": e.ministry, "operator": e.operator} {
		if c, k := count(p); c != 1 || k != n {
			t.Errorf("%s sees %d catalogs, %d controls of the published one; want 1, %d", name, c, k, n)
		}
	}
	if c, k := count(nil); c != 0 || k != 0 {
		t.Errorf("anonymous sees %d catalogs, %d controls", c, k)
	}
	var list []catalog.Summary
	if err := e.as(t, e.operator, func(ctx context.Context, tx pgx.Tx) (err error) {
		list, err = postgres.ListCatalogs(ctx, tx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if list[0].PublishedBy != "統括 一郎" || list[0].PublishedAt == nil || list[0].ControlCount != n {
		t.Errorf("operator's view of the published catalog: %+v", list[0])
	}
}

func pgCodeOf(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func publish(t *testing.T, e *catalogEnv, id int64) {
	t.Helper()
	if err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) error {
		return postgres.Publish(ctx, tx, id, actor(e.nco))
	}); err != nil {
		t.Fatal(err)
	}
}

func TestPublishedCatalogIsImmutable(t *testing.T) {
	t.Parallel()
	e := newCatalogEnv(t)
	publish(t, e, e.draftID)
	var ctl catalog.Control
	if err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) (err error) {
		ctl, err = postgres.GetControl(ctx, tx, e.draftID, "PR-01")
		return err
	}); err != nil {
		t.Fatal(err)
	}

	// Through the store.
	edited := ctl
	edited.Title.Ja += "(改)"
	steps := map[string]func(ctx context.Context, tx pgx.Tx) error{
		"UpdateControl": func(ctx context.Context, tx pgx.Tx) error {
			_, err := postgres.UpdateControl(ctx, tx, e.draftID, ctl.Ref, edited, ctl.Version, actor(e.nco))
			return err
		},
		"AddControl": func(ctx context.Context, tx pgx.Tx) error {
			c := ctl
			c.Ref = "PR-99"
			_, err := postgres.AddControl(ctx, tx, e.draftID, c, actor(e.nco))
			return err
		},
		"RemoveControl": func(ctx context.Context, tx pgx.Tx) error {
			return postgres.RemoveControl(ctx, tx, e.draftID, ctl.Ref, ctl.Version, actor(e.nco))
		},
	}
	for name, fn := range steps {
		var ke *kijun.Error
		if err := e.as(t, e.nco, fn); !errors.As(err, &ke) || ke.Code != kijun.EConflict || ke.MessageID != "catalog.published_immutable" {
			t.Errorf("%s on a published catalog: %v, want catalog.published_immutable", name, err)
		}
	}
	err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) error { return postgres.Publish(ctx, tx, e.draftID, actor(e.nco)) })
	wantError(t, err, kijun.EConflict, catalog.MsgBadTransition)

	// Straight at the database, as the application role (an NCO, whom RLS
	// lets write) and as the owner (whom RLS does not stop): the triggers
	// refuse.
	id := itoa(e.draftID)
	direct := []string{
		`UPDATE controls SET title_ja = 'x' WHERE catalog_id = ` + id,
		`UPDATE controls SET version = version + 1 WHERE catalog_id = ` + id + ` AND ref = 'PR-01'`,
		`DELETE FROM controls WHERE catalog_id = ` + id,
		`INSERT INTO controls (catalog_id, ref, section_code, title_ja, statement_ja) VALUES (` + id + `, 'PR-98', 'PR', 'x', 'x')`,
		`UPDATE catalogs SET title_ja = 'x' WHERE id = ` + id,
		`UPDATE catalogs SET status = 'draft', published_at = NULL WHERE id = ` + id,
		`UPDATE catalogs SET status = 'superseded', title_en = 'x' WHERE id = ` + id,
	}
	for _, sql := range direct {
		err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) error {
			_, err := tx.Exec(ctx, sql)
			return err
		})
		if pgCodeOf(err) != "KJ001" {
			t.Errorf("kijun_app as NCO: %s: %v, want the trigger's KJ001", sql, err)
		}
	}
	ctx := context.Background()
	owner := append(direct, `DELETE FROM catalogs WHERE id = `+id, `TRUNCATE controls`, `TRUNCATE catalogs CASCADE`)
	for _, sql := range owner {
		_, err := e.db.Owner.Exec(ctx, sql)
		if pgCodeOf(err) != "KJ001" {
			t.Errorf("owner: %s: %v, want the trigger's KJ001", sql, err)
		}
	}

	// Nothing changed.
	var got catalog.Control
	if err := e.as(t, e.ministry, func(ctx context.Context, tx pgx.Tx) (err error) {
		got, err = postgres.GetControl(ctx, tx, e.draftID, "PR-01")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, ctl) {
		t.Errorf("published control changed:\n%+v\n%+v", got, ctl)
	}
}

func TestOptimisticLocking(t *testing.T) {
	t.Parallel()
	e := newCatalogEnv(t)
	var v1 catalog.Control
	if err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) (err error) {
		v1, err = postgres.GetControl(ctx, tx, e.draftID, "RR-01")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	mine := v1
	mine.Title.Ja = "一郎の修正"
	theirs := v1
	theirs.Title.Ja = "二郎の修正"

	var v2 catalog.Control
	if err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) (err error) {
		v2, err = postgres.UpdateControl(ctx, tx, e.draftID, "RR-01", mine, 1, actor(e.nco))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if v2.Version != 2 || v2.Title.Ja != "一郎の修正" {
		t.Fatalf("after update: %+v", v2)
	}
	// The second editor still holds version 1.
	err := e.as(t, e.nco2, func(ctx context.Context, tx pgx.Tx) error {
		_, err := postgres.UpdateControl(ctx, tx, e.draftID, "RR-01", theirs, 1, actor(e.nco2))
		return err
	})
	ke := wantError(t, err, kijun.EConflict, "catalog.conflict")
	if cur, _ := ke.Args["Current"].(catalog.Control); !reflect.DeepEqual(cur, v2) || ke.Args["Version"] != 2 || ke.Args["Ref"] != "RR-01" {
		t.Errorf("conflict args: %+v", ke.Args)
	}
	err = e.as(t, e.nco2, func(ctx context.Context, tx pgx.Tx) error {
		return postgres.RemoveControl(ctx, tx, e.draftID, "RR-01", 1, actor(e.nco2))
	})
	wantError(t, err, kijun.EConflict, "catalog.conflict")

	// The same race with both transactions open: the second one's UPDATE
	// waits for the first to commit, then finds the version moved.
	ctx := context.Background()
	txA, err := e.db.App.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txA.Rollback(ctx)
	if err := setPrincipalTx(ctx, txA, e.nco); err != nil {
		t.Fatal(err)
	}
	mine.Title.Ja = "一郎の再修正"
	if _, err := postgres.UpdateControl(ctx, txA, e.draftID, "RR-01", mine, 2, actor(e.nco)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- e.as(t, e.nco2, func(ctx context.Context, tx pgx.Tx) error {
			_, err := postgres.UpdateControl(ctx, tx, e.draftID, "RR-01", theirs, 2, actor(e.nco2))
			return err
		})
	}()
	waitForLockWait(t, e.db)
	if err := txA.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	ke = wantError(t, <-done, kijun.EConflict, "catalog.conflict")
	if cur, _ := ke.Args["Current"].(catalog.Control); cur.Version != 3 || cur.Title.Ja != "一郎の再修正" {
		t.Errorf("conflict after waiting: current %+v", ke.Args["Current"])
	}

	// Both successful edits are audited with before and after.
	var n int
	if err := e.db.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'catalog.control.update'
		AND object_type = 'control' AND object_id = $1 AND before->'Title'->>'ja' IS NOT NULL
		AND after->>'Version' IS NOT NULL AND ministry_code IS NULL AND operator_id IS NULL`, itoa(e.draftID)+"/RR-01").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d audited control updates, want 2", n)
	}
}

// setPrincipalTx sets p on a transaction begun by hand, as InTx does.
func setPrincipalTx(ctx context.Context, tx pgx.Tx, p *identity.Principal) error {
	_, err := tx.Exec(ctx, `SELECT set_config('kijun.user_id', $1, true), set_config('kijun.nco', 'true', true)`, itoa(p.UserID))
	return err
}

// waitForLockWait returns once some backend of the test database waits
// for a lock.
func waitForLockWait(t *testing.T, db *pgtest.DB) {
	t.Helper()
	db.Await(t, "the second editor waiting for the first", `SELECT EXISTS (SELECT FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock')`)
}

func TestAddAndRemoveControl(t *testing.T) {
	t.Parallel()
	e := newCatalogEnv(t)
	c := catalog.Control{
		Ref: "TT-99", Section: "TT",
		Title:     kijun.Text{Ja: "量子耐性暗号への移行計画", En: "Migration plan to post-quantum cryptography"},
		Statement: kijun.Text{Ja: "移行計画を定めること。", En: "Set a migration plan."},
		Themes:    []string{"tech-trends"}, CSF: []string{"PR.DS"}, Sectors: []string{"finance"},
	}
	var added catalog.Control
	if err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) (err error) {
		added, err = postgres.AddControl(ctx, tx, e.draftID, c, actor(e.nco))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	c.Version = 1
	if !reflect.DeepEqual(added, c) {
		t.Errorf("added\n%+v\nwant\n%+v", added, c)
	}
	err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) error {
		_, err := postgres.AddControl(ctx, tx, e.draftID, c, actor(e.nco))
		return err
	})
	wantError(t, err, kijun.EConflict, "catalog.ref_exists")
	bad := c
	bad.Ref, bad.Statement.En, bad.Themes = "TT-98", "", []string{"no-such-theme"}
	err = e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) error {
		_, err := postgres.AddControl(ctx, tx, e.draftID, bad, actor(e.nco))
		return err
	})
	ke := wantError(t, err, kijun.EInvalid, "catalog.invalid")
	var ids []string
	for _, p := range ke.Args["Problems"].([]catalog.Problem) {
		ids = append(ids, p.ID)
	}
	// Missing English does not stop a draft (a warning); the unknown theme does.
	if want := []string{"catalog.problem.unknown_theme"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("problems %v, want %v", ids, want)
	}

	// The new control is the last of its section.
	var got *catalog.Catalog
	if err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) (err error) {
		got, err = postgres.GetCatalog(ctx, tx, e.draftID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if last := got.Controls[len(got.Controls)-1]; last.Ref != "TT-99" {
		t.Errorf("last control %s", last.Ref)
	}

	if err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) error {
		return postgres.RemoveControl(ctx, tx, e.draftID, "TT-99", 1, actor(e.nco))
	}); err != nil {
		t.Fatal(err)
	}
	err = e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) error {
		_, err := postgres.GetControl(ctx, tx, e.draftID, "TT-99")
		return err
	})
	wantError(t, err, kijun.ENotFound, "error.not_found")
	got2 := auditActions(t, e.db)
	id := itoa(e.draftID)
	want := []string{"catalog.import catalog " + id, "catalog.control.add control " + id + "/TT-99", "catalog.control.remove control " + id + "/TT-99"}
	if !reflect.DeepEqual(got2, want) {
		t.Errorf("audit\n%v\nwant\n%v", got2, want)
	}

	// The database checks theme codes too, should a caller skip validation.
	_, err = e.db.Owner.Exec(context.Background(), `INSERT INTO controls (catalog_id, ref, section_code, title_ja, statement_ja, themes)
		VALUES ($1, 'TT-97', 'TT', 'x', 'x', '{no-such-theme}')`, e.draftID)
	if pgCodeOf(err) != "23503" {
		t.Errorf("unknown theme inserted directly: %v", err)
	}
}

func TestPublishSupersedesThePrevious(t *testing.T) {
	t.Parallel()
	e := newCatalogEnv(t)
	publish(t, e, e.draftID)
	v1 := e.draftID

	var v2 int64
	if err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) (err error) {
		v2, err = postgres.NewDraftFrom(ctx, tx, v1, "2026.2", actor(e.nco))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		from    int64
		version string
		msg     string
	}{
		{v1, "2026.3", "catalog.draft_exists"},
		{v2, "2026.3", "catalog.copy_not_published"},
		{v1, " ", "catalog.version_required"},
	} {
		err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) error {
			_, err := postgres.NewDraftFrom(ctx, tx, tc.from, tc.version, actor(e.nco))
			return err
		})
		var ke *kijun.Error
		if !errors.As(err, &ke) || ke.MessageID != tc.msg {
			t.Errorf("NewDraftFrom(%d, %q): %v, want %s", tc.from, tc.version, err, tc.msg)
		}
	}

	// Edit the new draft, then publish it.
	var old, draft *catalog.Catalog
	if err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) (err error) {
		if old, err = postgres.GetCatalog(ctx, tx, v1); err != nil {
			return err
		}
		if draft, err = postgres.GetCatalog(ctx, tx, v2); err != nil {
			return err
		}
		c := draft.Controls[5]
		c.Statement.En += " Review it every year."
		if _, err = postgres.UpdateControl(ctx, tx, v2, c.Ref, c, c.Version, actor(e.nco)); err != nil {
			return err
		}
		// A changed control needs its 改定理由 before consultation.
		return postgres.SetReason(ctx, tx, v2, c.Ref, "毎年の見直しを明記", actor(e.nco))
	}); err != nil {
		t.Fatal(err)
	}
	if ch := catalog.Diff(old, draft); !ch.Empty() {
		t.Errorf("a new draft should copy the last version exactly: %+v", ch)
	}
	publish(t, e, v2)

	var list []catalog.Summary
	if err := e.as(t, e.ministry, func(ctx context.Context, tx pgx.Tx) (err error) {
		list, err = postgres.ListCatalogs(ctx, tx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	status := map[int64]catalog.Status{}
	for _, c := range list {
		status[c.ID] = c.Status
	}
	if !reflect.DeepEqual(status, map[int64]catalog.Status{v1: catalog.Superseded, v2: catalog.Published}) {
		t.Errorf("statuses after the second publish: %v", status)
	}
	if list[0].ID != v2 || list[0].BasedOn != v1 {
		t.Errorf("list order or based_on: %+v", list)
	}
	var newer *catalog.Catalog
	if err := e.as(t, e.ministry, func(ctx context.Context, tx pgx.Tx) (err error) {
		newer, err = postgres.GetCatalog(ctx, tx, v2)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ch := catalog.Diff(old, newer)
	if len(ch.Added)+len(ch.Removed) != 0 || len(ch.Changed) != 1 || ch.Changed[0].Ref != old.Controls[5].Ref ||
		len(ch.Changed[0].Fields) != 1 || ch.Changed[0].Fields[0].Field != "statement.en" {
		t.Errorf("diff v1 → v2: %+v", ch)
	}

	// A superseded catalog is as frozen as a published one.
	_, err := e.db.Owner.Exec(context.Background(), `UPDATE catalogs SET status = 'published' WHERE id = $1`, v1)
	if pgCodeOf(err) != "KJ001" {
		t.Errorf("superseded → published: %v", err)
	}
	id1, id2 := itoa(v1), itoa(v2)
	want := []string{
		"catalog.import catalog " + id1,
		"catalog.consultation.open catalog " + id1,
		"catalog.decide catalog " + id1,
		"catalog.publish catalog " + id1,
		"catalog.draft.create catalog " + id2,
		"catalog.control.update control " + id2 + "/" + old.Controls[5].Ref,
		"catalog.reason.set control " + id2 + "/" + old.Controls[5].Ref,
		"catalog.consultation.open catalog " + id2,
		"catalog.decide catalog " + id2,
		"catalog.supersede catalog " + id1,
		"catalog.publish catalog " + id2,
	}
	if got := auditActions(t, e.db); !reflect.DeepEqual(got, want) {
		t.Errorf("audit\n%v\nwant\n%v", got, want)
	}
}

// matching is what a search must return, worked out without the
// database: the controls whose text contains every word, NFKC-normalised
// and case-folded.
func matching(c *catalog.Catalog, words ...string) []string {
	var refs []string
	for _, k := range c.Controls {
		hay := strings.ToLower(norm.NFKC.String(strings.Join([]string{k.Ref, k.Title.Ja, k.Title.En,
			k.Statement.Ja, k.Statement.En, k.Guidance.Ja, k.Guidance.En}, " ")))
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(hay, strings.ToLower(norm.NFKC.String(w)))
		}
		if ok {
			refs = append(refs, k.Ref)
		}
	}
	slices.Sort(refs)
	return refs
}

func refsOf(cs []catalog.Control) []string {
	var refs []string
	for _, c := range cs {
		refs = append(refs, c.Ref)
	}
	return refs
}

func TestSearchControls(t *testing.T) {
	t.Parallel()
	e := newCatalogEnv(t)
	draft := draftCatalog(t)
	search := func(q string, f catalog.ControlFilter) []catalog.Control {
		t.Helper()
		var got []catalog.Control
		if err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) (err error) {
			got, err = postgres.SearchControls(ctx, tx, e.draftID, q, f)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}

	for _, tc := range []struct {
		query string
		words []string
	}{
		{"バックアップ", []string{"バックアップ"}},
		{"ﾊﾞｯｸｱｯﾌﾟ", []string{"バックアップ"}}, // half-width kana, as some keyboards give
		{"暗号", []string{"暗号"}},           // two characters: below a trigram
		{"鍵", []string{"鍵"}},
		{"backup", []string{"backup"}},
		{"Offline backups", []string{"offline", "backups"}},
		{"ＯＴ　資産", []string{"OT", "資産"}}, // full-width letters and an ideographic space
		{"pr-0", []string{"PR-0"}},
	} {
		got := refsOf(search(tc.query, catalog.ControlFilter{}))
		slices.Sort(got)
		want := matching(draft, tc.words...)
		if len(want) == 0 {
			t.Errorf("%q: the shipped draft has no match; pick another word", tc.query)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("search %q:\nhave %v\nwant %v", tc.query, got, want)
		}
	}

	// Controls titled after backups come before those that only mention them.
	hits := search("バックアップ", catalog.ControlFilter{})
	titled := 0
	for _, c := range draft.Controls {
		if strings.Contains(c.Title.Ja, "バックアップ") {
			titled++
		}
	}
	if titled < 2 {
		t.Fatalf("only %d titles mention バックアップ", titled)
	}
	for i, c := range hits {
		if (i < titled) != strings.Contains(c.Title.Ja, "バックアップ") {
			t.Errorf("rank %d: %s %s", i, c.Ref, c.Title.Ja)
		}
	}
	if hits := search("PR-01", catalog.ControlFilter{}); len(hits) == 0 || hits[0].Ref != "PR-01" {
		t.Errorf("an exact ref should come first: %v", refsOf(hits))
	}
	if hits := search("no-such-words-anywhere 100%", catalog.ControlFilter{}); len(hits) != 0 {
		t.Errorf("nonsense found %v", refsOf(hits))
	}

	// Filters.
	for _, c := range search("バックアップ", catalog.ControlFilter{Section: "RR"}) {
		if c.Section != "RR" {
			t.Errorf("section filter let %s through", c.Ref)
		}
	}
	all := search("", catalog.ControlFilter{})
	if !reflect.DeepEqual(refsOf(all), refsOf(draft.Controls)) {
		t.Errorf("empty query should list the catalog in order")
	}
	count := func(pred func(catalog.Control) bool) int {
		n := 0
		for _, c := range draft.Controls {
			if pred(c) {
				n++
			}
		}
		return n
	}
	for name, tc := range map[string]struct {
		f    catalog.ControlFilter
		pred func(catalog.Control) bool
	}{
		"theme":        {catalog.ControlFilter{Theme: "supply-chain"}, func(c catalog.Control) bool { return slices.Contains(c.Themes, "supply-chain") }},
		"csf category": {catalog.ControlFilter{CSF: "PR.DS"}, func(c catalog.Control) bool { return slices.Contains(c.CSF, "PR.DS") }},
		"csf function": {catalog.ControlFilter{CSF: "RS"}, func(c catalog.Control) bool {
			return slices.ContainsFunc(c.CSF, func(s string) bool { return strings.HasPrefix(s, "RS.") })
		}},
		"sector": {catalog.ControlFilter{Sector: "port"}, func(c catalog.Control) bool {
			return len(c.Sectors) == 0 || slices.Contains(c.Sectors, "port")
		}},
	} {
		got := search("", tc.f)
		if n := count(tc.pred); len(got) != n || n == 0 || n == len(draft.Controls) {
			t.Errorf("%s filter: %d controls, want %d (of %d)", name, len(got), n, len(draft.Controls))
		}
		for _, c := range got {
			if !tc.pred(c) {
				t.Errorf("%s filter let %s through", name, c.Ref)
			}
		}
	}

	// A ministry may search the draft only once it is published.
	var got []catalog.Control
	if err := e.as(t, e.ministry, func(ctx context.Context, tx pgx.Tx) (err error) {
		got, err = postgres.SearchControls(ctx, tx, e.draftID, "バックアップ", catalog.ControlFilter{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("ministry found %d draft controls", len(got))
	}
}

// TestSearchUsesTrigramIndex checks that substring search of three or
// more characters, Japanese or English, can be served by the index.
func TestSearchUsesTrigramIndex(t *testing.T) {
	t.Parallel()
	e := newCatalogEnv(t)
	ctx := context.Background()
	for _, q := range []string{"%バックアップ%", "%backup%"} {
		var remediation []string
		err := pgx.BeginFunc(ctx, e.db.Owner, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
				return err
			}
			rows, _ := tx.Query(ctx, `EXPLAIN SELECT ref FROM controls WHERE search_text ILIKE '`+q+`'`)
			var err error
			remediation, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(remediation, "\n"), "controls_search") {
			t.Errorf("%s: plan does not use controls_search:\n%s", q, strings.Join(remediation, "\n"))
		}
	}
}

// TestCatalogMigrationDown checks that the migrations' down removes every
// object of the catalog, the trigram extension included, so that up runs
// again cleanly.
func TestCatalogMigrationDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.Empty(t)
	if err := postgres.MigrateUp(ctx, db.Owner); err != nil {
		t.Fatal(err)
	}
	objects := func() (n int) {
		t.Helper()
		if err := db.Owner.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM pg_class WHERE relname IN ('catalogs', 'controls') AND relnamespace = 'public'::regnamespace)
			+ (SELECT count(*) FROM pg_proc WHERE proname IN ('kijun_controls_codes', 'kijun_controls_guard',
				'kijun_catalogs_guard', 'kijun_catalogs_no_truncate'))
			+ (SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := objects(); n != 7 {
		t.Fatalf("after up: %d of 7 objects", n)
	}
	if err := postgres.MigrateDown(ctx, db.Owner, postgres.MigrationCount()); err != nil {
		t.Fatal(err)
	}
	if n := objects(); n != 0 {
		t.Fatalf("after down: %d objects left", n)
	}
	if err := postgres.MigrateUp(ctx, db.Owner); err != nil {
		t.Fatal(err)
	}
	if n := objects(); n != 7 {
		t.Fatalf("up again: %d of 7 objects", n)
	}
}

// A draft is written Japanese first: a control without English is saved,
// and publishing is refused until its English is there, naming it.
func TestJapaneseFirstDraftPublishesOnlyWithEnglish(t *testing.T) {
	t.Parallel()
	e := newCatalogEnv(t)
	c := catalog.Control{
		Ref: "TT-98", Section: "TT",
		Title:     kijun.Text{Ja: "量子耐性暗号への移行計画"},
		Statement: kijun.Text{Ja: "移行計画を定めること。"},
	}
	var added catalog.Control
	if err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) (err error) {
		added, err = postgres.AddControl(ctx, tx, e.draftID, c, actor(e.nco))
		return err
	}); err != nil {
		t.Fatalf("a Japanese-only control was refused in a draft: %v", err)
	}
	err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) error { return postgres.Publish(ctx, tx, e.draftID, actor(e.nco)) })
	ke := wantError(t, err, kijun.EInvalid, "catalog.publish_needs_english")
	if ke.Args["Refs"] != "TT-98" || ke.Args["Count"] != 1 {
		t.Errorf("refusal args %v, want TT-98 named", ke.Args)
	}
	c.Title.En, c.Statement.En = "Migration plan to post-quantum cryptography", "Set a migration plan."
	if err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) error {
		_, err := postgres.UpdateControl(ctx, tx, e.draftID, c.Ref, c, added.Version, actor(e.nco))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) error { return postgres.Publish(ctx, tx, e.draftID, actor(e.nco)) }); err != nil {
		t.Fatalf("publishing with the English: %v", err)
	}
}
