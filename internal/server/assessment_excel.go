package server

import (
	"bytes"
	"encoding/gob"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	xl "github.com/kijun-portal/kijun/web/pages/assessmentexcel"
)

// The offline Excel round trip of a self-assessment (the format is described in internal/exchange/assessment.go):
// download the assessment as a workbook, fill it in offline, upload it
// back. The upload is read and checked once, at preview; the rows it would
// apply are kept in the user's server-side session under a random token
// that the preview's confirm form carries (never the data itself). Confirm
// checks again, in its transaction, that no answer moved since the
// preview; if one did, it applies nothing and shows the preview again.

// assessmentExcelRoutes registers the workbook download and the upload
// with its preview and confirmation. Downloading needs what viewing the
// assessment needs (the operator, its ministry, the NCO); uploading what
// answering needs (the operator's users), and an editable assessment.
func (s *Server) assessmentExcelRoutes(h routeFunc) {
	h(http.MethodGet, "/assessments/{id}/export.xlsx", authz.ViewAssessment, s.handleAssessmentExport)
	h(http.MethodGet, "/assessments/{id}/import", authz.AnswerAssessment, s.handleAssessmentImportForm)
	h(http.MethodPost, "/assessments/{id}/import", authz.AnswerAssessment, s.handleAssessmentImportPreview)
	h(http.MethodPost, "/assessments/{id}/import/confirm", authz.AnswerAssessment, s.handleAssessmentImportConfirm)
}

const sessionAsmImport = "assessmentexcel.import"

// asmImportTTL is how long a preview may be confirmed.
const asmImportTTL = 30 * time.Minute

// pendingAsmImport is a previewed upload waiting for confirmation: the
// file's valid, edited rows and the version of each answer the preview
// compared them with.
type pendingAsmImport struct {
	Token        string
	AssessmentID int64
	FileName     string
	Digest       string // SHA-256 of the file, for the log
	At           time.Time
	Rows         []pendingAsmRow
	Seen         map[string]int // ref → the answer's version at the preview
	// Header, Problems, Skipped and Total are kept to show the preview
	// again if a confirmation finds answers moved.
	Header   []exchange.Problem
	Problems []xl.ProblemRow
	Skipped  int
	Total    int
}

type pendingAsmRow struct {
	Line   int
	Answer assessment.Answer
	Stamp  exchange.Stamp
}

func init() { gob.Register(pendingAsmImport{}) }

// excelAssessment loads the assessment of the URL and checks action on it
// (another tenant's is "not found"), with its operator's 法人番号.
func excelAssessment(r *http.Request, tx pgx.Tx, action authz.Action) (assessment.Assessment, string, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return assessment.Assessment{}, "", err
	}
	a, err := postgres.GetAssessment(r.Context(), tx, id)
	if err != nil {
		return a, "", err
	}
	if !authz.Can(principal(r), action, authz.Resource{SectorCode: a.SectorCode, OperatorID: a.OperatorID}) {
		return a, "", errNotFound
	}
	var corp string
	err = tx.QueryRow(r.Context(), `SELECT corporate_number FROM operators WHERE id = $1`, a.OperatorID).Scan(&corp)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, "", errNotFound
	}
	return a, corp, err
}

func asmTitle(r *http.Request, a assessment.Assessment) string {
	loc := i18n.From(r.Context())
	return loc.Pick(a.OperatorName) + " " + a.FiscalYear.Label(loc.Lang)
}

// handleAssessmentExport writes the assessment as a workbook in the
// user's language.
func (s *Server) handleAssessmentExport(w http.ResponseWriter, r *http.Request) error {
	lang := i18n.From(r.Context()).Lang
	var wb exchange.AssessmentWorkbook
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		a, corp, err := excelAssessment(r, tx, authz.ViewAssessment)
		if err != nil {
			return err
		}
		wb = exchange.AssessmentWorkbook{Assessment: a, CorporateNumber: corp, Lang: lang, ExportedAt: s.now()}
		if wb.Scale, err = postgres.AnswerScale(r.Context(), tx); err != nil {
			return err
		}
		rows, err := postgres.ListAnswers(r.Context(), tx, a.ID, "")
		for _, row := range rows {
			wb.Rows = append(wb.Rows, exchange.AssessmentRow{Control: row.Control, Answer: row.Answer})
		}
		return err
	})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := exchange.WriteAssessment(&buf, wb); err != nil {
		return err
	}
	name := "assessment-" + wb.CorporateNumber + "-FY" + strconv.Itoa(int(wb.Assessment.FiscalYear)) + "-" + string(lang) + ".xlsx"
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = buf.WriteTo(w)
	return err
}

func (s *Server) handleAssessmentImportForm(w http.ResponseWriter, r *http.Request) error {
	return s.renderAsmImport(w, r, http.StatusOK, nil)
}

// renderAsmImport shows the upload form, with why a file was refused.
func (s *Server) renderAsmImport(w http.ResponseWriter, r *http.Request, status int, refusal error) error {
	var v xl.ImportView
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		a, _, err := excelAssessment(r, tx, authz.AnswerAssessment)
		v = xl.ImportView{AssessmentID: a.ID, Title: asmTitle(r, a), Locked: !a.Status.Editable()}
		return err
	})
	if err != nil {
		return err
	}
	if v.Locked && status == http.StatusOK {
		status = http.StatusConflict
	}
	if refusal != nil {
		var ke *kijun.Error
		if !errors.As(refusal, &ke) {
			return refusal
		}
		v.Error, v.ErrorArgs = ke.MessageID, ke.Args
	}
	return s.render(w, r, status, xl.Import(v))
}

// handleAssessmentImportPreview reads the upload, refuses a file for
// another operator or assessment, and shows what it would change.
func (s *Server) handleAssessmentImportPreview(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	up, err := readUpload(w, r, "file", exchange.DefaultMaxBytes, "assessmentexcel.import.no_file")
	if err != nil {
		return s.renderAsmImport(w, r, statusOf(err), err)
	}
	data := up.Data
	var (
		v       xl.PreviewView
		refusal error
	)
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		a, corp, err := excelAssessment(r, tx, authz.AnswerAssessment)
		if err != nil {
			return err
		}
		if !a.Status.Editable() {
			refusal = kijun.Errorf(kijun.EConflict, "assessmentexcel.import.locked", nil)
			return nil
		}
		scale, err := postgres.AnswerScale(r.Context(), tx)
		if err != nil {
			return err
		}
		f, err := exchange.ReadAssessment(bytes.NewReader(data), exchange.Limits{}, scale)
		if err == nil {
			err = f.CheckFor(a, corp)
		}
		if kijun.ErrorCode(err) == kijun.EInvalid {
			refusal = err
			return nil
		}
		if err != nil {
			return err
		}
		pending := pendingAsmImport{AssessmentID: a.ID, FileName: up.Name, Digest: up.SHA256,
			Header: f.HeaderProblems, Total: len(f.Rows)}
		for _, fr := range f.Rows {
			for _, pr := range fr.Problems {
				pending.Problems = append(pending.Problems, xl.ProblemRow{Line: fr.Line, Ref: fr.Ref, Column: pr.Column, Problem: pr})
			}
			for _, pr := range fr.Warnings {
				pending.Problems = append(pending.Problems, xl.ProblemRow{Line: fr.Line, Ref: fr.Ref, Column: pr.Column, Problem: pr, Warning: true})
			}
			if len(fr.Problems) > 0 {
				pending.Skipped++
				continue
			}
			if fr.Edited {
				pending.Rows = append(pending.Rows, pendingAsmRow{Line: fr.Line, Answer: fr.Answer, Stamp: fr.Stamp})
			}
		}
		v, err = s.asmPreview(r, tx, a, &pending, nil)
		return err
	})
	if err != nil {
		return err
	}
	if refusal != nil {
		status := http.StatusUnprocessableEntity
		if kijun.ErrorCode(refusal) == kijun.EConflict {
			status = http.StatusConflict
		}
		return s.renderAsmImport(w, r, status, refusal)
	}
	return s.render(w, r, http.StatusOK, xl.Preview(v))
}

// asmPreview compares the pending rows with the answers as they are now,
// records the versions it saw, keeps the pending import in the session
// under a new token and returns the preview. takeFile holds the choices
// to keep for conflicts that did not move.
func (s *Server) asmPreview(r *http.Request, tx pgx.Tx, a assessment.Assessment, pending *pendingAsmImport, takeFile map[string]bool) (xl.PreviewView, error) {
	v := xl.PreviewView{AssessmentID: a.ID, Title: asmTitle(r, a), FileName: pending.FileName,
		HeaderProblems: pending.Header, Problems: pending.Problems, Rows: pending.Total, Skipped: pending.Skipped}
	current, err := currentAnswers(r, tx, a.ID)
	if err != nil {
		return v, err
	}
	scale, err := postgres.AnswerScale(r.Context(), tx)
	if err != nil {
		return v, err
	}
	loc := i18n.From(r.Context())
	pending.Seen = map[string]int{}
	for _, c := range planAsmImport(pending.Rows, current) {
		cur := current[c.row.Answer.Ref]
		pending.Seen[c.row.Answer.Ref] = cur.Answer.Version
		ch := xl.Change{Line: c.row.Line, Ref: c.row.Answer.Ref, Title: loc.Pick(cur.Control.Title),
			Fields: answerDiff(loc, scale, cur.Answer, c.row.Answer)}
		if c.conflict {
			ch.By, ch.At, ch.TakeFile = cur.Answer.UpdatedByName, cur.Answer.UpdatedAt, takeFile[ch.Ref]
			v.Conflicts = append(v.Conflicts, ch)
		} else {
			v.Changes = append(v.Changes, ch)
		}
	}
	v.Unchanged = pending.Total - pending.Skipped - len(v.Changes) - len(v.Conflicts)
	pending.Token, pending.At = randomToken(), s.now()
	if len(v.Changes)+len(v.Conflicts) > 0 {
		v.Token = pending.Token
		s.auth.Sessions.Put(r.Context(), sessionAsmImport, *pending)
	} else {
		s.auth.Sessions.Remove(r.Context(), sessionAsmImport)
	}
	return v, nil
}

func currentAnswers(r *http.Request, tx pgx.Tx, id int64) (map[string]assessment.AnswerRow, error) {
	rows, err := postgres.ListAnswers(r.Context(), tx, id, "")
	if err != nil {
		return nil, err
	}
	m := make(map[string]assessment.AnswerRow, len(rows))
	for _, row := range rows {
		m[row.Control.Ref] = row
	}
	return m, nil
}

type plannedAsmChange struct {
	row      pendingAsmRow
	conflict bool
}

// planAsmImport decides, for each edited row of the file, what confirming
// does: nothing when the portal already says the same; a change when the
// answer is still at the version the file was downloaded at; a conflict
// when the portal's answer changed since the download. Rows the user did
// not edit are never planned, whatever happened in the portal since.
func planAsmImport(rows []pendingAsmRow, current map[string]assessment.AnswerRow) []plannedAsmChange {
	var out []plannedAsmChange
	for _, row := range rows {
		cur, ok := current[row.Answer.Ref]
		if !ok || exchange.SameAnswer(cur.Answer, row.Answer) {
			continue
		}
		out = append(out, plannedAsmChange{row: row, conflict: cur.Answer.Version != row.Stamp.Version})
	}
	return out
}

// answerDiff lists the fields that differ between old and new, as shown.
func answerDiff(loc *i18n.Localizer, scale []assessment.ScaleEntry, old, new assessment.Answer) []xl.FieldDiff {
	show := func(a assessment.Answer) map[string]string {
		m := map[string]string{
			exchange.AColStatus: "", exchange.AColMaturity: exchange.MaturityLabel(a.Maturity, loc.Lang),
			exchange.AColHow: a.How, exchange.AColNAReason: a.NAReason, exchange.AColAction: a.Remediation.Action,
			exchange.AColOwner: a.Remediation.Owner, exchange.AColDue: "",
		}
		for _, e := range scale {
			if e.Code == a.Status {
				m[exchange.AColStatus] = loc.Pick(e.Label)
			}
		}
		if a.Remediation.Due != nil && !a.Remediation.Due.IsZero() {
			m[exchange.AColDue] = loc.Date(*a.Remediation.Due)
		}
		return m
	}
	o, n := show(old), show(new)
	var out []xl.FieldDiff
	for _, f := range []string{exchange.AColStatus, exchange.AColMaturity, exchange.AColHow, exchange.AColNAReason,
		exchange.AColAction, exchange.AColOwner, exchange.AColDue} {
		if o[f] != n[f] {
			out = append(out, xl.FieldDiff{Field: f, Old: o[f], New: n[f]})
		}
	}
	return out
}

// errAsmMoved says that an answer changed between the preview and its
// confirmation; the transaction rolls back.
var errAsmMoved = errors.New("assessment import: answers moved since the preview")

// handleAssessmentImportConfirm applies the previewed changes and the
// conflicts the user chose to take from the file, in one transaction. If
// any answer moved since the preview, nothing is applied and the preview
// is shown again with the conflicts as they are now.
func (s *Server) handleAssessmentImportConfirm(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pending, ok := s.auth.Sessions.Get(r.Context(), sessionAsmImport).(pendingAsmImport)
	if !ok || pending.Token == "" || r.PostFormValue("token") != pending.Token || pending.AssessmentID != id ||
		s.now().Sub(pending.At) > asmImportTTL {
		// Still "not found" for another tenant's assessment.
		return s.renderAsmImport(w, r, http.StatusConflict, kijun.Errorf(kijun.EConflict, "assessmentexcel.import.expired", nil))
	}
	takeFile := map[string]bool{}
	for _, row := range pending.Rows {
		takeFile[row.Answer.Ref] = r.PostFormValue(xl.ChoiceName(row.Answer.Ref)) == "file"
	}
	applied := 0
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		a, _, err := excelAssessment(r, tx, authz.AnswerAssessment)
		if err != nil {
			return err
		}
		current, err := currentAnswers(r, tx, a.ID)
		if err != nil {
			return err
		}
		for _, row := range pending.Rows {
			ref := row.Answer.Ref
			if seen, ok := pending.Seen[ref]; ok && current[ref].Answer.Version != seen {
				return errAsmMoved
			}
		}
		reqID := middleware.GetReqID(r.Context())
		for _, c := range planAsmImport(pending.Rows, current) {
			ref := c.row.Answer.Ref
			if _, seen := pending.Seen[ref]; !seen {
				return errAsmMoved // planned now but not at the preview
			}
			if c.conflict && !takeFile[ref] {
				continue
			}
			ans := c.row.Answer
			ans.AssessmentID = a.ID
			if _, err := postgres.SaveAnswer(r.Context(), tx, p, ans, current[ref].Answer.Version, reqID); err != nil {
				var ke *kijun.Error
				if errors.As(err, &ke) && ke.MessageID == "assessment.conflict" {
					return errAsmMoved
				}
				return err
			}
			applied++
		}
		return nil
	})
	switch {
	case errors.Is(err, errAsmMoved):
		return s.asmPreviewAgain(w, r, pending, takeFile)
	case kijun.ErrorCode(err) == kijun.EConflict || kijun.ErrorCode(err) == kijun.EInvalid:
		s.auth.Sessions.Remove(r.Context(), sessionAsmImport)
		return s.renderAsmImport(w, r, http.StatusConflict, err)
	case err != nil:
		return err
	}
	s.auth.Sessions.Remove(r.Context(), sessionAsmImport)
	s.log.InfoContext(r.Context(), "assessment import", "assessment", id, "file_sha256", pending.Digest, "applied", applied,
		"request_id", middleware.GetReqID(r.Context()))
	http.Redirect(w, r, "/assessments/"+itoa(id)+"?imported="+strconv.Itoa(applied), http.StatusSeeOther)
	return nil
}

// asmPreviewAgain shows the preview of the same upload against the
// answers as they are now, keeping the user's choices for the conflicts
// whose answer did not move.
func (s *Server) asmPreviewAgain(w http.ResponseWriter, r *http.Request, pending pendingAsmImport, takeFile map[string]bool) error {
	var v xl.PreviewView
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		a, _, err := excelAssessment(r, tx, authz.AnswerAssessment)
		if err != nil {
			return err
		}
		current, err := currentAnswers(r, tx, a.ID)
		if err != nil {
			return err
		}
		keep := map[string]bool{}
		for ref, take := range takeFile {
			if seen, ok := pending.Seen[ref]; ok && current[ref].Answer.Version == seen {
				keep[ref] = take
			}
		}
		v, err = s.asmPreview(r, tx, a, &pending, keep)
		return err
	})
	if err != nil {
		return err
	}
	v.Moved = true
	return s.render(w, r, http.StatusConflict, xl.Preview(v))
}
