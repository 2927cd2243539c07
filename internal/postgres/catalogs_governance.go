package postgres

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
)

// Catalog governance (docs/catalog-governance.md): consultation, comments,
// public-comment results, the decision and coming into force. The moves
// are catalog.Transition's; migration 000019's triggers refuse the same.

// DirectReference is the decision reference Publish records: the version
// went into force by the seed, the demo or a test, not by a decision
// entered in the portal.
const DirectReference = "direct publication (seed, demo or test)"

// Message IDs of the store's governance errors (governance.*.yaml).
const (
	msgGovCommentEmpty = "catalog.governance.comment_empty"
	msgGovTooLong      = "catalog.governance.too_long"
	msgGovRefUnknown   = "catalog.governance.ref_unknown"
	msgGovMinistry     = "catalog.governance.ministry"
	msgGovSummary      = "catalog.governance.summary_required"
)

func dbNow(ctx context.Context, q Querier) (time.Time, error) {
	var now time.Time
	err := q.QueryRow(ctx, `SELECT now()`).Scan(&now)
	return now, err
}

// loadGovernance adds a catalog's reasons, decision and public-comment
// results (as the principal may see them).
func loadGovernance(ctx context.Context, q Querier, c *catalog.Catalog) error {
	rows, _ := q.Query(ctx, `SELECT ref, reason FROM catalog_revision_reasons WHERE catalog_id = $1 ORDER BY ref`, c.ID)
	var ref, reason string
	c.Reasons = nil
	if _, err := pgx.ForEachRow(rows, []any{&ref, &reason}, func() error {
		if c.Reasons == nil {
			c.Reasons = map[string]string{}
		}
		c.Reasons[ref] = reason
		return nil
	}); err != nil {
		return err
	}
	d := &catalog.Decision{}
	err := q.QueryRow(ctx, `SELECT decided_by, reference, decided_on, effective_on, note, recorded_by_name, recorded_at
		FROM catalog_decisions WHERE catalog_id = $1`, c.ID).
		Scan(&d.DecidedBy, &d.Reference, &d.DecidedOn, &d.EffectiveOn, &d.Note, &d.RecordedBy, &d.RecordedAt)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		c.Decision = nil
	case err != nil:
		return err
	default:
		d.DecidedOn, d.EffectiveOn = asJSTDate(d.DecidedOn), asJSTDate(d.EffectiveOn)
		c.Decision = d
	}
	c.PublicComments, err = ListPublicComments(ctx, q, c.ID)
	return err
}

// asJSTDate reads a date column (midnight UTC from pgx) as that day in Japan.
func asJSTDate(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, kijun.JST)
}

// governanceState locks a catalog and returns what a move needs.
func governanceState(ctx context.Context, tx pgx.Tx, id int64) (*catalog.Catalog, error) {
	if _, _, err := catalogState(ctx, tx, id, "FOR UPDATE"); err != nil {
		return nil, err
	}
	return GetCatalog(ctx, tx, id)
}

// basedOn returns the version a catalog was copied from, or nil.
func basedOn(ctx context.Context, tx pgx.Tx, id int64) (*catalog.Catalog, error) {
	var prev *int64
	if err := tx.QueryRow(ctx, `SELECT based_on FROM catalogs WHERE id = $1`, id).Scan(&prev); err != nil {
		return nil, err
	}
	if prev == nil {
		return nil, nil
	}
	return GetCatalog(ctx, tx, *prev)
}

// RevisionChanges compares a version with the one it was based on (none:
// every control counts as added only when there is a base to compare).
func RevisionChanges(ctx context.Context, tx pgx.Tx, c *catalog.Catalog) (catalog.Changes, bool, error) {
	prev, err := basedOn(ctx, tx, c.ID)
	if err != nil || prev == nil {
		return catalog.Changes{}, false, err
	}
	return catalog.Diff(prev, c), true, nil
}

func auditGov(c *catalog.Catalog, status catalog.Status) auditCatalog {
	return auditCatalog{ID: c.ID, Code: c.Code, Version: c.Version, Status: string(status), Controls: len(c.Controls)}
}

// SetReason records (or, empty, removes) the 改定理由 of ref in a draft.
func SetReason(ctx context.Context, tx pgx.Tx, catalogID int64, ref, reason string, by audit.Event) error {
	if err := draftOnly(ctx, tx, catalogID); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > catalog.MaxReason {
		return kijun.Errorf(kijun.EInvalid, msgGovTooLong, map[string]any{"Max": catalog.MaxReason})
	}
	var before *string
	err := tx.QueryRow(ctx, `SELECT reason FROM catalog_revision_reasons WHERE catalog_id = $1 AND ref = $2`, catalogID, ref).Scan(&before)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	if reason == "" {
		if _, err := tx.Exec(ctx, `DELETE FROM catalog_revision_reasons WHERE catalog_id = $1 AND ref = $2`, catalogID, ref); err != nil {
			return catalogErr(err)
		}
	} else if _, err := tx.Exec(ctx, `INSERT INTO catalog_revision_reasons (catalog_id, ref, reason) VALUES ($1, $2, $3)
		ON CONFLICT (catalog_id, ref) DO UPDATE SET reason = EXCLUDED.reason, updated_at = now()`, catalogID, ref, reason); err != nil {
		return catalogErr(err)
	}
	type rec struct {
		Ref    string `json:"ref"`
		Reason string `json:"reason"`
	}
	var b, a any
	if before != nil {
		b = rec{ref, *before}
	}
	if reason != "" {
		a = rec{ref, reason}
	}
	return Audit(ctx, tx, auditEvent(by, "catalog.reason.set", "control", controlObjectID(catalogID, ref)), b, a)
}

// OpenConsultation moves a draft to consultation (意見募集), after
// checking it in full: valid, English complete, and a 改定理由 for every
// control added, changed or removed since the version it was based on.
// From then on its content is frozen until it goes back to draft.
func OpenConsultation(ctx context.Context, tx pgx.Tx, id int64, by audit.Event) error {
	c, err := governanceState(ctx, tx, id)
	if err != nil {
		return err
	}
	if err := catalog.Transition(c.Status, catalog.Consultation, nil, time.Time{}); err != nil {
		return err
	}
	if err := validateCatalog(ctx, tx, c); err != nil {
		return err
	}
	if refs := catalog.WithoutEnglish(c); len(refs) > 0 {
		return kijun.Errorf(kijun.EInvalid, msgCatalogNeedsEn, map[string]any{"Count": len(refs), "Refs": strings.Join(refs, ", ")})
	}
	if ch, ok, err := RevisionChanges(ctx, tx, c); err != nil {
		return err
	} else if ok {
		if err := catalog.CheckReasons(ch, c.Reasons); err != nil {
			return err
		}
	}
	tag, err := tx.Exec(ctx, `UPDATE catalogs SET status = 'consultation', consultation_opened_at = now(),
		consultation_opened_by_name = $2 WHERE id = $1 AND status = 'draft'`, id, by.ActorLabel)
	if err != nil {
		return catalogErr(err)
	}
	if tag.RowsAffected() == 0 {
		return kijun.Errorf(kijun.EForbidden, msgCatalogForbidden, nil)
	}
	return Audit(ctx, tx, auditEvent(by, "catalog.consultation.open", "catalog", strconv.FormatInt(id, 10)),
		auditGov(c, catalog.Draft), auditGov(c, catalog.Consultation))
}

// WithdrawConsultation takes a version under consultation back to draft
// for another round of edits; the comments taken stay with it.
func WithdrawConsultation(ctx context.Context, tx pgx.Tx, id int64, by audit.Event) error {
	c, err := governanceState(ctx, tx, id)
	if err != nil {
		return err
	}
	if err := catalog.Transition(c.Status, catalog.Draft, nil, time.Time{}); err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `UPDATE catalogs SET status = 'draft' WHERE id = $1 AND status = 'consultation'`, id)
	if err != nil {
		return catalogErr(err)
	}
	if tag.RowsAffected() == 0 {
		return kijun.Errorf(kijun.EForbidden, msgCatalogForbidden, nil)
	}
	return Audit(ctx, tx, auditEvent(by, "catalog.consultation.withdraw", "catalog", strconv.FormatInt(id, 10)),
		auditGov(c, catalog.Consultation), auditGov(c, catalog.Draft))
}

// decisionRecord is what the audit log keeps of a decision.
type decisionRecord struct {
	ID          int64  `json:"id"`
	Version     string `json:"version"`
	Status      string `json:"status"`
	DecidedBy   string `json:"decided_by"`
	Reference   string `json:"reference"`
	DecidedOn   string `json:"decided_on"`
	EffectiveOn string `json:"effective_on"`
}

// Decide records the decision (決定) of a version under consultation and
// moves it to decided; when its 施行日 is today or past, it comes into
// force at once (inForce). The caller tells people: notify.CatalogDecided
// now, and the catalog.published fan-out when inForce.
func Decide(ctx context.Context, tx pgx.Tx, id int64, d catalog.Decision, by audit.Event) (inForce bool, err error) {
	c, err := governanceState(ctx, tx, id)
	if err != nil {
		return false, err
	}
	d.DecidedBy, d.Reference, d.Note = strings.TrimSpace(d.DecidedBy), strings.TrimSpace(d.Reference), strings.TrimSpace(d.Note)
	if ps := d.Validate(); len(ps) > 0 {
		return false, kijun.Errorf(kijun.EInvalid, ps[0].MessageID, ps[0].Args)
	}
	if err := catalog.Transition(c.Status, catalog.Decided, &d, time.Time{}); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO catalog_decisions (catalog_id, decided_by, reference, decided_on, effective_on,
			note, recorded_by, recorded_by_name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		id, d.DecidedBy, d.Reference, d.DecidedOn.Format("2006-01-02"), d.EffectiveOn.Format("2006-01-02"), d.Note,
		nullInt(by.ActorUserID), by.ActorLabel); err != nil {
		return false, catalogErr(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE catalogs SET status = 'decided' WHERE id = $1 AND status = 'consultation'`, id); err != nil {
		return false, catalogErr(err)
	}
	rec := decisionRecord{ID: id, Version: c.Version, Status: string(catalog.Decided), DecidedBy: d.DecidedBy, Reference: d.Reference,
		DecidedOn: d.DecidedOn.Format("2006-01-02"), EffectiveOn: d.EffectiveOn.Format("2006-01-02")}
	if err := Audit(ctx, tx, auditEvent(by, "catalog.decide", "catalog", strconv.FormatInt(id, 10)), auditGov(c, catalog.Consultation), rec); err != nil {
		return false, err
	}
	now, err := dbNow(ctx, tx)
	if err != nil {
		return false, err
	}
	if !d.InForceOn(now) {
		return false, nil
	}
	return true, bringIntoForce(ctx, tx, c, &d, by, now)
}

// bringIntoForce makes a decided version the one in force of its code,
// superseding the one before.
func bringIntoForce(ctx context.Context, tx pgx.Tx, c *catalog.Catalog, d *catalog.Decision, by audit.Event, now time.Time) error {
	if err := catalog.Transition(catalog.Decided, catalog.Published, d, now); err != nil {
		return err
	}
	rows, _ := tx.Query(ctx, `UPDATE catalogs SET status = 'superseded'
		WHERE code = $1 AND status = 'published' RETURNING id, version`, c.Code)
	type old struct {
		ID      int64
		Version string
	}
	olds, err := pgx.CollectRows(rows, pgx.RowToStructByPos[old])
	if err != nil {
		return catalogErr(err)
	}
	tag, err := tx.Exec(ctx, `UPDATE catalogs SET status = 'published', published_at = now(), published_by = $2,
		published_by_name = $3 WHERE id = $1 AND status = 'decided'`, c.ID, nullInt(by.ActorUserID), by.ActorLabel)
	if err != nil {
		return catalogErr(err)
	}
	if tag.RowsAffected() == 0 {
		return kijun.Errorf(kijun.EForbidden, msgCatalogForbidden, nil)
	}
	for _, o := range olds {
		if err := Audit(ctx, tx, auditEvent(by, "catalog.supersede", "catalog", strconv.FormatInt(o.ID, 10)),
			auditCatalog{ID: o.ID, Code: c.Code, Version: o.Version, Status: string(catalog.Published)},
			auditCatalog{ID: o.ID, Code: c.Code, Version: o.Version, Status: string(catalog.Superseded)}); err != nil {
			return err
		}
	}
	return Audit(ctx, tx, auditEvent(by, "catalog.publish", "catalog", strconv.FormatInt(c.ID, 10)),
		auditGov(c, catalog.Decided), auditGov(c, catalog.Published))
}

// BringDecidedIntoForce brings every decided version whose 施行日 has come
// into force and queues the catalog.published fan-out of each; the daily
// job (jobs.CatalogsInForce) runs it in a system transaction just after
// midnight JST. It returns the versions that came into force.
func BringDecidedIntoForce(ctx context.Context, tx pgx.Tx) ([]int64, error) {
	now, err := dbNow(ctx, tx)
	if err != nil {
		return nil, err
	}
	rows, _ := tx.Query(ctx, `SELECT k.id FROM catalogs k JOIN catalog_decisions d ON d.catalog_id = k.id
		WHERE k.status = 'decided' AND d.effective_on <= $1::date ORDER BY d.effective_on, k.id FOR UPDATE OF k`,
		catalog.DateJST(now).Format("2006-01-02"))
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	by := audit.Event{ActorLabel: "kijun (施行日)"}
	for _, id := range ids {
		c, err := GetCatalog(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if err := bringIntoForce(ctx, tx, c, c.Decision, by, now); err != nil {
			return nil, err
		}
		if err := Enqueue(ctx, tx, notify.CatalogPublishedArgs{CatalogID: id}); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// AddCatalogComment records a ministry's comment on a version under
// consultation: on the version (ref "") or on one of its controls.
func AddCatalogComment(ctx context.Context, tx pgx.Tx, p *identity.Principal, catalogID int64, ministry, ref, body string, requestID string) (catalog.Comment, error) {
	body = strings.TrimSpace(body)
	var cm catalog.Comment
	switch {
	case body == "":
		return cm, kijun.Errorf(kijun.EInvalid, msgGovCommentEmpty, nil)
	case utf8.RuneCountInString(body) > catalog.MaxComment:
		return cm, kijun.Errorf(kijun.EInvalid, msgGovTooLong, map[string]any{"Max": catalog.MaxComment})
	case !slices.Contains(p.Ministries, ministry):
		return cm, kijun.Errorf(kijun.EInvalid, msgGovMinistry, nil)
	}
	_, status, err := catalogState(ctx, tx, catalogID, "")
	if err != nil {
		return cm, err
	}
	if status != catalog.Consultation {
		return cm, kijun.Errorf(kijun.EConflict, "catalog.governance.not_consultation", nil)
	}
	if ref != "" {
		if _, err := GetControl(ctx, tx, catalogID, ref); err != nil {
			return cm, kijun.Errorf(kijun.EInvalid, msgGovRefUnknown, map[string]any{"Ref": ref})
		}
	}
	err = tx.QueryRow(ctx, `INSERT INTO catalog_comments (catalog_id, ref, ministry_code, body, author_id, author_name)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, catalog_id, ref, ministry_code, body, author_name, created_at`,
		catalogID, ref, ministry, body, nullInt(p.UserID), p.Name).
		Scan(&cm.ID, &cm.CatalogID, &cm.Ref, &cm.MinistryCode, &cm.Body, &cm.AuthorName, &cm.CreatedAt)
	if err != nil {
		return cm, catalogErr(err)
	}
	e := ActorOf(p, requestID)
	e.Action, e.ObjectType, e.ObjectID, e.MinistryCode = "catalog.comment.add", "catalog_comment", strconv.FormatInt(cm.ID, 10), ministry
	return cm, Audit(ctx, tx, e, nil, cm)
}

// ListCatalogComments returns the comments on a version the principal may read
// (RLS: the NCO all, a ministry its own), oldest first.
func ListCatalogComments(ctx context.Context, q Querier, catalogID int64) ([]catalog.Comment, error) {
	rows, _ := q.Query(ctx, `SELECT id, catalog_id, ref, ministry_code, body, author_name, created_at
		FROM catalog_comments WHERE catalog_id = $1 ORDER BY id`, catalogID)
	return pgx.CollectRows(rows, pgx.RowToStructByPos[catalog.Comment])
}

const publicCommentColumns = `id, catalog_id, summary, file_name, content_type, size, sha256, uploaded_by_name, uploaded_at`

func scanPublicComment(r pgx.CollectableRow) (catalog.PublicComment, error) {
	var pc catalog.PublicComment
	err := r.Scan(&pc.ID, &pc.CatalogID, &pc.Summary, &pc.FileName, &pc.ContentType, &pc.Size, &pc.SHA256, &pc.UploadedBy, &pc.UploadedAt)
	return pc, err
}

// ListPublicComments returns the public-comment results of a version.
func ListPublicComments(ctx context.Context, q Querier, catalogID int64) ([]catalog.PublicComment, error) {
	rows, _ := q.Query(ctx, `SELECT `+publicCommentColumns+` FROM catalog_public_comments WHERE catalog_id = $1 ORDER BY id`, catalogID)
	return pgx.CollectRows(rows, scanPublicComment)
}

// AddPublicComment attaches the results of the public comment to a
// version under consultation: a document that passes the evidence checks
// (SniffEvidence: an accepted type whose content matches its name, at
// most maxSize bytes) and its summary.
func AddPublicComment(ctx context.Context, tx pgx.Tx, catalogID int64, fileName string, data []byte, maxSize int64, summary string, by audit.Event) (catalog.PublicComment, error) {
	var pc catalog.PublicComment
	summary = strings.TrimSpace(summary)
	fileName = cleanFileName(fileName)
	switch {
	case summary == "":
		return pc, kijun.Errorf(kijun.EInvalid, msgGovSummary, nil)
	case utf8.RuneCountInString(summary) > catalog.MaxComment:
		return pc, kijun.Errorf(kijun.EInvalid, msgGovTooLong, map[string]any{"Max": catalog.MaxComment})
	case fileName == "" || utf8.RuneCountInString(fileName) > 255 || !utf8.ValidString(fileName):
		return pc, kijun.Errorf(kijun.EInvalid, msgEvidenceName, map[string]any{"Max": 255})
	case len(data) == 0:
		return pc, kijun.Errorf(kijun.EInvalid, msgEvidenceEmpty, map[string]any{"Name": fileName})
	case int64(len(data)) > maxSize:
		return pc, kijun.Errorf(kijun.EInvalid, msgEvidenceTooLarge, map[string]any{"Name": fileName, "Size": len(data), "MaxMB": float64(maxSize) / (1 << 20)})
	}
	ct := SniffEvidence(fileName, data)
	if ct == "" {
		return pc, kijun.Errorf(kijun.EInvalid, msgEvidenceType, map[string]any{"Name": fileName})
	}
	_, status, err := catalogState(ctx, tx, catalogID, "FOR SHARE")
	if err != nil {
		return pc, err
	}
	if status != catalog.Consultation {
		return pc, kijun.Errorf(kijun.EConflict, "catalog.governance.not_consultation", nil)
	}
	sum := sha256.Sum256(data)
	rows, _ := tx.Query(ctx, `INSERT INTO catalog_public_comments (catalog_id, summary, file_name, content_type, size, sha256,
			bytes, uploaded_by, uploaded_by_name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		RETURNING `+publicCommentColumns, catalogID, summary, fileName, ct, len(data), sum[:], data, nullInt(by.ActorUserID), by.ActorLabel)
	if pc, err = pgx.CollectExactlyOneRow(rows, scanPublicComment); err != nil {
		return pc, catalogErr(err)
	}
	return pc, Audit(ctx, tx, auditEvent(by, "catalog.public_comment.add", "catalog_public_comment", strconv.FormatInt(pc.ID, 10)), nil, pc)
}

// GetPublicComment returns a public-comment document and its bytes, if
// the principal may read its version.
func GetPublicComment(ctx context.Context, q Querier, id int64) (catalog.PublicComment, []byte, error) {
	var data []byte
	rows, _ := q.Query(ctx, `SELECT `+publicCommentColumns+` FROM catalog_public_comments WHERE id = $1`, id)
	pc, err := pgx.CollectExactlyOneRow(rows, scanPublicComment)
	if errors.Is(err, pgx.ErrNoRows) {
		return pc, nil, kijun.ErrNotFound
	}
	if err != nil {
		return pc, nil, err
	}
	err = q.QueryRow(ctx, `SELECT bytes FROM catalog_public_comments WHERE id = $1`, id).Scan(&data)
	return pc, data, err
}

// ConsultationEvents are the notices of a version's consultation opening
// or its decision, to every ministry with users.
func ConsultationEvents(ctx context.Context, tx pgx.Tx, id int64, kind notify.Kind, actor int64) ([]notify.Event, error) {
	var title, version kijun.Text
	if err := tx.QueryRow(ctx, `SELECT title_ja, coalesce(nullif(title_en, ''), title_ja), version FROM catalogs WHERE id = $1`, id).
		Scan(&title.Ja, &title.En, &version.Ja); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, kijun.ErrNotFound
		}
		return nil, err
	}
	version.En = version.Ja
	params := map[string]kijun.Text{"Catalog": title, "Version": version}
	link := "/catalogs/" + strconv.FormatInt(id, 10)
	if kind == notify.CatalogConsultationOpened {
		link += "/consultation"
	}
	rows, _ := tx.Query(ctx, `SELECT code FROM ministries m WHERE NOT m.is_coordinator
		AND EXISTS (SELECT FROM role_grants g WHERE g.ministry_code = m.code AND g.revoked_at IS NULL) ORDER BY 1`)
	ministries, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	var events []notify.Event
	for _, m := range ministries {
		events = append(events, notify.Event{Kind: kind, Scope: authz.Resource{MinistryCode: m}, Params: params, Link: link, Actor: actor})
	}
	return events, nil
}
