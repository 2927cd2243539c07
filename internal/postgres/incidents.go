package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/dashboard"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/incident"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
)

// Incident reports (docs/incidents.md): the header, its stages (written
// once), attachments, the question thread and sanitised summaries.

const sqlStateIncidentSent = "KJ016"

func incidentErr(err error) error {
	switch pgCode(err) {
	case sqlStateIncidentSent:
		return kijun.Errorf(kijun.EConflict, "incident.error.closed", nil)
	case "42501":
		return kijun.Errorf(kijun.EForbidden, "incident.error.forbidden", nil)
	}
	return err
}

// IncidentFile is a file sent with a stage.
type IncidentFile struct {
	Name string
	Data []byte
}

// FieldErrors are problems of a form by field; the store returns them as
// an error so that the handler shows each next to its field.
type FieldErrors map[string]string

func (f FieldErrors) Error() string { return "incident: " + strconv.Itoa(len(f)) + " field problems" }

// CurrentIncidentTemplate returns the latest published template.
func CurrentIncidentTemplate(ctx context.Context, tx pgx.Tx) (incident.Template, error) {
	return incidentTemplate(ctx, tx, `ORDER BY version DESC LIMIT 1`)
}

// GetIncidentTemplate returns the template version a stage was sent with.
func GetIncidentTemplate(ctx context.Context, tx pgx.Tx, id int64) (incident.Template, error) {
	return incidentTemplate(ctx, tx, `WHERE id = $1`, id)
}

// GetIncidentTemplateVersion returns version v of the template (the one
// an older stage was sent with, by its number).
func GetIncidentTemplateVersion(ctx context.Context, tx pgx.Tx, v int) (incident.Template, error) {
	return incidentTemplate(ctx, tx, `WHERE version = $1`, v)
}

func incidentTemplate(ctx context.Context, tx pgx.Tx, where string, args ...any) (incident.Template, error) {
	var id int64
	var version int
	var def []byte
	err := tx.QueryRow(ctx, `SELECT id, version, definition FROM incident_templates `+where, args...).Scan(&id, &version, &def)
	if errors.Is(err, pgx.ErrNoRows) {
		return incident.Template{}, kijun.ErrNotFound
	}
	if err != nil {
		return incident.Template{}, err
	}
	t, err := incident.ParseTemplate(def)
	t.ID, t.Version = id, version
	return t, err
}

// PublishIncidentTemplate stores t as the next version of the report
// form (the NCO; RLS refuses anyone else), with the reason, after checking
// it as the version after the current one (incident.Template.NextProblems)
// and that the current one is still base (the version the NCO edited;
// 0: not known). Problems come back as incident.Problems ("reason",
// "base" and the template's places). The audit event holds the previous
// version, the new one and the reason.
func PublishIncidentTemplate(ctx context.Context, tx pgx.Tx, p *identity.Principal, t incident.Template, base int, reason, requestID string) (incident.Template, error) {
	cur, err := CurrentIncidentTemplate(ctx, tx)
	if err != nil && !errors.Is(err, kijun.ErrNotFound) {
		return t, err
	}
	problems := t.NextProblems(cur)
	if id := incident.ReasonProblem(reason); id != "" {
		problems["reason"] = incident.Problem{ID: id, Args: map[string]any{"Max": incident.MaxReason}}
	}
	if base != 0 && base != cur.Version {
		problems["base"] = incident.Problem{ID: "incident.template.error.stale", Args: map[string]any{"Version": cur.Version}}
	}
	if len(problems) > 0 {
		return t, problems
	}
	definition, err := json.Marshal(t)
	if err != nil {
		return t, err
	}
	err = tx.QueryRow(ctx, `INSERT INTO incident_templates (version, definition, published_by)
		SELECT coalesce(max(version), 0) + 1, $1, $2 FROM incident_templates RETURNING id, version`,
		definition, nullInt(p.UserID)).Scan(&t.ID, &t.Version)
	if pgCode(err) == "23505" { // another version was published meanwhile
		return t, incident.Problems{"base": {ID: "incident.template.error.stale", Args: map[string]any{"Version": cur.Version + 1}}}
	}
	if err != nil {
		return t, incidentErr(err)
	}
	type rec struct {
		Version  int                `json:"version"`
		Reason   string             `json:"reason,omitempty"`
		Template *incident.Template `json:"template"`
	}
	var before any
	if cur.Version > 0 {
		before = rec{Version: cur.Version, Template: &cur}
	}
	ev := ActorOf(p, requestID)
	ev.Action, ev.ObjectType, ev.ObjectID = "incident.template.publish", "incident_template", strconv.Itoa(t.Version)
	return t, Audit(ctx, tx, ev, before, rec{Version: t.Version, Reason: strings.TrimSpace(reason), Template: &t})
}

// OperatorSystemNames lists the systems of an operator's register entry.
func OperatorSystemNames(ctx context.Context, tx pgx.Tx, operatorID int64) ([]string, error) {
	rows, _ := tx.Query(ctx, `SELECT name FROM operator_systems WHERE operator_id = $1 ORDER BY sort_order, id`, operatorID)
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

const incidentColumns = `i.id, i.operator_id, o.name_ja, o.name_en, i.sector_code, i.template_id, i.tlp, i.status, i.title, i.kind,
	i.stages, i.filed_at, i.updated_at, i.closed_at, i.final_due_on, i.update_due_on, i.control_refs`

func scanIncident(r pgx.CollectableRow) (incident.Report, error) {
	var x incident.Report
	err := r.Scan(&x.ID, &x.OperatorID, &x.OperatorName.Ja, &x.OperatorName.En, &x.SectorCode, &x.TemplateID, &x.TLP,
		&x.Status, &x.Title, &x.Kind, &x.Stages, &x.FiledAt, &x.UpdatedAt, &x.ClosedAt, &x.FinalDueOn, &x.UpdateDueOn, &x.ControlRefs)
	return x, err
}

// GetIncident returns a report its named recipients may see (RLS: the
// operator, the ministry overseeing its sector, the NCO); anyone else
// gets ENotFound.
func GetIncident(ctx context.Context, tx pgx.Tx, id int64) (incident.Report, error) {
	rows, _ := tx.Query(ctx, `SELECT `+incidentColumns+` FROM incidents i JOIN operators o ON o.id = i.operator_id WHERE i.id = $1`, id)
	x, err := pgx.CollectExactlyOneRow(rows, scanIncident)
	if errors.Is(err, pgx.ErrNoRows) {
		return x, kijun.ErrNotFound
	}
	return x, err
}

// IncidentFilter narrows the list of reports.
type IncidentFilter struct {
	OperatorID int64
	SectorCode string
	Status     incident.Status
	NoRed      bool // leave out TLP:RED reports (exports)
	Limit      int
}

// ListIncidents lists the reports of the principal's scope (RLS), newest
// first.
func ListIncidents(ctx context.Context, tx pgx.Tx, f IncidentFilter) ([]incident.Report, error) {
	if f.Limit <= 0 {
		f.Limit = 500
	}
	var list []incident.Report
	b := &pgx.Batch{}
	queueIncidents(b, f, &list)
	return list, tx.SendBatch(ctx, b).Close()
}

// queueIncidents queues ListIncidents's query into b, to fill list.
func queueIncidents(b *pgx.Batch, f IncidentFilter, list *[]incident.Report) {
	b.Queue(`SELECT `+incidentColumns+` FROM incidents i JOIN operators o ON o.id = i.operator_id
		WHERE ($1 = 0 OR i.operator_id = $1) AND ($2 = '' OR i.sector_code = $2) AND ($3 = '' OR i.status = $3)
		  AND NOT ($4 AND i.tlp = 'red')
		ORDER BY i.filed_at DESC, i.id DESC LIMIT $5`, f.OperatorID, f.SectorCode, string(f.Status), f.NoRed, f.Limit).
		Query(func(rows pgx.Rows) (err error) {
			*list, err = pgx.CollectRows(rows, scanIncident)
			return err
		})
}

// FileIncident files a first report for the operator: the header with the
// chosen TLP, stage 1 with its files, the audit event and the notice to
// the recipients, in the caller's transaction. Field problems come back
// as FieldErrors (the TLP's under "tlp", the files' under "files").
func FileIncident(ctx context.Context, tx pgx.Tx, p *identity.Principal, operatorID int64, tlp incident.TLP,
	values incident.Values, files []IncidentFile, maxFile int64, requestID string) (int64, error) {
	var sector string
	if err := tx.QueryRow(ctx, `SELECT sector_code FROM operators WHERE id = $1`, operatorID).Scan(&sector); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, kijun.ErrNotFound
		}
		return 0, err
	}
	if !authz.Can(p, authz.FileIncident, authz.Resource{SectorCode: sector, OperatorID: operatorID}) {
		return 0, kijun.ErrNotFound
	}
	t, err := CurrentIncidentTemplate(ctx, tx)
	if err != nil {
		return 0, err
	}
	systems, err := OperatorSystemNames(ctx, tx, operatorID)
	if err != nil {
		return 0, err
	}
	clean, problems := t.Check(incident.First, values, systems)
	if !tlp.Valid() {
		problems["tlp"] = "incident.error.tlp"
	}
	checkFiles(files, maxFile, problems)
	if len(problems) > 0 {
		return 0, FieldErrors(problems)
	}
	var id int64
	var now time.Time
	err = tx.QueryRow(ctx, `INSERT INTO incidents (operator_id, sector_code, template_id, tlp, title, kind)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, filed_at`,
		operatorID, sector, t.ID, string(tlp), clean[incident.KeyTitle], clean[incident.KeyKind]).Scan(&id, &now)
	if err != nil {
		return 0, incidentErr(err)
	}
	x := incident.Report{ID: id, OperatorID: operatorID, SectorCode: sector, TLP: tlp, Status: incident.Open, FiledAt: now}
	if err := addStage(ctx, tx, p, x, t, incident.First, clean, files, requestID); err != nil {
		return 0, err
	}
	return id, nil
}

// AddIncidentStage sends an update or the final report on an open report
// of the operator's; the final report closes it.
func AddIncidentStage(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64, s incident.Stage,
	values incident.Values, files []IncidentFile, maxFile int64, requestID string) error {
	x, err := lockIncident(ctx, tx, id)
	if err != nil {
		return err
	}
	if !authz.Can(p, authz.FileIncident, authz.Resource{SectorCode: x.SectorCode, OperatorID: x.OperatorID}) {
		return kijun.ErrNotFound
	}
	if s == incident.First || !incident.CanAdd(x.Status, x.Stages, s) {
		return kijun.Errorf(kijun.EConflict, "incident.error.closed", nil)
	}
	t, err := CurrentIncidentTemplate(ctx, tx)
	if err != nil {
		return err
	}
	systems, err := OperatorSystemNames(ctx, tx, x.OperatorID)
	if err != nil {
		return err
	}
	clean, problems := t.Check(s, values, systems)
	checkFiles(files, maxFile, problems)
	if len(problems) > 0 {
		return FieldErrors(problems)
	}
	return addStage(ctx, tx, p, x, t, s, clean, files, requestID)
}

func lockIncident(ctx context.Context, tx pgx.Tx, id int64) (incident.Report, error) {
	rows, _ := tx.Query(ctx, `SELECT `+incidentColumns+` FROM incidents i JOIN operators o ON o.id = i.operator_id
		WHERE i.id = $1 FOR UPDATE OF i`, id)
	x, err := pgx.CollectExactlyOneRow(rows, scanIncident)
	if errors.Is(err, pgx.ErrNoRows) {
		return x, kijun.ErrNotFound
	}
	return x, err
}

// checkFiles applies the evidence checks to each file (name, size, type
// sniffed against its extension), under "files".
func checkFiles(files []IncidentFile, maxSize int64, problems map[string]string) {
	if maxSize <= 0 {
		maxSize = DefaultEvidenceLimit
	}
	maxSize = min(maxSize, assessment.MaxEvidenceCeiling)
	for _, f := range files {
		name := cleanFileName(f.Name)
		switch {
		case name == "" || utf8.RuneCountInString(name) > assessment.MaxEvidenceName || !utf8.ValidString(name):
			problems["files"] = msgEvidenceName
		case len(f.Data) == 0:
			problems["files"] = msgEvidenceEmpty
		case int64(len(f.Data)) > maxSize:
			problems["files"] = msgEvidenceTooLarge
		case SniffEvidence(name, f.Data) == "":
			problems["files"] = msgEvidenceType
		}
	}
}

func addStage(ctx context.Context, tx pgx.Tx, p *identity.Principal, x incident.Report, t incident.Template, s incident.Stage,
	values incident.Values, files []IncidentFile, requestID string) error {
	fields, err := json.Marshal(values)
	if err != nil {
		return err
	}
	var stageID int64
	var at time.Time
	err = tx.QueryRow(ctx, `INSERT INTO incident_stages (incident_id, operator_id, sector_code, seq, stage, template_id, fields,
			submitted_by, submitted_by_name)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, submitted_at`,
		x.ID, x.OperatorID, x.SectorCode, x.Stages+1, string(s), t.ID, fields, p.UserID, p.Name).Scan(&stageID, &at)
	if err != nil {
		return incidentErr(err)
	}
	var names []string
	for _, f := range files {
		name := cleanFileName(f.Name)
		sum := sha256.Sum256(f.Data)
		if _, err := tx.Exec(ctx, `INSERT INTO incident_attachments (stage_id, incident_id, operator_id, sector_code, file_name,
				content_type, size, sha256, bytes, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			stageID, x.ID, x.OperatorID, x.SectorCode, name, SniffEvidence(name, f.Data), len(f.Data), sum[:], f.Data, p.UserID); err != nil {
			return incidentErr(err)
		}
		names = append(names, name)
	}
	closed := s == incident.Final
	final, update := t.Dues(x.FiledAt, at, closed)
	var closedAt *time.Time
	if closed {
		closedAt = &at
	}
	status := incident.Open
	if closed {
		status = incident.Closed
	}
	title := values[incident.KeyTitle]
	if title == "" {
		title = x.Title
	}
	kind := values[incident.KeyKind]
	if kind == "" {
		kind = x.Kind
	}
	if _, err := tx.Exec(ctx, `UPDATE incidents SET status = $2, title = $3, kind = $4, stages = $5, updated_at = $6,
			closed_at = $7, final_due_on = $8, update_due_on = $9, control_refs = $10 WHERE id = $1`,
		x.ID, string(status), title, kind, x.Stages+1, at, closedAt, final, update, kijun.NonNil(t.Controls(values))); err != nil {
		return incidentErr(err)
	}
	ev := incidentEvent(p, requestID, "incident."+string(s), x)
	if err := Audit(ctx, tx, ev, nil, map[string]any{"seq": x.Stages + 1, "stage": s, "tlp": x.TLP,
		"template": t.Version, "fields": values, "files": names}); err != nil {
		return err
	}
	kindOf := notify.IncidentUpdated
	if s == incident.First {
		kindOf = notify.IncidentFiled
	}
	_, err = Notify(ctx, tx, incidentNotice(kindOf, x, p))
	return err
}

func incidentEvent(p *identity.Principal, requestID, action string, x incident.Report) audit.Event {
	ev := ActorOf(p, requestID)
	ev.Action, ev.ObjectType, ev.ObjectID = action, "incident", strconv.FormatInt(x.ID, 10)
	ev.SectorCode, ev.OperatorID = x.SectorCode, x.OperatorID
	return ev
}

// incidentNotice tells of a report by its number only: no title, no
// operator, so that no mail carries a report's details (TLP:RED or not).
func incidentNotice(k notify.Kind, x incident.Report, p *identity.Principal) notify.Event {
	ref := x.Ref()
	return notify.Event{Kind: k, Scope: authz.Resource{SectorCode: x.SectorCode, OperatorID: x.OperatorID},
		Params: map[string]kijun.Text{"Ref": {Ja: ref, En: ref}}, Link: "/incidents/" + strconv.FormatInt(x.ID, 10), Actor: p.UserID}
}

// ListIncidentStages returns a report's stages in order, with their
// attachments (without bytes).
func ListIncidentStages(ctx context.Context, tx pgx.Tx, id int64) ([]incident.StageRecord, error) {
	rows, _ := tx.Query(ctx, `SELECT id, incident_id, seq, stage, template_id, fields, submitted_by, submitted_by_name, submitted_at
		FROM incident_stages WHERE incident_id = $1 ORDER BY seq`, id)
	stages, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (incident.StageRecord, error) {
		var s incident.StageRecord
		var fields []byte
		err := r.Scan(&s.ID, &s.IncidentID, &s.Seq, &s.Stage, &s.TemplateID, &fields, &s.SubmittedBy, &s.SubmittedByName, &s.SubmittedAt)
		if err == nil {
			err = json.Unmarshal(fields, &s.Values)
		}
		return s, err
	})
	if err != nil {
		return nil, err
	}
	rows, _ = tx.Query(ctx, `SELECT `+attachmentColumns+` FROM incident_attachments WHERE incident_id = $1 ORDER BY id`, id)
	files, err := pgx.CollectRows(rows, scanAttachment)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		for i := range stages {
			if stages[i].ID == f.StageID {
				stages[i].Attachments = append(stages[i].Attachments, f)
			}
		}
	}
	return stages, nil
}

const attachmentColumns = `id, stage_id, incident_id, operator_id, sector_code, file_name, content_type, size, sha256, uploaded_at`

func scanAttachment(r pgx.CollectableRow) (incident.Attachment, error) {
	var a incident.Attachment
	err := r.Scan(&a.ID, &a.StageID, &a.IncidentID, &a.OperatorID, &a.SectorCode, &a.FileName, &a.ContentType, &a.Size, &a.SHA256, &a.UploadedAt)
	return a, err
}

// GetIncidentAttachment returns a file of a report its recipients may see
// (RLS), with its bytes.
func GetIncidentAttachment(ctx context.Context, tx pgx.Tx, id int64) (incident.Attachment, []byte, error) {
	var a incident.Attachment
	var data []byte
	err := tx.QueryRow(ctx, `SELECT `+attachmentColumns+`, bytes FROM incident_attachments WHERE id = $1`, id).Scan(
		&a.ID, &a.StageID, &a.IncidentID, &a.OperatorID, &a.SectorCode, &a.FileName, &a.ContentType, &a.Size, &a.SHA256, &a.UploadedAt, &data)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, nil, kijun.ErrNotFound
	}
	return a, data, err
}

// ListIncidentMessages returns a report's thread in order.
func ListIncidentMessages(ctx context.Context, tx pgx.Tx, id int64) ([]incident.Message, error) {
	rows, _ := tx.Query(ctx, `SELECT id, incident_id, kind, coalesce(parent_id, 0), body, author_id, author_name, created_at
		FROM incident_messages WHERE incident_id = $1 ORDER BY id`, id)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (incident.Message, error) {
		var m incident.Message
		err := r.Scan(&m.ID, &m.IncidentID, &m.Kind, &m.ParentID, &m.Body, &m.AuthorID, &m.AuthorName, &m.CreatedAt)
		return m, err
	})
}

// AskIncident adds a question of the ministry or the NCO (parentID 0), or
// the operator's answer to question parentID, and tells the other side.
func AskIncident(ctx context.Context, tx pgx.Tx, p *identity.Principal, id, parentID int64, body, requestID string) (incident.Message, error) {
	var m incident.Message
	x, err := GetIncident(ctx, tx, id)
	if err != nil {
		return m, err
	}
	r := authz.Resource{SectorCode: x.SectorCode, OperatorID: x.OperatorID}
	kind, action, notice := "question", authz.ReceiveIncident, notify.IncidentQuestion
	if parentID != 0 {
		kind, action, notice = "answer", authz.FileIncident, notify.IncidentAnswered
	}
	if !authz.Can(p, action, r) {
		return m, kijun.ErrNotFound
	}
	if id := incident.MessageProblem(body); id != "" {
		return m, FieldErrors{"body": id}
	}
	if parentID != 0 {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM incident_messages WHERE id = $1 AND incident_id = $2 AND kind = 'question')`,
			parentID, id).Scan(&ok); err != nil {
			return m, err
		}
		if !ok {
			return m, FieldErrors{"body": "incident.error.parent"}
		}
	}
	err = tx.QueryRow(ctx, `INSERT INTO incident_messages (incident_id, operator_id, sector_code, kind, parent_id, body, author_id, author_name)
		VALUES ($1, $2, $3, $4, nullif($5, 0), $6, $7, $8) RETURNING id, created_at`,
		id, x.OperatorID, x.SectorCode, kind, parentID, strings.TrimSpace(body), p.UserID, p.Name).Scan(&m.ID, &m.CreatedAt)
	if err != nil {
		return m, incidentErr(err)
	}
	m.IncidentID, m.Kind, m.ParentID, m.Body, m.AuthorID, m.AuthorName = id, kind, parentID, strings.TrimSpace(body), p.UserID, p.Name
	if err := Audit(ctx, tx, incidentEvent(p, requestID, "incident."+kind, x), nil, m); err != nil {
		return m, err
	}
	_, err = Notify(ctx, tx, incidentNotice(notice, x, p))
	return m, err
}

// RelabelIncident changes a report's TLP: the operator to any label, its
// ministry or the NCO only to a narrower one (incident.CanRelabel; the
// trigger kijun_incidents_guard backs it).
func RelabelIncident(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64, tlp incident.TLP, requestID string) error {
	x, err := lockIncident(ctx, tx, id)
	if err != nil {
		return err
	}
	r := authz.Resource{SectorCode: x.SectorCode, OperatorID: x.OperatorID}
	byOperator := authz.Can(p, authz.FileIncident, r)
	if !byOperator && !authz.Can(p, authz.ReceiveIncident, r) {
		return kijun.ErrNotFound
	}
	if !incident.CanRelabel(byOperator, x.TLP, tlp) {
		return FieldErrors{"tlp": "incident.error.narrower"}
	}
	if _, err := tx.Exec(ctx, `UPDATE incidents SET tlp = $2 WHERE id = $1`, id, string(tlp)); err != nil {
		return incidentErr(err)
	}
	return Audit(ctx, tx, incidentEvent(p, requestID, "incident.relabel", x), map[string]any{"tlp": x.TLP}, map[string]any{"tlp": tlp})
}

// IncidentIdentity gathers what identifies a report's operator: its
// names, 法人番号, and the names of the people on the report (who sent
// its stages and messages) and on the operator's register entry.
func IncidentIdentity(ctx context.Context, tx pgx.Tx, x incident.Report) (incident.Identity, error) {
	var id incident.Identity
	var ja, en string
	if err := tx.QueryRow(ctx, `SELECT name_ja, name_en, corporate_number FROM operators WHERE id = $1`, x.OperatorID).Scan(
		&ja, &en, &id.CorporateNumber); err != nil {
		return id, err
	}
	id.Names = []string{ja}
	if en != "" {
		id.Names = append(id.Names, en)
	}
	rows, _ := tx.Query(ctx, `SELECT DISTINCT n FROM (
			SELECT submitted_by_name AS n FROM incident_stages WHERE incident_id = $1
			UNION SELECT author_name FROM incident_messages WHERE incident_id = $1
			UNION SELECT name FROM operator_contacts WHERE operator_id = $2
			UNION SELECT u.display_name FROM incident_stages s JOIN users u ON u.id = s.submitted_by WHERE s.incident_id = $1) t
		WHERE n <> ''`, x.ID, x.OperatorID)
	people, err := pgx.CollectRows(rows, pgx.RowTo[string])
	id.People = people
	return id, err
}

// PublishIncidentSummary publishes a sanitised summary of a report to the
// operators of sector ("" for every operator): the ministry overseeing
// the report's sector or the NCO, only of a report labelled TLP:GREEN or
// CLEAR (authz.CanIncident; the trigger backs it), and only when the text
// names nothing of the operator (incident.SummaryProblems).
func PublishIncidentSummary(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64, sector, title, body, requestID string) (int64, error) {
	x, err := GetIncident(ctx, tx, id)
	if err != nil {
		return 0, err
	}
	r := authz.Resource{SectorCode: x.SectorCode, OperatorID: x.OperatorID}
	if !authz.Can(p, authz.ReceiveIncident, r) {
		return 0, kijun.ErrNotFound
	}
	if !authz.CanIncident(p, authz.ReceiveIncident, r, x.TLP, true) {
		return 0, FieldErrors{"tlp": "incident.error.not_shareable"}
	}
	ident, err := IncidentIdentity(ctx, tx, x)
	if err != nil {
		return 0, err
	}
	problems := incident.SummaryProblems(title, body, ident)
	if sector != "" {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sectors WHERE code = $1)`, sector).Scan(&ok); err != nil {
			return 0, err
		}
		if !ok {
			problems["sector"] = "incident.error.sector"
		}
	}
	if len(problems) > 0 {
		return 0, FieldErrors(problems)
	}
	var sid int64
	if err := tx.QueryRow(ctx, `INSERT INTO incident_summaries (sector_code, tlp, title, body, kind)
		VALUES (nullif($1, ''), $2, $3, $4, $5) RETURNING id`, sector, string(x.TLP), strings.TrimSpace(title), strings.TrimSpace(body), x.Kind).Scan(&sid); err != nil {
		return 0, incidentErr(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO incident_summary_sources (summary_id, incident_id, operator_id, sector_code, published_by)
		VALUES ($1, $2, $3, $4, $5)`, sid, x.ID, x.OperatorID, x.SectorCode, p.UserID); err != nil {
		return 0, incidentErr(err)
	}
	return sid, Audit(ctx, tx, incidentEvent(p, requestID, "incident.summary.publish", x), nil,
		map[string]any{"summary": sid, "sector": sector, "title": strings.TrimSpace(title)})
}

// ListIncidentSummaries lists the summaries of the principal's audience
// (RLS), newest first; without anything of their reports.
func ListIncidentSummaries(ctx context.Context, tx pgx.Tx) ([]incident.Summary, error) {
	rows, _ := tx.Query(ctx, `SELECT id, coalesce(sector_code, ''), tlp, title, body, kind, published_at
		FROM incident_summaries ORDER BY published_at DESC, id DESC LIMIT 200`)
	return pgx.CollectRows(rows, scanSummary)
}

func scanSummary(r pgx.CollectableRow) (incident.Summary, error) {
	var s incident.Summary
	err := r.Scan(&s.ID, &s.SectorCode, &s.TLP, &s.Title, &s.Body, &s.Kind, &s.PublishedAt)
	return s, err
}

// GetIncidentSummary returns one summary of the principal's audience.
func GetIncidentSummary(ctx context.Context, tx pgx.Tx, id int64) (incident.Summary, error) {
	rows, _ := tx.Query(ctx, `SELECT id, coalesce(sector_code, ''), tlp, title, body, kind, published_at
		FROM incident_summaries WHERE id = $1`, id)
	s, err := pgx.CollectExactlyOneRow(rows, scanSummary)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, kijun.ErrNotFound
	}
	return s, err
}

// ListReportSummaries lists the summaries published of a report (for its
// recipients, who see the link).
func ListReportSummaries(ctx context.Context, tx pgx.Tx, incidentID int64) ([]incident.Summary, error) {
	rows, _ := tx.Query(ctx, `SELECT s.id, coalesce(s.sector_code, ''), s.tlp, s.title, s.body, s.kind, s.published_at
		FROM incident_summaries s JOIN incident_summary_sources src ON src.summary_id = s.id
		WHERE src.incident_id = $1 ORDER BY s.id`, incidentID)
	return pgx.CollectRows(rows, scanSummary)
}

// queueIncidentCounts queues the count of the reports the principal may
// see (RLS) by sector, kind and month of the first report (in Japan),
// newest month first: the overviews' figure, suppressed there by
// dashboard.CountSuppressed.
func queueIncidentCounts(b *pgx.Batch, counts *[]dashboard.IncidentCount) {
	b.Queue(`SELECT sector_code, kind, to_char(filed_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM') AS month, count(*)
		FROM incidents GROUP BY 1, 2, 3 ORDER BY 3 DESC, 1, 2`).Query(func(rows pgx.Rows) (err error) {
		*counts, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (dashboard.IncidentCount, error) {
			var c dashboard.IncidentCount
			err := r.Scan(&c.Sector, &c.Kind, &c.Month, &c.N)
			return c, err
		})
		return err
	})
}

// queueIncidentKind queues the read of the kind field of the current
// report form, which names the kinds in the dashboards (zero when the
// form has none): that field alone, not the whole form parsed and checked.
func queueIncidentKind(b *pgx.Batch, kind *incident.Field) {
	b.Queue(`SELECT jsonb_path_query_first(definition, '$.fields[*] ? (@.key == $k)', jsonb_build_object('k', $1::text))
		FROM incident_templates ORDER BY version DESC LIMIT 1`, incident.KeyKind).Query(func(rows pgx.Rows) error {
		var def []byte
		_, err := pgx.ForEachRow(rows, []any{&def}, func() error {
			if def == nil {
				return nil
			}
			return json.Unmarshal(def, kind)
		})
		return err
	})
}

// IncidentTemplateDefinition returns the latest template's version and
// its definition as stored.
func IncidentTemplateDefinition(ctx context.Context, tx pgx.Tx) (int, []byte, error) {
	var version int
	var def []byte
	err := tx.QueryRow(ctx, `SELECT version, definition FROM incident_templates ORDER BY version DESC LIMIT 1`).Scan(&version, &def)
	return version, def, err
}
