package server

import (
	"bytes"
	"crypto/rand"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/register"
	"github.com/kijun-portal/kijun/web/pages/operators"
)

// registerRoutes registers the operator register's pages beyond the list
// and the record: editing, withdrawal, systems and contacts, corrections,
// import and export.
func (s *Server) registerRoutes(h routeFunc) {
	h(http.MethodGet, "/operators/export", authz.ListOperators, s.handleOperatorExport)
	h(http.MethodGet, "/operators/new", authz.ManageOperators, s.handleOperatorNew)
	h(http.MethodPost, "/operators", authz.ManageOperators, s.handleOperatorCreate)
	h(http.MethodGet, "/operators/{id}/edit", authz.ManageOperators, s.handleOperatorEdit)
	h(http.MethodPost, "/operators/{id}", authz.ManageOperators, s.handleOperatorUpdate)
	h(http.MethodPost, "/operators/{id}/withdraw", authz.ManageOperators, s.handleOperatorWithdraw)
	h(http.MethodPost, "/operators/{id}/reinstate", authz.ManageOperators, s.handleOperatorReinstate)

	// Systems and contacts: the ministry edits them, the operator's admin
	// proposes a corrected list, which the ministry accepts or rejects.
	h(http.MethodGet, "/operators/{id}/systems", authz.ManageOperators, s.handleListEdit("systems"))
	h(http.MethodPost, "/operators/{id}/systems", authz.ManageOperators, s.handleListSave("systems"))
	h(http.MethodGet, "/operators/{id}/contacts", authz.ManageOperators, s.handleListEdit("contacts"))
	h(http.MethodPost, "/operators/{id}/contacts", authz.ManageOperators, s.handleListSave("contacts"))
	h(http.MethodGet, "/operators/{id}/corrections/{kind}", authz.ProposeCorrection, s.handleProposalForm)
	h(http.MethodPost, "/operators/{id}/corrections/{kind}", authz.ProposeCorrection, s.handleProposalCreate)
	h(http.MethodGet, "/operators/corrections", authz.ManageOperators, s.handleCorrectionIndex)
	h(http.MethodPost, "/operators/corrections/{id}", authz.ManageOperators, s.handleCorrectionDecide)

	// Bulk import: upload → preview → confirm.
	h(http.MethodGet, "/operators/import", authz.ManageOperators, s.handleImportForm)
	h(http.MethodPost, "/operators/import", authz.ManageOperators, s.handleImportPreview)
	h(http.MethodPost, "/operators/import/confirm", authz.ManageOperators, s.handleImportConfirm)
}

// blankRows is how many empty rows the list form offers for new entries.
const blankRows = 2

func listKind(r *http.Request) (string, error) {
	switch k := chiParam(r, "kind"); k {
	case "systems", "contacts":
		return k, nil
	}
	return "", errNotFound
}

// listFormOf is the list form showing an operator's current systems or
// contacts, with blank rows to add more.
func listFormOf(o register.Record, kind string, propose bool) operators.ListForm {
	f := operators.ListForm{OperatorID: o.ID, OperatorName: o.Name, Kind: kind, Propose: propose}
	if kind == "systems" {
		for _, sy := range o.Systems {
			f.Systems = append(f.Systems, operators.SystemRow{ID: sy.ID, Name: sy.Name, Kind: string(sy.Kind),
				ClosedNetwork: sy.ClosedNetwork, InternetExposed: sy.InternetExposed, Notes: sy.Notes})
		}
		for range blankRows {
			f.Systems = append(f.Systems, operators.SystemRow{})
		}
	} else {
		for _, c := range o.Contacts {
			f.Contacts = append(f.Contacts, operators.ContactRow{ID: c.ID, Role: c.Role, Department: c.Department,
				Name: c.Name, Email: c.Email, Phone: c.Phone})
		}
		for range blankRows {
			f.Contacts = append(f.Contacts, operators.ContactRow{})
		}
	}
	return f
}

// readListForm reads the list as typed and checks each row; ok is false
// when the form is not a list form at all (no row count).
func readListForm(r *http.Request, f *operators.ListForm) (systems []register.System, contacts []register.Contact, ok bool) {
	n, err := strconv.Atoi(r.PostFormValue("rows"))
	if err != nil || n < 0 || n > 500 {
		return nil, nil, false
	}
	val := func(i int, name string) string { return strings.TrimSpace(r.PostFormValue(rowName(i, name))) }
	f.Note = strings.TrimSpace(r.PostFormValue("note"))
	f.Systems, f.Contacts = nil, nil
	for i := range n {
		id := formID(val(i, "id"))
		del := val(i, "delete") != ""
		if f.Kind == "systems" {
			row := operators.SystemRow{ID: id, Name: val(i, "name"), Kind: val(i, "kind"), ClosedNetwork: val(i, "closed") != "",
				InternetExposed: val(i, "exposed") != "", Notes: val(i, "notes"), Delete: del}
			sy := register.System{ID: id, OperatorID: f.OperatorID, Name: row.Name, Kind: register.SystemKind(row.Kind),
				ClosedNetwork: row.ClosedNetwork, InternetExposed: row.InternetExposed, Notes: row.Notes, SortOrder: i}
			blank := id == 0 && row.Name == "" && row.Kind == "" && row.Notes == "" && !row.ClosedNetwork && !row.InternetExposed
			if !blank && !del {
				if err := sy.Validate(); err != nil {
					m := messageOf(err)
					row.Error, row.ErrorArgs = m.MessageID, m.Args
				}
			}
			f.Systems = append(f.Systems, row)
			if !blank && (!del || id != 0) {
				if del {
					sy.SortOrder = -1 // marks a deletion for the ministry's save
				}
				systems = append(systems, sy)
			}
			continue
		}
		row := operators.ContactRow{ID: id, Role: val(i, "role"), Department: val(i, "department"), Name: val(i, "name"),
			Email: val(i, "email"), Phone: val(i, "phone"), Delete: del}
		c := register.Contact{ID: id, OperatorID: f.OperatorID, Role: row.Role, Department: row.Department,
			Name: row.Name, Email: row.Email, Phone: row.Phone, SortOrder: i}
		blank := id == 0 && row.Role == "" && row.Department == "" && row.Name == "" && row.Email == "" && row.Phone == ""
		if !blank && !del {
			if err := c.Validate(); err != nil {
				m := messageOf(err)
				row.Error, row.ErrorArgs = m.MessageID, m.Args
			}
		}
		f.Contacts = append(f.Contacts, row)
		if !blank && (!del || id != 0) {
			if del {
				c.SortOrder = -1
			}
			contacts = append(contacts, c)
		}
	}
	return systems, contacts, true
}

func rowName(i int, name string) string { return name + "_" + strconv.Itoa(i) }

// handleListEdit shows the ministry's form for an operator's systems or
// contacts.
func (s *Server) handleListEdit(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		p := principal(r)
		var o register.Record
		if err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
			o, err = loadOperator(r, tx, p, id, authz.ManageOperators)
			return err
		}); err != nil {
			return err
		}
		return s.render(w, r, http.StatusOK, operators.List(listFormOf(o, kind, false)))
	}
}

// handleListSave saves the ministry's list: rows with an id are updated
// (or deleted when ticked), new rows created, all in one transaction and
// each audited by the store. A bad row brings the form back (422).
func (s *Server) handleListSave(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		p := principal(r)
		reqID := middleware.GetReqID(r.Context())
		var f operators.ListForm
		status := 0
		err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
			o, err := loadOperator(r, tx, p, id, authz.ManageOperators)
			if err != nil {
				return err
			}
			f = operators.ListForm{OperatorID: id, OperatorName: o.Name, Kind: kind}
			systems, contacts, ok := readListForm(r, &f)
			if !ok {
				f = listFormOf(o, kind, false)
				f.Error, status = i18n.Msg("registerui.error.form"), http.StatusUnprocessableEntity
				return nil
			}
			if f.HasRowErrors() {
				status = http.StatusUnprocessableEntity
				return nil
			}
			ctx := r.Context()
			if kind == "systems" {
				return applyList(o.Systems, systems, func(sy register.System) (int64, int) { return sy.ID, sy.SortOrder }, sameSystem,
					func(sy register.System) error { return postgres.DeleteSystem(ctx, tx, p, id, sy.ID, reqID) },
					func(sy register.System) error { _, err := postgres.CreateSystem(ctx, tx, p, sy, reqID); return err },
					func(sy register.System) error { return postgres.UpdateSystem(ctx, tx, p, sy, reqID) })
			}
			return applyList(o.Contacts, contacts, func(c register.Contact) (int64, int) { return c.ID, c.SortOrder }, sameContact,
				func(c register.Contact) error { return postgres.DeleteContact(ctx, tx, p, id, c.ID, reqID) },
				func(c register.Contact) error { _, err := postgres.CreateContact(ctx, tx, p, c, reqID); return err },
				func(c register.Contact) error { return postgres.UpdateContact(ctx, tx, p, c, reqID) })
		})
		if err != nil {
			return err
		}
		if status != 0 {
			return s.render(w, r, status, operators.List(f))
		}
		http.Redirect(w, r, "/operators/"+itoa(id)+"?saved=1#"+kind, http.StatusSeeOther)
		return nil
	}
}

// errStaleList: a row of the form no longer exists (someone removed it
// while the form was open).
var errStaleList = kijun.Errorf(kijun.EConflict, "registerui.error.list_stale", nil)

// applyList writes the edited rows of a list against the current ones, in
// order: a row with a negative sort order is deleted, one without an id
// created, one that differs from its current row updated, one the same
// left alone; an id not among the current rows means the list changed
// since the form was drawn (errStaleList). key is a row's id and sort
// order.
func applyList[T any](current, edited []T, key func(T) (int64, int), same func(a, b T) bool,
	del, create, update func(T) error) error {
	byID := make(map[int64]T, len(current))
	for _, c := range current {
		id, _ := key(c)
		byID[id] = c
	}
	for _, e := range edited {
		id, order := key(e)
		var err error
		switch was, known := byID[id]; {
		case id != 0 && !known:
			return errStaleList
		case order < 0:
			err = del(e)
		case id == 0:
			err = create(e)
		case same(was, e):
			continue
		default:
			err = update(e)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func sameSystem(a, b register.System) bool {
	return a.Name == b.Name && a.Kind == b.Kind && a.ClosedNetwork == b.ClosedNetwork &&
		a.InternetExposed == b.InternetExposed && a.Notes == b.Notes && a.SortOrder == b.SortOrder
}

func sameContact(a, b register.Contact) bool {
	return a.Role == b.Role && a.Department == b.Department && a.Name == b.Name && a.Email == b.Email &&
		a.Phone == b.Phone && a.SortOrder == b.SortOrder
}

// handleProposalForm shows an operator's admin the list to correct.
func (s *Server) handleProposalForm(w http.ResponseWriter, r *http.Request) error {
	kind, err := listKind(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	var o register.Record
	if err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		o, err = loadOperator(r, tx, p, id, authz.ProposeCorrection)
		return err
	}); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, operators.List(listFormOf(o, kind, true)))
}

// handleProposalCreate records the operator's corrected list as a
// proposal for the ministry; the record is unchanged until accepted.
func (s *Server) handleProposalCreate(w http.ResponseWriter, r *http.Request) error {
	kind, err := listKind(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	var f operators.ListForm
	status := 0
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		o, err := loadOperator(r, tx, p, id, authz.ProposeCorrection)
		if err != nil {
			return err
		}
		f = operators.ListForm{OperatorID: id, OperatorName: o.Name, Kind: kind, Propose: true}
		systems, contacts, ok := readListForm(r, &f)
		if !ok {
			f = listFormOf(o, kind, true)
			f.Error, status = i18n.Msg("registerui.error.form"), http.StatusUnprocessableEntity
			return nil
		}
		if f.HasRowErrors() {
			status = http.StatusUnprocessableEntity
			return nil
		}
		c := register.Correction{OperatorID: id, Kind: register.CorrectionKind(kind), Note: f.Note}
		for _, sy := range systems {
			if sy.SortOrder >= 0 {
				c.Systems = append(c.Systems, sy)
			}
		}
		for _, ct := range contacts {
			if ct.SortOrder >= 0 {
				c.Contacts = append(c.Contacts, ct)
			}
		}
		_, err = postgres.ProposeCorrection(r.Context(), tx, p, c, middleware.GetReqID(r.Context()))
		if ke := (*kijun.Error)(nil); errors.As(err, &ke) && ke.Args["Field"] == "note" {
			f.NoteError, status = i18n.Message{MessageID: ke.MessageID, Args: ke.Args}, http.StatusUnprocessableEntity
			return errRollback
		}
		if kijun.ErrorCode(err) == kijun.EConflict || kijun.ErrorCode(err) == kijun.EInvalid {
			f.Error, status = messageOf(err), statusOf(err)
			return errRollback
		}
		return err
	})
	if err != nil && !errors.Is(err, errRollback) {
		return err
	}
	if status != 0 {
		return s.render(w, r, status, operators.List(f))
	}
	http.Redirect(w, r, "/operators/"+itoa(id)+"?saved=1#corrections", http.StatusSeeOther)
	return nil
}

// errRollback ends a transaction whose refusal is shown on the form.
var errRollback = errors.New("rolled back")

// handleCorrectionIndex lists proposals in the ministry's sectors
// (pending by default).
func (s *Server) handleCorrectionIndex(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	v := operators.CorrectionsView{Sector: r.URL.Query().Get("sector"), Status: r.URL.Query().Get("status")}
	switch register.CorrectionStatus(v.Status) {
	case register.CorrectionAccepted, register.CorrectionRejected:
	default:
		v.Status = string(register.CorrectionPending)
	}
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		all, err := postgres.ListCorrections(r.Context(), tx, register.CorrectionFilter{Sector: v.Sector, Status: register.CorrectionStatus(v.Status)})
		for _, c := range all {
			if authz.Can(p, authz.ManageOperators, authz.Resource{SectorCode: c.SectorCode}) {
				v.Corrections = append(v.Corrections, c)
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	if v.Sectors, v.SectorMap, err = s.visibleSectors(r, p); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, operators.Corrections(v))
}

// handleCorrectionDecide accepts or rejects a pending proposal with a
// note; accepting replaces the operator's list (the store does both,
// audited, in one transaction).
func (s *Server) handleCorrectionDecide(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	var c register.Correction
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if c, err = postgres.GetCorrection(r.Context(), tx, id); err != nil {
			return err
		}
		if !authz.Can(p, authz.ManageOperators, authz.Resource{SectorCode: c.SectorCode, OperatorID: c.OperatorID}) {
			return errNotFound
		}
		var accept bool
		switch r.PostFormValue("decision") {
		case "accept":
			accept = true
		case "reject":
		default:
			return kijun.Errorf(kijun.EInvalid, "registerui.error.decision", nil)
		}
		return postgres.DecideCorrection(r.Context(), tx, p, id, accept, r.PostFormValue("note"), middleware.GetReqID(r.Context()))
	})
	if ke := (*kijun.Error)(nil); errors.As(err, &ke) && ke.Args["Field"] == "note" {
		return s.renderRecordOf(w, r, c.OperatorID, http.StatusUnprocessableEntity, func(v *operators.ShowView) {
			v.DecideError, v.DecideID, v.DecideInput = i18n.Message{MessageID: ke.MessageID, Args: ke.Args}, id, r.PostFormValue("note")
		})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/operators/"+itoa(c.OperatorID)+"?saved=1", http.StatusSeeOther)
	return nil
}

// Import. The uploaded file is read and checked once, at preview; what
// confirm writes is the preview's valid rows, kept in the user's
// server-side session (PostgreSQL, never sent to the browser) under a
// random token that the preview's confirm button carries. Confirming
// another preview than the last one shown, or twice, finds no match and
// writes nothing. ApplyOperatorImport checks every row again in its
// transaction, so a register that changed since the preview is refused.

const (
	sessionImport       = "register.import"
	sessionImportResult = "register.import.result"
)

// pendingImport is a previewed upload waiting for confirmation.
type pendingImport struct {
	Token    string
	Digest   string // SHA-256 of the file, for the audit trail and logs
	FileName string
	At       time.Time
	Rows     []pendingRow // valid rows only
	Skipped  int
}

type pendingRow struct {
	Line     int
	Action   exchange.Action
	Operator register.Operator
}

func init() {
	gob.Register(pendingImport{})
	gob.Register(register.ImportResult{})
}

// importTTL is how long a preview may be confirmed.
const importTTL = 30 * time.Minute

func (s *Server) handleImportForm(w http.ResponseWriter, r *http.Request) error {
	v := operators.ImportView{}
	if res, ok := s.auth.Sessions.Pop(r.Context(), sessionImportResult).(register.ImportResult); ok {
		v.Result = &res
	}
	return s.render(w, r, http.StatusOK, operators.Import(v))
}

// importRefused shows the upload form again with why the file was refused.
func (s *Server) importRefused(w http.ResponseWriter, r *http.Request, status int, err error) error {
	var ke *kijun.Error
	if !errors.As(err, &ke) {
		return err
	}
	return s.render(w, r, status, operators.Import(operators.ImportView{Error: ke.MessageID, ErrorArgs: ke.Args}))
}

// handleImportPreview reads the upload (size-limited, format and
// encoding by content), checks every row in the importer's RLS
// transaction and shows the preview. Nothing is written to the register.
func (s *Server) handleImportPreview(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	up, err := readUpload(w, r, "file", exchange.DefaultMaxBytes, "registerui.import.no_file")
	if err != nil {
		return s.importRefused(w, r, statusOf(err), err)
	}
	table, err := exchange.Read(bytes.NewReader(up.Data), exchange.ReadOptions{})
	if err != nil {
		return s.importRefused(w, r, http.StatusUnprocessableEntity, err)
	}
	var parsed []exchange.OperatorRow
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		parsed, err = postgres.ParseOperatorImport(r.Context(), tx, p, table.Rows)
		return err
	})
	if err != nil {
		return err
	}
	v := operators.PreviewView{FileName: up.Name, Format: table.Format, Encoding: table.Encoding,
		HeaderProblems: exchange.CheckOperatorHeader(table.Header)}
	pending := pendingImport{Token: randomToken(), Digest: up.SHA256, FileName: up.Name, At: s.now()}
	for i, row := range parsed {
		raw := table.Rows[i].Values
		pr := operators.PreviewRow{Line: row.Line, Action: row.Action, Problems: row.Problems,
			CorporateNumber: firstValue(raw, "法人番号", exchange.ColCorporateNumber), Name: firstValue(raw, "名称", exchange.ColNameJa)}
		v.Rows = append(v.Rows, pr)
		switch {
		case !row.Valid():
			v.Invalid++
			pending.Skipped++
			continue
		case row.Action == exchange.ActionUpdate:
			v.Update++
		default:
			v.Create++
		}
		pending.Rows = append(pending.Rows, pendingRow{Line: row.Line, Action: row.Action, Operator: row.Operator})
	}
	if len(pending.Rows) > 0 {
		v.Token = pending.Token
		s.auth.Sessions.Put(r.Context(), sessionImport, pending)
	} else {
		s.auth.Sessions.Remove(r.Context(), sessionImport)
	}
	return s.render(w, r, http.StatusOK, operators.Preview(v))
}

// handleImportConfirm writes the valid rows of the last preview in one
// transaction and shows the counts.
func (s *Server) handleImportConfirm(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	pending, ok := s.auth.Sessions.Get(r.Context(), sessionImport).(pendingImport)
	if !ok || pending.Token == "" || r.PostFormValue("token") != pending.Token || s.now().Sub(pending.At) > importTTL {
		return s.importRefused(w, r, http.StatusConflict, kijun.Errorf(kijun.EConflict, "registerui.import.expired", nil))
	}
	// One confirmation per preview, whatever happens next.
	s.auth.Sessions.Remove(r.Context(), sessionImport)
	rows := make([]exchange.OperatorRow, 0, len(pending.Rows)+pending.Skipped)
	for _, pr := range pending.Rows {
		rows = append(rows, exchange.OperatorRow{Line: pr.Line, Action: pr.Action, Operator: pr.Operator})
	}
	// The rows with problems are not kept; they count as skipped.
	for range pending.Skipped {
		rows = append(rows, exchange.OperatorRow{Problems: []exchange.Problem{{MessageID: "registerui.import.skip"}}})
	}
	ministry := ""
	if !p.NCO && len(p.Ministries) > 0 {
		ministry = p.Ministries[0]
	}
	var res register.ImportResult
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		var err error
		res, err = postgres.ApplyOperatorImport(r.Context(), tx, p, rows, ministry, middleware.GetReqID(r.Context()))
		return err
	})
	if _, ok := refusal(err); ok || kijun.ErrorCode(err) == kijun.EForbidden {
		return s.importRefused(w, r, statusOf(err), err)
	}
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "operator import", "file_sha256", pending.Digest, "created", res.Created, "updated", res.Updated,
		"request_id", middleware.GetReqID(r.Context()))
	res.IDs = nil
	s.auth.Sessions.Put(r.Context(), sessionImportResult, res)
	http.Redirect(w, r, "/operators/import", http.StatusSeeOther)
	return nil
}

func firstValue(values map[string]string, keys ...string) string {
	for _, k := range keys {
		for h, v := range values {
			if strings.EqualFold(strings.TrimSpace(h), k) && strings.TrimSpace(v) != "" {
				return strings.TrimSpace(v)
			}
		}
	}
	return ""
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
