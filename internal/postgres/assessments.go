package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// The self-assessment cycle (docs/assessment.md). Every
// function runs in the caller's InTx transaction: RLS limits what it reads
// and refuses what the principal may not write, and the state machine is
// enforced by a trigger; the checks here come first so that refusals carry
// a message. Every change is audited in the same transaction, on the
// operator's chain (SectorCode, OperatorID and MinistryCode set).

// Message IDs (locales/assessment.*.yaml).
const (
	msgAsmConflict       = "assessment.conflict"
	msgAsmLocked         = "assessment.locked"
	msgAsmIncomplete     = "assessment.incomplete"
	msgAsmTransition     = "assessment.transition"
	msgAsmForbidden      = "assessment.forbidden"
	msgAsmAnswerInvalid  = "assessment.answer.invalid"
	msgAsmStatusUnknown  = "assessment.answer.status_unknown"
	msgAsmCycleExists    = "assessment.cycle.exists"
	msgAsmCycleCatalog   = "assessment.cycle.catalog_not_published"
	msgAsmCycleDates     = "assessment.cycle.dates"
	msgAsmCycleYear      = "assessment.cycle.year"
	msgAsmCycleClosed    = "assessment.cycle.closed"
	msgAsmCycleNoControl = "assessment.cycle.no_controls"
	msgAsmOperatorGone   = "assessment.operator_withdrawn"
	msgAsmNoPrevious     = "assessment.carry.none"
	msgAsmNoteTooLong    = "assessment.note.too_long"

	msgGapUnanswered  = "assessment.gap.unanswered"
	msgGapNAReason    = "assessment.gap.na_reason"
	msgGapAction      = "assessment.gap.remediation_action"
	msgGapOwner       = "assessment.gap.remediation_owner"
	msgGapDue         = "assessment.gap.remediation_due"
	msgGapUnconfirmed = "assessment.gap.carried_unconfirmed"
)

// SQLSTATEs raised by the assessments' triggers.
const (
	sqlStateLocked     = "KJ002"
	sqlStateTransition = "KJ003"
)

// asmErr turns the database's refusals into messages.
func asmErr(err error) error {
	switch pgCode(err) {
	case sqlStateLocked:
		return kijun.Errorf(kijun.EConflict, msgAsmLocked, nil)
	case sqlStateTransition:
		return kijun.Errorf(kijun.EConflict, msgAsmTransition, nil)
	case sqlStateNotConfirmed:
		return kijun.Errorf(kijun.EConflict, assessment.MsgNotConfirmed, nil)
	case "42501":
		return kijun.Errorf(kijun.EForbidden, msgAsmForbidden, nil)
	}
	return err
}

var errAsmForbidden = kijun.Errorf(kijun.EForbidden, msgAsmForbidden, nil)

// AnswerScale returns the answer scale in its order.
func AnswerScale(ctx context.Context, q Querier) ([]assessment.ScaleEntry, error) {
	var list []assessment.ScaleEntry
	b := &pgx.Batch{}
	queueScale(b, &list)
	return list, q.SendBatch(ctx, b).Close()
}

func queueScale(b *pgx.Batch, list *[]assessment.ScaleEntry) {
	b.Queue(`SELECT code, label_ja, label_en, weight::float8, requires_reason, requires_remediation, sort_order
		FROM answer_scale ORDER BY sort_order, code`).Query(func(rows pgx.Rows) (err error) {
		*list, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (assessment.ScaleEntry, error) {
			var e assessment.ScaleEntry
			err := r.Scan(&e.Code, &e.Label.Ja, &e.Label.En, &e.Weight, &e.RequiresReason, &e.RequiresRemediation, &e.SortOrder)
			return e, err
		})
		return err
	})
}

// ControlSelector is the hook that decides which controls assessments of
// sector answer in a cycle measured against cat. It returns the controls
// in the order they are asked and a short source label stored with the
// set ("baseline", or e.g. "profile:12"). BaselineControls is the default;
// the sector-profile issue plugs a selector here that drops the controls
// its profile marks not applicable and appends the sector's supplementary
// controls (CatalogID 0). The selector only reads; the store copies what
// it returns into an immutable control set, so assessments already open
// keep their controls whatever the catalog or profile does later.
type ControlSelector func(ctx context.Context, tx pgx.Tx, cat *catalog.Catalog, sector string) ([]assessment.Control, string, error)

// BaselineControls selects the controls of cat whose sectors are empty or
// contain sector, in catalog order.
func BaselineControls(_ context.Context, _ pgx.Tx, cat *catalog.Catalog, sector string) ([]assessment.Control, string, error) {
	var out []assessment.Control
	for i, c := range cat.Controls {
		if len(c.Sectors) > 0 && !containsFold(c.Sectors, sector) {
			continue
		}
		out = append(out, AssessmentControlOf(cat.ID, c, i+1))
	}
	return out, "baseline", nil
}

// AssessmentControlOf copies a catalog control into the form an
// assessment asks it.
func AssessmentControlOf(catalogID int64, c catalog.Control, sortOrder int) assessment.Control {
	return assessment.Control{Ref: c.Ref, CatalogID: catalogID, Section: c.Section, Themes: orEmpty(c.Themes),
		CSF: orEmpty(c.CSF), Title: c.Title, Statement: c.Statement, Guidance: c.Guidance, EvidenceExpected: c.EvidenceExpected,
		SortOrder: sortOrder}
}

// setItem is a control set item as jsonb_to_recordset reads it.
type setItem struct {
	Ref              string   `json:"ref"`
	CatalogID        *int64   `json:"catalog_id"`
	Section          string   `json:"section_code"`
	Themes           []string `json:"themes"`
	CSF              []string `json:"csf"`
	TitleJa          string   `json:"title_ja"`
	TitleEn          string   `json:"title_en"`
	StatementJa      string   `json:"statement_ja"`
	StatementEn      string   `json:"statement_en"`
	GuidanceJa       string   `json:"guidance_ja"`
	GuidanceEn       string   `json:"guidance_en"`
	EvidenceExpected bool     `json:"evidence_expected"`
	SortOrder        int      `json:"sort_order"`
}

// ensureControlSet returns the id of the control set of cycle and sector
// holding exactly controls, creating it if needed. Sets are found by the
// hash of their content, so identical selections share one set.
func ensureControlSet(ctx context.Context, tx pgx.Tx, cycleID, catalogID int64, sector, source string, controls []assessment.Control) (int64, error) {
	items := make([]setItem, len(controls))
	for i, c := range controls {
		var cat *int64
		if c.CatalogID != 0 {
			cat = &c.CatalogID
		}
		items[i] = setItem{Ref: c.Ref, CatalogID: cat, Section: c.Section, Themes: orEmpty(c.Themes), CSF: orEmpty(c.CSF),
			TitleJa: c.Title.Ja, TitleEn: c.Title.En, StatementJa: c.Statement.Ja, StatementEn: c.Statement.En,
			GuidanceJa: c.Guidance.Ja, GuidanceEn: c.Guidance.En, EvidenceExpected: c.EvidenceExpected, SortOrder: c.SortOrder}
	}
	body, err := json.Marshal(items)
	if err != nil {
		return 0, err
	}
	sum := sha256.Sum256(body)
	var id int64
	err = tx.QueryRow(ctx, `SELECT id FROM control_sets WHERE cycle_id = $1 AND sector_code = $2 AND fingerprint = $3`,
		cycleID, sector, sum[:]).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, err
	}
	if err := tx.QueryRow(ctx, `INSERT INTO control_sets (cycle_id, sector_code, catalog_id, source, fingerprint, control_count)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, cycleID, sector, catalogID, source, sum[:], len(items)).Scan(&id); err != nil {
		return 0, asmErr(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO control_set_items (set_id, sector_code, ref, catalog_id, section_code, themes, csf,
			title_ja, title_en, statement_ja, statement_en, guidance_ja, guidance_en, evidence_expected, sort_order)
		SELECT $1, $2, ref, catalog_id, section_code, themes, csf, title_ja, title_en, statement_ja, statement_en,
			guidance_ja, guidance_en, evidence_expected, sort_order
		FROM jsonb_to_recordset($3::jsonb) AS x(ref text, catalog_id bigint, section_code text, themes text[], csf text[],
			title_ja text, title_en text, statement_ja text, statement_en text, guidance_ja text, guidance_en text,
			evidence_expected boolean, sort_order int)`,
		id, sector, body); err != nil {
		return 0, asmErr(err)
	}
	return id, nil
}

// CycleInput is what the NCO gives to open a cycle.
type CycleInput struct {
	FiscalYear kijun.FiscalYear
	CatalogID  int64 // a published catalog
	OpensOn    time.Time
	DueOn      time.Time
}

// OpenCycle opens the cycle of a fiscal year (one open cycle per year) and
// creates an assessment for every active operator the NCO sees, each
// against the control set sel chooses for its sector (nil: the baseline).
// The assessments are written by one INSERT … SELECT, whatever their
// number. It returns the cycle and how many assessments it created.
func OpenCycle(ctx context.Context, tx pgx.Tx, p *identity.Principal, in CycleInput, sel ControlSelector, requestID string) (assessment.Cycle, int, error) {
	var cy assessment.Cycle
	if !p.SignedIn() || !p.NCO {
		return cy, 0, errAsmForbidden
	}
	if in.FiscalYear < 2019 || in.FiscalYear > 2200 {
		return cy, 0, kijun.Errorf(kijun.EInvalid, msgAsmCycleYear, map[string]any{"Year": int(in.FiscalYear)})
	}
	if in.OpensOn.IsZero() || in.DueOn.IsZero() || in.DueOn.Before(in.OpensOn) {
		return cy, 0, kijun.Errorf(kijun.EInvalid, msgAsmCycleDates, nil)
	}
	// The warnings (opening early, a due date passed) are the form's: the
	// store refuses only dates that cannot make a cycle of the year.
	if refused, _ := assessment.CheckCycleDates(in.FiscalYear, in.OpensOn, in.DueOn, in.OpensOn); len(refused) > 0 {
		return cy, 0, kijun.Errorf(kijun.EInvalid, msgAsmCycleDates, nil)
	}
	_, status, err := catalogState(ctx, tx, in.CatalogID, "")
	if err != nil {
		return cy, 0, err
	}
	// Only the version in force (catalog governance; the database's
	// cycles_catalog trigger refuses the same).
	if catalog.CheckBindable(status) != nil {
		return cy, 0, kijun.Errorf(kijun.EInvalid, msgAsmCycleCatalog, map[string]any{"Status": string(status)})
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM cycles WHERE fiscal_year = $1 AND status = 'open')`,
		int(in.FiscalYear)).Scan(&exists); err != nil {
		return cy, 0, err
	}
	if exists {
		return cy, 0, kijun.Errorf(kijun.EConflict, msgAsmCycleExists, map[string]any{"Year": int(in.FiscalYear)})
	}
	rows, _ := tx.Query(ctx, `INSERT INTO cycles (fiscal_year, catalog_id, opens_on, due_on, created_by)
		VALUES ($1, $2, $3, $4, $5) RETURNING `+cycleColumns, int(in.FiscalYear), in.CatalogID, in.OpensOn, in.DueOn, nullInt(p.UserID))
	if cy, err = pgx.CollectExactlyOneRow(rows, scanCycle); err != nil {
		if IsUniqueViolation(err) {
			return cy, 0, kijun.Errorf(kijun.EConflict, msgAsmCycleExists, map[string]any{"Year": int(in.FiscalYear)})
		}
		return cy, 0, asmErr(err)
	}
	cat, err := GetCatalog(ctx, tx, in.CatalogID)
	if err != nil {
		return cy, 0, err
	}
	rows, _ = tx.Query(ctx, `SELECT DISTINCT sector_code FROM operators WHERE status = 'active' ORDER BY 1`)
	setSectors, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return cy, 0, err
	}
	setIDs, _, err := controlSets(ctx, tx, cy.ID, cat, setSectors, sel)
	if err != nil {
		return cy, 0, err
	}
	var n int
	if err := tx.QueryRow(ctx, newAssessmentsSQL(`WHERE o.status = 'active'`)+` SELECT count(*) FROM ins`,
		cy.ID, setSectors, setIDs, p.UserID, p.Name).Scan(&n); err != nil {
		return cy, 0, asmErr(err)
	}
	ev := ActorOf(p, requestID)
	ev.Action, ev.ObjectType, ev.ObjectID = "assessment.cycle.open", "cycle", strconv.FormatInt(cy.ID, 10)
	after := map[string]any{"fiscal_year": int(cy.FiscalYear), "catalog_id": cy.CatalogID,
		"opens_on": cy.OpensOn.Format(time.DateOnly), "due_on": cy.DueOn.Format(time.DateOnly),
		"assessments": n, "sectors": setSectors, "control_sets": setIDs}
	return cy, n, Audit(ctx, tx, ev, nil, after)
}

// controlSets makes (or finds) in cycle cycleID the control set sel
// chooses from cat for each of sectors (nil sel: the baseline), refusing a
// sector left without a control. It returns each set's id and its number
// of controls, in the order of sectors.
func controlSets(ctx context.Context, tx pgx.Tx, cycleID int64, cat *catalog.Catalog, sectors []string, sel ControlSelector) ([]int64, []int, error) {
	if sel == nil {
		sel = BaselineControls
	}
	var setIDs []int64
	var counts []int
	for _, s := range sectors {
		controls, source, err := sel(ctx, tx, cat, s)
		if err != nil {
			return nil, nil, err
		}
		if len(controls) == 0 {
			return nil, nil, kijun.Errorf(kijun.EInvalid, msgAsmCycleNoControl, map[string]any{"Sector": s})
		}
		id, err := ensureControlSet(ctx, tx, cycleID, cat.ID, s, source, controls)
		if err != nil {
			return nil, nil, err
		}
		setIDs, counts = append(setIDs, id), append(counts, len(controls))
	}
	return setIDs, counts, nil
}

// newAssessmentsSQL begins a statement that writes the assessments of
// cycle $1 for the operators o that chooser (a WHERE clause and what
// follows it) picks, each against the control set of its sector (the
// arrays $2 of sectors and $3 of set ids) and in the ministry overseeing
// the sector (the designating one if none does), with its first history
// row by user $4 named $5. The new assessments are the CTE ins.
func newAssessmentsSQL(chooser string) string {
	return `WITH ins AS (
			INSERT INTO assessments (cycle_id, operator_id, sector_code, ministry_code, control_set_id)
			SELECT $1, o.id, o.sector_code,
				coalesce((SELECT min(so.ministry_code) FROM sector_oversight so WHERE so.sector_code = o.sector_code), o.designated_by),
				m.set_id
			FROM operators o JOIN unnest($2::text[], $3::bigint[]) AS m(sector, set_id) ON m.sector = o.sector_code
			` + chooser + `
			RETURNING id, operator_id, sector_code, ministry_code, control_set_id
		), ev AS (
			INSERT INTO assessment_events (assessment_id, operator_id, sector_code, to_status, by_user, by_name)
			SELECT id, operator_id, sector_code, 'not_started', $4, $5 FROM ins
		)`
}

const cycleColumns = `id, fiscal_year, catalog_id, opens_on, due_on, status, created_at`

func scanCycle(r pgx.CollectableRow) (assessment.Cycle, error) {
	var c assessment.Cycle
	err := r.Scan(&c.ID, &c.FiscalYear, &c.CatalogID, &c.OpensOn, &c.DueOn, &c.Status, &c.CreatedAt)
	return c, err
}

// ListCycles returns every cycle, newest fiscal year first.
func ListCycles(ctx context.Context, q Querier) ([]assessment.Cycle, error) {
	rows, _ := q.Query(ctx, listCyclesSQL)
	return pgx.CollectRows(rows, scanCycle)
}

const listCyclesSQL = `SELECT ` + cycleColumns + ` FROM cycles ORDER BY fiscal_year DESC, id DESC`

// asmHead is what the store needs of an assessment to check and audit a
// change.
type asmHead struct {
	ID           int64
	OperatorID   int64
	SectorCode   string
	MinistryCode string
	Status       assessment.Status
	Version      int
}

func (h asmHead) event(p *identity.Principal, requestID, action, objectType, ref string) audit.Event {
	e := ActorOf(p, requestID)
	id := strconv.FormatInt(h.ID, 10)
	if ref != "" {
		id += "/" + ref
	}
	e.Action, e.ObjectType, e.ObjectID = action, objectType, id
	e.SectorCode, e.OperatorID, e.MinistryCode = h.SectorCode, h.OperatorID, h.MinistryCode
	return e
}

// headSQL reads an assessment's head (scanHead); the caller appends the
// lock, if any.
const headSQL = `SELECT id, operator_id, sector_code, coalesce(ministry_code, ''), status, version
	FROM assessments WHERE id = $1 `

// lockStarted, appended to headSQL, reads a started assessment with the
// share lock that holds off a submit (see lockEditable).
const lockStarted = `AND status <> 'not_started' FOR SHARE`

func scanHead(row pgx.Row) (asmHead, error) {
	var h asmHead
	err := row.Scan(&h.ID, &h.OperatorID, &h.SectorCode, &h.MinistryCode, &h.Status, &h.Version)
	if errors.Is(err, pgx.ErrNoRows) {
		return h, kijun.ErrNotFound
	}
	return h, err
}

func readHead(ctx context.Context, tx pgx.Tx, id int64, lock string) (asmHead, error) {
	return scanHead(tx.QueryRow(ctx, headSQL+lock, id))
}

func addEvent(ctx context.Context, tx pgx.Tx, p *identity.Principal, h asmHead, from, to assessment.Status, note string) error {
	_, err := tx.Exec(ctx, `INSERT INTO assessment_events (assessment_id, operator_id, sector_code, from_status, to_status, by_user, by_name, note)
		VALUES ($1, $2, $3, nullif($4, ''), $5, $6, $7, $8)`,
		h.ID, h.OperatorID, h.SectorCode, string(from), string(to), nullInt(p.UserID), p.Name, note)
	return asmErr(err)
}

// lockEditable is how every change to answers and evidence starts: the
// assessment must be one the caller's policy allows (may; nil: asked
// already), the principal's operator's and editable (editableBy); its
// first change starts it (start); and a share lock on its row holds off a
// submit until tx ends (a submit takes the row for update), so no answer
// changes under a submitted assessment. The lock is taken after the
// start: two first changes each holding it would deadlock upgrading it.
func lockEditable(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64, requestID string, may func(Tenant) bool) (asmHead, error) {
	h, err := readHead(ctx, tx, id, lockStarted)
	if errors.Is(err, kijun.ErrNotFound) { // not started, or not the principal's to see
		h, err = readHead(ctx, tx, id, "")
		if err == nil && h.Status == assessment.NotStarted {
			if err = h.editableBy(p, may); err == nil {
				err = start(ctx, tx, p, h, requestID)
			}
		}
		if err == nil {
			h, err = readHead(ctx, tx, id, "FOR SHARE")
		}
	}
	if err != nil {
		return h, err
	}
	return h, h.editableBy(p, may)
}

// Tenant is whose an assessment is: all the policy needs to decide on it.
type Tenant struct {
	OperatorID int64
	SectorCode string
}

// editableBy refuses a change of h's answers by p when h is not a tenant
// may allows (nil: the caller asked its policy already), not p's
// operator's, or not editable.
func (h asmHead) editableBy(p *identity.Principal, may func(Tenant) bool) error {
	switch {
	case may != nil && !may(Tenant{OperatorID: h.OperatorID, SectorCode: h.SectorCode}):
		return kijun.ErrNotFound
	case !p.InOperator(h.OperatorID):
		return errAsmForbidden
	case !h.Status.Editable():
		return kijun.Errorf(kijun.EConflict, msgAsmLocked, map[string]any{"Status": string(h.Status)})
	}
	return nil
}

// start moves a not-started assessment to in_progress on its first
// change, with its history row and audit event. One that another
// transaction started meanwhile is left as it is.
//
// Before its cycle opens an assessment does not start (Cycle.OpenBy, by
// the database's clock; kijun_assessments_not_before_open holds the same).
func start(ctx context.Context, tx pgx.Tx, p *identity.Principal, h asmHead, requestID string) error {
	if err := checkCycleOpen(ctx, tx, h.ID); err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `UPDATE assessments SET status = 'in_progress', version = version + 1, updated_at = now()
		WHERE id = $1 AND status = 'not_started'`, h.ID)
	if err != nil || tag.RowsAffected() == 0 {
		return asmErr(err)
	}
	if err := addEvent(ctx, tx, p, h, assessment.NotStarted, assessment.InProgress, ""); err != nil {
		return err
	}
	return Audit(ctx, tx, h.event(p, requestID, "assessment.start", "assessment", ""),
		map[string]any{"status": assessment.NotStarted}, map[string]any{"status": assessment.InProgress})
}

// checkCycleOpen refuses a change of assessment id before its cycle opens.
func checkCycleOpen(ctx context.Context, tx pgx.Tx, id int64) error {
	var cy assessment.Cycle
	var now time.Time
	if err := tx.QueryRow(ctx, `SELECT c.opens_on, now() FROM assessments a JOIN cycles c ON c.id = a.cycle_id WHERE a.id = $1`,
		id).Scan(&cy.OpensOn, &now); err != nil {
		return asmErr(err)
	}
	if !cy.OpenBy(now) {
		return cy.NotOpenYet()
	}
	return nil
}

const answerColumns = `x.assessment_id, x.ref, coalesce(x.status, ''), coalesce(x.maturity, 0), x.how, x.na_reason,
	x.remediation_action, x.remediation_owner, x.remediation_due, x.carried_forward, x.version,
	coalesce(x.updated_by, 0), x.updated_by_name, x.updated_at`

func scanAnswer(r pgx.CollectableRow) (assessment.Answer, error) {
	var a assessment.Answer
	err := r.Scan(&a.AssessmentID, &a.Ref, &a.Status, &a.Maturity, &a.How, &a.NAReason,
		&a.Remediation.Action, &a.Remediation.Owner, &a.Remediation.Due, &a.CarriedForward, &a.Version,
		&a.UpdatedBy, &a.UpdatedByName, &a.UpdatedAt)
	return a, err
}

// GetAnswer returns the stored answer to ref, or one with Version 0 if
// none was saved.
func GetAnswer(ctx context.Context, q Querier, assessmentID int64, ref string) (assessment.Answer, error) {
	rows, _ := q.Query(ctx, `SELECT `+answerColumns+` FROM answers x WHERE x.assessment_id = $1 AND x.ref = $2`, assessmentID, ref)
	a, err := pgx.CollectExactlyOneRow(rows, scanAnswer)
	if errors.Is(err, pgx.ErrNoRows) {
		return assessment.Answer{AssessmentID: assessmentID, Ref: ref}, nil
	}
	return a, err
}

// answerConflict is the optimistic-locking error: Current is the stored
// answer, so the page can show both versions and let the user choose.
func answerConflict(current assessment.Answer, expected int) error {
	return kijun.Errorf(kijun.EConflict, msgAsmConflict, map[string]any{
		"Ref": current.Ref, "Expected": expected, "Version": current.Version, "Current": current,
		"By": current.UpdatedByName,
	})
}

// SaveAnswer stores a draft answer to a.Ref in tx, provided the stored
// answer is still at expectedVersion (0: none saved yet), and returns it
// with its new version. The caller has asked its policy about the
// assessment. A draft is saved whenever it is well formed (see
// assessment.Answer.WellFormed); missing reasons and plans are gaps for
// Submit. Saving confirms a carried-forward answer. The version rule is
// assessment.DecideSave's: a conflict gives EConflict assessment.conflict with
// the stored answer in Args["Current"], a stale save of what is stored
// returns the stored answer. A submitted or accepted assessment gives
// EConflict assessment.locked. A refused save writes nothing and leaves tx
// usable.
func SaveAnswer(ctx context.Context, tx pgx.Tx, p *identity.Principal, a assessment.Answer, expectedVersion int, requestID string) (assessment.Answer, error) {
	return saveAnswer(ctx, tx, p, a, expectedVersion, requestID, nil, false)
}

// SaveAnswerAs is SaveAnswer in a transaction of its own, as p, committed
// when it returns nil: the autosave's path. may is the caller's policy on
// the assessment's tenant, asked on the row read under the share lock; an
// assessment it refuses is kijun.ErrNotFound. A save to a started
// assessment takes two round trips (saveStarted); the assessment's first
// save, and a write that changed no row, take the general path.
func SaveAnswerAs(ctx context.Context, db *pgxpool.Pool, p *identity.Principal, a assessment.Answer, expectedVersion int, requestID string, may func(Tenant) bool) (saved assessment.Answer, err error) {
	if ps := a.WellFormed(); len(ps) > 0 {
		return assessment.Answer{}, answerInvalid(ps)
	}
	a.Remediation.Due = dateOnly(a.Remediation.Due)
	saved, done, err := saveStarted(ctx, db, p, a, expectedVersion, requestID, may)
	if done {
		return saved, err
	}
	err = pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		saved, err = saveAnswer(ctx, tx, p, a, expectedVersion, requestID, may, true)
		return err
	})
	return saved, err
}

// saveStarted saves a to a started assessment on one connection in two
// round trips: BEGIN with p's settings and every read the save decides on,
// then the write with its audit event and COMMIT. Every path that does not
// commit rolls back. done is false when it wrote nothing and the general
// path must decide: the assessment is not started (or not p's to see), or
// the write changed no row.
func saveStarted(ctx context.Context, db *pgxpool.Pool, p *identity.Principal, a assessment.Answer, expected int, requestID string, may func(Tenant) bool) (saved assessment.Answer, done bool, err error) {
	conn, err := db.Acquire(ctx)
	if err != nil {
		return saved, true, err
	}
	// A connection released inside a transaction (the ROLLBACK failed)
	// is closed by the pool, never reused.
	defer conn.Release()
	committed := false
	defer func() {
		if !committed {
			_, _ = conn.Exec(ctx, "ROLLBACK")
		}
	}()
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(setPrincipalSQL, principalArgs(p, false)...)
	r, err := readForSave(ctx, conn, b, a)
	if err != nil || !r.started {
		return saved, err != nil, err
	}
	saved, write, args, err := r.decide(p, a, expected, requestID, may)
	if err != nil || write == "" {
		return saved, true, err
	}
	b = &pgx.Batch{}
	var tag pgconn.CommandTag
	b.Queue(write, args...).Exec(func(t pgconn.CommandTag) error { tag = t; return nil })
	b.Queue("COMMIT")
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return assessment.Answer{}, true, asmErr(err)
	}
	committed = true
	return saved, tag.RowsAffected() == 1, nil
}

// saveAnswer is SaveAnswer and the general path of SaveAnswerAs;
// setPrincipal sends p's settings with the reads.
func saveAnswer(ctx context.Context, tx pgx.Tx, p *identity.Principal, a assessment.Answer, expected int, requestID string, may func(Tenant) bool, setPrincipal bool) (assessment.Answer, error) {
	if ps := a.WellFormed(); len(ps) > 0 {
		return assessment.Answer{}, answerInvalid(ps)
	}
	a.Remediation.Due = dateOnly(a.Remediation.Due)
	b := &pgx.Batch{}
	if setPrincipal {
		b.Queue(setPrincipalSQL, principalArgs(p, false)...)
	}
	r, err := readForSave(ctx, tx, b, a)
	if err != nil {
		return assessment.Answer{}, err
	}
	if r.started {
		return r.save(ctx, tx, p, a, expected, requestID, may)
	}
	// The assessment's first save (or one the principal does not see)
	// starts it in a savepoint, so that a refused first save leaves it not
	// started.
	var saved assessment.Answer
	err = pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
		if _, err := lockEditable(ctx, sp, p, a.AssessmentID, requestID, may); err != nil {
			return err
		}
		r, err := readForSave(ctx, sp, &pgx.Batch{}, a)
		if err == nil {
			saved, err = r.save(ctx, sp, p, a, expected, requestID, may)
		}
		return err
	})
	return saved, err
}

func answerInvalid(ps []assessment.AnswerProblem) error {
	return kijun.Errorf(kijun.EInvalid, msgAsmAnswerInvalid, map[string]any{"Count": len(ps), "Problems": ps})
}

// saveReads is what a save decides on, read in one round trip.
type saveReads struct {
	now     time.Time // the transaction's now(): the saved answer's UpdatedAt
	known   bool      // the draft's status is on the answer scale, or empty
	started bool      // the assessment is started and visible: head, under the share lock
	head    asmHead
	stored  assessment.Answer // Version 0: none stored; the write changes it only at this version
}

// readForSave sends b, with whatever the caller queued first, and the
// reads a save decides on.
func readForSave(ctx context.Context, q interface {
	SendBatch(context.Context, *pgx.Batch) pgx.BatchResults
}, b *pgx.Batch, a assessment.Answer) (*saveReads, error) {
	r := &saveReads{stored: assessment.Answer{AssessmentID: a.AssessmentID, Ref: a.Ref}}
	b.Queue(`SELECT id, operator_id, sector_code, coalesce(ministry_code, ''), status, version,
			now(), $2::text IS NULL OR EXISTS (SELECT FROM answer_scale WHERE code = $2)
		FROM assessments WHERE id = $1 `+lockStarted, a.AssessmentID, nullStr(string(a.Status))).QueryRow(func(row pgx.Row) error {
		h := &r.head
		err := row.Scan(&h.ID, &h.OperatorID, &h.SectorCode, &h.MinistryCode, &h.Status, &h.Version, &r.now, &r.known)
		r.started = err == nil
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	b.Queue(`SELECT `+answerColumns+` FROM answers x WHERE x.assessment_id = $1 AND x.ref = $2`, a.AssessmentID, a.Ref).
		Query(func(rows pgx.Rows) error {
			stored, err := pgx.CollectRows(rows, scanAnswer)
			if len(stored) == 1 {
				r.stored = stored[0]
			}
			return err
		})
	if err := q.SendBatch(ctx, b).Close(); err != nil {
		return nil, asmErr(err)
	}
	return r, nil
}

// save decides on the reads and writes the answer with its audit event in
// one statement.
func (r *saveReads) save(ctx context.Context, tx pgx.Tx, p *identity.Principal, a assessment.Answer, expected int, requestID string, may func(Tenant) bool) (assessment.Answer, error) {
	saved, write, args, err := r.decide(p, a, expected, requestID, may)
	if err != nil || write == "" {
		return saved, err
	}
	tag, err := tx.Exec(ctx, write, args...)
	if err != nil {
		return assessment.Answer{}, asmErr(err)
	}
	if tag.RowsAffected() == 1 {
		return saved, nil
	}
	// Nothing written: another save changed or inserted it first (the
	// write waited for it), or the assessment has no control a.Ref.
	stored, err := GetAnswer(ctx, tx, a.AssessmentID, a.Ref)
	switch {
	case err != nil:
		return assessment.Answer{}, err
	case stored.Version == 0:
		return assessment.Answer{}, kijun.ErrNotFound
	case assessment.DecideSave(stored, a, expected) == assessment.SaveAlreadyStored:
		return stored, nil
	}
	return assessment.Answer{}, answerConflict(stored, expected)
}

// decide applies the policy and the version rule to the reads of a
// started assessment. It returns the answer to save with the statement
// (and its arguments) that writes it with its audit event, or, with an
// empty statement, the stored answer a stale save leaves as it is.
func (r *saveReads) decide(p *identity.Principal, a assessment.Answer, expected int, requestID string, may func(Tenant) bool) (saved assessment.Answer, write string, args []any, err error) {
	if !r.started {
		return saved, "", nil, kijun.ErrNotFound
	}
	if err := r.head.editableBy(p, may); err != nil {
		return saved, "", nil, err
	}
	switch assessment.DecideSave(r.stored, a, expected) {
	case assessment.SaveAlreadyStored:
		return r.stored, "", nil, nil
	case assessment.SaveConflict:
		return saved, "", nil, answerConflict(r.stored, expected)
	}
	if !r.known {
		return saved, "", nil, kijun.Errorf(kijun.EInvalid, msgAsmStatusUnknown, map[string]any{"Status": string(a.Status)})
	}
	saved = a
	saved.CarriedForward = false
	saved.Version = r.stored.Version + 1
	saved.UpdatedBy, saved.UpdatedByName, saved.UpdatedAt = p.UserID, p.Name, r.now
	var before any // none stored
	write = insertAnswerSQL
	if r.stored.Version > 0 {
		before, write = auditAnswer(r.stored), updateAnswerSQL
	}
	audit, err := auditArgs(r.head.event(p, requestID, "assessment.answer.save", "answer", a.Ref), before, auditAnswer(saved))
	if err != nil {
		return assessment.Answer{}, "", nil, err
	}
	args = append([]any{a.AssessmentID, a.Ref, nullStr(string(saved.Status)), nullInt(int64(saved.Maturity)), saved.How,
		saved.NAReason, saved.Remediation.Action, saved.Remediation.Owner, saved.Remediation.Due, saved.Version,
		nullInt(saved.UpdatedBy), saved.UpdatedByName}, audit...)
	return saved, `WITH w AS (` + write + ` RETURNING 1) SELECT ` + auditAppendCall(13) + ` FROM w`, args, nil
}

// updateAnswerSQL and insertAnswerSQL write an answer: $1 and $2 its
// assessment and ref, $3–$12 what the user sets and the stamp (version,
// user, name; updated_at is the transaction's now()). The update changes
// the answer only at the version before $10, the one the save decided on
// (and audits as before), and nothing if another save changed it since;
// the insert takes the answer's tenant from its control, and inserts
// nothing if the assessment has no such control or another save inserted
// it first.
const (
	updateAnswerSQL = `UPDATE answers SET status = $3, maturity = $4, how = $5, na_reason = $6, remediation_action = $7,
		remediation_owner = $8, remediation_due = $9, carried_forward = false, version = $10, updated_by = $11,
		updated_by_name = $12, updated_at = now()
		WHERE assessment_id = $1 AND ref = $2 AND version = $10 - 1`
	insertAnswerSQL = `INSERT INTO answers (assessment_id, ref, operator_id, sector_code, status, maturity, how, na_reason,
			remediation_action, remediation_owner, remediation_due, version, updated_by, updated_by_name)
		SELECT c.assessment_id, c.ref, c.operator_id, c.sector_code, $3::text, $4::smallint, $5::text, $6::text, $7::text,
			$8::text, $9::date, $10::int, $11::bigint, $12::text
		FROM assessment_controls c WHERE c.assessment_id = $1 AND c.ref = $2
		ON CONFLICT ON CONSTRAINT answers_pkey DO NOTHING`
)

// auditAnswer is an answer as the audit log records it: Go's JSON of it,
// its times in UTC.
func auditAnswer(a assessment.Answer) assessment.Answer {
	a.UpdatedAt = a.UpdatedAt.UTC()
	return a
}

// dateOnly is the day of t as the database stores a date (midnight UTC),
// nil for none.
func dateOnly(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return &d
}

// CarryForward starts an assessment from the operator's answers in its
// latest earlier cycle: every answered control present in both is copied,
// marked carried_forward until the user confirms or changes it. Controls
// already answered here are left alone. It returns the refs copied.
func CarryForward(ctx context.Context, tx pgx.Tx, p *identity.Principal, assessmentID int64, requestID string) ([]string, error) {
	h, err := lockEditable(ctx, tx, p, assessmentID, requestID, nil)
	if err != nil {
		return nil, err
	}
	var prev int64
	err = tx.QueryRow(ctx, `SELECT pa.id FROM assessments a
		JOIN cycles c ON c.id = a.cycle_id
		JOIN assessments pa ON pa.operator_id = a.operator_id
		JOIN cycles pc ON pc.id = pa.cycle_id
		WHERE a.id = $1 AND pc.fiscal_year < c.fiscal_year
		ORDER BY pc.fiscal_year DESC, pa.id DESC LIMIT 1`, assessmentID).Scan(&prev)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, kijun.Errorf(kijun.EInvalid, msgAsmNoPrevious, nil)
	}
	if err != nil {
		return nil, err
	}
	rows, _ := tx.Query(ctx, `INSERT INTO answers (assessment_id, ref, operator_id, sector_code, status, maturity, how,
			na_reason, remediation_action, remediation_owner, remediation_due, carried_forward, updated_by, updated_by_name)
		SELECT c.assessment_id, c.ref, c.operator_id, c.sector_code, pa.status, pa.maturity, pa.how,
			pa.na_reason, pa.remediation_action, pa.remediation_owner, pa.remediation_due, true, $3, $4
		FROM answers pa JOIN assessment_controls c ON c.assessment_id = $1 AND c.ref = pa.ref
		WHERE pa.assessment_id = $2 AND pa.status IS NOT NULL
		ORDER BY c.sort_order, c.ref
		ON CONFLICT (assessment_id, ref) DO NOTHING RETURNING ref`, assessmentID, prev, nullInt(p.UserID), p.Name)
	refs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, asmErr(err)
	}
	return refs, Audit(ctx, tx, h.event(p, requestID, "assessment.answer.carry_forward", "assessment", ""), nil,
		map[string]any{"from_assessment": prev, "refs": refs})
}

// ConfirmCarried confirms carried-forward answers as they are: refs, or
// every carried answer when refs is nil. It returns the refs confirmed.
func ConfirmCarried(ctx context.Context, tx pgx.Tx, p *identity.Principal, assessmentID int64, refs []string, requestID string) ([]string, error) {
	return ConfirmCarriedAt(ctx, tx, p, assessmentID, refs, nil, requestID)
}

// ConfirmCarriedAt confirms the carried-forward answers of refs that are
// still at the versions the user saw (versions[i] for refs[i]; nil: any
// version), in one statement with one audit event, and returns the refs
// it confirmed: an answer changed meanwhile is left for the user to look
// at again.
func ConfirmCarriedAt(ctx context.Context, tx pgx.Tx, p *identity.Principal, assessmentID int64, refs []string, versions []int, requestID string) ([]string, error) {
	if versions != nil && len(versions) != len(refs) {
		return nil, fmt.Errorf("confirm: %d refs, %d versions", len(refs), len(versions))
	}
	h, err := lockEditable(ctx, tx, p, assessmentID, requestID, nil)
	if err != nil {
		return nil, err
	}
	rows, _ := tx.Query(ctx, `UPDATE answers SET carried_forward = false, version = version + 1,
			updated_by = $3, updated_by_name = $4, updated_at = now()
		WHERE assessment_id = $1 AND carried_forward AND ($2::text[] IS NULL OR ref = ANY ($2))
			AND ($5::int[] IS NULL OR (ref, version) IN (SELECT * FROM unnest($2::text[], $5::int[])))
		RETURNING ref`, assessmentID, refs, nullInt(p.UserID), p.Name, versions)
	done, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, asmErr(err)
	}
	return done, Audit(ctx, tx, h.event(p, requestID, "assessment.answer.confirm", "assessment", ""), nil,
		map[string]any{"refs": done})
}

// CheckCompleteness returns every gap that stops the assessment from
// being submitted, in section and control order: unanswered controls, N/A
// without a reason, gaps without a remediation action, owner or target
// date, and carried-forward answers not yet confirmed.
func CheckCompleteness(ctx context.Context, tx pgx.Tx, assessmentID int64) ([]assessment.AnswerProblem, error) {
	rows, _ := tx.Query(ctx, `SELECT i.ref, i.section_code, x.status IS NULL,
			coalesce(s.requires_reason AND btrim(x.na_reason) = '', false),
			coalesce(s.requires_remediation AND btrim(x.remediation_action) = '', false),
			coalesce(s.requires_remediation AND btrim(x.remediation_owner) = '', false),
			coalesce(s.requires_remediation AND x.remediation_due IS NULL, false),
			coalesce(x.carried_forward, false)
		FROM assessments a
		JOIN control_set_items i ON i.set_id = a.control_set_id
		JOIN baseline_sections bs ON bs.code = i.section_code
		LEFT JOIN answers x ON x.assessment_id = a.id AND x.ref = i.ref
		LEFT JOIN answer_scale s ON s.code = x.status
		WHERE a.id = $1
		ORDER BY bs.sort_order, i.sort_order, i.ref`, assessmentID)
	var ref, section string
	var unanswered, reason, action, owner, due, carried bool
	problems := []assessment.AnswerProblem{}
	_, err := pgx.ForEachRow(rows, []any{&ref, &section, &unanswered, &reason, &action, &owner, &due, &carried}, func() error {
		add := func(field, id string) {
			problems = append(problems, assessment.AnswerProblem{Ref: ref, Section: section, Field: field, MessageID: id})
		}
		if unanswered {
			add("status", msgGapUnanswered)
			return nil
		}
		if reason {
			add("na_reason", msgGapNAReason)
		}
		if action {
			add("remediation_action", msgGapAction)
		}
		if owner {
			add("remediation_owner", msgGapOwner)
		}
		if due {
			add("remediation_due", msgGapDue)
		}
		if carried {
			add("carried_forward", msgGapUnconfirmed)
		}
		return nil
	})
	return problems, err
}

// Submit checks completeness and submits: every gap comes back at once as
// EInvalid assessment.incomplete with Args["Problems"]
// ([]assessment.AnswerProblem). On success the answers lock and the rollups are
// written in the same transaction.
func Submit(ctx context.Context, tx pgx.Tx, p *identity.Principal, assessmentID int64, requestID string) error {
	return submit(ctx, tx, p, assessmentID, false, requestID)
}

// Resubmit submits an assessment the ministry returned, with the same
// checks as Submit.
func Resubmit(ctx context.Context, tx pgx.Tx, p *identity.Principal, assessmentID int64, requestID string) error {
	return submit(ctx, tx, p, assessmentID, true, requestID)
}

func submit(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64, resubmit bool, requestID string) error {
	h, err := readHead(ctx, tx, id, "FOR UPDATE")
	if err != nil {
		return err
	}
	if !p.InOperator(h.OperatorID) {
		return errAsmForbidden
	}
	if !h.Status.CanMoveTo(assessment.Submitted) || resubmit != (h.Status == assessment.Returned) {
		return kijun.Errorf(kijun.EConflict, msgAsmTransition, map[string]any{"From": string(h.Status), "To": string(assessment.Submitted)})
	}
	if err := checkCycleOpen(ctx, tx, id); err != nil {
		return err
	}
	problems, err := CheckCompleteness(ctx, tx, id)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return kijun.Errorf(kijun.EInvalid, msgAsmIncomplete, map[string]any{"Count": len(problems), "Problems": problems})
	}
	// Only a confirmed assessment goes to the ministry (assessment.CanSubmit);
	// the submission names its confirmation, which the database checks too.
	current, err := CurrentSignOff(ctx, tx, id)
	if err != nil {
		return err
	}
	if m := assessment.CanSubmit(h.Status, current); m != "" {
		return kijun.Errorf(kijun.EConflict, m, nil)
	}
	action := "assessment.submit"
	if resubmit {
		action = "assessment.resubmit"
	}
	return transition(ctx, tx, p, h, assessment.Submitted,
		`submitted_at = now(), submitted_by = $3, signoff_id = `+strconv.FormatInt(current.ID, 10), "", action, requestID,
		submitAudit(*current))
}

// submitAudit is what a submission's audit event says of the confirmation
// it rests on: who confirmed, and for whom when a deputy did (代理).
func submitAudit(c assessment.SignOff) map[string]any {
	m := map[string]any{"signoff": c.ID, "confirmed_by": c.ByID, "confirmed_by_name": c.ByName}
	if c.ByDeputy() {
		m["on_behalf_of"], m["on_behalf_of_name"] = c.OnBehalfOf, c.OnBehalfName
	}
	return m
}

// transition moves h to status to, records the history and the audit
// event, and writes the rollups when the new status is submitted or
// accepted.
func transition(ctx context.Context, tx pgx.Tx, p *identity.Principal, h asmHead, to assessment.Status, set, note, action, requestID string, extra ...map[string]any) error {
	tag, err := tx.Exec(ctx, `UPDATE assessments SET status = $2, version = version + 1, updated_at = now(), `+set+`
		WHERE id = $1 AND version = $4`, h.ID, string(to), nullInt(p.UserID), h.Version)
	if err != nil {
		return asmErr(err)
	}
	if tag.RowsAffected() != 1 {
		return errAsmForbidden
	}
	if err := addEvent(ctx, tx, p, h, h.Status, to, note); err != nil {
		return err
	}
	after := map[string]any{"status": to}
	for _, m := range extra {
		maps.Copy(after, m)
	}
	if note != "" {
		after["note"] = note
	}
	if to == assessment.Submitted || to == assessment.Accepted {
		n, err := WriteRollups(ctx, tx, h.ID)
		if err != nil {
			return asmErr(err)
		}
		after["rollups"] = n
	}
	return Audit(ctx, tx, h.event(p, requestID, action, "assessment", ""), map[string]any{"status": h.Status}, after)
}

// WriteRollups scores an assessment (assessment.Score) from its control set and
// answers, replaces its rollups with the result, stamped with its status,
// and returns how many it wrote. The transaction that moves the assessment
// to submitted or accepted calls it after the status update: row-level
// security refuses rollups in any other status.
func WriteRollups(ctx context.Context, tx pgx.Tx, assessmentID int64) (int, error) {
	scale, err := AnswerScale(ctx, tx)
	if err != nil {
		return 0, err
	}
	var (
		cycleID, operatorID int64
		sector, status      string
		controls            []assessment.Control
		statuses            []assessment.AnswerStatus
	)
	rows, _ := tx.Query(ctx, `SELECT a.cycle_id, a.operator_id, a.sector_code, a.status,
			i.section_code, i.themes, i.csf, coalesce(x.status, '')
		FROM assessments a JOIN control_set_items i ON i.set_id = a.control_set_id
		LEFT JOIN answers x ON x.assessment_id = a.id AND x.ref = i.ref
		WHERE a.id = $1 ORDER BY i.sort_order, i.ref`, assessmentID)
	var c assessment.Control
	var st assessment.AnswerStatus
	_, err = pgx.ForEachRow(rows, []any{&cycleID, &operatorID, &sector, &status, &c.Section, &c.Themes, &c.CSF, &st}, func() error {
		c.Themes, c.CSF = slices.Clone(c.Themes), slices.Clone(c.CSF) // pgx may reuse their memory
		controls, statuses = append(controls, c), append(statuses, st)
		return nil
	})
	if err != nil {
		return 0, err
	}
	if len(controls) == 0 {
		return 0, kijun.ErrNotFound // every control set has a control
	}
	rs := assessment.Score(controls, statuses, scale)
	var (
		kinds, keys                                                  = make([]string, len(rs)), make([]string, len(rs))
		ctl, answered, applicable, implemented, partial, notImpl, na = make([]int32, len(rs)), make([]int32, len(rs)),
			make([]int32, len(rs)), make([]int32, len(rs)), make([]int32, len(rs)), make([]int32, len(rs)), make([]int32, len(rs))
		scores = make([]*string, len(rs))
	)
	for i, r := range rs {
		kinds[i], keys[i] = r.Kind, r.Key
		ctl[i], answered[i], applicable[i] = int32(r.Controls), int32(r.Answered), int32(r.Applicable)
		implemented[i], partial[i], notImpl[i], na[i] = int32(r.Implemented), int32(r.Partial), int32(r.NotImplemented), int32(r.NA)
		if r.Score != nil {
			s := strconv.FormatFloat(*r.Score, 'f', 4, 64)
			scores[i] = &s
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM assessment_rollups WHERE assessment_id = $1`, assessmentID); err != nil {
		return 0, err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO assessment_rollups (assessment_id, cycle_id, operator_id, sector_code, written_status,
			kind, key, controls, answered, applicable, implemented, partial, not_implemented, na, score)
		SELECT $1, $2, $3, $4, $5, r.*
		FROM unnest($6::text[], $7::text[], $8::int[], $9::int[], $10::int[], $11::int[], $12::int[], $13::int[],
			$14::int[], $15::numeric[]) r`,
		assessmentID, cycleID, operatorID, sector, status,
		kinds, keys, ctl, answered, applicable, implemented, partial, notImpl, na, scores)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// CommentInput is a review comment to add with a return.
type CommentInput struct {
	Ref  string // "" for the whole assessment
	Body string
}

// Return sends a submitted assessment back to its operator (the ministry
// overseeing its sector), with a note and comments on answers; at least
// one of them is required.
func Return(ctx context.Context, tx pgx.Tx, p *identity.Principal, assessmentID int64, note string, comments []CommentInput, requestID string) error {
	h, err := reviewHead(ctx, tx, p, assessmentID, assessment.Returned)
	if err != nil {
		return err
	}
	note = strings.TrimSpace(note)
	// The reviewer's comments on answers since the submission count as
	// reasons (the page says so).
	var written int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM review_comments c JOIN assessments a ON a.id = c.assessment_id
		WHERE c.assessment_id = $1 AND c.author_side <> 'operator' AND c.created_at >= a.submitted_at`,
		assessmentID).Scan(&written); err != nil {
		return err
	}
	if id := assessment.ReturnReason(note, written+len(comments)); id != "" {
		return kijun.Errorf(kijun.EInvalid, id, nil)
	}
	if len([]rune(note)) > assessment.MaxCommentLen {
		return kijun.Errorf(kijun.EInvalid, msgAsmNoteTooLong, map[string]any{"Max": assessment.MaxCommentLen})
	}
	if id := kijun.TextProblem(note); id != "" {
		return kijun.Errorf(kijun.EInvalid, id, nil)
	}
	for _, c := range comments {
		if _, err := addComment(ctx, tx, p, h, c.Ref, 0, c.Body, requestID); err != nil {
			return err
		}
	}
	return transition(ctx, tx, p, h, assessment.Returned, `returned_at = now(), returned_by = $3`, note, "assessment.return", requestID)
}

// Accept accepts a submitted assessment (the ministry overseeing its
// sector) and rewrites its rollups in the same transaction.
func Accept(ctx context.Context, tx pgx.Tx, p *identity.Principal, assessmentID int64, note, requestID string) error {
	h, err := reviewHead(ctx, tx, p, assessmentID, assessment.Accepted)
	if err != nil {
		return err
	}
	note = strings.TrimSpace(note)
	if len([]rune(note)) > assessment.MaxCommentLen {
		return kijun.Errorf(kijun.EInvalid, msgAsmNoteTooLong, map[string]any{"Max": assessment.MaxCommentLen})
	}
	if id := kijun.TextProblem(note); id != "" {
		return kijun.Errorf(kijun.EInvalid, id, nil)
	}
	return transition(ctx, tx, p, h, assessment.Accepted, `accepted_at = now(), accepted_by = $3`, note, "assessment.accept", requestID)
}

func reviewHead(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64, to assessment.Status) (asmHead, error) {
	h, err := readHead(ctx, tx, id, "FOR UPDATE")
	if err != nil {
		return h, err
	}
	if !p.OverseesSector(h.SectorCode) {
		return h, errAsmForbidden
	}
	if !h.Status.CanMoveTo(to) {
		return h, kijun.Errorf(kijun.EConflict, msgAsmTransition, map[string]any{"From": string(h.Status), "To": string(to)})
	}
	return h, nil
}

// dueSQL is assessment a's effective due date (assessment.Due): its own
// (an extension) if set, else its cycle c's.
const dueSQL = `coalesce(a.due_on, c.due_on)`

// todaySQL is the database's date in Japan: lists, filters and counts
// decide what is overdue by the database's clock (docs/deadlines.md).
const todaySQL = `(now() AT TIME ZONE 'Asia/Tokyo')::date`

// overdueSQL says whether assessment a of cycle c is overdue
// (assessment.Overdue at the database's today): its effective due date (a
// date in Japan) has passed and it is still owed (Status.Owed).
// TestOverdueSQLFollowsTheRule derives it from the Go rule.
const overdueSQL = `(a.status IN ('not_started', 'in_progress', 'returned') AND ` + dueSQL + ` < ` + todaySQL + `)`

const assessmentColumns = `a.id, a.cycle_id, c.fiscal_year, a.due_on, c.due_on, a.operator_id, o.name_ja, o.name_en, a.sector_code,
	coalesce(a.ministry_code, ''), a.status, ` + todaySQL + `, a.version, a.created_at, a.updated_at,
	a.submitted_at, a.accepted_at, a.returned_at,
	(SELECT count(*) FROM answers x WHERE x.assessment_id = a.id AND x.status IS NOT NULL), s.control_count`

const assessmentFrom = ` FROM assessments a
	JOIN cycles c ON c.id = a.cycle_id
	JOIN operators o ON o.id = a.operator_id
	JOIN control_sets s ON s.id = a.control_set_id`

func scanAssessment(r pgx.CollectableRow) (assessment.Assessment, error) {
	var a assessment.Assessment
	var own *time.Time
	var today time.Time
	err := r.Scan(&a.ID, &a.CycleID, &a.FiscalYear, &own, &a.CycleDueOn, &a.OperatorID, &a.OperatorName.Ja, &a.OperatorName.En,
		&a.SectorCode, &a.MinistryCode, &a.Status, &today, &a.Version, &a.CreatedAt, &a.UpdatedAt,
		&a.SubmittedAt, &a.AcceptedAt, &a.ReturnedAt, &a.Answered, &a.Total)
	a.DueOn = assessment.Due(own, a.CycleDueOn)
	a.CycleDueOn = assessment.Day(a.CycleDueOn)
	today = assessment.Day(today)
	a.Overdue, a.DaysOverdue = assessment.Overdue(a.Status, a.DueOn, today), assessment.DaysOverdue(a.Status, a.DueOn, today)
	return a, err
}

// GetAssessment returns an assessment the principal may see, with its
// progress per section.
func GetAssessment(ctx context.Context, tx pgx.Tx, id int64) (assessment.Assessment, error) {
	var a assessment.Assessment
	b := &pgx.Batch{}
	queueAssessment(b, &a, id)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return a, err
	}
	if a.ID == 0 {
		return a, kijun.ErrNotFound
	}
	return a, nil
}

// queueAssessment queues GetAssessment's two queries into b; a.ID stays 0
// when the principal sees no such assessment.
func queueAssessment(b *pgx.Batch, a *assessment.Assessment, id int64) {
	b.Queue(`SELECT `+assessmentColumns+assessmentFrom+` WHERE a.id = $1`, id).Query(func(rows pgx.Rows) error {
		list, err := pgx.CollectRows(rows, scanAssessment)
		if err == nil && len(list) == 1 {
			sections := a.Sections
			*a = list[0]
			a.Sections = sections
		}
		return err
	})
	b.Queue(`SELECT i.section_code, count(x.status)::int, count(*)::int
		FROM assessments a
		JOIN control_set_items i ON i.set_id = a.control_set_id
		JOIN baseline_sections bs ON bs.code = i.section_code
		LEFT JOIN answers x ON x.assessment_id = a.id AND x.ref = i.ref
		WHERE a.id = $1 GROUP BY i.section_code, bs.sort_order ORDER BY bs.sort_order`, id).Query(func(rows pgx.Rows) (err error) {
		a.Sections, err = pgx.CollectRows(rows, pgx.RowToStructByPos[assessment.SectionProgress])
		return err
	})
}

// Section is what an assessment's section page reads.
type Section struct {
	Assessment assessment.Assessment
	Rows       []assessment.AnswerRow // the section's controls with their answers
	Evidence   []assessment.Evidence  // of the whole assessment
	Comments   []assessment.ReviewComment
	Scale      []assessment.ScaleEntry
	Names      kijun.ReferenceNames
}

// LoadSection reads section of assessment id with everything its page
// shows in one round trip (GetAssessment, ListAnswers, ListEvidence,
// ListComments, AnswerScale, LoadReferenceNames). ErrNotFound when the
// principal sees no such assessment or the section has no controls.
func LoadSection(ctx context.Context, tx pgx.Tx, id int64, section string) (Section, error) {
	var v Section
	b := &pgx.Batch{}
	queueAssessment(b, &v.Assessment, id)
	queueAnswers(b, &v.Rows, id, section, true)
	queueEvidence(b, &v.Evidence, id, "")
	queueComments(b, &v.Comments, id, "")
	queueScale(b, &v.Scale)
	queueReferenceNames(b, &v.Names)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return v, err
	}
	if v.Assessment.ID == 0 || len(v.Rows) == 0 {
		return v, kijun.ErrNotFound
	}
	return v, nil
}

// FindAssessment returns the id and status of the operator's assessment
// in a cycle.
func FindAssessment(ctx context.Context, tx pgx.Tx, cycleID, operatorID int64) (int64, assessment.Status, error) {
	var id int64
	var st assessment.Status
	err := tx.QueryRow(ctx, `SELECT id, status FROM assessments WHERE cycle_id = $1 AND operator_id = $2`, cycleID, operatorID).Scan(&id, &st)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", kijun.ErrNotFound
	}
	return id, st, err
}

// ListAnswers returns the controls of one section ("" for all) with their
// answers, in the order they are asked.
func ListAnswers(ctx context.Context, tx pgx.Tx, assessmentID int64, section string) ([]assessment.AnswerRow, error) {
	var out []assessment.AnswerRow
	b := &pgx.Batch{}
	queueAnswers(b, &out, assessmentID, section, false)
	err := tx.SendBatch(ctx, b).Close()
	if err == nil && len(out) == 0 {
		if _, err := readHead(ctx, tx, assessmentID, ""); err != nil {
			return nil, err
		}
	}
	return out, err
}

// queueAnswers queues ListAnswers's query into b. With beside, each row
// also carries what the section page shows beside the control, read in
// the same statement: the control's guidance (kept in its control set)
// and the target of
// the sector profile in force for the cycle's fiscal year
// (kijun_sector_profile, which checks who may read it).
func queueAnswers(b *pgx.Batch, out *[]assessment.AnswerRow, assessmentID int64, section string, beside bool) {
	// Each of the assessment's answers, evidence and comments is read
	// once (MATERIALIZED) and joined by ref: the row-level security
	// filters then run once per row, not once per control × row as in a
	// nested loop the planner may pick on small or fresh tables.
	with, columns, joins := "", "", ""
	if beside {
		with = `, t AS MATERIALIZED (SELECT p.ref, p.target_status, p.target_maturity, p.tailoring_note
			FROM assessments a0 JOIN cycles c0 ON c0.id = a0.cycle_id,
				LATERAL kijun_sector_profile(a0.sector_code, c0.fiscal_year) p
			WHERE a0.id = $1 AND p.applies)`
		columns = `, i.guidance_ja, i.guidance_en, coalesce(t.target_status, ''),
			coalesce(t.target_maturity, 0), coalesce(t.tailoring_note, '')`
		joins = `LEFT JOIN t ON t.ref = i.ref`
	}
	b.Queue(`WITH x AS MATERIALIZED (SELECT * FROM answers WHERE assessment_id = $1),
		e AS MATERIALIZED (SELECT ref, count(*) AS n FROM evidence WHERE assessment_id = $1 GROUP BY ref),
		r AS MATERIALIZED (SELECT ref, count(*) AS n FROM review_comments WHERE assessment_id = $1 AND ref IS NOT NULL GROUP BY ref)`+with+`
		SELECT i.ref, coalesce(i.catalog_id, 0), i.section_code, i.themes, i.csf, i.title_ja, i.title_en,
			i.statement_ja, i.statement_en, i.evidence_expected, i.sort_order,
			coalesce(x.status, ''), coalesce(x.maturity, 0), coalesce(x.how, ''), coalesce(x.na_reason, ''),
			coalesce(x.remediation_action, ''), coalesce(x.remediation_owner, ''), x.remediation_due,
			coalesce(x.carried_forward, false), coalesce(x.version, 0), coalesce(x.updated_by, 0),
			coalesce(x.updated_by_name, ''), x.updated_at, coalesce(e.n, 0), coalesce(r.n, 0)`+columns+`
		FROM assessments a
		JOIN control_set_items i ON i.set_id = a.control_set_id
		LEFT JOIN x ON x.ref = i.ref
		LEFT JOIN e ON e.ref = i.ref
		LEFT JOIN r ON r.ref = i.ref
		`+joins+`
		WHERE a.id = $1 AND ($2 = '' OR i.section_code = $2)
		ORDER BY i.sort_order, i.ref`, assessmentID, section).Query(func(rows pgx.Rows) (err error) {
		*out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (assessment.AnswerRow, error) {
			var row assessment.AnswerRow
			c, a := &row.Control, &row.Answer
			var updated *time.Time
			dest := []any{&c.Ref, &c.CatalogID, &c.Section, &c.Themes, &c.CSF, &c.Title.Ja, &c.Title.En,
				&c.Statement.Ja, &c.Statement.En, &c.EvidenceExpected, &c.SortOrder,
				&a.Status, &a.Maturity, &a.How, &a.NAReason, &a.Remediation.Action, &a.Remediation.Owner, &a.Remediation.Due,
				&a.CarriedForward, &a.Version, &a.UpdatedBy, &a.UpdatedByName, &updated, &row.Evidence, &row.Comments}
			if beside {
				dest = append(dest, &row.Guidance.Ja, &row.Guidance.En, &row.Target.Status, &row.Target.Maturity, &row.Target.Note)
			}
			err := r.Scan(dest...)
			a.AssessmentID, a.Ref = assessmentID, c.Ref
			if updated != nil {
				a.UpdatedAt = *updated
			}
			return row, err
		})
		return err
	})
}

// Rollups returns an assessment's rollup rows (empty until it is
// submitted), overall first.
func Rollups(ctx context.Context, tx pgx.Tx, assessmentID int64) ([]assessment.Rollup, error) {
	rows, _ := tx.Query(ctx, rollupsSQL(`$1`), assessmentID)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[assessment.Rollup])
}

// rollupsSQL selects the rollup rows of the assessment whose id the SQL
// expression assessment gives, overall first.
func rollupsSQL(assessment string) string {
	return `SELECT kind, key, controls, answered, applicable, implemented, partial, not_implemented, na,
			score::float8
		FROM assessment_rollups WHERE assessment_id = ` + assessment + `
		ORDER BY array_position(ARRAY['overall', 'section', 'theme', 'csf_function'], kind), key`
}

// History returns an assessment's status history, oldest first.
func History(ctx context.Context, tx pgx.Tx, assessmentID int64) ([]assessment.Event, error) {
	if _, err := readHead(ctx, tx, assessmentID, ""); err != nil {
		return nil, err
	}
	rows, _ := tx.Query(ctx, `SELECT id, coalesce(from_status, ''), to_status, coalesce(by_user, 0), by_name, at, note
		FROM assessment_events WHERE assessment_id = $1 ORDER BY id`, assessmentID)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[assessment.Event])
}

// ListAssessments lists the assessments the principal may see (RLS: a
// ministry its sectors, the NCO all), by sector and operator name.
func ListAssessments(ctx context.Context, tx pgx.Tx, f assessment.Filter) (assessment.List, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit, f.Offset = min(f.Limit, 1000), max(f.Offset, 0)
	var list assessment.List
	where := ` WHERE ($1 = 0 OR a.cycle_id = $1) AND ($2 = '' OR a.sector_code = $2)
		AND ($3 = '' OR a.status = $3 OR ($3 = 'overdue' AND ` + overdueSQL + `)) AND (NOT $6 OR c.status = 'open')`
	rows, _ := tx.Query(ctx, `SELECT `+assessmentColumns+assessmentFrom+` JOIN sectors sc ON sc.code = a.sector_code`+where+`
		ORDER BY c.fiscal_year, sc.sort_order, o.name_ja, a.id LIMIT $4 OFFSET $5`, f.CycleID, f.Sector, f.Status, f.Limit, f.Offset, f.OpenCycles)
	var err error
	if list.Assessments, err = pgx.CollectRows(rows, scanAssessment); err != nil {
		return list, err
	}
	rows, _ = tx.Query(ctx, `SELECT a.sector_code,
			count(*) FILTER (WHERE a.status = 'not_started'), count(*) FILTER (WHERE a.status = 'in_progress'),
			count(*) FILTER (WHERE a.status = 'submitted'), count(*) FILTER (WHERE a.status = 'returned'),
			count(*) FILTER (WHERE a.status = 'accepted'), count(*) FILTER (WHERE `+overdueSQL+`), count(*),
			count(*) FILTER (WHERE $3 = '' OR a.status = $3 OR ($3 = 'overdue' AND `+overdueSQL+`))
		FROM assessments a JOIN cycles c ON c.id = a.cycle_id
		WHERE ($1 = 0 OR a.cycle_id = $1) AND ($2 = '' OR a.sector_code = $2) AND (NOT $4 OR c.status = 'open')
		GROUP BY a.sector_code`, f.CycleID, f.Sector, f.Status, f.OpenCycles)
	list.Counts = map[string]assessment.StatusCounts{}
	var sector string
	var c assessment.StatusCounts
	var matching int
	_, err = pgx.ForEachRow(rows, []any{&sector, &c.NotStarted, &c.InProgress, &c.Submitted, &c.Returned, &c.Accepted,
		&c.Overdue, &c.Total, &matching}, func() error {
		list.Counts[sector] = c
		list.Total += matching
		return nil
	})
	return list, err
}
