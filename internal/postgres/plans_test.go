package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/dashboard"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/plan"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// planWorld is a database with a small published catalog, three
// electricity operators and a bank, and the principals plan tests act as.
type planWorld struct {
	db                   *pgtest.DB
	ctx                  context.Context
	catalogID            int64
	opA, opB, opC, opFin int64
	nco, meti, fsa, opU  *identity.Principal
}

func planCatalog() *catalog.Catalog {
	ctl := func(ref, section string, themes, csf, sectors []string) catalog.Control {
		return catalog.Control{Ref: ref, Section: section, Themes: themes, CSF: csf, Sectors: sectors,
			Title: kijun.Text{Ja: ref + " の表題", En: ref + " title"}, Statement: kijun.Text{Ja: ref + " の要求事項", En: ref + " statement"}}
	}
	return &catalog.Catalog{Code: "plan-test", Version: "1", Title: kijun.Text{Ja: "計画試験用カタログ", En: "Plan test catalog"},
		Controls: []catalog.Control{
			ctl("GV-01", "GV", []string{"resilience"}, []string{"GV.OC"}, nil),
			ctl("GV-02", "GV", nil, []string{"GV.SC"}, nil),
			ctl("PR-01", "PR", nil, []string{"PR.DS"}, nil),
			ctl("PR-02", "PR", nil, []string{"PR.AA"}, []string{"finance"}), // not for electricity
			ctl("RR-01", "RR", nil, []string{"RS.MA"}, nil),
		}}
}

func newPlanWorld(t *testing.T) *planWorld {
	t.Helper()
	w := &planWorld{db: pgtest.New(t), ctx: context.Background()}
	q := func(sql string, args ...any) int64 {
		var id int64
		if err := w.db.Owner.QueryRow(w.ctx, sql, args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	err := pgx.BeginFunc(w.ctx, w.db.Owner, func(tx pgx.Tx) (err error) {
		if w.catalogID, _, err = postgres.ImportCatalog(w.ctx, tx, planCatalog(), audit.Event{}); err != nil {
			return err
		}
		return postgres.Publish(w.ctx, tx, w.catalogID, audit.Event{})
	})
	if err != nil {
		t.Fatal(err)
	}
	op := func(n int, sector, designation, name string) int64 {
		return q(`INSERT INTO operators (corporate_number, name_ja, sector_code, designation) VALUES ($1, $2, $3, $4) RETURNING id`,
			fmt.Sprintf("90000000000%02d", n), name, sector, designation)
	}
	w.opA, w.opB, w.opC = op(1, "electricity", "both", "電力A"), op(2, "electricity", "ci", "電力B"), op(3, "electricity", "core", "電力C")
	w.opFin = op(4, "finance", "both", "銀行F")
	withdrawn := op(5, "electricity", "ci", "電力W")
	q(`UPDATE operators SET status = 'withdrawn', withdrawn_at = now() WHERE id = $1 RETURNING id`, withdrawn)
	oversight, err := postgres.Oversight(w.ctx, w.db.Owner)
	if err != nil {
		t.Fatal(err)
	}
	who := func(name string, g identity.Grant) *identity.Principal {
		id := q(`INSERT INTO users (display_name) VALUES ($1) RETURNING id`, name)
		return identity.NewPrincipal(id, name, "", []identity.Grant{g}, oversight)
	}
	w.nco = who("統括 一郎", identity.Grant{Role: identity.RoleNCOAdmin})
	w.meti = who("経産 花子", identity.Grant{Role: identity.RoleMinistryStaff, MinistryCode: "METI"})
	w.fsa = who("金融 次郎", identity.Grant{Role: identity.RoleMinistryStaff, MinistryCode: "FSA"})
	w.opU = who("電力A 担当", identity.Grant{Role: identity.RoleOperatorStaff, OperatorID: w.opA, SectorCode: "electricity"})
	return w
}

func (w *planWorld) as(p *identity.Principal, fn func(tx pgx.Tx) error) error {
	return postgres.InTx(w.ctx, w.db.App, p, fn)
}

func (w *planWorld) must(t *testing.T, p *identity.Principal, fn func(tx pgx.Tx) error) {
	t.Helper()
	if err := w.as(p, fn); err != nil {
		t.Fatal(err)
	}
}

func (w *planWorld) createPlan(t *testing.T) int64 {
	t.Helper()
	var id int64
	w.must(t, w.meti, func(tx pgx.Tx) (err error) {
		id, err = postgres.CreatePlan(w.ctx, tx, w.meti, postgres.NewPlan{MinistryCode: "METI", SectorCodes: []string{"electricity"},
			PeriodStart: 2026, PeriodEnd: 2028, CatalogID: w.catalogID, Title: kijun.Text{Ja: "電力分野 実施計画", En: "Electricity plan"}}, "test")
		return err
	})
	return id
}

func (w *planWorld) version(t *testing.T, p *identity.Principal, planID int64, n int) *plan.Version {
	t.Helper()
	var v *plan.Version
	w.must(t, p, func(tx pgx.Tx) (err error) {
		v, err = postgres.GetPlanVersion(w.ctx, tx, planID, n)
		return err
	})
	return v
}

func planErrorIs(t *testing.T, err error, code, messageID string) {
	t.Helper()
	var ke *kijun.Error
	if !errors.As(err, &ke) || ke.Code != code || ke.MessageID != messageID {
		t.Fatalf("error %v: want %s %s", err, code, messageID)
	}
}

// acceptedPlan creates a plan whose profile marks GV-02 not applicable and
// adds ELECTRICITY-S01, and takes it through review to accepted.
func (w *planWorld) acceptedPlan(t *testing.T) int64 {
	t.Helper()
	id := w.createPlan(t)
	v := w.version(t, w.meti, id, 0)
	row := v.Profile[1] // GV-02
	row.Applies, row.NAReason = false, "送配電のみの事業者には該当しないため"
	w.must(t, w.meti, func(tx pgx.Tx) error {
		if err := postgres.UpdateProfileControls(w.ctx, tx, w.meti, id, []plan.ProfileControl{row}, "test"); err != nil {
			return err
		}
		return postgres.SaveSupplementary(w.ctx, tx, w.meti, id, supplementary("ELECTRICITY-S01"), false, "test")
	})
	w.must(t, w.meti, func(tx pgx.Tx) error { return postgres.SubmitPlan(w.ctx, tx, w.meti, id, "test") })
	w.must(t, w.nco, func(tx pgx.Tx) error { return postgres.StartReview(w.ctx, tx, w.nco, id, "test") })
	w.must(t, w.nco, func(tx pgx.Tx) error { return postgres.AcceptPlan(w.ctx, tx, w.nco, id, "test") })
	return id
}

func supplementary(ref string) plan.SupplementaryControl {
	return plan.SupplementaryControl{
		Control: catalog.Control{Ref: ref, Section: "PR", Title: kijun.Text{Ja: "制御系ネットワークの分離", En: "OT network separation"},
			Statement: kijun.Text{Ja: "制御系ネットワークを情報系から分離すること。", En: "Separate OT from IT."},
			Themes:    []string{"closed-network"}, CSF: []string{"PR.IR"}},
		ProfileTarget: plan.ProfileTarget{TargetStatus: assessment.AnswerImplemented, TargetMaturity: 3,
			StandardDoc: "電力制御システムセキュリティガイドライン", StandardClause: "5.2",
			Reflection: plan.ReflectionPlanned, ReflectionOn: "2027-03-31"},
		Sectors: []string{"electricity"},
	}
}

func TestPlanLifecycleReturnResubmitAccept(t *testing.T) {
	t.Parallel()
	w := newPlanWorld(t)
	id := w.createPlan(t)
	v1 := w.version(t, w.meti, id, 0)
	if v1.Version != 1 || v1.Status != plan.Draft {
		t.Fatalf("new plan: version %d %s", v1.Version, v1.Status)
	}
	// Every control for electricity, in section order; PR-02 is finance only.
	var refs []string
	for _, c := range v1.Profile {
		refs = append(refs, c.Ref)
	}
	if want := []string{"GV-01", "GV-02", "PR-01", "RR-01"}; !slices.Equal(refs, want) {
		t.Fatalf("profile rows %v, want %v", refs, want)
	}

	// Two profile rows edited; one bad row saves nothing.
	r0, r3 := v1.Profile[0], v1.Profile[3]
	r0.TargetMaturity, r0.StandardDoc, r0.StandardClause, r0.Reflection, r0.ReflectionOn = 3, "電力安全基準", "第4条", plan.ReflectionReflected, "2026-10-01"
	r3.Applies = false
	err := w.as(w.meti, func(tx pgx.Tx) error {
		return postgres.UpdateProfileControls(w.ctx, tx, w.meti, id, []plan.ProfileControl{r0, r3}, "test")
	})
	planErrorIs(t, err, kijun.EInvalid, "plans.error.invalid")
	if got := w.version(t, w.meti, id, 0).Profile[0]; got.StandardDoc != "" {
		t.Fatalf("a refused save changed row GV-01: %+v", got)
	}
	r3.NAReason = "対象外"
	w.must(t, w.meti, func(tx pgx.Tx) error {
		return postgres.UpdateProfileControls(w.ctx, tx, w.meti, id, []plan.ProfileControl{r0, r3}, "test")
	})
	w.must(t, w.meti, func(tx pgx.Tx) error { return postgres.SubmitPlan(w.ctx, tx, w.meti, id, "test") })

	// Submitted: the store and the database refuse changes.
	err = w.as(w.meti, func(tx pgx.Tx) error {
		return postgres.UpdateProfileControls(w.ctx, tx, w.meti, id, []plan.ProfileControl{r0}, "test")
	})
	planErrorIs(t, err, kijun.EConflict, "plans.error.immutable")
	// The NCO cannot accept before starting the review; a ministry cannot review.
	err = w.as(w.nco, func(tx pgx.Tx) error { return postgres.AcceptPlan(w.ctx, tx, w.nco, id, "test") })
	planErrorIs(t, err, kijun.EConflict, "plans.error.transition")
	err = w.as(w.meti, func(tx pgx.Tx) error { return postgres.StartReview(w.ctx, tx, w.meti, id, "test") })
	planErrorIs(t, err, kijun.EForbidden, "plans.error.forbidden")

	w.must(t, w.nco, func(tx pgx.Tx) error { return postgres.StartReview(w.ctx, tx, w.nco, id, "test") })
	err = w.as(w.nco, func(tx pgx.Tx) error { return postgres.ReturnPlan(w.ctx, tx, w.nco, id, map[string]string{}, "test") })
	planErrorIs(t, err, kijun.EInvalid, "plans.error.comment")
	w.must(t, w.nco, func(tx pgx.Tx) error {
		return postgres.ReturnPlan(w.ctx, tx, w.nco, id, map[string]string{plan.SectionProfile: "RR-01 の非該当理由を具体的に記載してください。"}, "test")
	})
	// Returned: revised as version 2, a copy, which the ministry edits and resubmits.
	var n int
	w.must(t, w.meti, func(tx pgx.Tx) (err error) { n, err = postgres.RevisePlan(w.ctx, tx, w.meti, id, "test"); return err })
	if n != 2 {
		t.Fatalf("revision is version %d, want 2", n)
	}
	v2 := w.version(t, w.meti, id, 2)
	r3 = v2.Profile[3]
	r3.Applies, r3.NAReason = true, ""
	w.must(t, w.meti, func(tx pgx.Tx) error {
		if err := postgres.UpdateProfileControls(w.ctx, tx, w.meti, id, []plan.ProfileControl{r3}, "test"); err != nil {
			return err
		}
		if err := postgres.AddPlanComment(w.ctx, tx, w.meti, id, plan.SectionProfile, "RR-01 を該当に戻しました。", "test"); err != nil {
			return err
		}
		return postgres.SubmitPlan(w.ctx, tx, w.meti, id, "test")
	})
	w.must(t, w.nco, func(tx pgx.Tx) error {
		if err := postgres.StartReview(w.ctx, tx, w.nco, id, "test"); err != nil {
			return err
		}
		return postgres.AcceptPlan(w.ctx, tx, w.nco, id, "test")
	})
	// Accepted, then revised again and accepted: version 2 is superseded.
	w.must(t, w.meti, func(tx pgx.Tx) (err error) { n, err = postgres.RevisePlan(w.ctx, tx, w.meti, id, "test"); return err })
	w.must(t, w.meti, func(tx pgx.Tx) error { return postgres.SubmitPlan(w.ctx, tx, w.meti, id, "test") })
	w.must(t, w.nco, func(tx pgx.Tx) error {
		if err := postgres.StartReview(w.ctx, tx, w.nco, id, "test"); err != nil {
			return err
		}
		return postgres.AcceptPlan(w.ctx, tx, w.nco, id, "test")
	})

	var pl plan.Plan
	var events []plan.Event
	var comments []plan.Comment
	w.must(t, w.nco, func(tx pgx.Tx) (err error) {
		if pl, err = postgres.GetPlan(w.ctx, tx, id); err != nil {
			return err
		}
		if events, err = postgres.ListPlanEvents(w.ctx, tx, id); err != nil {
			return err
		}
		comments, err = postgres.ListPlanComments(w.ctx, tx, id)
		return err
	})
	var statuses []string
	for _, s := range pl.Versions {
		statuses = append(statuses, string(s.Status))
	}
	if want := []string{"returned", "superseded", "accepted"}; !slices.Equal(statuses, want) || pl.Current != 3 {
		t.Fatalf("versions %v current %d, want %v current 3", statuses, pl.Current, want)
	}
	var trail []string
	for _, e := range events {
		trail = append(trail, fmt.Sprintf("v%d %s>%s", e.Version, e.From, e.To))
	}
	wantTrail := []string{"v1 >draft", "v1 draft>submitted", "v1 submitted>under_review", "v1 under_review>returned",
		"v2 >draft", "v2 draft>submitted", "v2 submitted>under_review", "v2 under_review>accepted",
		"v3 >draft", "v3 draft>submitted", "v3 submitted>under_review", "v3 under_review>accepted", "v2 accepted>superseded"}
	if !slices.Equal(trail, wantTrail) {
		t.Fatalf("history\n got %v\nwant %v", trail, wantTrail)
	}
	if len(comments) != 2 || comments[0].Side != "nco" || comments[0].Version != 1 || comments[1].Side != "ministry" || comments[1].Version != 2 {
		t.Fatalf("comments %+v", comments)
	}
	// Every transition is audited in the ministry's chain.
	rows, _ := w.db.Owner.Query(w.ctx, `SELECT action FROM audit_events WHERE ministry_code = 'METI' AND action LIKE 'plan.%'
		AND action NOT IN ('plan.profile.update', 'plan.supplementary.save', 'plan.comment') ORDER BY id`)
	actions, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	wantActions := []string{"plan.create", "plan.submit", "plan.review", "plan.return", "plan.revise", "plan.submit",
		"plan.review", "plan.accept", "plan.revise", "plan.submit", "plan.review", "plan.accept", "plan.supersede"}
	if !slices.Equal(actions, wantActions) {
		t.Fatalf("audit\n got %v\nwant %v", actions, wantActions)
	}
}

func TestPlanVersionDiffExact(t *testing.T) {
	t.Parallel()
	w := newPlanWorld(t)
	id := w.createPlan(t)
	w.must(t, w.meti, func(tx pgx.Tx) error { return postgres.SubmitPlan(w.ctx, tx, w.meti, id, "test") })
	w.must(t, w.nco, func(tx pgx.Tx) error {
		if err := postgres.StartReview(w.ctx, tx, w.nco, id, "test"); err != nil {
			return err
		}
		return postgres.AcceptPlan(w.ctx, tx, w.nco, id, "test")
	})
	w.must(t, w.meti, func(tx pgx.Tx) error { _, err := postgres.RevisePlan(w.ctx, tx, w.meti, id, "test"); return err })
	v2 := w.version(t, w.meti, id, 2)
	row := v2.Profile[2] // PR-01
	row.TargetStatus, row.TailoringNote = assessment.AnswerPartial, "段階的に導入"
	w.must(t, w.meti, func(tx pgx.Tx) error {
		if err := postgres.UpdateProfileControls(w.ctx, tx, w.meti, id, []plan.ProfileControl{row}, "test"); err != nil {
			return err
		}
		if err := postgres.SaveSupplementary(w.ctx, tx, w.meti, id, supplementary("ELECTRICITY-S01"), false, "test"); err != nil {
			return err
		}
		d := postgres.DraftFields{Title: kijun.Text{Ja: "電力分野 実施計画(改定)", En: "Electricity plan"},
			Scope:     plan.Scope{Mode: plan.ScopeDesignation, Designation: "ci"},
			Gathering: plan.Gathering{CoverageTarget: 95},
			KPIs:      []plan.KPI{{Label: "対応及び復旧の実施率", Metric: plan.KPIImplemented, Key: "RR", Target: 90, Due: "2028-03-31"}},
			PeriodEnd: 2028}
		return postgres.UpdateDraft(w.ctx, tx, w.meti, id, v2.Edits, d, "test")
	})
	got := plan.DiffVersions(w.version(t, w.meti, id, 1), w.version(t, w.meti, id, 2))
	want := []plan.Change{
		{Section: "general", Field: "title_ja", Old: "電力分野 実施計画", New: "電力分野 実施計画(改定)"},
		{Section: "scope", Field: "mode", Old: "all", New: "designation"},
		{Section: "scope", Field: "designation", Old: "", New: "ci"},
		{Section: "profile", Ref: "PR-01", Field: "tailoring_note", Old: "", New: "段階的に導入"},
		{Section: "profile", Ref: "PR-01", Field: "target_status", Old: "implemented", New: "partial"},
		{Section: "supplementary", Ref: "ELECTRICITY-S01", Field: "sectors", New: "electricity"},
		{Section: "supplementary", Ref: "ELECTRICITY-S01", Field: "section", New: "PR"},
		{Section: "supplementary", Ref: "ELECTRICITY-S01", Field: "title_ja", New: "制御系ネットワークの分離"},
		{Section: "supplementary", Ref: "ELECTRICITY-S01", Field: "title_en", New: "OT network separation"},
		{Section: "supplementary", Ref: "ELECTRICITY-S01", Field: "statement_ja", New: "制御系ネットワークを情報系から分離すること。"},
		{Section: "supplementary", Ref: "ELECTRICITY-S01", Field: "statement_en", New: "Separate OT from IT."},
		{Section: "supplementary", Ref: "ELECTRICITY-S01", Field: "themes", New: "closed-network"},
		{Section: "supplementary", Ref: "ELECTRICITY-S01", Field: "csf", New: "PR.IR"},
		{Section: "supplementary", Ref: "ELECTRICITY-S01", Field: "evidence_expected", New: "false"},
		{Section: "supplementary", Ref: "ELECTRICITY-S01", Field: "target_status", New: "implemented"},
		{Section: "supplementary", Ref: "ELECTRICITY-S01", Field: "target_maturity", New: "3"},
		{Section: "supplementary", Ref: "ELECTRICITY-S01", Field: "standard_doc", New: "電力制御システムセキュリティガイドライン"},
		{Section: "supplementary", Ref: "ELECTRICITY-S01", Field: "standard_clause", New: "5.2"},
		{Section: "supplementary", Ref: "ELECTRICITY-S01", Field: "reflection", New: "planned"},
		{Section: "supplementary", Ref: "ELECTRICITY-S01", Field: "reflection_on", New: "2027-03-31"},
		{Section: "gathering", Field: "coverage_target", Old: "0", New: "95"},
		{Section: "evaluation", Ref: "KPI 1", Field: "label", New: "対応及び復旧の実施率"},
		{Section: "evaluation", Ref: "KPI 1", Field: "metric", New: "implemented"},
		{Section: "evaluation", Ref: "KPI 1", Field: "key", New: "RR"},
		{Section: "evaluation", Ref: "KPI 1", Field: "threshold", New: "0"},
		{Section: "evaluation", Ref: "KPI 1", Field: "target", New: "90"},
		{Section: "evaluation", Ref: "KPI 1", Field: "due", New: "2028-03-31"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("diff v1→v2:")
		for i := 0; i < max(len(got), len(want)); i++ {
			var g, wn plan.Change
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				wn = want[i]
			}
			if g != wn {
				t.Errorf("  %d: got %+v\n     want %+v", i, g, wn)
			}
		}
	}
	if d := plan.DiffVersions(w.version(t, w.meti, id, 1), w.version(t, w.meti, id, 1)); len(d) != 0 {
		t.Errorf("a version differs from itself: %v", d)
	}
}

func TestPlanSubmittedVersionsImmutableInDatabase(t *testing.T) {
	t.Parallel()
	w := newPlanWorld(t)
	id := w.acceptedPlan(t)
	v := w.version(t, w.nco, id, 0)
	// Even the schema owner cannot change an accepted version.
	for _, sql := range []string{
		`UPDATE plan_versions SET title_ja = '書き換え' WHERE id = $1`,
		`UPDATE plan_versions SET status = 'draft' WHERE id = $1`,
		`UPDATE plan_versions SET kpis = '[{"label":"x"}]' WHERE id = $1`,
		`DELETE FROM plan_versions WHERE id = $1`,
		`UPDATE plan_profile_controls SET applies = true, na_reason = '' WHERE version_id = $1`,
		`DELETE FROM plan_profile_controls WHERE version_id = $1`,
		`INSERT INTO plan_profile_controls (version_id, ministry_code, ref) VALUES ($1, 'METI', 'DE-01')`,
		`UPDATE plan_supplementary_controls SET title_ja = '書き換え' WHERE version_id = $1`,
	} {
		_, err := w.db.Owner.Exec(w.ctx, sql, v.ID)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "KJ004" {
			t.Errorf("%s: %v, want KJ004", sql, err)
		}
	}
	if _, err := w.db.Owner.Exec(w.ctx, `TRUNCATE plan_versions CASCADE`); err == nil {
		t.Error("TRUNCATE plan_versions succeeded")
	}
	after := w.version(t, w.nco, id, 0)
	if !reflect.DeepEqual(v, after) {
		t.Errorf("accepted version changed:\n%+v\n%+v", v, after)
	}
}

func TestPlanTenancy(t *testing.T) {
	t.Parallel()
	w := newPlanWorld(t)
	id := w.acceptedPlan(t)
	w.must(t, w.meti, func(tx pgx.Tx) error { _, err := postgres.RevisePlan(w.ctx, tx, w.meti, id, "test"); return err })
	// FSA: not found, reads nothing, changes nothing.
	err := w.as(w.fsa, func(tx pgx.Tx) error { _, err := postgres.GetPlan(w.ctx, tx, id); return err })
	planErrorIs(t, err, kijun.ENotFound, "error.not_found")
	err = w.as(w.fsa, func(tx pgx.Tx) error {
		return postgres.UpdateDraft(w.ctx, tx, w.fsa, id, 1, postgres.DraftFields{Title: kijun.Text{Ja: "x"}, Scope: plan.Scope{Mode: plan.ScopeAll}, PeriodEnd: 2028}, "test")
	})
	planErrorIs(t, err, kijun.ENotFound, "error.not_found")
	for _, p := range []*identity.Principal{w.fsa, w.opU} {
		w.must(t, p, func(tx pgx.Tx) error {
			for _, table := range []string{"plans", "plan_versions", "plan_profile_controls", "plan_supplementary_controls", "plan_comments", "plan_events"} {
				var n int
				if err := tx.QueryRow(w.ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
					return err
				}
				if n != 0 {
					t.Errorf("%s sees %d rows of %s", p.Name, n, table)
				}
			}
			tag, err := tx.Exec(w.ctx, `UPDATE plan_profile_controls SET tailoring_note = 'x'`)
			if err != nil || tag.RowsAffected() != 0 {
				t.Errorf("%s updated %v profile rows (%v)", p.Name, tag.RowsAffected(), err)
			}
			return nil
		})
	}
	// The operator sees its sector's profile in force (version 1, not the
	// draft), and nothing of the plan beyond it.
	var sp *plan.SectorProfile
	w.must(t, w.opU, func(tx pgx.Tx) (err error) {
		sp, err = postgres.GetSectorProfile(w.ctx, tx, "electricity", 0)
		return err
	})
	if sp == nil || sp.Version != 1 || len(sp.Controls) != 5 {
		t.Fatalf("operator's profile: %+v", sp)
	}
	var na []string
	for _, c := range sp.Controls {
		if !c.Applies {
			na = append(na, c.Ref+":"+c.NAReason)
		}
	}
	if want := []string{"GV-02:送配電のみの事業者には該当しないため"}; !slices.Equal(na, want) {
		t.Errorf("not applicable %v, want %v", na, want)
	}
	// Another sector's profile: none for this operator.
	w.must(t, w.opU, func(tx pgx.Tx) (err error) { sp, err = postgres.GetSectorProfile(w.ctx, tx, "finance", 0); return err })
	if sp != nil {
		t.Errorf("electricity operator sees a finance profile: %+v", sp)
	}
	// A finance operator does not see the electricity profile.
	fin := identity.NewPrincipal(w.opU.UserID, "x", "", []identity.Grant{{Role: identity.RoleOperatorStaff, OperatorID: w.opFin, SectorCode: "finance"}}, nil)
	w.must(t, fin, func(tx pgx.Tx) (err error) {
		sp, err = postgres.GetSectorProfile(w.ctx, tx, "electricity", 0)
		return err
	})
	if sp != nil {
		t.Errorf("finance operator sees the electricity profile")
	}
}

// TestPlanKPIProgressHandComputed: three electricity operators are in scope
// (the withdrawn fourth is not). In the FY2027 cycle A submitted with RR
// fully implemented and an overall score of 0.85, B with RR 3 of 4 and
// 0.70, C did not submit. By hand:
//
//	RR 実施済 share        1/3 = 33.33…%  (target 50, due ahead → in progress)
//	overall score ≥ 80%    1/3 = 33.33…%  (target 30 → achieved)
//	submitted              2/3 = 66.66…%  (target 100, due passed → missed)
func TestPlanKPIProgressHandComputed(t *testing.T) {
	t.Parallel()
	w := newPlanWorld(t)
	id := w.createPlan(t)
	v := w.version(t, w.meti, id, 0)
	kpis := []plan.KPI{
		{Label: "RR", Metric: plan.KPIImplemented, Key: "RR", Target: 50, Due: "2028-03-31"},
		{Label: "score", Metric: plan.KPIScore, Threshold: 80, Target: 30, Due: "2028-03-31"},
		{Label: "submitted", Metric: plan.KPISubmitted, Target: 100, Due: "2027-06-30"},
	}
	w.must(t, w.meti, func(tx pgx.Tx) error {
		return postgres.UpdateDraft(w.ctx, tx, w.meti, id, v.Edits, postgres.DraftFields{Title: v.Title,
			Scope: plan.Scope{Mode: plan.ScopeAll}, KPIs: kpis, PeriodEnd: 2028}, "test")
	})
	q := func(sql string, args ...any) int64 {
		var n int64
		if err := w.db.Owner.QueryRow(w.ctx, sql, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	cycle := q(`INSERT INTO cycles (fiscal_year, catalog_id, opens_on, due_on) VALUES (2027, $1, '2027-04-01', '2028-01-31') RETURNING id`, w.catalogID)
	set := q(`INSERT INTO control_sets (cycle_id, sector_code, catalog_id, fingerprint, control_count) VALUES ($1, 'electricity', $2, '\x01', 4) RETURNING id`, cycle, w.catalogID)
	rollup := func(op int64, rrApplicable, rrImplemented int, overall float64) {
		a := q(`INSERT INTO assessments (cycle_id, operator_id, sector_code, control_set_id, status, submitted_at)
			VALUES ($1, $2, 'electricity', $3, 'submitted', now()) RETURNING id`, cycle, op, set)
		q(`INSERT INTO assessment_rollups (assessment_id, cycle_id, operator_id, sector_code, kind, key, controls, answered,
				applicable, implemented, partial, not_implemented, na, score, written_status)
			VALUES ($1, $2, $3, 'electricity', 'section', 'RR', 4, 4, $4::int, $5::int, $4::int - $5::int, 0, 4 - $4::int, $5::numeric / $4::int, 'submitted'),
			       ($1, $2, $3, 'electricity', 'overall', '', 20, 20, 20, 15, 5, 0, 0, $6, 'submitted') RETURNING 1`,
			a, cycle, op, rrApplicable, rrImplemented, overall)
	}
	rollup(w.opA, 4, 4, 0.85)
	rollup(w.opB, 4, 3, 0.70)
	// A finance operator's rollup is out of scope.
	finSet := q(`INSERT INTO control_sets (cycle_id, sector_code, catalog_id, fingerprint, control_count) VALUES ($1, 'finance', $2, '\x02', 4) RETURNING id`, cycle, w.catalogID)
	fa := q(`INSERT INTO assessments (cycle_id, operator_id, sector_code, control_set_id, status, submitted_at)
		VALUES ($1, $2, 'finance', $3, 'submitted', now()) RETURNING id`, cycle, w.opFin, finSet)
	q(`INSERT INTO assessment_rollups (assessment_id, cycle_id, operator_id, sector_code, kind, key, controls, answered,
			applicable, implemented, partial, not_implemented, na, score, written_status)
		VALUES ($1, $2, $3, 'finance', 'overall', '', 1, 1, 1, 1, 0, 0, 0, 1, 'submitted') RETURNING 1`, fa, cycle, w.opFin)

	now := time.Date(2027, 12, 1, 0, 0, 0, 0, kijun.JST)
	var pr plan.Progress
	for _, p := range []*identity.Principal{w.meti, w.nco} {
		w.must(t, p, func(tx pgx.Tx) (err error) {
			pr, err = postgres.ComputePlanProgress(w.ctx, tx, []string{"electricity"}, w.version(t, w.meti, id, 0), now)
			return err
		})
		if pr.Operators != 3 || pr.FiscalYear != 2027 {
			t.Fatalf("as %s: %d operators in FY%d, want 3 in FY2027", p.Name, pr.Operators, pr.FiscalYear)
		}
		type fig struct {
			meeting int
			pct     float64
			state   string
		}
		want := []fig{{1, 100.0 / 3, plan.KPIInProgress}, {1, 100.0 / 3, plan.KPIAchieved}, {2, 200.0 / 3, plan.KPIMissed}}
		for i, k := range pr.KPIs {
			if k.Meeting != want[i].meeting || k.Percent == nil || *k.Percent != want[i].pct || k.State != want[i].state {
				t.Errorf("as %s: KPI %s: %d meeting, %v%%, %s; want %+v", p.Name, k.Label, k.Meeting, k.Percent, k.State, want[i])
			}
		}
		if len(pr.Sections) != 1 || pr.Sections[0].Section != "RR" || pr.Sections[0].Submitted != 2 || pr.Sections[0].Implemented != 1 ||
			pr.Sections[0].AvgScore == nil || *pr.Sections[0].AvgScore != 0.875 {
			t.Errorf("as %s: section figures %+v", p.Name, pr.Sections)
		}
	}
}

// TestProfileReachesNewAssessmentsOnly: a cycle opened before the plan is
// accepted keeps the baseline; an assessment created after it (an
// operator designated mid-cycle) answers the profile: without GV-02, with
// ELECTRICITY-S01. Another sector keeps the baseline.
func TestProfileReachesNewAssessmentsOnly(t *testing.T) {
	t.Parallel()
	w := newPlanWorld(t)
	var cy assessment.Cycle
	w.must(t, w.nco, func(tx pgx.Tx) (err error) {
		cy, _, err = postgres.OpenCycle(w.ctx, tx, w.nco, postgres.CycleInput{FiscalYear: 2026, CatalogID: w.catalogID,
			OpensOn: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), DueOn: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)},
			postgres.ProfileSelector(2026), "test")
		return err
	})
	w.acceptedPlan(t)
	var late int64
	if err := w.db.Owner.QueryRow(w.ctx, `INSERT INTO operators (corporate_number, name_ja, sector_code, designation)
		VALUES ('9000000000099', '電力D(年度途中指定)', 'electricity', 'ci') RETURNING id`).Scan(&late); err != nil {
		t.Fatal(err)
	}
	w.must(t, w.meti, func(tx pgx.Tx) error {
		_, _, err := postgres.EnsureAssessment(w.ctx, tx, w.meti, cy.ID, late, postgres.ProfileSelector(2026), "test")
		return err
	})
	refsOf := func(op int64) []string {
		rows, _ := w.db.Owner.Query(w.ctx, `SELECT c.ref FROM assessment_controls c JOIN assessments a ON a.id = c.assessment_id
			WHERE a.cycle_id = $1 AND a.operator_id = $2 ORDER BY c.sort_order`, cy.ID, op)
		refs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return refs
	}
	if got, want := refsOf(w.opA), []string{"GV-01", "GV-02", "PR-01", "RR-01"}; !slices.Equal(got, want) {
		t.Errorf("existing assessment: %v, want %v (kept)", got, want)
	}
	if got, want := refsOf(late), []string{"GV-01", "PR-01", "ELECTRICITY-S01", "RR-01"}; !slices.Equal(got, want) {
		t.Errorf("new assessment: %v, want %v (profile)", got, want)
	}
	if got, want := refsOf(w.opFin), []string{"GV-01", "GV-02", "PR-01", "PR-02", "RR-01"}; !slices.Equal(got, want) {
		t.Errorf("finance assessment: %v, want %v (baseline)", got, want)
	}
	// The section page reads the profile's targets with the answers, in
	// one statement.
	var lateID int64
	if err := w.db.Owner.QueryRow(w.ctx, `SELECT id FROM assessments WHERE cycle_id = $1 AND operator_id = $2`, cy.ID, late).Scan(&lateID); err != nil {
		t.Fatal(err)
	}
	w.must(t, w.meti, func(tx pgx.Tx) error {
		d, err := postgres.LoadSection(w.ctx, tx, lateID, "PR")
		targets := map[string]assessment.Target{}
		for _, r := range d.Rows {
			targets[r.Control.Ref] = r.Target
		}
		if got := targets["ELECTRICITY-S01"]; got.Status != assessment.AnswerImplemented || got.Maturity != 3 {
			t.Errorf("ELECTRICITY-S01 target %+v, want implemented, maturity 3", got)
		}
		if got := targets["PR-01"]; got.Status != assessment.AnswerImplemented {
			t.Errorf("PR-01 target %+v, want implemented", got)
		}
		return err
	})
	// The selector directly, for a cycle opened now.
	var ctl []assessment.Control
	var source string
	w.must(t, w.nco, func(tx pgx.Tx) (err error) {
		cat, err := postgres.GetCatalog(w.ctx, tx, w.catalogID)
		if err != nil {
			return err
		}
		ctl, source, err = postgres.ProfileControls(w.ctx, tx, cat, "electricity")
		return err
	})
	if len(ctl) != 4 || source[:8] != "profile:" || ctl[2].Ref != "ELECTRICITY-S01" || ctl[2].CatalogID != 0 || ctl[2].Title.Ja != "制御系ネットワークの分離" {
		t.Errorf("ProfileControls: %s %+v", source, ctl)
	}
}

// A plan covering electricity and gas: the supplementary control and the
// not-applicable mark meant for electricity reach electricity operators
// only; gas operators get the catalog's controls as they are.
func TestProfileRowsReachOnlyTheirSectors(t *testing.T) {
	t.Parallel()
	w := newPlanWorld(t)
	var gas int64
	if err := w.db.Owner.QueryRow(w.ctx, `INSERT INTO operators (corporate_number, name_ja, sector_code, designation)
		VALUES ('9000000000088', 'ガスG', 'gas', 'ci') RETURNING id`).Scan(&gas); err != nil {
		t.Fatal(err)
	}
	var id int64
	w.must(t, w.meti, func(tx pgx.Tx) (err error) {
		id, err = postgres.CreatePlan(w.ctx, tx, w.meti, postgres.NewPlan{MinistryCode: "METI", SectorCodes: []string{"electricity", "gas"},
			PeriodStart: 2026, PeriodEnd: 2028, CatalogID: w.catalogID, Title: kijun.Text{Ja: "電力・ガス分野 実施計画"}}, "test")
		return err
	})
	v := w.version(t, w.meti, id, 0)
	row := v.Profile[1] // GV-02
	if !slices.Equal(row.Sectors, []string{"electricity", "gas"}) || !slices.Equal(row.Eligible, row.Sectors) {
		t.Fatalf("new row's sectors %v, eligible %v: want the plan's", row.Sectors, row.Eligible)
	}
	// The sectors are checked: none, or one outside the plan, is refused.
	bad := supplementary("ELECTRICITY-S02")
	for _, sectors := range [][]string{nil, {"finance"}} {
		bad.Sectors = sectors
		err := w.as(w.meti, func(tx pgx.Tx) error {
			return postgres.SaveSupplementary(w.ctx, tx, w.meti, id, bad, false, "test")
		})
		planErrorIs(t, err, kijun.EInvalid, "plans.error.invalid")
	}
	row.Applies, row.NAReason, row.Sectors = false, "送配電のみの事業者には該当しないため", []string{"electricity"}
	w.must(t, w.meti, func(tx pgx.Tx) error {
		if err := postgres.UpdateProfileControls(w.ctx, tx, w.meti, id, []plan.ProfileControl{row}, "test"); err != nil {
			return err
		}
		return postgres.SaveSupplementary(w.ctx, tx, w.meti, id, supplementary("ELECTRICITY-S01"), false, "test")
	})
	// The database refuses what the checks refuse.
	for _, sql := range []string{
		`UPDATE plan_supplementary_controls SET sectors = '{finance}' WHERE version_id = $1`,
		`UPDATE plan_supplementary_controls SET sectors = '{}' WHERE version_id = $1`,
		`UPDATE plan_profile_controls SET sectors = '{finance}' WHERE version_id = $1 AND ref = 'GV-01'`,
	} {
		if _, err := w.db.Owner.Exec(w.ctx, sql, v.ID); planPGCode(err) != "23514" {
			t.Errorf("%s: %v, want 23514", sql, err)
		}
	}
	w.must(t, w.meti, func(tx pgx.Tx) error { return postgres.SubmitPlan(w.ctx, tx, w.meti, id, "test") })
	w.must(t, w.nco, func(tx pgx.Tx) error { return postgres.StartReview(w.ctx, tx, w.nco, id, "test") })
	w.must(t, w.nco, func(tx pgx.Tx) error { return postgres.AcceptPlan(w.ctx, tx, w.nco, id, "test") })

	var cy assessment.Cycle
	w.must(t, w.nco, func(tx pgx.Tx) (err error) {
		cy, _, err = postgres.OpenCycle(w.ctx, tx, w.nco, postgres.CycleInput{FiscalYear: 2026, CatalogID: w.catalogID,
			OpensOn: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), DueOn: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)},
			postgres.ProfileSelector(2026), "test")
		return err
	})
	refsOf := func(op int64) []string {
		rows, _ := w.db.Owner.Query(w.ctx, `SELECT c.ref FROM assessment_controls c JOIN assessments a ON a.id = c.assessment_id
			WHERE a.cycle_id = $1 AND a.operator_id = $2 ORDER BY c.sort_order`, cy.ID, op)
		refs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return refs
	}
	if got, want := refsOf(w.opA), []string{"GV-01", "PR-01", "ELECTRICITY-S01", "RR-01"}; !slices.Equal(got, want) {
		t.Errorf("electricity assessment: %v, want %v", got, want)
	}
	if got, want := refsOf(gas), []string{"GV-01", "GV-02", "PR-01", "RR-01"}; !slices.Equal(got, want) {
		t.Errorf("gas assessment: %v, want %v (nothing of electricity's rows)", got, want)
	}
	// What each sector reads of the profile.
	profileRefs := func(sector string) []string {
		var refs []string
		w.must(t, w.nco, func(tx pgx.Tx) error {
			p, err := postgres.GetSectorProfile(w.ctx, tx, sector, 2026)
			for _, c := range p.Controls {
				refs = append(refs, c.Ref)
			}
			return err
		})
		return refs
	}
	if got := profileRefs("gas"); slices.Contains(got, "ELECTRICITY-S01") || slices.Contains(got, "GV-02") {
		t.Errorf("gas profile %v: shows electricity's rows", got)
	}
	if got := profileRefs("electricity"); !slices.Contains(got, "ELECTRICITY-S01") {
		t.Errorf("electricity profile %v: without its supplementary control", got)
	}
}

func TestEvaluationLifecycle(t *testing.T) {
	t.Parallel()
	w := newPlanWorld(t)
	w.acceptedPlan(t)
	var id int64
	w.must(t, w.nco, func(tx pgx.Tx) (err error) {
		id, err = postgres.CreateEvaluation(w.ctx, tx, w.nco, plan.Evaluation{MinistryCode: "METI", SectorCode: "electricity",
			FiscalYear: 2026, Findings: "自己評価の提出率が高い。"}, "test")
		return err
	})
	// A draft is the NCO's: the ministry sees nothing and cannot answer.
	err := w.as(w.meti, func(tx pgx.Tx) error { _, err := postgres.GetEvaluation(w.ctx, tx, id); return err })
	planErrorIs(t, err, kijun.ENotFound, "error.not_found")
	err = w.as(w.nco, func(tx pgx.Tx) error {
		return postgres.PublishEvaluation(w.ctx, tx, w.nco, id, nil, time.Now(), "test")
	})
	planErrorIs(t, err, kijun.EInvalid, "plans.error.rating")
	w.must(t, w.nco, func(tx pgx.Tx) error {
		e, err := postgres.GetEvaluation(w.ctx, tx, id)
		if err != nil {
			return err
		}
		if e.PlanID == 0 {
			t.Error("evaluation not linked to the plan covering FY2026")
		}
		e.Rating, e.ImprovementRequests = "B", "未提出事業者へのフォローアップを強化してください。"
		if err := postgres.UpdateEvaluation(w.ctx, tx, w.nco, e, e.Edits, "test"); err != nil {
			return err
		}
		return postgres.PublishEvaluation(w.ctx, tx, w.nco, id, nil, time.Now(), "test")
	})
	w.must(t, w.meti, func(tx pgx.Tx) error {
		return postgres.RespondEvaluation(w.ctx, tx, w.meti, id, "次年度から督促を月次で行います。", "test")
	})
	// The ministry cannot touch the NCO's texts, even with SQL.
	err = w.as(w.meti, func(tx pgx.Tx) error {
		_, err := tx.Exec(w.ctx, `UPDATE plan_evaluations SET rating = 'A' WHERE id = $1`, id)
		return err
	})
	if planPGCode(err) != "42501" {
		t.Errorf("ministry changed the rating: %v", err)
	}
	err = w.as(w.fsa, func(tx pgx.Tx) error { return postgres.RespondEvaluation(w.ctx, tx, w.fsa, id, "x", "test") })
	planErrorIs(t, err, kijun.ENotFound, "error.not_found")
	var e plan.Evaluation
	w.must(t, w.meti, func(tx pgx.Tx) (err error) { e, err = postgres.GetEvaluation(w.ctx, tx, id); return err })
	if e.Rating != "B" || e.Response != "次年度から督促を月次で行います。" || e.RespondedBy != "経産 花子" || !e.Published {
		t.Errorf("evaluation %+v", e)
	}
}

func planPGCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// The ministry's operators below target compare each counted assessment
// with the sector profile in force: a partial answer under an implemented
// target counts, a control the profile marks not applicable does not.
// Without a profile in force there is no list, and the dashboard says so.
func TestOperatorsBelowTargetFollowProfile(t *testing.T) {
	t.Parallel()
	w := newPlanWorld(t)
	var cy assessment.Cycle
	w.must(t, w.nco, func(tx pgx.Tx) (err error) {
		cy, _, err = postgres.OpenCycle(w.ctx, tx, w.nco, postgres.CycleInput{FiscalYear: 2026, CatalogID: w.catalogID,
			OpensOn: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), DueOn: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)}, nil, "test")
		return err
	})
	var userB int64
	if err := w.db.Owner.QueryRow(w.ctx, `INSERT INTO users (display_name) VALUES ('電力B 担当') RETURNING id`).Scan(&userB); err != nil {
		t.Fatal(err)
	}
	opB := identity.NewPrincipal(userB, "電力B 担当", "", []identity.Grant{{Role: identity.RoleOperatorStaff, OperatorID: w.opB, SectorCode: "electricity"}}, nil)
	due := time.Date(2027, 9, 30, 0, 0, 0, 0, time.UTC)
	submit := func(p *identity.Principal, op int64, answers map[string]assessment.AnswerStatus) int64 {
		t.Helper()
		var id int64
		if err := w.db.Owner.QueryRow(w.ctx, `SELECT id FROM assessments WHERE cycle_id = $1 AND operator_id = $2`, cy.ID, op).Scan(&id); err != nil {
			t.Fatal(err)
		}
		w.must(t, p, func(tx pgx.Tx) error {
			for ref, st := range answers {
				a := assessment.Answer{AssessmentID: id, Ref: ref, Status: st}
				if st != assessment.AnswerImplemented {
					a.Remediation = assessment.Remediation{Action: "整備する " + ref, Owner: "情報システム部", Due: &due}
				}
				if _, err := postgres.SaveAnswer(w.ctx, tx, p, a, 0, "test"); err != nil {
					return err
				}
			}
			return nil
		})
		confirmAsAdmin(t, w.db, id)
		w.must(t, p, func(tx pgx.Tx) error { return postgres.Submit(w.ctx, tx, p, id, "test") })
		return id
	}
	asmA := submit(w.opU, w.opA, map[string]assessment.AnswerStatus{"GV-01": assessment.AnswerImplemented,
		"GV-02": assessment.AnswerNotImplemented, "PR-01": assessment.AnswerPartial, "RR-01": assessment.AnswerImplemented})
	submit(opB, w.opB, map[string]assessment.AnswerStatus{"GV-01": assessment.AnswerImplemented,
		"GV-02": assessment.AnswerImplemented, "PR-01": assessment.AnswerImplemented, "RR-01": assessment.AnswerImplemented})
	below := func() ([]dashboard.BelowTarget, bool) {
		t.Helper()
		var list []dashboard.BelowTarget
		var ok bool
		w.must(t, w.meti, func(tx pgx.Tx) (err error) {
			_, m, err := postgres.LoadMinistryDashboard(w.ctx, tx, nil, cy.ID, []string{"electricity"}, "electricity")
			list, ok = m.Below, m.HasTarget
			return err
		})
		return list, ok
	}
	if list, ok := below(); ok || len(list) != 0 {
		t.Errorf("without a profile: %+v, in force %v; want none, false", list, ok)
	}
	w.acceptedPlan(t) // GV-02 not applicable; every target implemented
	list, ok := below()
	if want := []dashboard.BelowTarget{{AssessmentID: asmA, Name: kijun.Text{Ja: "電力A"}, Below: 1, Targets: 3}}; !ok || !slices.Equal(list, want) {
		t.Errorf("with the profile: %+v, in force %v; want %+v, true", list, ok, want)
	}
}
