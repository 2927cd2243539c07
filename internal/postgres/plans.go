package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/plan"
)

// Implementation plans (docs/plans.md). Every function
// runs in the caller's InTx transaction: RLS shows a ministry its own plans
// and the NCO all, and the triggers refuse any change to a version that is
// no longer a draft. Every change is audited with the plan's ministry, so
// it lands in that ministry's chain.

// Message IDs of the plan store's errors (locales/plans.*.yaml).
const (
	msgPlanImmutable  = "plans.error.immutable"
	msgPlanConflict   = "plans.error.conflict"
	msgPlanTransition = "plans.error.transition"
	msgPlanExists     = "plans.error.exists"
	msgPlanOpen       = "plans.error.open_version"
	msgPlanSectors    = "plans.error.sectors"
	msgPlanPeriod     = "plans.error.period"
	msgPlanCatalog    = "plans.error.catalog"
	msgPlanTitle      = "plans.error.title"
	msgPlanInvalid    = "plans.error.invalid"
	msgPlanRefExists  = "plans.error.ref_exists"
	msgPlanForbidden  = "plans.error.forbidden"
	msgPlanComment    = "plans.error.comment"
)

// sqlStatePlanImmutable is raised by the plans' guard triggers.
const sqlStatePlanImmutable = "KJ004"

// planErr turns the database's refusals into the user's messages.
func planErr(err error) error {
	switch pgCode(err) {
	case sqlStatePlanImmutable:
		return kijun.Errorf(kijun.EConflict, msgPlanImmutable, nil)
	case sqlStatePlanCheck:
		return kijun.Errorf(kijun.EConflict, plan.MsgNotChecked, nil)
	case "42501":
		return kijun.Errorf(kijun.EForbidden, msgPlanForbidden, nil)
	case "23503":
		return kijun.Errorf(kijun.EInvalid, msgPlanSectors, nil)
	}
	return err
}

// NewPlan is what a ministry gives to start a plan.
type NewPlan struct {
	MinistryCode string
	SectorCodes  []string
	PeriodStart  kijun.FiscalYear
	PeriodEnd    kijun.FiscalYear
	CatalogID    int64 // a published baseline version
	Title        kijun.Text
}

// planHead is what transitions need of a version.
type planHead struct {
	PlanID    int64
	VersionID int64
	Version   int
	Ministry  string
	Status    plan.Status
	Edits     int
}

func (h planHead) event(p *identity.Principal, requestID, action string) audit.Event {
	e := ActorOf(p, requestID)
	e.Action, e.ObjectType, e.ObjectID = action, "plan", strconv.FormatInt(h.PlanID, 10)+"/v"+strconv.Itoa(h.Version)
	e.MinistryCode = h.Ministry
	return e
}

// CreatePlan starts a plan with its first draft version, whose profile
// lists every control of the catalog that applies to the plan's sectors,
// applying with target 実施済. Only the ministry itself may start one.
func CreatePlan(ctx context.Context, tx pgx.Tx, p *identity.Principal, in NewPlan, requestID string) (int64, error) {
	in.Title.Ja, in.Title.En = strings.TrimSpace(in.Title.Ja), strings.TrimSpace(in.Title.En)
	problems := map[string]string{}
	if in.Title.Ja == "" || len([]rune(in.Title.Ja)) > plan.MaxTitle || len([]rune(in.Title.En)) > plan.MaxTitle {
		problems["title_ja"] = msgPlanTitle
	} else if id := kijun.TextProblem(in.Title.Ja, in.Title.En); id != "" {
		problems["title_ja"] = id
	}
	if len(in.SectorCodes) == 0 {
		problems["sectors"] = msgPlanSectors
	}
	for _, s := range in.SectorCodes {
		if !p.OverseesSector(s) {
			problems["sectors"] = msgPlanSectors
		}
	}
	if in.PeriodStart < 2019 || in.PeriodEnd < in.PeriodStart || in.PeriodEnd > in.PeriodStart+10 {
		problems["period"] = msgPlanPeriod
	}
	var status string
	if err := tx.QueryRow(ctx, `SELECT status FROM catalogs WHERE id = $1`, in.CatalogID).Scan(&status); err != nil || status == "draft" {
		problems["catalog"] = msgPlanCatalog
	}
	if len(problems) > 0 {
		return 0, kijun.Errorf(kijun.EInvalid, msgPlanInvalid, map[string]any{"Fields": problems})
	}
	if !p.SignedIn() || !containsFold(p.Ministries, in.MinistryCode) {
		return 0, kijun.Errorf(kijun.EForbidden, msgPlanForbidden, nil)
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM plans WHERE ministry_code = $1 AND sector_codes = $2 AND period_start = $3)`,
		in.MinistryCode, in.SectorCodes, int(in.PeriodStart)).Scan(&exists); err != nil {
		return 0, err
	}
	if exists {
		return 0, kijun.Errorf(kijun.EConflict, msgPlanExists, nil)
	}
	var planID, versionID int64
	err := tx.QueryRow(ctx, `INSERT INTO plans (ministry_code, sector_codes, period_start, period_end, created_by)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		in.MinistryCode, in.SectorCodes, int(in.PeriodStart), int(in.PeriodEnd), nullInt(p.UserID)).Scan(&planID)
	if err != nil {
		return 0, planErr(err)
	}
	err = tx.QueryRow(ctx, `INSERT INTO plan_versions (plan_id, ministry_code, version, catalog_id, title_ja, title_en, created_by)
		VALUES ($1, $2, 1, $3, $4, $5, $6) RETURNING id`,
		planID, in.MinistryCode, in.CatalogID, in.Title.Ja, in.Title.En, nullInt(p.UserID)).Scan(&versionID)
	if err != nil {
		return 0, planErr(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO plan_profile_controls (version_id, ministry_code, ref, sort_order, sectors)
		SELECT $1, $2, c.ref, row_number() OVER (ORDER BY s.sort_order, c.sort_order, c.ref),
			CASE WHEN cardinality(c.sectors) = 0 THEN $4::text[]
				ELSE ARRAY(SELECT x FROM unnest($4::text[]) x WHERE x = ANY (c.sectors)) END
		FROM controls c JOIN baseline_sections s ON s.code = c.section_code
		WHERE c.catalog_id = $3 AND (cardinality(c.sectors) = 0 OR c.sectors && $4::text[])`,
		versionID, in.MinistryCode, in.CatalogID, in.SectorCodes); err != nil {
		return 0, planErr(err)
	}
	h := planHead{PlanID: planID, VersionID: versionID, Version: 1, Ministry: in.MinistryCode, Status: plan.Draft}
	if err := addPlanEvent(ctx, tx, p, h, "", plan.Draft); err != nil {
		return 0, err
	}
	return planID, Audit(ctx, tx, h.event(p, requestID, "plan.create"), nil, map[string]any{
		"ministry": in.MinistryCode, "sectors": in.SectorCodes, "period": []int{int(in.PeriodStart), int(in.PeriodEnd)},
		"catalog_id": in.CatalogID, "title": in.Title})
}

func addPlanEvent(ctx context.Context, tx pgx.Tx, p *identity.Principal, h planHead, from, to plan.Status) error {
	_, err := tx.Exec(ctx, `INSERT INTO plan_events (version_id, ministry_code, from_status, to_status, by_user, by_name)
		VALUES ($1, $2, nullif($3, ''), $4, $5, $6)`, h.VersionID, h.Ministry, string(from), string(to), nullInt(p.UserID), p.Name)
	return err
}

const planColumns = `p.id, p.ministry_code, p.sector_codes, p.period_start, p.period_end, p.created_at,
	v.version, v.id, v.status, v.title_ja, v.title_en, v.submitted_at,
	coalesce((SELECT max(a.version) FROM plan_versions a WHERE a.plan_id = p.id AND a.status = 'accepted'), 0),
	(SELECT count(*) FROM kijun_plan_scope_operators(p.sector_codes, v.scope)),
	CASE WHEN v.status = 'draft' THEN coalesce((SELECT CASE WHEN s.voided_at IS NULL THEN s.step ELSE '' END
		FROM plan_signoffs s WHERE s.version_id = v.id ORDER BY s.id DESC LIMIT 1), '') ELSE '' END`

// latestVersion joins each plan with its newest version.
const latestVersion = `JOIN LATERAL (SELECT * FROM plan_versions x WHERE x.plan_id = p.id ORDER BY x.version DESC LIMIT 1) v ON true`

func scanPlan(r pgx.CollectableRow) (plan.Plan, error) {
	var pl plan.Plan
	var start, end int
	err := r.Scan(&pl.ID, &pl.MinistryCode, &pl.SectorCodes, &start, &end, &pl.CreatedAt,
		&pl.Latest, &pl.LatestID, &pl.LatestStatus, &pl.LatestTitle.Ja, &pl.LatestTitle.En, &pl.SubmittedAt,
		&pl.Current, &pl.ScopeOperator, &pl.CheckStep)
	pl.PeriodStart, pl.PeriodEnd = kijun.FiscalYear(start), kijun.FiscalYear(end)
	return pl, err
}

// PlanFilter narrows ListPlans.
type PlanFilter struct {
	Ministry string
	Status   plan.Status // of the latest version
	// Queue lists the versions awaiting the NCO (submitted, under review),
	// oldest submission first.
	Queue bool
}

// ListPlans returns the plans the principal sees (RLS: its ministry's, or
// all for the NCO) with their latest version.
func ListPlans(ctx context.Context, tx pgx.Tx, f PlanFilter) ([]plan.Plan, error) {
	order := `m.sort_order, p.period_start DESC, p.id`
	if f.Queue {
		order = `v.submitted_at, p.id`
	}
	rows, _ := tx.Query(ctx, `SELECT `+planColumns+` FROM plans p `+latestVersion+`
		JOIN ministries m ON m.code = p.ministry_code
		WHERE ($1 = '' OR p.ministry_code = $1) AND ($2 = '' OR v.status = $2)
		  AND (NOT $3 OR v.status IN ('submitted', 'under_review'))
		ORDER BY `+order, f.Ministry, string(f.Status), f.Queue)
	return pgx.CollectRows(rows, scanPlan)
}

// GetPlan returns a plan the principal sees, with its version history.
func GetPlan(ctx context.Context, tx pgx.Tx, id int64) (plan.Plan, error) {
	rows, _ := tx.Query(ctx, `SELECT `+planColumns+` FROM plans p `+latestVersion+` WHERE p.id = $1`, id)
	pl, err := pgx.CollectExactlyOneRow(rows, scanPlan)
	if errors.Is(err, pgx.ErrNoRows) {
		return pl, kijun.ErrNotFound
	}
	if err != nil {
		return pl, err
	}
	rows, _ = tx.Query(ctx, `SELECT id, version, status, submitted_at, decided_at, decided_by
		FROM plan_versions WHERE plan_id = $1 ORDER BY version`, id)
	pl.Versions, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (plan.VersionSummary, error) {
		var s plan.VersionSummary
		err := r.Scan(&s.ID, &s.Version, &s.Status, &s.SubmittedAt, &s.DecidedAt, &s.DecidedBy)
		return s, err
	})
	return pl, err
}

const versionColumns = `v.id, v.plan_id, v.version, coalesce(v.based_on, 0), v.status, v.catalog_id,
	k.code || ' ' || k.version, v.title_ja, v.title_en, v.scope, v.gathering, v.kpis, v.milestones, v.internal_note,
	v.edits, v.created_at, v.updated_at, v.submitted_at, v.submitted_by, v.decided_at, v.decided_by,
	coalesce((SELECT s.by_name FROM plan_signoffs s WHERE s.id = v.signoff_id), ''),
	(SELECT s.at FROM plan_signoffs s WHERE s.id = v.signoff_id)`

func scanVersion(r pgx.Row) (*plan.Version, error) {
	v := &plan.Version{}
	var scope, gathering, kpis, milestones []byte
	err := r.Scan(&v.ID, &v.PlanID, &v.Version, &v.BasedOn, &v.Status, &v.CatalogID, &v.CatalogName,
		&v.Title.Ja, &v.Title.En, &scope, &gathering, &kpis, &milestones, &v.InternalNote,
		&v.Edits, &v.CreatedAt, &v.UpdatedAt, &v.SubmittedAt, &v.SubmittedBy, &v.DecidedAt, &v.DecidedBy,
		&v.CheckedBy, &v.CheckedAt)
	if err != nil {
		return nil, err
	}
	for _, x := range []struct {
		b []byte
		v any
	}{{scope, &v.Scope}, {gathering, &v.Gathering}, {kpis, &v.KPIs}, {milestones, &v.Milestones}} {
		if err := json.Unmarshal(x.b, x.v); err != nil {
			return nil, err
		}
	}
	if v.Scope.Mode == "" {
		v.Scope.Mode = plan.ScopeAll
	}
	return v, nil
}

// GetPlanVersion returns version n of a plan (0: the latest) with its
// profile and supplementary controls.
func GetPlanVersion(ctx context.Context, tx pgx.Tx, planID int64, n int) (*plan.Version, error) {
	v, err := scanVersion(tx.QueryRow(ctx, `SELECT `+versionColumns+` FROM plan_versions v
		JOIN catalogs k ON k.id = v.catalog_id
		WHERE v.plan_id = $1 AND ($2 = 0 OR v.version = $2) ORDER BY v.version DESC LIMIT 1`, planID, n))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, kijun.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	rows, _ := tx.Query(ctx, `SELECT pc.ref, coalesce(c.section_code, ''), coalesce(c.title_ja, pc.ref), coalesce(c.title_en, ''),
			pc.applies, pc.na_reason, pc.target_status, coalesce(pc.target_maturity, 0), pc.tailoring_note,
			pc.standard_doc, pc.standard_clause, pc.reflection, coalesce(to_char(pc.reflection_on, 'YYYY-MM-DD'), ''), pc.reflection_reason,
			pc.sectors, ARRAY(SELECT x FROM unnest(p.sector_codes) x
				WHERE cardinality(coalesce(c.sectors, '{}')) = 0 OR x = ANY (c.sectors))
		FROM plan_profile_controls pc JOIN plans p ON p.id = $3
		LEFT JOIN controls c ON c.catalog_id = $2 AND c.ref = pc.ref
		WHERE pc.version_id = $1 ORDER BY pc.sort_order, pc.ref`, v.ID, v.CatalogID, planID)
	v.Profile, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (plan.ProfileControl, error) {
		var c plan.ProfileControl
		err := r.Scan(&c.Ref, &c.Section, &c.Title.Ja, &c.Title.En, &c.Applies, &c.NAReason, &c.TargetStatus,
			&c.TargetMaturity, &c.TailoringNote, &c.StandardDoc, &c.StandardClause, &c.Reflection, &c.ReflectionOn, &c.ReflectionReason,
			&c.Sectors, &c.Eligible)
		return c, err
	})
	if err != nil {
		return nil, err
	}
	rows, _ = tx.Query(ctx, `SELECT s.ref, s.section_code, s.title_ja, s.title_en, s.statement_ja, s.statement_en,
			s.guidance_ja, s.guidance_en, s.themes, s.csf, s.evidence_expected,
			s.target_status, coalesce(s.target_maturity, 0), s.standard_doc, s.standard_clause, s.reflection,
			coalesce(to_char(s.reflection_on, 'YYYY-MM-DD'), ''), s.reflection_reason, s.sectors
		FROM plan_supplementary_controls s JOIN baseline_sections b ON b.code = s.section_code
		WHERE s.version_id = $1 ORDER BY b.sort_order, s.ref`, v.ID)
	v.Supplementary, err = pgx.CollectRows(rows, scanSupplementary)
	return v, err
}

func scanSupplementary(r pgx.CollectableRow) (plan.SupplementaryControl, error) {
	var s plan.SupplementaryControl
	err := r.Scan(&s.Ref, &s.Section, &s.Title.Ja, &s.Title.En, &s.Statement.Ja, &s.Statement.En,
		&s.Guidance.Ja, &s.Guidance.En, &s.Themes, &s.CSF, &s.EvidenceExpected,
		&s.TargetStatus, &s.TargetMaturity, &s.StandardDoc, &s.StandardClause, &s.Reflection, &s.ReflectionOn, &s.ReflectionReason,
		&s.Sectors)
	return s, err
}

// readPlanHead reads the latest version of a plan, locked when lock says
// so ("FOR UPDATE").
func readPlanHead(ctx context.Context, tx pgx.Tx, planID int64, lock string) (planHead, error) {
	var h planHead
	err := tx.QueryRow(ctx, `SELECT plan_id, id, version, ministry_code, status, edits FROM plan_versions
		WHERE plan_id = $1 ORDER BY version DESC LIMIT 1 `+lock, planID).
		Scan(&h.PlanID, &h.VersionID, &h.Version, &h.Ministry, &h.Status, &h.Edits)
	if errors.Is(err, pgx.ErrNoRows) {
		return h, kijun.ErrNotFound
	}
	return h, err
}

// draftHead returns the plan's latest version, locked, if it is a draft
// the principal's ministry may edit.
func draftHead(ctx context.Context, tx pgx.Tx, p *identity.Principal, planID int64) (planHead, error) {
	h, err := readPlanHead(ctx, tx, planID, "FOR UPDATE")
	if err != nil {
		return h, err
	}
	if !containsFold(p.Ministries, h.Ministry) {
		return h, kijun.ErrNotFound
	}
	if h.Status != plan.Draft {
		return h, kijun.Errorf(kijun.EConflict, msgPlanImmutable, nil)
	}
	return h, nil
}

// DraftFields are the parts of a draft edited together on the plan form.
type DraftFields struct {
	Title        kijun.Text
	Scope        plan.Scope
	Gathering    plan.Gathering
	KPIs         []plan.KPI
	Milestones   []plan.Milestone
	InternalNote string
	PeriodEnd    kijun.FiscalYear
}

// CheckDraftFields returns every problem of the general sections.
func CheckDraftFields(d DraftFields, periodStart kijun.FiscalYear) []plan.FieldProblem {
	var ps []plan.FieldProblem
	add := func(field, id string) { ps = append(ps, plan.FieldProblem{Field: field, MessageID: id}) }
	if strings.TrimSpace(d.Title.Ja) == "" || len([]rune(d.Title.Ja)) > plan.MaxTitle || len([]rune(d.Title.En)) > plan.MaxTitle {
		add("title_ja", msgPlanTitle)
	} else if id := kijun.TextProblem(d.Title.Ja, d.Title.En); id != "" {
		add("title_ja", id)
	}
	if d.PeriodEnd < periodStart || d.PeriodEnd > periodStart+10 {
		add("period_end", msgPlanPeriod)
	}
	switch d.Scope.Mode {
	case plan.ScopeAll:
	case plan.ScopeDesignation:
		if d.Scope.Designation != "ci" && d.Scope.Designation != "core" {
			add("scope_designation", "plans.error.scope_designation")
		}
	case plan.ScopeScopes:
		if len(d.Scope.ScopeIDs) == 0 {
			add("scope_scopes", "plans.error.scope_scopes")
		}
	case plan.ScopeNamed:
		if len(d.Scope.OperatorIDs) == 0 {
			add("scope_operators", "plans.error.scope_operators")
		}
	default:
		add("scope_mode", "plans.error.scope_mode")
	}
	if d.Gathering.CoverageTarget < 0 || d.Gathering.CoverageTarget > 100 {
		add("coverage_target", "plans.error.percent")
	}
	if len([]rune(d.InternalNote)) > plan.MaxNote || len([]rune(d.Gathering.Method)) > plan.MaxNote ||
		len([]rune(d.Gathering.Cycles)) > plan.MaxNote || len([]rune(d.Gathering.FollowUp)) > plan.MaxNote {
		add("internal_note", "plans.error.too_long")
	} else if id := kijun.TextProblem(d.InternalNote, d.Gathering.Method, d.Gathering.Cycles, d.Gathering.FollowUp); id != "" {
		add("internal_note", id)
	}
	for i, k := range d.KPIs {
		f := "kpi_" + strconv.Itoa(i) + "_"
		if strings.TrimSpace(k.Label) == "" {
			add(f+"label", "plans.error.kpi_label")
		} else if id := kijun.TextProblem(k.Label); id != "" {
			add(f+"label", id)
		}
		switch k.Metric {
		case plan.KPIImplemented, plan.KPISubmitted:
		case plan.KPIScore:
			if k.Threshold < 1 || k.Threshold > 100 {
				add(f+"threshold", "plans.error.percent")
			}
		default:
			add(f+"metric", "plans.error.kpi_metric")
		}
		if k.Target < 1 || k.Target > 100 {
			add(f+"target", "plans.error.percent")
		}
		if k.Due == "" {
			add(f+"due", "plans.error.date")
		}
	}
	for i, m := range d.Milestones {
		f := "milestone_" + strconv.Itoa(i) + "_"
		if strings.TrimSpace(m.Label) == "" {
			add(f+"label", "plans.error.milestone_label")
		} else if id := kijun.TextProblem(m.Label); id != "" {
			add(f+"label", id)
		}
		if m.Due == "" {
			add(f+"due", "plans.error.date")
		}
	}
	return ps
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// UpdateDraft replaces the general sections of the plan's draft, if it is
// still at edits (optimistic locking: EConflict when someone saved first).
func UpdateDraft(ctx context.Context, tx pgx.Tx, p *identity.Principal, planID int64, edits int, d DraftFields, requestID string) error {
	h, err := draftHead(ctx, tx, p, planID)
	if err != nil {
		return err
	}
	var start int
	if err := tx.QueryRow(ctx, `SELECT period_start FROM plans WHERE id = $1`, planID).Scan(&start); err != nil {
		return err
	}
	if ps := CheckDraftFields(d, kijun.FiscalYear(start)); len(ps) > 0 {
		return kijun.Errorf(kijun.EInvalid, msgPlanInvalid, map[string]any{"Problems": ps})
	}
	if h.Edits != edits {
		return kijun.Errorf(kijun.EConflict, msgPlanConflict, nil)
	}
	before, err := GetPlanVersion(ctx, tx, planID, h.Version)
	if err != nil {
		return err
	}
	if d.KPIs == nil {
		d.KPIs = []plan.KPI{}
	}
	if d.Milestones == nil {
		d.Milestones = []plan.Milestone{}
	}
	if _, err := tx.Exec(ctx, `UPDATE plan_versions SET title_ja = $2, title_en = $3, scope = $4, gathering = $5, kpis = $6,
			milestones = $7, internal_note = $8, edits = edits + 1, updated_at = now() WHERE id = $1`,
		h.VersionID, strings.TrimSpace(d.Title.Ja), strings.TrimSpace(d.Title.En), mustJSON(d.Scope), mustJSON(d.Gathering),
		mustJSON(d.KPIs), mustJSON(d.Milestones), d.InternalNote); err != nil {
		return planErr(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE plans SET period_end = $2 WHERE id = $1`, planID, int(d.PeriodEnd)); err != nil {
		return planErr(err)
	}
	return Audit(ctx, tx, h.event(p, requestID, "plan.update"),
		generalOf(before), map[string]any{"title": d.Title, "scope": d.Scope, "gathering": d.Gathering,
			"kpis": d.KPIs, "milestones": d.Milestones, "period_end": d.PeriodEnd})
}

func generalOf(v *plan.Version) map[string]any {
	return map[string]any{"title": v.Title, "scope": v.Scope, "gathering": v.Gathering, "kpis": v.KPIs, "milestones": v.Milestones}
}

func dateArg(d kijun.Date) any {
	if d == "" {
		return nil
	}
	return string(d)
}

func maturityArg(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

// UpdateProfileControls saves rows of the draft's profile. Every row is
// checked first; one bad row saves nothing (EInvalid with every problem).
func UpdateProfileControls(ctx context.Context, tx pgx.Tx, p *identity.Principal, planID int64, rows []plan.ProfileControl, requestID string) error {
	h, err := draftHead(ctx, tx, p, planID)
	if err != nil {
		return err
	}
	before, err := GetPlanVersion(ctx, tx, planID, h.Version)
	if err != nil {
		return err
	}
	old := map[string]plan.ProfileControl{}
	for _, c := range before.Profile {
		old[c.Ref] = c
	}
	for i, c := range rows {
		if b, ok := old[c.Ref]; ok {
			if c.Sectors == nil { // a row that does not say keeps its sectors
				rows[i].Sectors = b.Sectors
			}
			rows[i].Eligible = b.Eligible
		}
	}
	var ps []plan.FieldProblem
	for _, c := range rows {
		ps = append(ps, c.Check()...)
	}
	if len(ps) > 0 {
		return kijun.Errorf(kijun.EInvalid, msgPlanInvalid, map[string]any{"Problems": ps})
	}
	for _, c := range rows {
		b, ok := old[c.Ref]
		if !ok {
			return kijun.Errorf(kijun.EInvalid, msgPlanInvalid, map[string]any{"Problems": []plan.FieldProblem{
				{Ref: c.Ref, Field: "ref", MessageID: "plans.error.unknown_ref"}}})
		}
		c.Section, c.Title = b.Section, b.Title
		if b.Equal(c) {
			continue
		}
		if _, err := tx.Exec(ctx, `UPDATE plan_profile_controls SET applies = $3, na_reason = $4, target_status = $5,
				target_maturity = $6, tailoring_note = $7, standard_doc = $8, standard_clause = $9, reflection = $10,
				reflection_on = $11, reflection_reason = $12, sectors = $13
			WHERE version_id = $1 AND ref = $2`, h.VersionID, c.Ref, c.Applies, strings.TrimSpace(c.NAReason),
			string(c.TargetStatus), maturityArg(c.TargetMaturity), c.TailoringNote, strings.TrimSpace(c.StandardDoc),
			strings.TrimSpace(c.StandardClause), string(c.Reflection), dateArg(c.ReflectionOn), strings.TrimSpace(c.ReflectionReason),
			c.Sectors); err != nil {
			return planErr(err)
		}
		ev := h.event(p, requestID, "plan.profile.update")
		ev.ObjectType, ev.ObjectID = "plan_profile_control", ev.ObjectID+"/"+c.Ref
		if err := Audit(ctx, tx, ev, b, c); err != nil {
			return err
		}
	}
	_, err = tx.Exec(ctx, `UPDATE plan_versions SET updated_at = now() WHERE id = $1`, h.VersionID)
	return planErr(err)
}

// SaveSupplementary adds the supplementary control s to the draft, or
// replaces the one with its ref when replace is set.
func SaveSupplementary(ctx context.Context, tx pgx.Tx, p *identity.Principal, planID int64, s plan.SupplementaryControl, replace bool, requestID string) error {
	h, err := draftHead(ctx, tx, p, planID)
	if err != nil {
		return err
	}
	if ps := CheckSupplementary(ctx, tx, planID, s); len(ps) > 0 {
		return kijun.Errorf(kijun.EInvalid, msgPlanInvalid, map[string]any{"Problems": ps})
	}
	var before *plan.SupplementaryControl
	rows, _ := tx.Query(ctx, `SELECT ref, section_code, title_ja, title_en, statement_ja, statement_en,
			guidance_ja, guidance_en, themes, csf, evidence_expected,
			target_status, coalesce(target_maturity, 0), standard_doc, standard_clause, reflection,
			coalesce(to_char(reflection_on, 'YYYY-MM-DD'), ''), reflection_reason, sectors
		FROM plan_supplementary_controls WHERE version_id = $1 AND ref = $2`, h.VersionID, s.Ref)
	old, err := pgx.CollectRows(rows, scanSupplementary)
	if err != nil {
		return err
	}
	if len(old) > 0 {
		before = &old[0]
	}
	switch {
	case before != nil && !replace:
		return kijun.Errorf(kijun.EInvalid, msgPlanInvalid, map[string]any{"Problems": []plan.FieldProblem{
			{Ref: s.Ref, Field: "ref", MessageID: msgPlanRefExists}}})
	case before == nil && replace:
		return kijun.ErrNotFound
	}
	if before != nil {
		if _, err := tx.Exec(ctx, `DELETE FROM plan_supplementary_controls WHERE version_id = $1 AND ref = $2`, h.VersionID, s.Ref); err != nil {
			return planErr(err)
		}
	}
	if err := insertSupplementary(ctx, tx, h, s); err != nil {
		return err
	}
	ev := h.event(p, requestID, "plan.supplementary.save")
	ev.ObjectType, ev.ObjectID = "plan_supplementary_control", ev.ObjectID+"/"+s.Ref
	return Audit(ctx, tx, ev, before, s)
}

func insertSupplementary(ctx context.Context, tx pgx.Tx, h planHead, s plan.SupplementaryControl) error {
	_, err := tx.Exec(ctx, `INSERT INTO plan_supplementary_controls (version_id, ministry_code, ref, section_code,
			title_ja, title_en, statement_ja, statement_en, guidance_ja, guidance_en, themes, csf, evidence_expected,
			target_status, target_maturity, standard_doc, standard_clause, reflection, reflection_on, reflection_reason, sectors)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
		h.VersionID, h.Ministry, s.Ref, s.Section, strings.TrimSpace(s.Title.Ja), strings.TrimSpace(s.Title.En),
		strings.TrimSpace(s.Statement.Ja), strings.TrimSpace(s.Statement.En), s.Guidance.Ja, s.Guidance.En,
		orEmpty(s.Themes), orEmpty(s.CSF), s.EvidenceExpected, string(s.TargetStatus), maturityArg(s.TargetMaturity),
		strings.TrimSpace(s.StandardDoc), strings.TrimSpace(s.StandardClause), string(s.Reflection), dateArg(s.ReflectionOn),
		strings.TrimSpace(s.ReflectionReason), orEmpty(s.Sectors))
	return planErr(err)
}

// CheckSupplementary returns every problem of a supplementary control: its
// ref, its sectors (some of plan planID's), its catalog fields (the
// catalog's own rules) and its target.
func CheckSupplementary(ctx context.Context, q Querier, planID int64, s plan.SupplementaryControl) []plan.FieldProblem {
	var ps []plan.FieldProblem
	add := func(field, id string) { ps = append(ps, plan.FieldProblem{Ref: s.Ref, Field: field, MessageID: id}) }
	var sectors []string
	if err := q.QueryRow(ctx, `SELECT sector_codes FROM plans WHERE id = $1`, planID).Scan(&sectors); err == nil {
		ps = append(ps, plan.CheckSectors(s.Ref, s.Sectors, sectors)...)
	}
	if !plan.ValidSupplementaryRef(s.Ref) {
		add("ref", "plans.error.supplementary_ref")
	}
	if strings.TrimSpace(s.Title.Ja) == "" {
		add("title_ja", "plans.error.required")
	}
	if strings.TrimSpace(s.Statement.Ja) == "" {
		add("statement_ja", "plans.error.required")
	}
	ref, err := LoadCatalogReference(ctx, q)
	if err == nil {
		if !containsFold(ref.Sections, s.Section) {
			add("section", "plans.error.section")
		}
		for _, t := range s.Themes {
			if !containsFold(ref.Themes, t) {
				add("themes", "plans.error.theme")
				break
			}
		}
	}
	for _, c := range s.CSF {
		if !containsFold(catalog.CSFCategories, c) {
			add("csf", "plans.error.csf")
			break
		}
	}
	return append(ps, s.ProfileTarget.Check(s.Ref)...)
}

// DeleteSupplementary removes a supplementary control from the draft.
func DeleteSupplementary(ctx context.Context, tx pgx.Tx, p *identity.Principal, planID int64, ref, requestID string) error {
	h, err := draftHead(ctx, tx, p, planID)
	if err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `DELETE FROM plan_supplementary_controls WHERE version_id = $1 AND ref = $2`, h.VersionID, ref)
	if err != nil {
		return planErr(err)
	}
	if tag.RowsAffected() == 0 {
		return kijun.ErrNotFound
	}
	ev := h.event(p, requestID, "plan.supplementary.delete")
	ev.ObjectType, ev.ObjectID = "plan_supplementary_control", ev.ObjectID+"/"+ref
	return Audit(ctx, tx, ev, map[string]string{"ref": ref}, nil)
}

// transitionPlan moves the latest version from → to, with the history row
// and the audit event, in the caller's transaction.
func transitionPlan(ctx context.Context, tx pgx.Tx, p *identity.Principal, planID int64, to plan.Status, action, requestID string, check func(planHead) error) (planHead, error) {
	h, err := readPlanHead(ctx, tx, planID, "FOR UPDATE")
	if err != nil {
		return h, err
	}
	if err := check(h); err != nil {
		return h, err
	}
	if !h.Status.CanMoveTo(to) {
		return h, kijun.Errorf(kijun.EConflict, msgPlanTransition, map[string]any{"From": string(h.Status), "To": string(to)})
	}
	set, args := `status = $2`, []any{h.VersionID, string(to)}
	switch to {
	case plan.Submitted:
		set, args = set+`, submitted_at = now(), submitted_by = $3`, append(args, p.Name)
	case plan.Returned, plan.Accepted:
		set, args = set+`, decided_at = now(), decided_by = $3`, append(args, p.Name)
	}
	if _, err := tx.Exec(ctx, `UPDATE plan_versions SET `+set+` WHERE id = $1`, args...); err != nil {
		return h, planErr(err)
	}
	if err := addPlanEvent(ctx, tx, p, h, h.Status, to); err != nil {
		return h, planErr(err)
	}
	from := h.Status
	h.Status = to
	return h, Audit(ctx, tx, h.event(p, requestID, action), map[string]string{"status": string(from)}, map[string]string{"status": string(to)})
}

// SubmitPlan submits the draft to the NCO; from here the version never
// changes. When the ministry requires its internal check, the draft needs
// a current confirmation (plan.CanSubmit), which the version then names.
func SubmitPlan(ctx context.Context, tx pgx.Tx, p *identity.Principal, planID int64, requestID string) error {
	_, err := transitionPlan(ctx, tx, p, planID, plan.Submitted, "plan.submit", requestID, func(h planHead) error {
		if !containsFold(p.Ministries, h.Ministry) {
			return kijun.ErrNotFound
		}
		if h.Status != plan.Draft {
			return nil // transitionPlan refuses the move
		}
		required, err := PlanCheckRequired(ctx, tx, h.Ministry)
		if err != nil {
			return err
		}
		current, err := currentPlanSignOff(ctx, tx, h.VersionID)
		if err != nil {
			return err
		}
		if m := plan.CanSubmit(required, current); m != "" {
			return kijun.Errorf(kijun.EConflict, m, nil)
		}
		if current == nil {
			return nil
		}
		// Named on the draft, just before the move (the guard keeps it).
		_, err = tx.Exec(ctx, `UPDATE plan_versions SET signoff_id = $2 WHERE id = $1`, h.VersionID, current.ID)
		return planErr(err)
	})
	return err
}

func ncoOnly(p *identity.Principal) func(planHead) error {
	return func(planHead) error {
		if !p.NCO {
			return kijun.Errorf(kijun.EForbidden, msgPlanForbidden, nil)
		}
		return nil
	}
}

// StartReview marks a submitted version as under the NCO's review.
func StartReview(ctx context.Context, tx pgx.Tx, p *identity.Principal, planID int64, requestID string) error {
	_, err := transitionPlan(ctx, tx, p, planID, plan.UnderReview, "plan.review", requestID, ncoOnly(p))
	return err
}

// ReturnPlan returns the version under review with comments per section
// (section → text; empty texts are skipped; at least one is needed).
func ReturnPlan(ctx context.Context, tx pgx.Tx, p *identity.Principal, planID int64, comments map[string]string, requestID string) error {
	n := 0
	for _, body := range comments {
		if strings.TrimSpace(body) != "" {
			n++
		}
	}
	if n == 0 {
		return kijun.Errorf(kijun.EInvalid, msgPlanComment, nil)
	}
	h, err := transitionPlan(ctx, tx, p, planID, plan.Returned, "plan.return", requestID, ncoOnly(p))
	if err != nil {
		return err
	}
	for _, sec := range plan.Sections {
		if body := strings.TrimSpace(comments[sec]); body != "" {
			if err := insertComment(ctx, tx, p, h, sec, "nco", body, requestID); err != nil {
				return err
			}
		}
	}
	return nil
}

// AcceptPlan accepts the version under review; the version accepted
// before it, if any, becomes superseded.
func AcceptPlan(ctx context.Context, tx pgx.Tx, p *identity.Principal, planID int64, requestID string) error {
	h, err := transitionPlan(ctx, tx, p, planID, plan.Accepted, "plan.accept", requestID, ncoOnly(p))
	if err != nil {
		return err
	}
	rows, _ := tx.Query(ctx, `UPDATE plan_versions SET status = 'superseded'
		WHERE plan_id = $1 AND status = 'accepted' AND id <> $2 RETURNING id, version`, planID, h.VersionID)
	type old struct {
		ID      int64
		Version int
	}
	olds, err := pgx.CollectRows(rows, pgx.RowToStructByPos[old])
	if err != nil {
		return planErr(err)
	}
	for _, o := range olds {
		oh := planHead{PlanID: planID, VersionID: o.ID, Version: o.Version, Ministry: h.Ministry}
		if err := addPlanEvent(ctx, tx, p, oh, plan.Accepted, plan.Superseded); err != nil {
			return err
		}
		if err := Audit(ctx, tx, oh.event(p, requestID, "plan.supersede"), map[string]string{"status": "accepted"},
			map[string]string{"status": "superseded"}); err != nil {
			return err
		}
	}
	return nil
}

// RevisePlan starts a new draft version as a copy of the latest version,
// which must be returned or accepted. It returns the new version number.
func RevisePlan(ctx context.Context, tx pgx.Tx, p *identity.Principal, planID int64, requestID string) (int, error) {
	h, err := readPlanHead(ctx, tx, planID, "FOR UPDATE")
	if err != nil {
		return 0, err
	}
	if !containsFold(p.Ministries, h.Ministry) {
		return 0, kijun.ErrNotFound
	}
	if !h.Status.Revisable() {
		return 0, kijun.Errorf(kijun.EConflict, msgPlanOpen, nil)
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO plan_versions (plan_id, ministry_code, version, based_on, catalog_id, title_ja, title_en,
			scope, gathering, kpis, milestones, internal_note, created_by)
		SELECT plan_id, ministry_code, version + 1, id, catalog_id, title_ja, title_en, scope, gathering, kpis, milestones,
			internal_note, $2 FROM plan_versions WHERE id = $1 RETURNING id`, h.VersionID, nullInt(p.UserID)).Scan(&id)
	if err != nil {
		return 0, planErr(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO plan_profile_controls (version_id, ministry_code, ref, applies, na_reason, target_status,
			target_maturity, tailoring_note, standard_doc, standard_clause, reflection, reflection_on, reflection_reason, sort_order, sectors)
		SELECT $2, ministry_code, ref, applies, na_reason, target_status, target_maturity, tailoring_note, standard_doc,
			standard_clause, reflection, reflection_on, reflection_reason, sort_order, sectors
		FROM plan_profile_controls WHERE version_id = $1`, h.VersionID, id); err != nil {
		return 0, planErr(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO plan_supplementary_controls (version_id, ministry_code, ref, section_code, title_ja, title_en,
			statement_ja, statement_en, guidance_ja, guidance_en, themes, csf, evidence_expected, target_status, target_maturity,
			standard_doc, standard_clause, reflection, reflection_on, reflection_reason, sectors)
		SELECT $2, ministry_code, ref, section_code, title_ja, title_en, statement_ja, statement_en, guidance_ja, guidance_en,
			themes, csf, evidence_expected, target_status, target_maturity, standard_doc, standard_clause, reflection,
			reflection_on, reflection_reason, sectors
		FROM plan_supplementary_controls WHERE version_id = $1`, h.VersionID, id); err != nil {
		return 0, planErr(err)
	}
	nh := planHead{PlanID: planID, VersionID: id, Version: h.Version + 1, Ministry: h.Ministry, Status: plan.Draft}
	if err := addPlanEvent(ctx, tx, p, nh, "", plan.Draft); err != nil {
		return 0, err
	}
	return nh.Version, Audit(ctx, tx, nh.event(p, requestID, "plan.revise"), map[string]any{"based_on": h.Version},
		map[string]any{"version": nh.Version, "status": plan.Draft})
}

func insertComment(ctx context.Context, tx pgx.Tx, p *identity.Principal, h planHead, section, side, body, requestID string) error {
	if len([]rune(body)) > plan.MaxComment {
		return kijun.Errorf(kijun.EInvalid, msgPlanComment, nil)
	}
	if id := kijun.TextProblem(body); id != "" {
		return kijun.Errorf(kijun.EInvalid, id, nil)
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO plan_comments (version_id, ministry_code, section, author_id, author_name, author_side, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, h.VersionID, h.Ministry, section, p.UserID, p.Name, side, body).Scan(&id)
	if err != nil {
		return planErr(err)
	}
	ev := h.event(p, requestID, "plan.comment")
	ev.ObjectType, ev.ObjectID = "plan_comment", strconv.FormatInt(id, 10)
	return Audit(ctx, tx, ev, nil, map[string]any{"section": section, "side": side, "version": h.Version, "body": body})
}

// AddPlanComment adds a comment on a section of the latest version: the
// ministry answering the NCO, or the NCO during review.
func AddPlanComment(ctx context.Context, tx pgx.Tx, p *identity.Principal, planID int64, section, body, requestID string) error {
	body = strings.TrimSpace(body)
	if body == "" || !containsFold(plan.Sections, section) {
		return kijun.Errorf(kijun.EInvalid, msgPlanComment, nil)
	}
	h, err := readPlanHead(ctx, tx, planID, "")
	if err != nil {
		return err
	}
	side := "ministry"
	if p.NCO {
		side = "nco"
	} else if !containsFold(p.Ministries, h.Ministry) {
		return kijun.ErrNotFound
	}
	return insertComment(ctx, tx, p, h, section, side, body, requestID)
}

// ListPlanComments returns the comments on every version of a plan, oldest first.
func ListPlanComments(ctx context.Context, tx pgx.Tx, planID int64) ([]plan.Comment, error) {
	rows, _ := tx.Query(ctx, `SELECT c.id, c.version_id, v.version, c.section, c.author_name, c.author_side, c.body, c.created_at
		FROM plan_comments c JOIN plan_versions v ON v.id = c.version_id WHERE v.plan_id = $1 ORDER BY c.id`, planID)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (plan.Comment, error) {
		var c plan.Comment
		err := r.Scan(&c.ID, &c.VersionID, &c.Version, &c.Section, &c.AuthorName, &c.Side, &c.Body, &c.CreatedAt)
		return c, err
	})
}

// ListPlanEvents returns a plan's status history, oldest first.
func ListPlanEvents(ctx context.Context, tx pgx.Tx, planID int64) ([]plan.Event, error) {
	rows, _ := tx.Query(ctx, `SELECT v.version, coalesce(e.from_status, ''), e.to_status, e.by_name, e.at
		FROM plan_events e JOIN plan_versions v ON v.id = e.version_id WHERE v.plan_id = $1 ORDER BY e.id`, planID)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (plan.Event, error) {
		var e plan.Event
		err := r.Scan(&e.Version, &e.From, &e.To, &e.ByName, &e.At)
		return e, err
	})
}

// PlanScopeOperators lists the operators a version's scope selects now.
func PlanScopeOperators(ctx context.Context, tx pgx.Tx, sectors []string, scope plan.Scope) ([]plan.ScopeOperator, error) {
	rows, _ := tx.Query(ctx, `SELECT o.id, o.name_ja, o.name_en, o.sector_code, o.designation FROM operators o
		WHERE o.id IN (SELECT kijun_plan_scope_operators($1, $2)) ORDER BY o.sector_code, o.name_ja, o.id`, sectors, mustJSON(scope))
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (plan.ScopeOperator, error) {
		var o plan.ScopeOperator
		err := r.Scan(&o.ID, &o.Name.Ja, &o.Name.En, &o.SectorCode, &o.Designation)
		return o, err
	})
}

// LoadScopeChoices reads the business scopes and operators of sectors.
func LoadScopeChoices(ctx context.Context, tx pgx.Tx, sectors []string) (plan.ScopeChoices, error) {
	var c plan.ScopeChoices
	scan := func(r pgx.CollectableRow) (plan.ScopeChoice, error) {
		var s plan.ScopeChoice
		err := r.Scan(&s.ID, &s.Sector, &s.Name.Ja, &s.Name.En)
		return s, err
	}
	rows, _ := tx.Query(ctx, `SELECT id, sector_code, name_ja, name_en FROM business_scopes
		WHERE sector_code = ANY ($1) ORDER BY sector_code, sort_order, id`, sectors)
	var err error
	if c.Scopes, err = pgx.CollectRows(rows, scan); err != nil {
		return c, err
	}
	rows, _ = tx.Query(ctx, `SELECT id, sector_code, name_ja, name_en FROM operators
		WHERE sector_code = ANY ($1) AND status = 'active' ORDER BY sector_code, name_ja, id`, sectors)
	c.Operators, err = pgx.CollectRows(rows, scan)
	return c, err
}

// PublishedCatalogs lists the catalog versions a plan may target.
func PublishedCatalogs(ctx context.Context, q Querier) ([]catalog.Summary, error) {
	all, err := ListCatalogs(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []catalog.Summary
	for _, c := range all {
		if c.Status != catalog.Draft {
			out = append(out, c)
		}
	}
	return out, nil
}
