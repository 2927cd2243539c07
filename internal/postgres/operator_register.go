package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/register"
)

// The operator register: operators with their withdrawal, important
// systems, contacts and the corrections operators propose. Every function
// runs in the caller's InTx transaction, so RLS limits what it reads and
// refuses what the principal may not write; the caller's policy check
// comes first, RLS is the second wall. Every change is audited in the
// same transaction, with the operator's sector and id on the event so the
// ministry and the operator can read it.

const operatorRecordColumns = operatorColumns + `, o.withdrawn_at, o.withdrawn_reason, o.updated_at,
	(SELECT count(*) FROM operator_corrections c WHERE c.operator_id = o.id AND c.status = 'pending')`

func scanOperatorRecord(r pgx.CollectableRow) (register.Record, error) {
	var o register.Record
	err := r.Scan(&o.ID, &o.CorporateNumber, &o.LocalGovCode, &o.Name.Ja, &o.Name.En, &o.SectorCode,
		&o.Designation, &o.DesignatedSince, &o.DesignatedBy, &o.Reason, &o.Status, &o.Version, &o.ScopeIDs,
		&o.WithdrawnAt, &o.WithdrawnReason, &o.UpdatedAt, &o.PendingCorrections)
	return o, err
}

// GetOperatorRecord returns an operator the principal may see with its
// systems and contacts.
func GetOperatorRecord(ctx context.Context, tx pgx.Tx, id int64) (register.Record, error) {
	rows, _ := tx.Query(ctx, `SELECT `+operatorRecordColumns+` FROM operators o WHERE o.id = $1`, id)
	o, err := pgx.CollectExactlyOneRow(rows, scanOperatorRecord)
	if errors.Is(err, pgx.ErrNoRows) {
		return o, kijun.ErrNotFound
	}
	if err != nil {
		return o, err
	}
	if o.Systems, err = ListSystems(ctx, tx, id); err != nil {
		return o, err
	}
	o.Contacts, err = ListContacts(ctx, tx, id)
	return o, err
}

// operatorWhere is the filter of SearchOperators, over alias o with
// parameters $1 sector, $2 status, $3 designation, $4 LIKE pattern, $5
// corporate-number prefix.
const operatorWhere = `($1 = '' OR o.sector_code = $1)
	AND ($2 = '' OR o.status = $2)
	AND ($3 = '' OR o.designation = $3 OR ($3 IN ('ci', 'core') AND o.designation = 'both'))
	AND ($4 = '' OR o.name_ja ILIKE $4 OR o.name_en ILIKE $4 OR ($5 <> '' AND o.corporate_number LIKE $5 || '%'))`

// SearchOperators returns a page of the operators the principal may see
// (RLS decides) that match f, by sector and name, with counts.
func SearchOperators(ctx context.Context, tx pgx.Tx, f register.Filter) (register.Page, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 1000)
	f.Offset = max(f.Offset, 0)
	var like, prefix string
	if q := strings.TrimSpace(f.Query); q != "" {
		like = "%" + escapeLike(q) + "%"
		if d := register.NormalizeDigits(q); d != "" && strings.Trim(d, "0123456789") == "" {
			prefix = d
		}
	}
	args := []any{f.Sector, string(f.Status), string(f.Designation), like, prefix}
	var page register.Page
	rows, _ := tx.Query(ctx, `SELECT `+operatorRecordColumns+` FROM operators o
		JOIN sectors s ON s.code = o.sector_code
		WHERE `+operatorWhere+`
		ORDER BY s.sort_order, o.name_ja, o.id LIMIT $6 OFFSET $7`, append(args, f.Limit, f.Offset)...)
	var err error
	if page.Operators, err = pgx.CollectRows(rows, scanOperatorRecord); err != nil {
		return page, err
	}
	// Counts ignore the status filter ($2 = '').
	args[1] = ""
	rows, _ = tx.Query(ctx, `SELECT o.sector_code, o.status, count(*) FROM operators o
		WHERE `+operatorWhere+` GROUP BY o.sector_code, o.status`, args...)
	page.Counts.BySector = map[string]int{}
	var sector, status string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&sector, &status, &n}, func() error {
		if status == string(register.Withdrawn) {
			page.Counts.Withdrawn += n
		} else {
			page.Counts.Active += n
		}
		if f.Status == "" || string(f.Status) == status {
			page.Counts.BySector[sector] += n
			page.Total += n
		}
		return nil
	})
	return page, err
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// operatorEvent is an audit event about operator id in sector.
func operatorEvent(p *identity.Principal, requestID, action string, id int64, sector string) audit.Event {
	e := ActorOf(p, requestID)
	e.Action, e.ObjectType, e.ObjectID = action, "operator", strconv.FormatInt(id, 10)
	e.SectorCode, e.OperatorID = sector, id
	return e
}

// RegisterOperator creates an operator with its business scopes, audited
// as operator.create.
func RegisterOperator(ctx context.Context, tx pgx.Tx, p *identity.Principal, o register.Operator, requestID string) (int64, error) {
	id, err := CreateOperator(ctx, tx, o)
	if err != nil {
		return 0, writeError(err)
	}
	after, err := GetOperator(ctx, tx, id)
	if err != nil {
		return 0, err
	}
	if err := Audit(ctx, tx, operatorEvent(p, requestID, "operator.create", id, o.SectorCode), nil, after); err != nil {
		return 0, err
	}
	return id, EnrollInOpenCycles(ctx, tx, p, requestID, id)
}

// UpdateOperator writes o's fields (not its status: see WithdrawOperator)
// and replaces its business scopes. o.Version is the version the editor
// read: if the operator changed since, nothing is written and the error is
// EConflict operators.conflict. It returns the new version.
func UpdateOperator(ctx context.Context, tx pgx.Tx, p *identity.Principal, o register.Operator, requestID string) (int, error) {
	before, err := GetOperator(ctx, tx, o.ID)
	if err != nil {
		return 0, err
	}
	if before.Version != o.Version {
		return 0, errConflict
	}
	v, err := updateOperator(ctx, tx, before, o)
	if err != nil {
		return 0, err
	}
	after, err := GetOperator(ctx, tx, o.ID)
	if err != nil {
		return 0, err
	}
	return v, Audit(ctx, tx, operatorEvent(p, requestID, "operator.update", o.ID, after.SectorCode), before, after)
}

var errConflict = kijun.Errorf(kijun.EConflict, "operators.conflict", nil)

// updateOperator writes o over before (same id), checking the version
// before holds. Scopes are replaced; a new sector moves the operator's
// systems, contacts and corrections with it (ON UPDATE CASCADE) and its
// grants here.
func updateOperator(ctx context.Context, tx pgx.Tx, before, o register.Operator) (int, error) {
	if _, err := tx.Exec(ctx, `DELETE FROM operator_scopes WHERE operator_id = $1`, o.ID); err != nil {
		return 0, writeError(err)
	}
	var since any
	if !o.DesignatedSince.IsZero() {
		since = o.DesignatedSince
	}
	var v int
	err := tx.QueryRow(ctx, `UPDATE operators SET local_gov_code = $3, name_ja = $4, name_en = $5, sector_code = $6,
			designation = $7, designated_since = $8, designated_by = $9, reason = $10,
			version = version + 1, updated_at = now()
		WHERE id = $1 AND version = $2 RETURNING version`,
		o.ID, before.Version, nullStr(o.LocalGovCode), o.Name.Ja, o.Name.En, o.SectorCode,
		o.Designation, since, nullStr(o.DesignatedBy), o.Reason).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		// Visible (before was read) but not updated: a concurrent change,
		// or RLS refused the row to this principal.
		return 0, lockedOrForbidden(ctx, tx, o.ID, before.Version)
	}
	if err != nil {
		return 0, writeError(err)
	}
	for _, sid := range o.ScopeIDs {
		if _, err := tx.Exec(ctx, `INSERT INTO operator_scopes (operator_id, scope_id, sector_code) VALUES ($1, $2, $3)`,
			o.ID, sid, o.SectorCode); err != nil {
			return 0, writeError(err)
		}
	}
	if o.SectorCode != before.SectorCode {
		if _, err := tx.Exec(ctx, `UPDATE role_grants SET sector_code = $2 WHERE operator_id = $1`, o.ID, o.SectorCode); err != nil {
			return 0, writeError(err)
		}
	}
	return v, nil
}

// lockedOrForbidden explains an UPDATE of a visible operator that touched
// no row.
func lockedOrForbidden(ctx context.Context, tx pgx.Tx, id int64, version int) error {
	var now int
	if err := tx.QueryRow(ctx, `SELECT version FROM operators WHERE id = $1`, id).Scan(&now); err != nil {
		return err
	}
	if now != version {
		return errConflict
	}
	return errForbiddenSector
}

var errForbiddenSector = kijun.Errorf(kijun.EForbidden, "operators.forbidden_sector", nil)

// writeError turns the database's refusals into errors for the user: RLS
// (42501) refusing a row of another sector, and check or foreign-key
// violations (a scope of another sector).
func writeError(err error) error {
	switch pgCode(err) {
	case "42501":
		return errForbiddenSector
	case "23503", "23514":
		return kijun.Errorf(kijun.EInvalid, "operators.invalid", nil)
	}
	return err
}

// WithdrawOperator marks an operator withdrawn (指定解除 and the like); the
// row and everything hanging off it stay. version as for UpdateOperator.
func WithdrawOperator(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64, version int, reason, requestID string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return kijun.Errorf(kijun.EInvalid, "operators.withdraw.reason_required", nil)
	}
	if id := kijun.TextProblem(reason); id != "" {
		return kijun.Errorf(kijun.EInvalid, id, nil)
	}
	return setStatus(ctx, tx, p, id, version, register.Withdrawn, reason, "operator.withdraw", requestID)
}

// ReinstateOperator makes a withdrawn operator active again.
func ReinstateOperator(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64, version int, requestID string) error {
	if err := setStatus(ctx, tx, p, id, version, register.Active, "", "operator.reinstate", requestID); err != nil {
		return err
	}
	return EnrollInOpenCycles(ctx, tx, p, requestID, id)
}

func setStatus(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64, version int, status register.Status, reason, action, requestID string) error {
	rows, _ := tx.Query(ctx, `SELECT `+operatorRecordColumns+` FROM operators o WHERE o.id = $1`, id)
	before, err := pgx.CollectExactlyOneRow(rows, scanOperatorRecord)
	if errors.Is(err, pgx.ErrNoRows) {
		return kijun.ErrNotFound
	}
	if err != nil {
		return err
	}
	if before.Version != version {
		return errConflict
	}
	if before.Status == status {
		return kijun.Errorf(kijun.EConflict, "operators.status_unchanged", nil)
	}
	tag, err := tx.Exec(ctx, `UPDATE operators SET status = $3,
			withdrawn_at = CASE WHEN $3 = 'withdrawn' THEN now() END, withdrawn_reason = $4,
			version = version + 1, updated_at = now()
		WHERE id = $1 AND version = $2`, id, version, status, reason)
	if err != nil {
		return writeError(err)
	}
	if tag.RowsAffected() == 0 {
		return lockedOrForbidden(ctx, tx, id, version)
	}
	type statusAudit struct {
		Status register.Status `json:"status"`
		Reason string          `json:"reason,omitempty"`
	}
	return Audit(ctx, tx, operatorEvent(p, requestID, action, id, before.SectorCode),
		statusAudit{before.Status, before.WithdrawnReason}, statusAudit{status, reason})
}

// ListSystems returns an operator's important systems.
func ListSystems(ctx context.Context, tx pgx.Tx, operatorID int64) ([]register.System, error) {
	rows, _ := tx.Query(ctx, `SELECT id, operator_id, sector_code, name, kind, closed_network, internet_exposed, notes, sort_order
		FROM operator_systems WHERE operator_id = $1 ORDER BY sort_order, id`, operatorID)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (register.System, error) {
		var s register.System
		err := r.Scan(&s.ID, &s.OperatorID, &s.SectorCode, &s.Name, &s.Kind, &s.ClosedNetwork, &s.InternetExposed, &s.Notes, &s.SortOrder)
		return s, err
	})
}

// ListContacts returns an operator's contacts.
func ListContacts(ctx context.Context, tx pgx.Tx, operatorID int64) ([]register.Contact, error) {
	rows, _ := tx.Query(ctx, `SELECT id, operator_id, sector_code, role, department, name, email, phone, sort_order
		FROM operator_contacts WHERE operator_id = $1 ORDER BY sort_order, id`, operatorID)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (register.Contact, error) {
		var c register.Contact
		err := r.Scan(&c.ID, &c.OperatorID, &c.SectorCode, &c.Role, &c.Department, &c.Name, &c.Email, &c.Phone, &c.SortOrder)
		return c, err
	})
}

// operatorSector returns the sector of a visible operator.
func operatorSector(ctx context.Context, tx pgx.Tx, id int64) (string, error) {
	var sector string
	err := tx.QueryRow(ctx, `SELECT sector_code FROM operators WHERE id = $1`, id).Scan(&sector)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", kijun.ErrNotFound
	}
	return sector, err
}

func systemEvent(p *identity.Principal, requestID, action string, s register.System) audit.Event {
	e := operatorEvent(p, requestID, action, s.OperatorID, s.SectorCode)
	e.ObjectType, e.ObjectID = "operator_system", strconv.FormatInt(s.ID, 10)
	return e
}

func contactEvent(p *identity.Principal, requestID, action string, c register.Contact) audit.Event {
	e := operatorEvent(p, requestID, action, c.OperatorID, c.SectorCode)
	e.ObjectType, e.ObjectID = "operator_contact", strconv.FormatInt(c.ID, 10)
	return e
}

func insertSystem(ctx context.Context, tx pgx.Tx, s *register.System) error {
	err := tx.QueryRow(ctx, `INSERT INTO operator_systems (operator_id, sector_code, name, kind, closed_network, internet_exposed, notes, sort_order)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		s.OperatorID, s.SectorCode, s.Name, s.Kind, s.ClosedNetwork, s.InternetExposed, s.Notes, s.SortOrder).Scan(&s.ID)
	return writeError(err)
}

func insertContact(ctx context.Context, tx pgx.Tx, c *register.Contact) error {
	err := tx.QueryRow(ctx, `INSERT INTO operator_contacts (operator_id, sector_code, role, department, name, email, phone, sort_order)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		c.OperatorID, c.SectorCode, c.Role, c.Department, c.Name, c.Email, c.Phone, c.SortOrder).Scan(&c.ID)
	return writeError(err)
}

// CreateSystem adds an important system to operator s.OperatorID,
// audited as operator.system.create.
func CreateSystem(ctx context.Context, tx pgx.Tx, p *identity.Principal, s register.System, requestID string) (int64, error) {
	if err := s.Validate(); err != nil {
		return 0, err
	}
	var err error
	if s.SectorCode, err = operatorSector(ctx, tx, s.OperatorID); err != nil {
		return 0, err
	}
	if err := insertSystem(ctx, tx, &s); err != nil {
		return 0, err
	}
	return s.ID, Audit(ctx, tx, systemEvent(p, requestID, "operator.system.create", s), nil, s)
}

// UpdateSystem rewrites system s.ID of operator s.OperatorID.
func UpdateSystem(ctx context.Context, tx pgx.Tx, p *identity.Principal, s register.System, requestID string) error {
	if err := s.Validate(); err != nil {
		return err
	}
	before, err := getSystem(ctx, tx, s.OperatorID, s.ID)
	if err != nil {
		return err
	}
	s.SectorCode = before.SectorCode
	tag, err := tx.Exec(ctx, `UPDATE operator_systems SET name = $3, kind = $4, closed_network = $5, internet_exposed = $6,
			notes = $7, sort_order = $8, updated_at = now()
		WHERE id = $1 AND operator_id = $2`,
		s.ID, s.OperatorID, s.Name, s.Kind, s.ClosedNetwork, s.InternetExposed, s.Notes, s.SortOrder)
	if err != nil {
		return writeError(err)
	}
	if tag.RowsAffected() == 0 {
		return errForbiddenSector
	}
	return Audit(ctx, tx, systemEvent(p, requestID, "operator.system.update", s), before, s)
}

// DeleteSystem removes system id of operator operatorID. Systems are
// details of the record, not records: the audit event keeps what it was.
func DeleteSystem(ctx context.Context, tx pgx.Tx, p *identity.Principal, operatorID, id int64, requestID string) error {
	before, err := getSystem(ctx, tx, operatorID, id)
	if err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `DELETE FROM operator_systems WHERE id = $1 AND operator_id = $2`, id, operatorID)
	if err != nil {
		return writeError(err)
	}
	if tag.RowsAffected() == 0 {
		return errForbiddenSector
	}
	return Audit(ctx, tx, systemEvent(p, requestID, "operator.system.delete", before), before, nil)
}

func getSystem(ctx context.Context, tx pgx.Tx, operatorID, id int64) (register.System, error) {
	all, err := ListSystems(ctx, tx, operatorID)
	if err != nil {
		return register.System{}, err
	}
	for _, s := range all {
		if s.ID == id {
			return s, nil
		}
	}
	return register.System{}, kijun.ErrNotFound
}

// CreateContact adds a contact to operator c.OperatorID, audited as
// operator.contact.create.
func CreateContact(ctx context.Context, tx pgx.Tx, p *identity.Principal, c register.Contact, requestID string) (int64, error) {
	if err := c.Validate(); err != nil {
		return 0, err
	}
	var err error
	if c.SectorCode, err = operatorSector(ctx, tx, c.OperatorID); err != nil {
		return 0, err
	}
	if err := insertContact(ctx, tx, &c); err != nil {
		return 0, err
	}
	return c.ID, Audit(ctx, tx, contactEvent(p, requestID, "operator.contact.create", c), nil, c)
}

// UpdateContact rewrites contact c.ID of operator c.OperatorID.
func UpdateContact(ctx context.Context, tx pgx.Tx, p *identity.Principal, c register.Contact, requestID string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	before, err := getContact(ctx, tx, c.OperatorID, c.ID)
	if err != nil {
		return err
	}
	c.SectorCode = before.SectorCode
	tag, err := tx.Exec(ctx, `UPDATE operator_contacts SET role = $3, department = $4, name = $5, email = $6, phone = $7,
			sort_order = $8, updated_at = now()
		WHERE id = $1 AND operator_id = $2`,
		c.ID, c.OperatorID, c.Role, c.Department, c.Name, c.Email, c.Phone, c.SortOrder)
	if err != nil {
		return writeError(err)
	}
	if tag.RowsAffected() == 0 {
		return errForbiddenSector
	}
	return Audit(ctx, tx, contactEvent(p, requestID, "operator.contact.update", c), before, c)
}

// DeleteContact removes contact id of operator operatorID.
func DeleteContact(ctx context.Context, tx pgx.Tx, p *identity.Principal, operatorID, id int64, requestID string) error {
	before, err := getContact(ctx, tx, operatorID, id)
	if err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `DELETE FROM operator_contacts WHERE id = $1 AND operator_id = $2`, id, operatorID)
	if err != nil {
		return writeError(err)
	}
	if tag.RowsAffected() == 0 {
		return errForbiddenSector
	}
	return Audit(ctx, tx, contactEvent(p, requestID, "operator.contact.delete", before), before, nil)
}

func getContact(ctx context.Context, tx pgx.Tx, operatorID, id int64) (register.Contact, error) {
	all, err := ListContacts(ctx, tx, operatorID)
	if err != nil {
		return register.Contact{}, err
	}
	for _, c := range all {
		if c.ID == id {
			return c, nil
		}
	}
	return register.Contact{}, kijun.ErrNotFound
}

// ProposeCorrection records an operator's proposal for its own record,
// audited as operator.correction.propose. Only a user holding a role in
// the operator may propose (RLS); a second pending proposal of the same
// kind is EConflict operators.correction.pending_exists.
func ProposeCorrection(ctx context.Context, tx pgx.Tx, p *identity.Principal, c register.Correction, requestID string) (int64, error) {
	var payload any
	switch c.Kind {
	case register.CorrectSystems:
		for i := range c.Systems {
			if err := c.Systems[i].Validate(); err != nil {
				return 0, err
			}
		}
		payload = kijun.NonNil(c.Systems)
	case register.CorrectContacts:
		for i := range c.Contacts {
			if err := c.Contacts[i].Validate(); err != nil {
				return 0, err
			}
		}
		payload = kijun.NonNil(c.Contacts)
	default:
		return 0, kijun.Errorf(kijun.EInvalid, "operators.correction.kind_invalid", nil)
	}
	if id := kijun.TextProblem(c.Note); id != "" {
		return 0, kijun.Errorf(kijun.EInvalid, id, map[string]any{"Field": "note"})
	}
	if !p.InOperator(c.OperatorID) {
		return 0, errForbiddenSector
	}
	sector, err := operatorSector(ctx, tx, c.OperatorID)
	if err != nil {
		return 0, err
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return 0, err
	}
	err = tx.QueryRow(ctx, `INSERT INTO operator_corrections (operator_id, sector_code, proposed_by, kind, payload, note)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		c.OperatorID, sector, p.UserID, c.Kind, b, strings.TrimSpace(c.Note)).Scan(&c.ID)
	if IsUniqueViolation(err) {
		return 0, kijun.Errorf(kijun.EConflict, "operators.correction.pending_exists", nil)
	}
	if err != nil {
		return 0, writeError(err)
	}
	e := operatorEvent(p, requestID, "operator.correction.propose", c.OperatorID, sector)
	e.ObjectType, e.ObjectID = "operator_correction", strconv.FormatInt(c.ID, 10)
	return c.ID, Audit(ctx, tx, e, nil, map[string]any{"kind": c.Kind, "list": payload, "note": c.Note})
}

const correctionColumns = `c.id, c.operator_id, o.name_ja, o.name_en, c.sector_code, c.proposed_by, coalesce(pu.display_name, ''),
	c.proposed_at, c.kind, c.payload, c.note, c.status, coalesce(c.decided_by, 0), coalesce(du.display_name, ''),
	c.decided_at, c.decision_note`

const correctionFrom = `operator_corrections c JOIN operators o ON o.id = c.operator_id
	LEFT JOIN users pu ON pu.id = c.proposed_by LEFT JOIN users du ON du.id = c.decided_by`

func scanCorrection(r pgx.CollectableRow) (register.Correction, error) {
	var c register.Correction
	var payload []byte
	err := r.Scan(&c.ID, &c.OperatorID, &c.OperatorName.Ja, &c.OperatorName.En, &c.SectorCode, &c.ProposedBy, &c.ProposerName,
		&c.ProposedAt, &c.Kind, &payload, &c.Note, &c.Status, &c.DecidedBy, &c.DeciderName, &c.DecidedAt, &c.DecisionNote)
	if err != nil {
		return c, err
	}
	switch c.Kind {
	case register.CorrectSystems:
		err = json.Unmarshal(payload, &c.Systems)
	case register.CorrectContacts:
		err = json.Unmarshal(payload, &c.Contacts)
	}
	return c, err
}

// ListCorrections returns the corrections the principal may see, newest
// first.
func ListCorrections(ctx context.Context, tx pgx.Tx, f register.CorrectionFilter) ([]register.Correction, error) {
	rows, _ := tx.Query(ctx, `SELECT `+correctionColumns+` FROM `+correctionFrom+`
		WHERE ($1 = 0 OR c.operator_id = $1) AND ($2 = '' OR c.sector_code = $2) AND ($3 = '' OR c.status = $3)
		ORDER BY c.proposed_at DESC, c.id DESC`, f.OperatorID, f.Sector, string(f.Status))
	return pgx.CollectRows(rows, scanCorrection)
}

// GetCorrection returns one correction the principal may see.
func GetCorrection(ctx context.Context, tx pgx.Tx, id int64) (register.Correction, error) {
	rows, _ := tx.Query(ctx, `SELECT `+correctionColumns+` FROM `+correctionFrom+` WHERE c.id = $1`, id)
	c, err := pgx.CollectExactlyOneRow(rows, scanCorrection)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, kijun.ErrNotFound
	}
	return c, err
}

// DecideCorrection accepts or rejects a pending correction, audited as
// operator.correction.accept or .reject. Accepting replaces the operator's
// list with the proposed one in the same transaction. Only the ministry
// overseeing the sector or NCO may decide (RLS): anyone else gets
// EForbidden, and a correction decided already EConflict.
func DecideCorrection(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64, accept bool, note, requestID string) error {
	c, err := GetCorrection(ctx, tx, id)
	if err != nil {
		return err
	}
	if c.Status != register.CorrectionPending {
		return kijun.Errorf(kijun.EConflict, "operators.correction.decided", nil)
	}
	if id := kijun.TextProblem(note); id != "" {
		return kijun.Errorf(kijun.EInvalid, id, map[string]any{"Field": "note"})
	}
	status := register.CorrectionRejected
	if accept {
		status = register.CorrectionAccepted
	}
	tag, err := tx.Exec(ctx, `UPDATE operator_corrections SET status = $2, decided_by = $3, decided_at = now(), decision_note = $4
		WHERE id = $1 AND status = 'pending'`, id, status, p.UserID, strings.TrimSpace(note))
	if err != nil {
		return writeError(err)
	}
	if tag.RowsAffected() == 0 {
		// Either someone decided first (the row waited for their commit)
		// or RLS kept the row from this principal.
		var now register.CorrectionStatus
		if err := tx.QueryRow(ctx, `SELECT status FROM operator_corrections WHERE id = $1`, id).Scan(&now); err != nil {
			return err
		}
		if now != register.CorrectionPending {
			return kijun.Errorf(kijun.EConflict, "operators.correction.decided", nil)
		}
		return errForbiddenSector
	}
	e := operatorEvent(p, requestID, "operator.correction.reject", c.OperatorID, c.SectorCode)
	e.ObjectType, e.ObjectID = "operator_correction", strconv.FormatInt(id, 10)
	if !accept {
		return Audit(ctx, tx, e, nil, map[string]any{"status": status, "note": note})
	}
	e.Action = "operator.correction.accept"
	var before, after any
	switch c.Kind {
	case register.CorrectSystems:
		if before, err = ListSystems(ctx, tx, c.OperatorID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM operator_systems WHERE operator_id = $1`, c.OperatorID); err != nil {
			return writeError(err)
		}
		for i := range c.Systems {
			s := &c.Systems[i]
			s.OperatorID, s.SectorCode = c.OperatorID, c.SectorCode
			if err := insertSystem(ctx, tx, s); err != nil {
				return err
			}
		}
		after = kijun.NonNil(c.Systems)
	case register.CorrectContacts:
		if before, err = ListContacts(ctx, tx, c.OperatorID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM operator_contacts WHERE operator_id = $1`, c.OperatorID); err != nil {
			return writeError(err)
		}
		for i := range c.Contacts {
			ct := &c.Contacts[i]
			ct.OperatorID, ct.SectorCode = c.OperatorID, c.SectorCode
			if err := insertContact(ctx, tx, ct); err != nil {
				return err
			}
		}
		after = kijun.NonNil(c.Contacts)
	}
	return Audit(ctx, tx, e, map[string]any{"kind": c.Kind, "list": before},
		map[string]any{"kind": c.Kind, "list": after, "note": note})
}
