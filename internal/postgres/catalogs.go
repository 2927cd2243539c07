package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/text/unicode/norm"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/catalog/baseline"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// Message IDs of the catalog store's errors (locales/catalogdb.*.yaml).
const (
	msgCatalogConflict    = "catalog.conflict"
	msgCatalogImmutable   = "catalog.published_immutable"
	msgCatalogDraftExists = "catalog.draft_exists"
	msgCatalogVersionUsed = "catalog.version_exists"
	msgCatalogVersionReq  = "catalog.version_required"
	msgCatalogNotLatest   = "catalog.copy_not_published"
	msgCatalogNotDraft    = "catalog.not_draft"
	msgCatalogInvalid     = "catalog.invalid"
	msgCatalogNeedsEn     = "catalog.publish_needs_english"
	msgCatalogRefExists   = "catalog.ref_exists"
	msgCatalogForbidden   = "catalog.write_forbidden"
)

// sqlStateImmutable is raised by the catalog's guard triggers when a
// published catalog or its controls would change.
const sqlStateImmutable = "KJ001"

// errImmutable is what changing a published or superseded catalog gives,
// whether the store or the database noticed first.
func errImmutable(status catalog.Status) error {
	return kijun.Errorf(kijun.EConflict, msgCatalogImmutable, map[string]any{"Status": string(status)})
}

// catalogErr turns the database's refusal into the user's message.
func catalogErr(err error) error {
	if pgCode(err) == sqlStateImmutable {
		return errImmutable(catalog.Published)
	}
	return err
}

const catalogColumns = `k.id, k.code, k.version, k.title_ja, k.title_en, k.note_ja, k.note_en, k.status,
	k.published_at, k.published_by_name, k.consultation_opened_at`

func scanCatalog(r pgx.Row, c *catalog.Catalog, extra ...any) error {
	return r.Scan(append([]any{&c.ID, &c.Code, &c.Version, &c.Title.Ja, &c.Title.En, &c.Note.Ja, &c.Note.En,
		&c.Status, &c.PublishedAt, &c.PublishedBy, &c.ConsultationOpenedAt}, extra...)...)
}

// ListCatalogs returns the catalogs the principal may see (RLS: drafts
// only for NCO), by code and newest first.
func ListCatalogs(ctx context.Context, q Querier) ([]catalog.Summary, error) {
	rows, _ := q.Query(ctx, `SELECT `+catalogColumns+`, coalesce(k.based_on, 0), k.created_at,
			(SELECT count(*) FROM controls c WHERE c.catalog_id = k.id)
		FROM catalogs k ORDER BY k.code, k.created_at DESC, k.id DESC`)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Summary, error) {
		var s catalog.Summary
		err := scanCatalog(r, &s.Catalog, &s.BasedOn, &s.CreatedAt, &s.ControlCount)
		return s, err
	})
}

// GetCatalog returns one catalog the principal may see, with its controls
// in section order.
func GetCatalog(ctx context.Context, q Querier, id int64) (*catalog.Catalog, error) {
	c := &catalog.Catalog{}
	err := scanCatalog(q.QueryRow(ctx, `SELECT `+catalogColumns+` FROM catalogs k WHERE k.id = $1`, id), c)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, kijun.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	rows, _ := q.Query(ctx, `SELECT `+controlColumns+` FROM controls c
		JOIN baseline_sections s ON s.code = c.section_code
		WHERE c.catalog_id = $1 ORDER BY s.sort_order, c.sort_order, c.ref`, id)
	if c.Controls, err = pgx.CollectRows(rows, scanControl); err != nil {
		return nil, err
	}
	if err := loadGovernance(ctx, q, c); err != nil {
		return nil, err
	}
	return c, nil
}

const controlColumns = `c.ref, c.section_code, c.title_ja, c.title_en, c.statement_ja, c.statement_en,
	c.guidance_ja, c.guidance_en, c.themes, c.csf, c.evidence_expected, c.sectors, c.version`

func scanControl(r pgx.CollectableRow) (catalog.Control, error) {
	var c catalog.Control
	err := r.Scan(&c.Ref, &c.Section, &c.Title.Ja, &c.Title.En, &c.Statement.Ja, &c.Statement.En,
		&c.Guidance.Ja, &c.Guidance.En, &c.Themes, &c.CSF, &c.EvidenceExpected, &c.Sectors, &c.Version)
	return c, err
}

// GetControl returns one control of a catalog the principal may see.
func GetControl(ctx context.Context, q Querier, catalogID int64, ref string) (catalog.Control, error) {
	rows, _ := q.Query(ctx, `SELECT `+controlColumns+` FROM controls c WHERE c.catalog_id = $1 AND c.ref = $2`, catalogID, ref)
	c, err := pgx.CollectExactlyOneRow(rows, scanControl)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, kijun.ErrNotFound
	}
	return c, err
}

// LoadCatalogReference reads the codes a catalog may use from the
// reference tables, for catalog.Validate, ParseYAML and ImportOSCAL.
func LoadCatalogReference(ctx context.Context, q Querier) (catalog.Reference, error) {
	var ref catalog.Reference
	err := q.QueryRow(ctx, `SELECT
		coalesce((SELECT array_agg(code ORDER BY sort_order, code) FROM baseline_sections), '{}'),
		coalesce((SELECT array_agg(code ORDER BY sort_order, code) FROM themes), '{}'),
		coalesce((SELECT array_agg(code ORDER BY sort_order, code) FROM sectors), '{}')`).
		Scan(&ref.Sections, &ref.Themes, &ref.Sectors)
	return ref, err
}

// validateCatalog returns an EInvalid error listing every error-level
// problem of c (warnings do not stop it), or nil.
func validateCatalog(ctx context.Context, q Querier, c *catalog.Catalog) error {
	ref, err := LoadCatalogReference(ctx, q)
	if err != nil {
		return err
	}
	var errs []catalog.Problem
	for _, p := range catalog.Validate(c, ref) {
		if p.Level != catalog.Warning {
			errs = append(errs, p)
		}
	}
	if len(errs) > 0 {
		return kijun.Errorf(kijun.EInvalid, msgCatalogInvalid, map[string]any{"Count": len(errs), "Problems": errs})
	}
	return nil
}

// validateControl checks one control with the catalog rules, inside a
// stand-in catalog so that only the control's own problems are reported.
func validateControl(ctx context.Context, q Querier, c catalog.Control) error {
	stub := &catalog.Catalog{Code: "stub", Version: "stub", Title: kijun.Text{Ja: "stub", En: "stub"}, Controls: []catalog.Control{c}}
	return validateCatalog(ctx, q, stub)
}

// catalogState reads a catalog's code and status as the principal sees it.
func catalogState(ctx context.Context, q Querier, id int64, lock string) (code string, status catalog.Status, err error) {
	err = q.QueryRow(ctx, `SELECT code, status FROM catalogs WHERE id = $1 `+lock, id).Scan(&code, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", kijun.ErrNotFound
	}
	return code, status, err
}

// draftOnly returns the error for changing a catalog that is not a draft.
func draftOnly(ctx context.Context, q Querier, id int64) error {
	_, status, err := catalogState(ctx, q, id, "")
	if err != nil {
		return err
	}
	if status != catalog.Draft {
		return errImmutable(status)
	}
	return nil
}

// orEmpty keeps nil slices out of NOT NULL array columns.
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// auditCatalog is what the audit log keeps of a catalog: its identity, not
// its whole text (the controls have their own events).
type auditCatalog struct {
	ID       int64  `json:"id"`
	Code     string `json:"code"`
	Version  string `json:"version"`
	Status   string `json:"status"`
	BasedOn  int64  `json:"based_on,omitempty"`
	Controls int    `json:"controls,omitempty"`
}

func auditEvent(by audit.Event, action, objectType, objectID string) audit.Event {
	// The NCO's tenant: no ministry, sector or operator.
	e := audit.Event{ActorUserID: by.ActorUserID, ActorLabel: by.ActorLabel, RequestID: by.RequestID}
	e.Action, e.ObjectType, e.ObjectID = action, objectType, objectID
	return e
}

func controlObjectID(catalogID int64, ref string) string {
	return strconv.FormatInt(catalogID, 10) + "/" + ref
}

// ImportCatalog stores c as a new draft and returns its id. When a
// catalog with the same code and version already exists it returns that
// one's id and created false, changing nothing, so `kijun seed` can run
// again. c must pass catalog.Validate (it is checked again here); its
// status, IDs and control versions are ignored. by is the actor
// (ActorOf(principal, requestID)); its zero value is the system.
func ImportCatalog(ctx context.Context, tx pgx.Tx, c *catalog.Catalog, by audit.Event) (id int64, created bool, err error) {
	err = tx.QueryRow(ctx, `SELECT id FROM catalogs WHERE code = $1 AND version = $2`, c.Code, c.Version).Scan(&id)
	if err == nil {
		return id, false, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, false, err
	}
	if err := checkNoDraft(ctx, tx, c.Code); err != nil {
		return 0, false, err
	}
	if err := validateCatalog(ctx, tx, c); err != nil {
		return 0, false, err
	}
	err = tx.QueryRow(ctx, `INSERT INTO catalogs (code, version, title_ja, title_en, note_ja, note_en, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		c.Code, c.Version, c.Title.Ja, c.Title.En, c.Note.Ja, c.Note.En, nullInt(by.ActorUserID)).Scan(&id)
	if err != nil {
		return 0, false, catalogInsertErr(err, c.Code, c.Version)
	}
	b := &pgx.Batch{}
	for i, ctl := range c.Controls {
		queueInsertControl(b, id, ctl, i+1, by.ActorUserID)
	}
	for ref, reason := range c.Reasons {
		b.Queue(`INSERT INTO catalog_revision_reasons (catalog_id, ref, reason) VALUES ($1, $2, $3)`, id, ref, reason)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return 0, false, catalogErr(err)
	}
	after := auditCatalog{ID: id, Code: c.Code, Version: c.Version, Status: string(catalog.Draft), Controls: len(c.Controls)}
	if err := Audit(ctx, tx, auditEvent(by, "catalog.import", "catalog", strconv.FormatInt(id, 10)), nil, after); err != nil {
		return 0, false, err
	}
	return id, true, nil
}

func queueInsertControl(b *pgx.Batch, catalogID int64, c catalog.Control, sortOrder int, by int64) {
	b.Queue(`INSERT INTO controls (catalog_id, ref, section_code, title_ja, title_en, statement_ja, statement_en,
			guidance_ja, guidance_en, themes, csf, evidence_expected, sectors, sort_order, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		catalogID, c.Ref, c.Section, c.Title.Ja, c.Title.En, c.Statement.Ja, c.Statement.En,
		c.Guidance.Ja, c.Guidance.En, orEmpty(c.Themes), orEmpty(c.CSF), c.EvidenceExpected, orEmpty(c.Sectors),
		sortOrder, nullInt(by))
}

// checkNoDraft refuses a second draft of the same code before the unique
// index would (which would abort the transaction with a bare error).
func checkNoDraft(ctx context.Context, tx pgx.Tx, code string) error {
	var id int64
	var version string
	err := tx.QueryRow(ctx, `SELECT id, version FROM catalogs WHERE code = $1
		AND status IN ('draft', 'consultation', 'decided')`, code).Scan(&id, &version)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return kijun.Errorf(kijun.EConflict, msgCatalogDraftExists, map[string]any{"Code": code, "Version": version, "ID": id})
}

func catalogInsertErr(err error, code, version string) error {
	var pe *pgconn.PgError
	if IsUniqueViolation(err) && errors.As(err, &pe) {
		if pe.ConstraintName == "catalogs_one_draft" {
			return kijun.Errorf(kijun.EConflict, msgCatalogDraftExists, map[string]any{"Code": code})
		}
		return kijun.Errorf(kijun.EConflict, msgCatalogVersionUsed, map[string]any{"Code": code, "Version": version})
	}
	return catalogErr(err)
}

// SeedBaseline imports the shipped draft baseline (baseline.DraftYAML) as
// a draft unless its code and version are already stored. It reports
// whether it created the catalog.
func SeedBaseline(ctx context.Context, tx pgx.Tx) (created bool, err error) {
	ref, err := LoadCatalogReference(ctx, tx)
	if err != nil {
		return false, err
	}
	c, problems := catalog.ParseYAML(baseline.DraftYAML, ref)
	if catalog.HasErrors(problems) {
		return false, fmt.Errorf("shipped baseline catalog: %d problems, first: %s", len(problems), problems[0])
	}
	_, created, err = ImportCatalog(ctx, tx, c, audit.Event{})
	return created, err
}

// NewDraftFrom starts the next version of a published catalog: a draft
// with the given version holding a copy of every control (edit versions
// start again at 1). There may be one draft per catalog code.
func NewDraftFrom(ctx context.Context, tx pgx.Tx, publishedID int64, newVersion string, by audit.Event) (int64, error) {
	newVersion = strings.TrimSpace(newVersion)
	if newVersion == "" {
		return 0, kijun.Errorf(kijun.EInvalid, msgCatalogVersionReq, nil)
	}
	code, status, err := catalogState(ctx, tx, publishedID, "")
	if err != nil {
		return 0, err
	}
	if status != catalog.Published {
		return 0, kijun.Errorf(kijun.EConflict, msgCatalogNotLatest, map[string]any{"Status": string(status)})
	}
	if err := checkNoDraft(ctx, tx, code); err != nil {
		return 0, err
	}
	var taken bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM catalogs WHERE code = $1 AND version = $2)`, code, newVersion).Scan(&taken); err != nil {
		return 0, err
	}
	if taken {
		return 0, kijun.Errorf(kijun.EConflict, msgCatalogVersionUsed, map[string]any{"Code": code, "Version": newVersion})
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO catalogs (code, version, title_ja, title_en, note_ja, note_en, based_on, created_by)
		SELECT code, $2, title_ja, title_en, note_ja, note_en, id, $3 FROM catalogs WHERE id = $1 RETURNING id`,
		publishedID, newVersion, nullInt(by.ActorUserID)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, kijun.Errorf(kijun.EForbidden, msgCatalogForbidden, nil)
	}
	if err != nil {
		return 0, catalogInsertErr(err, code, newVersion)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO controls (catalog_id, ref, section_code, title_ja, title_en, statement_ja, statement_en,
			guidance_ja, guidance_en, themes, csf, evidence_expected, sectors, sort_order, updated_by)
		SELECT $1, ref, section_code, title_ja, title_en, statement_ja, statement_en,
			guidance_ja, guidance_en, themes, csf, evidence_expected, sectors, sort_order, $3
		FROM controls WHERE catalog_id = $2`, id, publishedID, nullInt(by.ActorUserID))
	if err != nil {
		return 0, catalogErr(err)
	}
	after := auditCatalog{ID: id, Code: code, Version: newVersion, Status: string(catalog.Draft),
		BasedOn: publishedID, Controls: int(tag.RowsAffected())}
	if err := Audit(ctx, tx, auditEvent(by, "catalog.draft.create", "catalog", strconv.FormatInt(id, 10)), nil, after); err != nil {
		return 0, err
	}
	return id, nil
}

// conflict is the optimistic-locking error: the control moved on since
// the editor loaded version expected. Current is the stored control, so
// the editor can show both.
func conflict(current catalog.Control, expected int) error {
	return kijun.Errorf(kijun.EConflict, msgCatalogConflict, map[string]any{
		"Ref": current.Ref, "Expected": expected, "Version": current.Version, "Current": current,
	})
}

// UpdateControl replaces the content of control ref in a draft catalog,
// provided it is still at expectedVersion, and returns it with its new
// version. c.Ref is ignored (a ref is the control's identity; remove and
// add to renumber). A moved version gives an EConflict error whose Args
// hold the stored control under "Current".
func UpdateControl(ctx context.Context, tx pgx.Tx, catalogID int64, ref string, c catalog.Control, expectedVersion int, by audit.Event) (catalog.Control, error) {
	if err := draftOnly(ctx, tx, catalogID); err != nil {
		return catalog.Control{}, err
	}
	before, err := GetControl(ctx, tx, catalogID, ref)
	if err != nil {
		return catalog.Control{}, err
	}
	if before.Version != expectedVersion {
		return catalog.Control{}, conflict(before, expectedVersion)
	}
	c.Ref = ref
	if err := validateControl(ctx, tx, c); err != nil {
		return catalog.Control{}, err
	}
	rows, _ := tx.Query(ctx, `UPDATE controls c SET section_code = $4, title_ja = $5, title_en = $6,
			statement_ja = $7, statement_en = $8, guidance_ja = $9, guidance_en = $10, themes = $11, csf = $12,
			evidence_expected = $13, sectors = $14, version = c.version + 1, updated_at = now(), updated_by = $15
		WHERE c.catalog_id = $1 AND c.ref = $2 AND c.version = $3
		RETURNING `+controlColumns,
		catalogID, ref, expectedVersion, c.Section, c.Title.Ja, c.Title.En, c.Statement.Ja, c.Statement.En,
		c.Guidance.Ja, c.Guidance.En, orEmpty(c.Themes), orEmpty(c.CSF), c.EvidenceExpected, orEmpty(c.Sectors),
		nullInt(by.ActorUserID))
	after, err := pgx.CollectExactlyOneRow(rows, scanControl)
	if errors.Is(err, pgx.ErrNoRows) {
		return catalog.Control{}, changedMeanwhile(ctx, tx, catalogID, ref, expectedVersion)
	}
	if err != nil {
		return catalog.Control{}, catalogErr(err)
	}
	if err := Audit(ctx, tx, auditEvent(by, "catalog.control.update", "control", controlObjectID(catalogID, ref)), before, after); err != nil {
		return catalog.Control{}, err
	}
	return after, nil
}

// changedMeanwhile explains a guarded write that touched no row: another
// editor committed first (conflict), or RLS let the principal read the
// row but not write it.
func changedMeanwhile(ctx context.Context, tx pgx.Tx, catalogID int64, ref string, expected int) error {
	cur, err := GetControl(ctx, tx, catalogID, ref)
	if err != nil {
		return err
	}
	if cur.Version != expected {
		return conflict(cur, expected)
	}
	return kijun.Errorf(kijun.EForbidden, msgCatalogForbidden, nil)
}

// AddControl adds a control to a draft catalog, after the others of its
// section, and returns it.
func AddControl(ctx context.Context, tx pgx.Tx, catalogID int64, c catalog.Control, by audit.Event) (catalog.Control, error) {
	if err := draftOnly(ctx, tx, catalogID); err != nil {
		return catalog.Control{}, err
	}
	if err := validateControl(ctx, tx, c); err != nil {
		return catalog.Control{}, err
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM controls WHERE catalog_id = $1 AND ref = $2)`, catalogID, c.Ref).Scan(&exists); err != nil {
		return catalog.Control{}, err
	}
	if exists {
		return catalog.Control{}, kijun.Errorf(kijun.EConflict, msgCatalogRefExists, map[string]any{"Ref": c.Ref})
	}
	rows, _ := tx.Query(ctx, `INSERT INTO controls AS c (catalog_id, ref, section_code, title_ja, title_en, statement_ja, statement_en,
			guidance_ja, guidance_en, themes, csf, evidence_expected, sectors, sort_order, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
			(SELECT coalesce(max(sort_order), 0) + 1 FROM controls WHERE catalog_id = $1), $14)
		RETURNING `+controlColumns,
		catalogID, c.Ref, c.Section, c.Title.Ja, c.Title.En, c.Statement.Ja, c.Statement.En,
		c.Guidance.Ja, c.Guidance.En, orEmpty(c.Themes), orEmpty(c.CSF), c.EvidenceExpected, orEmpty(c.Sectors),
		nullInt(by.ActorUserID))
	after, err := pgx.CollectExactlyOneRow(rows, scanControl)
	if IsUniqueViolation(err) {
		return catalog.Control{}, kijun.Errorf(kijun.EConflict, msgCatalogRefExists, map[string]any{"Ref": c.Ref})
	}
	if err != nil {
		return catalog.Control{}, catalogErr(err)
	}
	if err := Audit(ctx, tx, auditEvent(by, "catalog.control.add", "control", controlObjectID(catalogID, c.Ref)), nil, after); err != nil {
		return catalog.Control{}, err
	}
	return after, nil
}

// RemoveControl deletes a control from a draft catalog, provided it is
// still at expectedVersion (so an edit made meanwhile is not lost unseen).
func RemoveControl(ctx context.Context, tx pgx.Tx, catalogID int64, ref string, expectedVersion int, by audit.Event) error {
	if err := draftOnly(ctx, tx, catalogID); err != nil {
		return err
	}
	before, err := GetControl(ctx, tx, catalogID, ref)
	if err != nil {
		return err
	}
	if before.Version != expectedVersion {
		return conflict(before, expectedVersion)
	}
	tag, err := tx.Exec(ctx, `DELETE FROM controls WHERE catalog_id = $1 AND ref = $2 AND version = $3`, catalogID, ref, expectedVersion)
	if err != nil {
		return catalogErr(err)
	}
	if tag.RowsAffected() == 0 {
		return changedMeanwhile(ctx, tx, catalogID, ref, expectedVersion)
	}
	return Audit(ctx, tx, auditEvent(by, "catalog.control.remove", "control", controlObjectID(catalogID, ref)), before, nil)
}

// Publish takes a draft the whole way into force today, for `kijun seed`,
// the demo and test fixtures: it opens the consultation and records a
// decision whose reference says it was published directly by the actor
// (DirectReference), effective today. The pages never call it: the NCO
// consults, then decides (OpenConsultation, Decide).
func Publish(ctx context.Context, tx pgx.Tx, id int64, by audit.Event) error {
	now, err := dbNow(ctx, tx)
	if err != nil {
		return err
	}
	if err := OpenConsultation(ctx, tx, id, by); err != nil {
		return err
	}
	decider := by.ActorLabel
	if decider == "" {
		decider = "kijun"
	}
	day := catalog.DateJST(now)
	_, err = Decide(ctx, tx, id, catalog.Decision{DecidedBy: decider, Reference: DirectReference, DecidedOn: day, EffectiveOn: day}, by)
	return err
}

// maxSearchTerms bounds the SQL a query can build.
const maxSearchTerms = 8

// searchTerms splits a query into the words that must all occur. The
// query is NFKC-normalised like controls.search_text, and ideographic
// spaces separate words too.
func searchTerms(query string) []string {
	var terms []string
	for _, t := range strings.Fields(norm.NFKC.String(query)) {
		if len(terms) < maxSearchTerms && !containsFold(terms, t) {
			terms = append(terms, t)
		}
	}
	return terms
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// likeContains is an ILIKE pattern for "contains s", with LIKE's special
// characters taken literally.
func likeContains(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// SearchControls finds the controls of a catalog the principal may see
// that match every word of query (a substring, in either language, of the
// ref, title, statement or guidance; any length, so 「鍵」 works too) and
// the filter. Ranking: an exact ref first; then by where each word
// matched (title over statement over guidance) and how closely the query
// resembles the title (pg_trgm word_similarity); then catalog order. An
// empty query lists the filtered controls in catalog order.
//
// The words are matched with ILIKE on controls.search_text, which the
// trigram index serves for words of three or more characters; shorter
// words are matched by the same ILIKE without the index, correctly and
// cheaply enough for catalogs of hundreds of controls.
func SearchControls(ctx context.Context, q Querier, catalogID int64, query string, f catalog.ControlFilter) ([]catalog.Control, error) {
	args := []any{catalogID, f.Section, f.Theme, f.CSF, f.Sector}
	where := []string{
		"c.catalog_id = $1",
		"($2 = '' OR c.section_code = $2)",
		"($3 = '' OR $3 = ANY (c.themes))",
		"($4 = '' OR EXISTS (SELECT FROM unnest(c.csf) x WHERE x = $4 OR x LIKE $4 || '.%'))",
		"($5 = '' OR cardinality(c.sectors) = 0 OR $5 = ANY (c.sectors))",
	}
	order := "s.sort_order, c.sort_order, c.ref"
	terms := searchTerms(query)
	if len(terms) > 0 {
		const title = "normalize(c.title_ja || ' ' || c.title_en, NFKC)"
		const statement = "normalize(c.statement_ja || ' ' || c.statement_en, NFKC)"
		var r strings.Builder
		for _, t := range terms {
			args = append(args, likeContains(t))
			n := len(args)
			where = append(where, fmt.Sprintf("c.search_text ILIKE $%d", n))
			fmt.Fprintf(&r, " + CASE WHEN %s ILIKE $%d THEN 8 WHEN %s ILIKE $%d THEN 3 ELSE 1 END", title, n, statement, n)
		}
		args = append(args, strings.Join(terms, " "))
		n := len(args)
		order = fmt.Sprintf("CASE WHEN upper(c.ref) = upper($%d) THEN 100 ELSE 0 END%s + word_similarity($%d, %s) DESC, ",
			n, r.String(), n, title) + order
	}
	rows, _ := q.Query(ctx, `SELECT `+controlColumns+` FROM controls c
		JOIN baseline_sections s ON s.code = c.section_code
		WHERE `+strings.Join(where, " AND ")+`
		ORDER BY `+order, args...)
	return pgx.CollectRows(rows, scanControl)
}
