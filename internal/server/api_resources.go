package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/register"
	"github.com/kijun-portal/kijun/web/pages/operators"
)

// The API's resources: each handler reads and writes through the same
// postgres stores and domain rules as the page of the same thing, and
// turns the result into the JSON of api/openapi.yaml.
func (s *Server) apiResourceRoutes(a apiRoute) {
	a(http.MethodGet, "/sectors", authz.ViewPublic, s.apiSectors)
	a(http.MethodGet, "/sectors/{code}", authz.ViewPublic, s.apiSector)
	a(http.MethodGet, "/reference", authz.ViewPublic, s.apiReference)
	a(http.MethodGet, "/catalogs", authz.ViewCatalog, s.apiCatalogs)
	a(http.MethodGet, "/catalogs/{id}", authz.ViewCatalog, s.apiCatalog)
	a(http.MethodGet, "/catalogs/{id}/oscal", authz.ViewCatalog, s.apiCatalogOSCAL)
	a(http.MethodGet, "/operators", authz.ListOperators, s.apiOperators)
	a(http.MethodPost, "/operators", authz.ManageOperators, s.apiOperatorCreate)
	a(http.MethodGet, "/operators/{id}", authz.ViewOperator, s.apiOperator)
	a(http.MethodPut, "/operators/{id}", authz.ManageOperators, s.apiOperatorUpdate)
	a(http.MethodGet, "/cycles", authz.ListAssessments, s.apiCycles)
	a(http.MethodGet, "/assessments", authz.ListAssessments, s.apiAssessments)
	a(http.MethodGet, "/assessments/{id}", authz.ViewAssessment, s.apiAssessment)
	a(http.MethodPut, "/assessments/{id}/answers/{ref}", authz.AnswerAssessment, s.apiAnswerPut)
	a(http.MethodPost, "/assessments/{id}/signoff", authz.SignOffAssessment, s.apiAssessmentSignOff)
	a(http.MethodPost, "/assessments/{id}/submit", authz.AnswerAssessment, s.apiAssessmentSubmit)
	a(http.MethodPost, "/assessments/{id}/return", authz.ReviewAssessment, s.apiAssessmentReturn)
	a(http.MethodPost, "/assessments/{id}/accept", authz.ReviewAssessment, s.apiAssessmentAccept)
	a(http.MethodGet, "/notifications", authz.ViewOwnAccount, s.apiNotifications)
	a(http.MethodPost, "/notifications/{id}/read", authz.ViewOwnAccount, s.apiNotificationRead)
	s.apiFileRoutes(a)
	s.apiReadRoutes(a)
	s.apiIncidentRoutes(a)
}

// --- sectors and reference data ---

type apiScope struct {
	ID     int64             `json:"id"`
	Name   kijun.Text        `json:"name"`
	Origin kijun.ScopeOrigin `json:"origin"`
}

type apiMinistry struct {
	Code string     `json:"code"`
	Name kijun.Text `json:"name"`
}

type apiSector struct {
	Code       string        `json:"code"`
	Name       kijun.Text    `json:"name"`
	Ministries []apiMinistry `json:"ministries"`
	Scopes     []apiScope    `json:"scopes"`
}

func sectorJSON(sc kijun.Sector) apiSector {
	out := apiSector{Code: sc.Code, Name: sc.Name, Ministries: []apiMinistry{}, Scopes: []apiScope{}}
	for _, m := range sc.Ministries {
		out.Ministries = append(out.Ministries, apiMinistry{Code: m.Code, Name: m.Name})
	}
	for _, b := range sc.Scopes {
		out.Scopes = append(out.Scopes, apiScope{ID: b.ID, Name: b.Name, Origin: b.Origin})
	}
	return out
}

func (s *Server) apiSectors(w http.ResponseWriter, r *http.Request) error {
	list, err := postgres.ListSectors(r.Context(), s.db)
	if err != nil {
		return err
	}
	out := page[apiSector]{Items: []apiSector{}}
	for _, sc := range list {
		out.Items = append(out.Items, sectorJSON(sc))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiSector(w http.ResponseWriter, r *http.Request) error {
	sc, err := postgres.GetSector(r.Context(), s.db, chiParam(r, "code"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sectorJSON(sc))
}

type apiNamed struct {
	Code string     `json:"code"`
	Name kijun.Text `json:"name"`
}

// apiReferenceData is the reference data beside the sectors: ministries,
// the baseline's sections and the themes.
type apiReferenceData struct {
	Ministries []apiNamed `json:"ministries"`
	Sections   []apiNamed `json:"sections"`
	Themes     []apiNamed `json:"themes"`
}

func (s *Server) apiReference(w http.ResponseWriter, r *http.Request) error {
	n, err := postgres.LoadReferenceNames(r.Context(), s.db)
	if err != nil {
		return err
	}
	named := func(list []kijun.Named) []apiNamed {
		out := []apiNamed{}
		for _, x := range list {
			out = append(out, apiNamed{Code: x.Code, Name: x.Name})
		}
		return out
	}
	return writeJSON(w, http.StatusOK, apiReferenceData{Ministries: named(n.Ministries), Sections: named(n.Sections), Themes: named(n.Themes)})
}

// --- catalogs ---

type apiCatalogSummary struct {
	ID           int64          `json:"id"`
	Code         string         `json:"code"`
	Version      string         `json:"version"`
	Title        kijun.Text     `json:"title"`
	Status       catalog.Status `json:"status"`
	PublishedAt  *time.Time     `json:"published_at,omitempty"`
	ControlCount int            `json:"control_count"`
}

type apiControl struct {
	Ref              string     `json:"ref"`
	Section          string     `json:"section"`
	Title            kijun.Text `json:"title"`
	Statement        kijun.Text `json:"statement"`
	Guidance         kijun.Text `json:"guidance"`
	Themes           []string   `json:"themes"`
	CSF              []string   `json:"csf"`
	EvidenceExpected bool       `json:"evidence_expected"`
	Sectors          []string   `json:"sectors"`
}

type apiCatalog struct {
	apiCatalogSummary
	Controls []apiControl `json:"controls"`
}

func (s *Server) apiCatalogs(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	out := page[apiCatalogSummary]{Items: []apiCatalogSummary{}}
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		list, err := postgres.ListCatalogs(r.Context(), tx)
		for _, c := range list {
			if visibleCatalog(p, &c.Catalog) == nil {
				out.Items = append(out.Items, apiCatalogSummary{ID: c.ID, Code: c.Code, Version: c.Version, Title: c.Title,
					Status: c.Status, PublishedAt: c.PublishedAt, ControlCount: c.ControlCount})
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiCatalog(w http.ResponseWriter, r *http.Request) error {
	c, err := s.loadForExport(r)
	if err != nil {
		return err
	}
	out := apiCatalog{apiCatalogSummary: apiCatalogSummary{ID: c.ID, Code: c.Code, Version: c.Version, Title: c.Title,
		Status: c.Status, PublishedAt: c.PublishedAt, ControlCount: len(c.Controls)}, Controls: []apiControl{}}
	for _, k := range c.Controls {
		out.Controls = append(out.Controls, apiControl{Ref: k.Ref, Section: k.Section, Title: k.Title, Statement: k.Statement,
			Guidance: k.Guidance, Themes: kijun.NonNil(k.Themes), CSF: kijun.NonNil(k.CSF), EvidenceExpected: k.EvidenceExpected,
			Sectors: kijun.NonNil(k.Sectors)})
	}
	return writeJSON(w, http.StatusOK, out)
}

// apiCatalogOSCAL is the catalog as the OSCAL catalog the page exports.
func (s *Server) apiCatalogOSCAL(w http.ResponseWriter, r *http.Request) error {
	c, err := s.loadForExport(r)
	if err != nil {
		return err
	}
	b, err := catalog.ExportOSCAL(c)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(b)
	return err
}

// --- operators (the register) ---

type apiOperator struct {
	ID              int64                `json:"id"`
	CorporateNumber string               `json:"corporate_number"`
	LocalGovCode    string               `json:"local_gov_code,omitempty"`
	Name            kijun.Text           `json:"name"`
	Sector          string               `json:"sector"`
	ScopeIDs        []int64              `json:"scope_ids"`
	Designation     register.Designation `json:"designation"`
	DesignatedSince string               `json:"designated_since,omitempty"`
	DesignatedBy    string               `json:"designated_by,omitempty"`
	Reason          string               `json:"reason"`
	Status          register.Status      `json:"status"`
	Version         int                  `json:"version"`
}

// apiOperatorInput is what a client sends to create or replace an
// operator. The 法人番号 is read only on create (it never changes).
type apiOperatorInput struct {
	CorporateNumber string     `json:"corporate_number"`
	LocalGovCode    string     `json:"local_gov_code"`
	Name            kijun.Text `json:"name"`
	Sector          string     `json:"sector"`
	ScopeIDs        []int64    `json:"scope_ids"`
	Designation     string     `json:"designation"`
	DesignatedSince string     `json:"designated_since"`
	Reason          string     `json:"reason"`
}

func operatorJSON(o register.Operator) apiOperator {
	out := apiOperator{ID: o.ID, CorporateNumber: o.CorporateNumber, LocalGovCode: o.LocalGovCode, Name: o.Name,
		Sector: o.SectorCode, ScopeIDs: kijun.NonNil(o.ScopeIDs), Designation: o.Designation, DesignatedBy: o.DesignatedBy,
		Reason: o.Reason, Status: o.Status, Version: o.Version}
	if o.DesignatedSince.Year() > 1 {
		out.DesignatedSince = kijun.ISODate(o.DesignatedSince)
	}
	return out
}

// operatorForm is the input as the page's form, so that the one
// validation of the register (validateOperatorForm) checks it.
func (in apiOperatorInput) form() operators.OperatorForm {
	f := operators.OperatorForm{
		CorporateNumber: strings.TrimSpace(in.CorporateNumber), LocalGovCode: strings.TrimSpace(in.LocalGovCode),
		NameJa: strings.TrimSpace(in.Name.Ja), NameEn: strings.TrimSpace(in.Name.En), Sector: in.Sector,
		Designation: in.Designation, DesignatedSince: strings.TrimSpace(in.DesignatedSince), Reason: strings.TrimSpace(in.Reason),
	}
	for _, id := range in.ScopeIDs {
		f.Scopes = append(f.Scopes, strconv.FormatInt(id, 10))
	}
	return f
}

// operatorFields maps the form's field names to the API's.
var operatorFields = map[string]string{"name_ja": "name.ja", "name_en": "name.en", "scopes": "scope_ids", "sector": "sector"}

func apiFieldErrors(errs map[string]i18n.Message, names map[string]string) fieldErrors {
	out := fieldErrors{}
	for f, m := range errs {
		if n, ok := names[f]; ok {
			f = n
		}
		out[f] = fieldMsg{ID: m.MessageID, Args: m.Args}
	}
	return out
}

func (s *Server) apiOperators(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	sector := r.URL.Query().Get("sector")
	return listPage(s, w, r, func(tx pgx.Tx) ([]register.Operator, bool, error) {
		return postgres.ListOperatorsAfter(r.Context(), tx, sector, after, limit)
	}, func(o register.Operator) int64 { return o.ID }, every(operatorJSON))
}

func (s *Server) apiOperator(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	var o register.Record
	if err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		o, err = loadOperator(r, tx, p, id, authz.ViewOperator)
		return err
	}); err != nil {
		return err
	}
	w.Header().Set("ETag", etag(o.Version))
	return writeJSON(w, http.StatusOK, operatorJSON(o.Operator))
}

func (s *Server) apiOperatorCreate(w http.ResponseWriter, r *http.Request) error {
	var in apiOperatorInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	p := principal(r)
	sectors, err := s.sectorChoices(r, p)
	if err != nil {
		return err
	}
	f := in.form()
	o := validateOperatorForm(p, &f, sectors)
	if len(f.Errors) > 0 {
		return apiFieldErrors(f.Errors, operatorFields)
	}
	var saved register.Operator
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		oversight, err := postgres.Oversight(r.Context(), tx)
		if err != nil {
			return err
		}
		o.DesignatedBy = designatingMinistry(p, oversight, o.SectorCode, "")
		id, err := postgres.RegisterOperator(r.Context(), tx, p, o, middleware.GetReqID(r.Context()))
		if err != nil {
			return err
		}
		saved, err = postgres.GetOperator(r.Context(), tx, id)
		return err
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", apiPrefix+"/operators/"+itoa(saved.ID))
	w.Header().Set("ETag", etag(saved.Version))
	return writeJSON(w, http.StatusCreated, operatorJSON(saved))
}

// apiOperatorUpdate replaces an operator's fields at the version of
// If-Match; another version is refused with 412, as the page refuses a
// stale form.
func (s *Server) apiOperatorUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	sectors, err := s.sectorChoices(r, p)
	if err != nil {
		return err
	}
	var saved register.Operator
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		// Whose it is first: another tenant's operator is not found,
		// whatever the request holds.
		current, err := loadOperator(r, tx, p, id, authz.ManageOperators)
		if err != nil {
			return err
		}
		var in apiOperatorInput
		if err := readJSON(w, r, &in); err != nil {
			return err
		}
		version, err := ifMatch(r)
		if err != nil {
			return err
		}
		f := in.form()
		f.ID, f.CorporateNumber = id, current.CorporateNumber
		o := validateOperatorForm(p, &f, sectors)
		if len(f.Errors) > 0 {
			return apiFieldErrors(f.Errors, operatorFields)
		}
		if version != current.Version {
			return staleError{errConflictRollback}
		}
		oversight, err := postgres.Oversight(r.Context(), tx)
		if err != nil {
			return err
		}
		o.ID, o.Version, o.CorporateNumber = id, version, current.CorporateNumber
		o.DesignatedBy = designatingMinistry(p, oversight, o.SectorCode, current.DesignatedBy)
		if _, err = postgres.UpdateOperator(r.Context(), tx, p, o, middleware.GetReqID(r.Context())); kijun.ErrorCode(err) == kijun.EConflict {
			return staleError{err}
		} else if err != nil {
			return err
		}
		saved, err = postgres.GetOperator(r.Context(), tx, id)
		return err
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(saved.Version))
	return writeJSON(w, http.StatusOK, operatorJSON(saved))
}

// --- cycles and assessments ---

type apiCycle struct {
	ID         int64                  `json:"id"`
	FiscalYear int                    `json:"fiscal_year"`
	CatalogID  int64                  `json:"catalog_id"`
	OpensOn    string                 `json:"opens_on"`
	DueOn      string                 `json:"due_on"`
	Status     assessment.CycleStatus `json:"status"`
}

func (s *Server) apiCycles(w http.ResponseWriter, r *http.Request) error {
	out := page[apiCycle]{Items: []apiCycle{}}
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		list, err := postgres.ListCycles(r.Context(), tx)
		for _, c := range list {
			out.Items = append(out.Items, apiCycle{ID: c.ID, FiscalYear: int(c.FiscalYear), CatalogID: c.CatalogID,
				OpensOn: kijun.ISODate(c.OpensOn), DueOn: kijun.ISODate(c.DueOn), Status: c.Status})
		}
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

type apiAssessment struct {
	ID           int64             `json:"id"`
	CycleID      int64             `json:"cycle_id"`
	FiscalYear   int               `json:"fiscal_year"`
	OperatorID   int64             `json:"operator_id"`
	OperatorName kijun.Text        `json:"operator_name"`
	Sector       string            `json:"sector"`
	Ministry     string            `json:"ministry,omitempty"`
	Status       assessment.Status `json:"status"`
	Overdue      bool              `json:"overdue"`
	DueOn        string            `json:"due_on"`
	Answered     int               `json:"answered"`
	Total        int               `json:"total"`
	Version      int               `json:"version"`
	SubmittedAt  *time.Time        `json:"submitted_at,omitempty"`
	AcceptedAt   *time.Time        `json:"accepted_at,omitempty"`
	ReturnedAt   *time.Time        `json:"returned_at,omitempty"`
}

type apiRemediation struct {
	Action string `json:"action"`
	Owner  string `json:"owner"`
	Due    string `json:"due,omitempty"`
}

type apiAnswer struct {
	Ref            string                  `json:"ref"`
	Section        string                  `json:"section,omitempty"`
	Title          *kijun.Text             `json:"title,omitempty"`
	Status         assessment.AnswerStatus `json:"status"`
	Maturity       int                     `json:"maturity"`
	How            string                  `json:"how"`
	NAReason       string                  `json:"na_reason"`
	Remediation    apiRemediation          `json:"remediation"`
	CarriedForward bool                    `json:"carried_forward"`
	Version        int                     `json:"version"`
	UpdatedAt      *time.Time              `json:"updated_at,omitempty"`
}

type apiAssessmentDetail struct {
	apiAssessment
	Answers []apiAnswer `json:"answers"`
}

// apiAnswerInput is one answer as a client writes it.
type apiAnswerInput struct {
	Status      string         `json:"status"`
	Maturity    int            `json:"maturity"`
	How         string         `json:"how"`
	NAReason    string         `json:"na_reason"`
	Remediation apiRemediation `json:"remediation"`
}

func assessmentJSON(a assessment.Assessment) apiAssessment {
	out := apiAssessment{ID: a.ID, CycleID: a.CycleID, FiscalYear: int(a.FiscalYear), OperatorID: a.OperatorID,
		OperatorName: a.OperatorName, Sector: a.SectorCode, Ministry: a.MinistryCode, Status: a.Status, Overdue: a.Overdue,
		Answered: a.Answered, Total: a.Total, Version: a.Version, SubmittedAt: a.SubmittedAt, AcceptedAt: a.AcceptedAt,
		ReturnedAt: a.ReturnedAt}
	if !a.DueOn.IsZero() {
		out.DueOn = kijun.ISODate(a.DueOn)
	}
	return out
}

func answerJSON(c assessment.Control, a assessment.Answer) apiAnswer {
	out := apiAnswer{Ref: c.Ref, Section: c.Section, Status: a.Status, Maturity: a.Maturity, How: a.How,
		NAReason: a.NAReason, CarriedForward: a.CarriedForward, Version: a.Version,
		Remediation: apiRemediation{Action: a.Remediation.Action, Owner: a.Remediation.Owner}}
	if c.Title != (kijun.Text{}) {
		title := c.Title
		out.Title = &title
	}
	if a.Remediation.Due != nil {
		out.Remediation.Due = kijun.ISODate(*a.Remediation.Due)
	}
	if !a.UpdatedAt.IsZero() {
		t := a.UpdatedAt
		out.UpdatedAt = &t
	}
	return out
}

func (s *Server) apiAssessments(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := assessment.Filter{Sector: q.Get("sector"), Status: q.Get("status")}
	if f.CycleID, err = queryID(r, "cycle"); err != nil {
		return err
	}
	return listPage(s, w, r, func(tx pgx.Tx) ([]assessment.Assessment, bool, error) {
		return postgres.ListAssessmentsAfter(r.Context(), tx, f, after, limit)
	}, func(a assessment.Assessment) int64 { return a.ID }, every(assessmentJSON))
}

func (s *Server) apiAssessment(w http.ResponseWriter, r *http.Request) error {
	var out apiAssessmentDetail
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		a, err := s.loadAssessment(r, tx, authz.ViewAssessment)
		if err != nil {
			return err
		}
		out = apiAssessmentDetail{apiAssessment: assessmentJSON(a), Answers: []apiAnswer{}}
		rows, err := postgres.ListAnswers(r.Context(), tx, a.ID, "")
		for _, row := range rows {
			out.Answers = append(out.Answers, answerJSON(row.Control, row.Answer))
		}
		return err
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(out.Version))
	return writeJSON(w, http.StatusOK, out)
}

// apiAnswerPut saves one answer (the reply has no section and title:
// those are the control's, in GET /assessments/{id}) at the version of If-Match (the answer's
// version; "0" for one never saved) through the autosave's store, which
// checks the policy on the tenant it reads and the domain's rules; a
// stale version is 412.
func (s *Server) apiAnswerPut(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in apiAnswerInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	p := principal(r)
	a := assessment.Answer{AssessmentID: id, Ref: chiParam(r, "ref"), Status: assessment.AnswerStatus(in.Status),
		Maturity: in.Maturity, How: strings.TrimSpace(in.How), NAReason: strings.TrimSpace(in.NAReason),
		Remediation: assessment.Remediation{Action: strings.TrimSpace(in.Remediation.Action), Owner: strings.TrimSpace(in.Remediation.Owner)}}
	if in.Remediation.Due != "" {
		d, ok := parseDay(in.Remediation.Due)
		if !ok {
			return fieldErrors{"remediation.due": {ID: "form.bad_date"}}
		}
		a.Remediation.Due = &d
	}
	saved, err := postgres.SaveAnswerAs(r.Context(), s.db, p, a, version, middleware.GetReqID(r.Context()),
		func(t postgres.Tenant) bool {
			return authz.Can(p, authz.AnswerAssessment, authz.Resource{SectorCode: t.SectorCode, OperatorID: t.OperatorID})
		})
	var ke *kijun.Error
	switch {
	case errors.As(err, &ke) && ke.Code == kijun.EConflict && ke.MessageID == "assessment.conflict":
		return staleError{err}
	case errors.As(err, &ke) && ke.Code == kijun.EInvalid:
		if ps, ok := ke.Args["Problems"].([]assessment.AnswerProblem); ok && len(ps) > 0 {
			fe := fieldErrors{}
			for _, pr := range ps {
				fe[answerFields[pr.Field]] = fieldMsg{ID: pr.MessageID, Args: pr.Args}
			}
			return fe
		}
		return err
	case err != nil:
		return err
	}
	w.Header().Set("ETag", etag(saved.Version))
	return writeJSON(w, http.StatusOK, answerJSON(assessment.Control{Ref: saved.Ref}, saved))
}

// answerFields maps the domain's answer fields to the API's.
var answerFields = map[string]string{"status": "status", "maturity": "maturity", "how": "how", "na_reason": "na_reason",
	"remediation_action": "remediation.action", "remediation_owner": "remediation.owner", "remediation_due": "remediation.due",
	"carried_forward": "carried_forward", "": "status"}

// apiAssessmentSubmit submits (or resubmits) an assessment, as the page's
// button does; If-Match, when sent, must be the assessment's version. An
// incomplete one is refused with every gap.
func (s *Server) apiAssessmentSubmit(w http.ResponseWriter, r *http.Request) error {
	version := -1 // no If-Match: no check
	if r.Header.Get("If-Match") != "" {
		if version, _ = ifMatch(r); version < 0 { // not an entity tag: matches no version
			return staleError{kijun.Errorf(kijun.EConflict, "api.error.stale", nil)}
		}
	}
	_, problems, err := s.submitAssessment(r, version)
	if err != nil {
		return err
	}
	if problems != nil {
		fe := fieldErrors{}
		for _, pr := range problems {
			fe[pr.Ref+"."+answerFields[pr.Field]] = fieldMsg{ID: pr.MessageID, Args: pr.Args}
		}
		return fe
	}
	return s.writeAssessment(w, r)
}

// writeAssessment answers a change of the request's assessment with the
// assessment as it now is, and its ETag.
func (s *Server) writeAssessment(w http.ResponseWriter, r *http.Request) error {
	var out apiAssessment
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		a, err := s.loadAssessment(r, tx, authz.ViewAssessment)
		out = assessmentJSON(a)
		return err
	})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(out.Version))
	return writeJSON(w, http.StatusOK, out)
}

// apiSignOffInput is the internal check's decision (docs/assessment.md,
// "Inside the operator"): confirmed, or sent_back with a comment.
type apiSignOffInput struct {
	Decision assessment.SignOffDecision `json:"decision"`
	Comment  string                     `json:"comment"`
}

// apiAssessmentSignOff records the internal check through the page's code
// path (signOff): an operator admin or reviewer confirms the assessment for
// submission, or sends it back to the staff with a comment.
func (s *Server) apiAssessmentSignOff(w http.ResponseWriter, r *http.Request) error {
	var in apiSignOffInput
	if r.ContentLength != 0 { // no body: no decision, refused on its field
		if err := readJSON(w, r, &in); err != nil {
			return err
		}
	}
	_, err := s.signOff(r, in.Decision, in.Comment)
	var ke *kijun.Error
	if errors.As(err, &ke) && ke.Code == kijun.EInvalid {
		if problems, ok := ke.Args["Problems"].([]assessment.AnswerProblem); ok {
			fe := fieldErrors{}
			for _, pr := range problems {
				fe[pr.Ref+"."+answerFields[pr.Field]] = fieldMsg{ID: pr.MessageID, Args: pr.Args}
			}
			return fe
		}
		field := "comment"
		if ke.MessageID == assessment.MsgBadDecision {
			field = "decision"
		}
		return fieldErrors{field: {ID: ke.MessageID, Args: ke.Args}}
	}
	if err != nil {
		return err
	}
	return s.writeAssessment(w, r)
}

// apiReviewInput is a ministry's decision on a submitted assessment: a
// note (the reason, for a return) and, for a return, comments on answers.
type apiReviewInput struct {
	Note     string            `json:"note"`
	Comments []apiCommentInput `json:"comments"`
}

type apiCommentInput struct {
	Ref  string `json:"ref"`
	Body string `json:"body"`
}

// apiAssessmentReturn returns a submitted assessment to its operator, as
// the page's return button does (reviewAssessment); a return needs a note
// or a comment on an answer.
func (s *Server) apiAssessmentReturn(w http.ResponseWriter, r *http.Request) error {
	return s.apiReview(w, r, "return")
}

// apiAssessmentAccept accepts a submitted assessment, as the page does;
// the body (a note) is optional.
func (s *Server) apiAssessmentAccept(w http.ResponseWriter, r *http.Request) error {
	return s.apiReview(w, r, "accept")
}

// apiReview decides on the assessment at the version of If-Match (412
// when stale) through the page's code path; refused input is 422 with
// the note's or the comments' field.
func (s *Server) apiReview(w http.ResponseWriter, r *http.Request, decision string) error {
	if _, err := pathID(r, "id"); err != nil {
		return err
	}
	var in apiReviewInput
	switch {
	case decision == "return":
		if err := readJSON(w, r, &in); err != nil {
			return err
		}
	case r.ContentLength != 0: // an acceptance has a note only
		var note struct {
			Note string `json:"note"`
		}
		if err := readJSON(w, r, &note); err != nil {
			return err
		}
		in.Note = note.Note
	}
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	if version < 0 { // not an entity tag: matches no version
		return staleError{kijun.Errorf(kijun.EConflict, "api.error.stale", nil)}
	}
	comments := make([]postgres.CommentInput, 0, len(in.Comments))
	for _, c := range in.Comments {
		comments = append(comments, postgres.CommentInput{Ref: strings.TrimSpace(c.Ref), Body: c.Body})
	}
	id, err := s.reviewAssessment(r, decision, in.Note, comments, version)
	if id != 0 && len(comments) > 0 && errors.Is(err, kijun.ErrNotFound) {
		// The assessment was found: a comment names a control it lacks.
		return fieldErrors{"comments": {ID: "api.error.comment_ref"}}
	}
	var ke *kijun.Error
	if errors.As(err, &ke) && ke.Code == kijun.EInvalid {
		field := "comments"
		if ke.MessageID == "assessment.return.note_required" || ke.MessageID == "assessment.note.too_long" ||
			ke.MessageID == kijun.TextProblem(strings.TrimSpace(in.Note)) {
			field = "note"
		}
		return fieldErrors{field: {ID: ke.MessageID, Args: ke.Args}}
	}
	if err != nil {
		return err
	}
	return s.writeAssessment(w, r)
}

// --- notifications (the token's own service account's) ---

type apiNotification struct {
	ID        int64                 `json:"id"`
	Kind      notify.Kind           `json:"kind"`
	Params    map[string]kijun.Text `json:"params"`
	Link      string                `json:"link"`
	CreatedAt time.Time             `json:"created_at"`
	ReadAt    *time.Time            `json:"read_at,omitempty"`
}

func notificationJSON(n notify.Note) apiNotification {
	params := n.Params
	if params == nil {
		params = map[string]kijun.Text{}
	}
	return apiNotification{ID: n.ID, Kind: n.Kind, Params: params, Link: n.Link, CreatedAt: n.CreatedAt, ReadAt: n.ReadAt}
}

// apiNotifications lists the caller's notifications through the inbox's
// store (RLS: a user sees only their own): a service account is told what
// its grant's scope would be told, while its token lives (docs/
// notifications.md), and never mailed.
func (s *Server) apiNotifications(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	return listPage(s, w, r, func(tx pgx.Tx) ([]notify.Note, bool, error) {
		return postgres.ListNotificationsAfter(r.Context(), tx, after, limit)
	}, func(n notify.Note) int64 { return n.ID }, every(notificationJSON))
}

// apiNotificationRead marks one of the caller's notifications read, as
// the inbox's button does; another user's is not found.
func (s *Server) apiNotificationRead(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var out apiNotification
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		if _, err := postgres.GetNotification(r.Context(), tx, id); err != nil {
			return err
		}
		if err := postgres.MarkNotificationsRead(r.Context(), tx, id, s.now()); err != nil {
			return err
		}
		n, err := postgres.GetNotification(r.Context(), tx, id)
		out = notificationJSON(n)
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}
