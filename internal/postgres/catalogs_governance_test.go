package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
)

func govToday() time.Time { return catalog.DateJST(time.Now()) }

// TestGovernanceWalk walks a version through consultation, comments, the
// public-comment results and a decision effective tomorrow: decided, not
// in force, and a cycle cannot bind it; a second version decided with
// today's 施行日 comes into force at once and supersedes the first.
func TestGovernanceWalk(t *testing.T) {
	t.Parallel()
	e := newCatalogEnv(t)
	ctx := context.Background()
	oversight, err := postgres.Oversight(ctx, e.db.Owner)
	if err != nil {
		t.Fatal(err)
	}
	var fsaID int64
	if err := e.db.Owner.QueryRow(ctx, `INSERT INTO users (display_name) VALUES ('金融 次郎') RETURNING id`).Scan(&fsaID); err != nil {
		t.Fatal(err)
	}
	fsa := identity.NewPrincipal(fsaID, "金融 次郎", "", []identity.Grant{{Role: identity.RoleMinistryStaff, MinistryCode: "FSA"}}, oversight)

	// A ministry cannot comment on a draft it cannot see.
	err = e.as(t, e.ministry, func(ctx context.Context, tx pgx.Tx) error {
		_, err := postgres.AddCatalogComment(ctx, tx, e.ministry, e.draftID, "METI", "", "意見", "test")
		return err
	})
	if !errors.Is(err, kijun.ErrNotFound) {
		t.Errorf("comment on a draft: %v, want not found", err)
	}
	if err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) error {
		return postgres.OpenConsultation(ctx, tx, e.draftID, actor(e.nco))
	}); err != nil {
		t.Fatal(err)
	}
	// Frozen under consultation.
	err = e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) error {
		return postgres.SetReason(ctx, tx, e.draftID, "GV-01", "理由", actor(e.nco))
	})
	wantError(t, err, kijun.EConflict, "catalog.published_immutable")

	comment := func(p *identity.Principal, ministry, ref, body string) error {
		return e.as(t, p, func(ctx context.Context, tx pgx.Tx) error {
			_, err := postgres.AddCatalogComment(ctx, tx, p, e.draftID, ministry, ref, body, "test")
			return err
		})
	}
	if err := comment(e.ministry, "METI", "", "全体として賛成します。"); err != nil {
		t.Fatal(err)
	}
	if err := comment(e.ministry, "METI", "GV-01", "GV-01 の表現を明確にしてください。"); err != nil {
		t.Fatal(err)
	}
	if err := comment(fsa, "FSA", "", "金融分野の意見です。"); err != nil {
		t.Fatal(err)
	}
	wantError(t, comment(e.ministry, "FSA", "", "他省庁として"), kijun.EInvalid, "catalog.governance.ministry")
	wantError(t, comment(e.ministry, "METI", "", "  "), kijun.EInvalid, "catalog.governance.comment_empty")
	wantError(t, comment(e.ministry, "METI", "ZZ-99", "x"), kijun.EInvalid, "catalog.governance.ref_unknown")

	count := func(p *identity.Principal) int {
		var cs []catalog.Comment
		err := e.as(t, p, func(ctx context.Context, tx pgx.Tx) (err error) {
			cs, err = postgres.ListCatalogComments(ctx, tx, e.draftID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return len(cs)
	}
	if n, m, f, o := count(e.nco), count(e.ministry), count(fsa), count(e.operator); n != 3 || m != 2 || f != 1 || o != 0 {
		t.Errorf("comments seen: NCO %d, METI %d, FSA %d, operator %d; want 3 2 1 0", n, m, f, o)
	}
	// Operators do not see a version under consultation.
	err = e.as(t, e.operator, func(ctx context.Context, tx pgx.Tx) error {
		_, err := postgres.GetCatalog(ctx, tx, e.draftID)
		return err
	})
	if !errors.Is(err, kijun.ErrNotFound) {
		t.Errorf("operator reads a version under consultation: %v", err)
	}

	// The public-comment results: the evidence checks apply.
	addPublic := func(name string, data []byte, summary string) error {
		return e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) error {
			_, err := postgres.AddPublicComment(ctx, tx, e.draftID, name, data, 1<<20, summary, actor(e.nco))
			return err
		})
	}
	wantError(t, addPublic("result.pdf", []byte("MZ\x90\x00 not a pdf"), "概要"), kijun.EInvalid, "assessment.evidence.type_refused")
	wantError(t, addPublic("result.txt", []byte("結果"), " "), kijun.EInvalid, "catalog.governance.summary_required")
	if err := addPublic("result.txt", []byte("意見公募の結果: 12件"), "12件の意見があり、2件を反映しました。"); err != nil {
		t.Fatal(err)
	}

	// Decided, effective tomorrow: not in force.
	tomorrow := govToday().AddDate(0, 0, 1)
	d := catalog.Decision{DecidedBy: "推進専門家会議", Reference: "第40回 決定第1号", DecidedOn: govToday(), EffectiveOn: tomorrow}
	var inForce bool
	if err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) (err error) {
		inForce, err = postgres.Decide(ctx, tx, e.draftID, d, actor(e.nco))
		return err
	}); err != nil || inForce {
		t.Fatalf("decide: in force %v, %v", inForce, err)
	}
	var c *catalog.Catalog
	if err := e.as(t, e.operator, func(ctx context.Context, tx pgx.Tx) (err error) {
		c, err = postgres.GetCatalog(ctx, tx, e.draftID)
		return err
	}); err != nil {
		t.Fatalf("a decided version is read by everyone: %v", err)
	}
	if c.Status != catalog.Decided || c.Decision == nil || c.Decision.Reference != d.Reference ||
		!c.Decision.EffectiveOn.Equal(tomorrow) || len(c.PublicComments) != 1 {
		t.Errorf("decided version: %+v decision %+v", c, c.Decision)
	}
	// Not in force before its 施行日: the job leaves it, the database refuses.
	var moved []int64
	if err := pgx.BeginFunc(ctx, e.db.Owner, func(tx pgx.Tx) (err error) {
		moved, err = postgres.BringDecidedIntoForce(ctx, tx)
		return err
	}); err != nil || len(moved) != 0 {
		t.Errorf("brought into force before the 施行日: %v %v", moved, err)
	}
	for _, sql := range []string{
		`UPDATE catalogs SET status = 'published', published_at = now() WHERE id = $1`,
		`UPDATE catalog_decisions SET effective_on = current_date - 1 WHERE catalog_id = $1`,
		`DELETE FROM catalog_decisions WHERE catalog_id = $1`,
		`UPDATE catalogs SET status = 'consultation' WHERE id = $1`,
		`INSERT INTO catalog_comments (catalog_id, ministry_code, body) VALUES ($1, 'METI', 'late')`,
	} {
		if _, err := e.db.Owner.Exec(ctx, sql, e.draftID); pgCodeOf(err) != "KJ001" {
			t.Errorf("owner: %s: %v, want KJ001", sql, err)
		}
	}
	// A cycle cannot bind it: the store, and the database.
	err = e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) error {
		_, _, err := postgres.OpenCycle(ctx, tx, e.nco, postgres.CycleInput{FiscalYear: kijun.FiscalYearOf(time.Now()),
			CatalogID: e.draftID, OpensOn: govToday(), DueOn: govToday().AddDate(0, 2, 0)}, nil, "test")
		return err
	})
	var ke *kijun.Error
	if !errors.As(err, &ke) || ke.Code != kijun.EInvalid {
		t.Errorf("cycle on a decided version: %v", err)
	}
	if _, err := e.db.Owner.Exec(ctx, `INSERT INTO cycles (fiscal_year, catalog_id, opens_on, due_on) VALUES (2030, $1, '2030-04-01', '2030-06-30')`,
		e.draftID); pgCodeOf(err) != "KJ001" {
		t.Errorf("cycle on a decided version, straight in the database: %v", err)
	}

	// A second code, decided with today's 施行日: in force at once.
	var v2 int64
	if err := pgx.BeginFunc(ctx, e.db.Owner, func(tx pgx.Tx) (err error) {
		c := draftCatalog(t)
		c.Code, c.Version = "governance-test", "1"
		v2, _, err = postgres.ImportCatalog(ctx, tx, c, actor(e.nco))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) (err error) {
		if err := postgres.OpenConsultation(ctx, tx, v2, actor(e.nco)); err != nil {
			return err
		}
		d.EffectiveOn = govToday()
		inForce, err = postgres.Decide(ctx, tx, v2, d, actor(e.nco))
		return err
	}); err != nil || !inForce {
		t.Fatalf("decide effective today: in force %v, %v", inForce, err)
	}
	if _, err := e.db.Owner.Exec(ctx, `INSERT INTO cycles (fiscal_year, catalog_id, opens_on, due_on) VALUES (2030, $1, '2030-04-01', '2030-06-30')`,
		v2); err != nil {
		t.Errorf("cycle on the version in force: %v", err)
	}
	got := auditActions(t, e.db)
	for _, want := range []string{"catalog.consultation.open catalog " + itoa(e.draftID), "catalog.comment.add catalog_comment 1",
		"catalog.public_comment.add catalog_public_comment 1", "catalog.decide catalog " + itoa(e.draftID), "catalog.publish catalog " + itoa(v2)} {
		found := false
		for _, g := range got {
			found = found || g == want
		}
		if !found {
			t.Errorf("audit lacks %q: %v", want, got)
		}
	}
}

// TestNoInForceWithoutDecision: straight in the database, even as the
// owner, a version is never decided, in force or superseded without a
// decision record, and a decision is recorded only under consultation.
func TestNoInForceWithoutDecision(t *testing.T) {
	t.Parallel()
	e := newCatalogEnv(t)
	ctx := context.Background()
	id := e.draftID
	steps := []struct {
		sql  string
		fail bool
	}{
		{`UPDATE catalogs SET status = 'published', published_at = now() WHERE id = $1`, true}, // draft → in force
		{`UPDATE catalogs SET status = 'decided' WHERE id = $1`, true},                         // draft → decided
		{`INSERT INTO catalog_decisions (catalog_id, decided_by, reference, decided_on, effective_on)
			VALUES ($1, 'x', 'y', current_date, current_date)`, true}, // a decision of a draft
		{`UPDATE catalogs SET status = 'consultation', consultation_opened_at = now() WHERE id = $1`, false},
		{`UPDATE catalogs SET status = 'decided' WHERE id = $1`, true},                                     // no decision
		{`UPDATE catalogs SET status = 'published', published_at = now() WHERE id = $1`, true},             // no decision
		{`UPDATE controls SET title_ja = 'x' WHERE catalog_id = $1`, true},                                 // frozen
		{`INSERT INTO catalog_revision_reasons (catalog_id, ref, reason) VALUES ($1, 'GV-01', 'x')`, true}, // frozen
		{`INSERT INTO catalog_decisions (catalog_id, decided_by, reference, decided_on, effective_on)
			VALUES ($1, 'x', 'y', current_date, current_date + 30)`, false},
		{`UPDATE catalogs SET status = 'decided' WHERE id = $1`, false},
		{`UPDATE catalogs SET status = 'published', published_at = now() WHERE id = $1`, true}, // before its 施行日
		{`UPDATE catalogs SET title_ja = 'x' WHERE id = $1`, true},                             // decided is immutable
	}
	for _, s := range steps {
		_, err := e.db.Owner.Exec(ctx, s.sql, id)
		if s.fail && pgCodeOf(err) != "KJ001" {
			t.Errorf("%s: %v, want KJ001", s.sql, err)
		}
		if !s.fail && err != nil {
			t.Fatalf("%s: %v", s.sql, err)
		}
	}
	// And the domain says the same.
	if err := catalog.Transition(catalog.Consultation, catalog.Decided, nil, time.Now()); err == nil {
		t.Error("domain: decided without a decision")
	}
}

// TestDecidedComesIntoForceByTheJob: a decided version whose 施行日 has
// come is brought into force by the daily job's function, supersedes the
// version before and queues the catalog.published fan-out.
func TestDecidedComesIntoForceByTheJob(t *testing.T) {
	t.Parallel()
	e := newCatalogEnv(t)
	ctx := context.Background()
	publish(t, e, e.draftID)
	var v2 int64
	if err := e.as(t, e.nco, func(ctx context.Context, tx pgx.Tx) (err error) {
		if v2, err = postgres.NewDraftFrom(ctx, tx, e.draftID, "2027.1", actor(e.nco)); err != nil {
			return err
		}
		return postgres.OpenConsultation(ctx, tx, v2, actor(e.nco))
	}); err != nil {
		t.Fatal(err)
	}
	// Decided yesterday, effective today, and not yet brought into force
	// (as when the decision was recorded with a later 施行日).
	for _, sql := range []string{
		`INSERT INTO catalog_decisions (catalog_id, decided_by, reference, decided_on, effective_on)
			VALUES ($1, '推進専門家会議', '決定第2号', current_date - 1, current_date)`,
		`UPDATE catalogs SET status = 'decided' WHERE id = $1`,
	} {
		if _, err := e.db.Owner.Exec(ctx, sql, v2); err != nil {
			t.Fatal(err)
		}
	}
	var moved []int64
	if err := pgx.BeginFunc(ctx, e.db.Owner, func(tx pgx.Tx) (err error) {
		moved, err = postgres.BringDecidedIntoForce(ctx, tx)
		return err
	}); err != nil || len(moved) != 1 || moved[0] != v2 {
		t.Fatalf("brought into force: %v %v", moved, err)
	}
	var s1, s2 string
	var jobs int
	if err := e.db.Owner.QueryRow(ctx, `SELECT (SELECT status FROM catalogs WHERE id = $1), (SELECT status FROM catalogs WHERE id = $2),
		(SELECT count(*) FROM river_job WHERE kind = 'notify.catalog_published' AND args->>'catalog_id' = $2::text)`,
		e.draftID, v2).Scan(&s1, &s2, &jobs); err != nil {
		t.Fatal(err)
	}
	if s1 != "superseded" || s2 != "published" || jobs != 1 {
		t.Errorf("after the job: %s, %s, %d fan-out jobs", s1, s2, jobs)
	}
}
