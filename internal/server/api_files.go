package server

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/register"
)

// The API's routes that take or give files: the register's import
// (upload, check, confirm) and an answer's evidence. They read uploads
// with the pages' readUpload and write through the pages' stores.
func (s *Server) apiFileRoutes(a apiRoute) {
	a(http.MethodPost, "/operators/imports", authz.ManageOperators, s.apiImportUpload)
	a(http.MethodGet, "/operators/imports/{id}", authz.ManageOperators, s.apiImportGet)
	a(http.MethodPost, "/operators/imports/{id}/confirm", authz.ManageOperators, s.apiImportConfirm)
	a(http.MethodGet, "/assessments/{id}/answers/{ref}/evidence", authz.ViewAssessment, s.apiEvidenceList)
	a(http.MethodPost, "/assessments/{id}/answers/{ref}/evidence", authz.AnswerAssessment, s.apiEvidenceAdd)
	a(http.MethodGet, "/evidence/{id}", authz.ViewAssessment, s.handleEvidenceDownload) // the page's download
	a(http.MethodDelete, "/evidence/{id}", authz.AnswerAssessment, s.apiEvidenceDelete)
}

// apiUploadLimits are the request body limits of the API's multipart
// routes (readUpload's limit plus 1 MB for the form), for idempotent,
// which reads a POST's body before its handler.
var apiUploadLimits = map[string]int64{
	apiPrefix + "/operators/imports":                       exchange.DefaultMaxBytes + 1<<20,
	apiPrefix + "/assessments/{id}/answers/{ref}/evidence": maxEvidenceSize + 1<<20,
}

// apiBodyLimit is the most a request of r's route may send.
func apiBodyLimit(r *http.Request) int64 {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		if n, ok := apiUploadLimits[rc.RoutePattern()]; ok {
			return n
		}
	}
	return maxJSONBytes
}

// uploadFieldError turns readUpload's refusal into a field error of the
// multipart field "file".
func uploadFieldError(err error) error {
	var ke *kijun.Error
	if errors.As(err, &ke) && ke.Code == kijun.EInvalid {
		return fieldErrors{"file": {ID: ke.MessageID, Args: ke.Args}}
	}
	return err
}

// --- the register's import ---

// apiImportTTL is how long an uploaded import may be confirmed: the page's.
const apiImportTTL = importTTL

type apiImportRow struct {
	Line            int             `json:"line"`
	Action          exchange.Action `json:"action"`
	CorporateNumber string          `json:"corporate_number"`
	Name            kijun.Text      `json:"name"`
	Sector          string          `json:"sector"`
	OperatorID      int64           `json:"operator_id,omitempty"`
}

type apiImportResult struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
}

type apiImport struct {
	ID          int64            `json:"id"`
	FileName    string           `json:"file_name"`
	FileSHA256  string           `json:"file_sha256"`
	Status      string           `json:"status"` // pending, confirmed, expired
	Create      int              `json:"create"`
	Update      int              `json:"update"`
	Rows        []apiImportRow   `json:"rows"`
	CreatedAt   time.Time        `json:"created_at"`
	ExpiresAt   time.Time        `json:"expires_at"`
	ConfirmedAt *time.Time       `json:"confirmed_at,omitempty"`
	Result      *apiImportResult `json:"result,omitempty"`
}

func (s *Server) importJSON(imp postgres.APIImport) apiImport {
	out := apiImport{ID: imp.ID, FileName: imp.FileName, FileSHA256: imp.FileSHA256, Status: "pending",
		Rows: []apiImportRow{}, CreatedAt: imp.CreatedAt, ExpiresAt: imp.ExpiresAt, ConfirmedAt: imp.ConfirmedAt}
	switch {
	case imp.ConfirmedAt != nil:
		out.Status = "confirmed"
	case !s.now().Before(imp.ExpiresAt):
		out.Status = "expired"
	}
	if imp.Result != nil {
		out.Result = &apiImportResult{Created: imp.Result.Created, Updated: imp.Result.Updated}
	}
	for _, row := range imp.Rows {
		o := row.Operator
		out.Rows = append(out.Rows, apiImportRow{Line: row.Line, Action: row.Action, CorporateNumber: o.CorporateNumber,
			Name: o.Name, Sector: o.SectorCode, OperatorID: o.ID})
		if row.Action == exchange.ActionUpdate {
			out.Update++
		} else {
			out.Create++
		}
	}
	return out
}

// apiImportUpload reads a register file (CSV or XLSX, as the page's
// import) and checks every row in the importer's RLS transaction, as the
// page's preview does. Nothing is written to the register: a file with
// any problem is refused with every problem (422, field
// "rows[<line>].<column>" or "header.<column>"); a clean file is kept
// as an import to confirm (201).
func (s *Server) apiImportUpload(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	up, err := readUpload(w, r, "file", exchange.DefaultMaxBytes, "registerui.import.no_file")
	if err != nil {
		return uploadFieldError(err)
	}
	table, err := exchange.Read(bytes.NewReader(up.Data), exchange.ReadOptions{})
	if err != nil {
		return uploadFieldError(err)
	}
	fe := fieldErrors{}
	for _, pr := range exchange.CheckOperatorHeader(table.Header) {
		fe["header."+pr.Column] = fieldMsg{ID: pr.MessageID, Args: pr.Args}
	}
	if len(table.Rows) == 0 {
		fe["file"] = fieldMsg{ID: "registerui.import.no_file"}
	}
	now := s.now()
	imp := postgres.APIImport{FileName: cleanName(up.Name), FileSHA256: up.SHA256, CreatedAt: now, ExpiresAt: now.Add(apiImportTTL)}
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		parsed, err := postgres.ParseOperatorImport(r.Context(), tx, p, table.Rows)
		if err != nil {
			return err
		}
		for _, row := range parsed {
			for _, pr := range row.Problems {
				field := fmt.Sprintf("rows[%d]", row.Line)
				if pr.Column != "" {
					field += "." + pr.Column
				}
				if _, seen := fe[field]; !seen {
					fe[field] = fieldMsg{ID: pr.MessageID, Args: pr.Args}
				}
			}
			imp.Rows = append(imp.Rows, exchange.OperatorRow{Line: row.Line, Action: row.Action, Operator: row.Operator})
		}
		if len(fe) > 0 {
			return fe
		}
		imp.ID, err = postgres.SaveAPIImport(r.Context(), tx, imp)
		return err
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", apiPrefix+"/operators/imports/"+itoa(imp.ID))
	return writeJSON(w, http.StatusCreated, s.importJSON(imp))
}

// cleanName is an uploaded file's name as recorded: its last path
// element, without control characters, at most 255 characters.
func cleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	if r := []rune(name); len(r) > 255 {
		name = string(r[:255])
	}
	return name
}

func (s *Server) apiImportGet(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var imp postgres.APIImport
	if err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		imp, err = postgres.GetAPIImport(r.Context(), tx, id, false)
		return err
	}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.importJSON(imp))
}

// apiImportConfirm applies an import's rows through the page's
// ApplyOperatorImport, which checks every row again (a register changed
// since the upload is refused, 409) and audits every change. An import is
// applied once; a confirmed or expired one is refused with the page's
// message (409).
func (s *Server) apiImportConfirm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	ministry := ""
	if !p.NCO && len(p.Ministries) > 0 {
		ministry = p.Ministries[0]
	}
	var imp postgres.APIImport
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if imp, err = postgres.GetAPIImport(r.Context(), tx, id, true); err != nil {
			return err
		}
		if imp.ConfirmedAt != nil || !s.now().Before(imp.ExpiresAt) {
			return kijun.Errorf(kijun.EConflict, "registerui.import.expired", nil)
		}
		var res register.ImportResult
		res, err = postgres.ApplyOperatorImport(r.Context(), tx, p, imp.Rows, ministry, middleware.GetReqID(r.Context()))
		if err != nil {
			return err
		}
		res.IDs = nil
		now := s.now()
		imp.ConfirmedAt, imp.Result = &now, &res
		return postgres.MarkAPIImportConfirmed(r.Context(), tx, id, res, now)
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "operator import", "file_sha256", imp.FileSHA256, "created", imp.Result.Created,
		"updated", imp.Result.Updated, "request_id", middleware.GetReqID(r.Context()))
	return writeJSON(w, http.StatusOK, s.importJSON(imp))
}

// --- evidence ---

type apiEvidence struct {
	ID           int64     `json:"id"`
	AssessmentID int64     `json:"assessment_id"`
	Ref          string    `json:"ref"`
	FileName     string    `json:"file_name"`
	ContentType  string    `json:"content_type"`
	Size         int64     `json:"size"`
	SHA256       string    `json:"sha256"`
	UploadedBy   string    `json:"uploaded_by"`
	UploadedAt   time.Time `json:"uploaded_at"`
}

func evidenceJSON(e assessment.Evidence) apiEvidence {
	return apiEvidence{ID: e.ID, AssessmentID: e.AssessmentID, Ref: e.Ref, FileName: e.FileName, ContentType: e.ContentType,
		Size: e.Size, SHA256: fmt.Sprintf("%x", e.SHA256), UploadedBy: e.UploadedByName, UploadedAt: e.UploadedAt}
}

// apiEvidenceList lists the files attached to one answer.
func (s *Server) apiEvidenceList(w http.ResponseWriter, r *http.Request) error {
	ref := chiParam(r, "ref")
	out := page[apiEvidence]{Items: []apiEvidence{}}
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		a, err := s.loadAssessment(r, tx, authz.ViewAssessment)
		if err != nil {
			return err
		}
		if ok, err := postgres.AssessmentHasControl(r.Context(), tx, a.ID, ref); err != nil || !ok {
			return cmpErr(err, errNotFound)
		}
		list, err := postgres.ListEvidence(r.Context(), tx, a.ID, ref)
		for _, e := range list {
			out.Items = append(out.Items, evidenceJSON(e))
		}
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// apiEvidenceAdd attaches the multipart field "file" to an answer with
// the page's checks (readUpload's limit, then AddEvidence: name, size,
// type by content, an editable assessment of the caller's operator);
// a refused file is 422 on the field "file".
func (s *Server) apiEvidenceAdd(w http.ResponseWriter, r *http.Request) error {
	ref := chiParam(r, "ref")
	p := principal(r)
	// The file is read before the transaction (a slow upload holds no
	// connection); its refusal waits until the assessment is known to be
	// the caller's, so that another tenant's is not found whatever the
	// request holds.
	up, upErr := readUpload(w, r, "file", maxEvidenceSize, "asmui.error.no_file")
	var saved assessment.Evidence
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		a, err := s.loadAssessment(r, tx, authz.AnswerAssessment)
		if err != nil {
			return err
		}
		if upErr != nil {
			return uploadFieldError(upErr)
		}
		saved, err = postgres.AddEvidence(r.Context(), tx, p, a.ID, ref, up.Name, up.Data, maxEvidenceSize,
			middleware.GetReqID(r.Context()))
		var ke *kijun.Error
		if errors.As(err, &ke) && ke.Code == kijun.EInvalid && strings.HasPrefix(ke.MessageID, "assessment.evidence.") {
			return fieldErrors{"file": {ID: ke.MessageID, Args: ke.Args}}
		}
		return err
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", apiPrefix+"/evidence/"+itoa(saved.ID))
	return writeJSON(w, http.StatusCreated, evidenceJSON(saved))
}

// apiEvidenceDelete removes a file from an answer while the assessment is
// editable, by its operator only (removeEvidence, as the section page's
// button); a locked assessment is 409.
func (s *Server) apiEvidenceDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		_, err := removeEvidence(r, tx, id, 0)
		return err
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
