package server

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/incident"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// Incident reports in the API (docs/incidents.md, docs/api.md): the same
// loaders and writers as the pages (loadIncident, fileIncident,
// addIncidentStage, postIncidentMessage, relabelIncident, the STIX and
// file downloads), so the same policy (authz.CanIncident), TLP rule and
// row-level security decide. Stages and messages are appended, never
// changed, so no write here needs If-Match; a stage on a closed report is
// 409 as on the page.
func (s *Server) apiIncidentRoutes(a apiRoute) {
	a(http.MethodGet, "/incidents", authz.ListIncidents, s.apiIncidents)
	a(http.MethodPost, "/incidents", authz.FileIncident, s.apiIncidentFile)
	a(http.MethodGet, "/incidents/{id}", authz.ViewIncident, s.apiIncident)
	a(http.MethodPost, "/incidents/{id}/stages", authz.FileIncident, s.apiIncidentStage)
	a(http.MethodPost, "/incidents/{id}/messages", authz.ViewIncident, s.apiIncidentMessage)
	a(http.MethodPost, "/incidents/{id}/tlp", authz.ViewIncident, s.apiIncidentTLP)
	a(http.MethodGet, "/incidents/files/{id}", authz.ViewIncident, s.handleIncidentFileDownload) // the page's download
	a(http.MethodGet, "/incident-template", authz.ListIncidents, s.apiIncidentTemplate)
	a(http.MethodGet, "/incident-summaries", authz.ViewIncidentSummaries, s.apiIncidentSummaries)
	a(http.MethodGet, "/incident-summaries/{id}/stix", authz.ViewIncidentSummaries, s.handleIncidentSummarySTIX) // the page's export
}

type apiIncident struct {
	ID           int64           `json:"id"`
	Ref          string          `json:"ref"`
	OperatorID   int64           `json:"operator_id"`
	OperatorName kijun.Text      `json:"operator_name"`
	Sector       string          `json:"sector"`
	TLP          incident.TLP    `json:"tlp"`
	Status       incident.Status `json:"status"`
	Title        string          `json:"title"`
	Kind         string          `json:"kind"`
	KindLabel    kijun.Text      `json:"kind_label"`
	StageCount   int             `json:"stage_count"`
	FiledAt      time.Time       `json:"filed_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
	ClosedAt     *time.Time      `json:"closed_at,omitempty"`
	FinalDueOn   string          `json:"final_due_on,omitempty"`
	UpdateDueOn  string          `json:"update_due_on,omitempty"`
	NextDueOn    string          `json:"next_due_on,omitempty"`
	DaysOverdue  int             `json:"days_overdue"`
	ControlRefs  []string        `json:"control_refs"`
}

type apiIncidentFile struct {
	ID          int64     `json:"id"`
	FileName    string    `json:"file_name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	UploadedAt  time.Time `json:"uploaded_at"`
	Download    string    `json:"download"`
}

type apiIncidentStage struct {
	Seq             int               `json:"seq"`
	Stage           incident.Stage    `json:"stage"`
	TemplateVersion int               `json:"template_version"`
	Values          map[string]string `json:"values"`
	SubmittedBy     string            `json:"submitted_by"`
	SubmittedAt     time.Time         `json:"submitted_at"`
	Files           []apiIncidentFile `json:"files"`
}

type apiIncidentMessage struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	ParentID  int64     `json:"parent_id,omitempty"`
	Body      string    `json:"body"`
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
}

type apiIncidentSummary struct {
	ID          int64        `json:"id"`
	Sector      string       `json:"sector,omitempty"`
	TLP         incident.TLP `json:"tlp"`
	Title       string       `json:"title"`
	Body        string       `json:"body"`
	Kind        string       `json:"kind"`
	KindLabel   kijun.Text   `json:"kind_label"`
	PublishedAt time.Time    `json:"published_at"`
	STIX        string       `json:"stix"`
}

// apiIncidentAllowed says what the caller may do on the report (the
// page's forms).
type apiIncidentAllowed struct {
	File      bool `json:"file"`
	Receive   bool `json:"receive"`
	Summarize bool `json:"summarize"`
}

type apiIncidentDetail struct {
	apiIncident
	Stages    []apiIncidentStage   `json:"stages"`
	Messages  []apiIncidentMessage `json:"messages"`
	Summaries []apiIncidentSummary `json:"summaries"`
	Allowed   apiIncidentAllowed   `json:"allowed"`
}

type apiIncidentField struct {
	Key      string            `json:"key"`
	Type     string            `json:"type"`
	Label    kijun.Text        `json:"label"`
	Help     kijun.Text        `json:"help"`
	Max      int               `json:"max"`
	Required []incident.Stage  `json:"required"`
	Choices  []incident.Choice `json:"choices"`
}

type apiIncidentOperator struct {
	ID      int64      `json:"id"`
	Name    kijun.Text `json:"name"`
	Systems []string   `json:"systems"`
}

type apiIncidentTemplate struct {
	Version   int                   `json:"version"`
	Title     kijun.Text            `json:"title"`
	Due       incident.Due          `json:"due"`
	Fields    []apiIncidentField    `json:"fields"`
	Operators []apiIncidentOperator `json:"operators"`
}

func dayString(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}

func (s *Server) incidentJSON(x incident.Report, tpl incident.Template) apiIncident {
	due, days := incidentDue(x, s.now())
	return apiIncident{ID: x.ID, Ref: x.Ref(), OperatorID: x.OperatorID, OperatorName: x.OperatorName, Sector: x.SectorCode,
		TLP: x.TLP, Status: x.Status, Title: x.Title, Kind: x.Kind, KindLabel: kindLabel(tpl, x.Kind), StageCount: x.Stages,
		FiledAt: x.FiledAt, UpdatedAt: x.UpdatedAt, ClosedAt: x.ClosedAt, FinalDueOn: dayString(x.FinalDueOn),
		UpdateDueOn: dayString(x.UpdateDueOn), NextDueOn: dayString(due), DaysOverdue: days, ControlRefs: kijun.NonNil(x.ControlRefs)}
}

func summaryJSON(sm incident.Summary, tpl incident.Template) apiIncidentSummary {
	return apiIncidentSummary{ID: sm.ID, Sector: sm.SectorCode, TLP: sm.TLP, Title: sm.Title, Body: sm.Body, Kind: sm.Kind,
		KindLabel: kindLabel(tpl, sm.Kind), PublishedAt: sm.PublishedAt, STIX: apiPrefix + "/incident-summaries/" + itoa(sm.ID) + "/stix"}
}

// apiIncidents lists the reports the caller may see — an operator its
// own, a ministry its sectors', the NCO all, whatever their label, as the
// page /incidents — in id order; status and sector narrow it.
func (s *Server) apiIncidents(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := postgres.IncidentFilter{SectorCode: q.Get("sector"), Status: incident.Status(q.Get("status"))}
	if f.Status != "" && f.Status != incident.Open && f.Status != incident.Closed {
		return fieldErrors{"status": {ID: "api.error.bad_query"}}
	}
	if kijun.TextProblem(f.SectorCode) != "" || len(f.SectorCode) > 100 {
		return fieldErrors{"sector": {ID: "api.error.bad_query"}}
	}
	p := principal(r)
	var tpl incident.Template
	return listPage(s, w, r, func(tx pgx.Tx) (list []incident.Report, more bool, err error) {
		if tpl, err = postgres.CurrentIncidentTemplate(r.Context(), tx); err != nil {
			return nil, false, err
		}
		return postgres.ListIncidentsAfter(r.Context(), tx, f, after, limit)
	}, func(x incident.Report) int64 { return x.ID }, func(x incident.Report) (apiIncident, bool) {
		if !authz.CanIncident(p, authz.ViewIncident, authz.Resource{SectorCode: x.SectorCode, OperatorID: x.OperatorID}, x.TLP, false) {
			return apiIncident{}, false
		}
		return s.incidentJSON(x, tpl), true
	})
}

// writeIncident writes report id as its recipient reads it on the page.
func (s *Server) writeIncident(w http.ResponseWriter, r *http.Request, status int, id int64) error {
	d, err := s.loadIncident(r, id)
	if err != nil {
		return err
	}
	p := principal(r)
	res := authz.Resource{SectorCode: d.Report.SectorCode, OperatorID: d.Report.OperatorID}
	out := apiIncidentDetail{apiIncident: s.incidentJSON(d.Report, d.Current), Stages: []apiIncidentStage{},
		Messages: []apiIncidentMessage{}, Summaries: []apiIncidentSummary{},
		Allowed: apiIncidentAllowed{File: authz.Can(p, authz.FileIncident, res), Receive: authz.Can(p, authz.ReceiveIncident, res),
			Summarize: authz.CanIncident(p, authz.ReceiveIncident, res, d.Report.TLP, true)}}
	for _, st := range d.Stages {
		j := apiIncidentStage{Seq: st.Stage.Seq, Stage: st.Stage.Stage, TemplateVersion: st.Template.Version, Values: map[string]string{},
			SubmittedBy: st.Stage.SubmittedByName, SubmittedAt: st.Stage.SubmittedAt, Files: []apiIncidentFile{}}
		for k, v := range st.Stage.Values {
			j.Values[k] = v
		}
		for _, a := range st.Stage.Attachments {
			j.Files = append(j.Files, apiIncidentFile{ID: a.ID, FileName: a.FileName, ContentType: a.ContentType, Size: a.Size,
				SHA256: hex.EncodeToString(a.SHA256), UploadedAt: a.UploadedAt, Download: apiPrefix + "/incidents/files/" + itoa(a.ID)})
		}
		out.Stages = append(out.Stages, j)
	}
	for _, m := range d.Messages {
		out.Messages = append(out.Messages, apiIncidentMessage{ID: m.ID, Kind: m.Kind, ParentID: m.ParentID, Body: m.Body,
			Author: m.AuthorName, CreatedAt: m.CreatedAt})
	}
	for _, sm := range d.Summaries {
		out.Summaries = append(out.Summaries, summaryJSON(sm, d.Current))
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", apiPrefix+"/incidents/"+itoa(id))
	}
	return writeJSON(w, status, out)
}

// apiIncident is one report: its stages (each with the template version
// it was sent with), the thread, the label, the linked controls and the
// summaries published of it.
func (s *Server) apiIncident(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.writeIncident(w, r, http.StatusOK, id)
}

// apiValue is a field's value: a string, or for a multi-valued field
// (systems) a list of strings, kept one per line as the page's form does.
type apiValue string

func (v *apiValue) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*v = apiValue(one)
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*v = apiValue(strings.Join(many, "\n"))
	return nil
}

func stageValuesJSON(in map[string]apiValue) incident.Values {
	out := incident.Values{}
	for k, v := range in {
		out[k] = string(v)
	}
	return out
}

// incidentFieldErrors names the store's field problems as the API's
// input does: a template field under values.<key>.
func incidentFieldErrors(fe postgres.FieldErrors, values bool) fieldErrors {
	out := fieldErrors{}
	for k, id := range fe {
		switch {
		case k == "operator":
			k = "operator_id"
		case id == "incident.error.parent":
			k = "parent_id"
		case values && k != "tlp" && k != "files":
			k = "values." + k
		}
		out[k] = fieldMsg{ID: id}
	}
	return out
}

type apiIncidentInput struct {
	OperatorID int64               `json:"operator_id"`
	TLP        incident.TLP        `json:"tlp"`
	Values     map[string]apiValue `json:"values"`
}

// apiIncidentFile files a first report (第一報) with the current
// template's field values; operator_id may be left out by a caller that
// files for one operator only.
func (s *Server) apiIncidentFile(w http.ResponseWriter, r *http.Request) error {
	var in apiIncidentInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if choices := operatorChoices(principal(r)); in.OperatorID == 0 && len(choices) == 1 {
		in.OperatorID = choices[0].ID
	}
	id, err := s.fileIncident(r, in.OperatorID, in.TLP, stageValuesJSON(in.Values), nil)
	var fe postgres.FieldErrors
	if errors.As(err, &fe) {
		return incidentFieldErrors(fe, true)
	}
	if err != nil {
		return err
	}
	return s.writeIncident(w, r, http.StatusCreated, id)
}

// incidentHeader reads report id's header and asks the policy for action
// on it: 404 when not allowed, before the request's body is read.
func (s *Server) incidentHeader(r *http.Request, action authz.Action) (incident.Report, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return incident.Report{}, err
	}
	p := principal(r)
	var x incident.Report
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) (err error) {
		x, err = postgres.GetIncident(r.Context(), tx, id)
		return err
	})
	if err == nil && !authz.CanIncident(p, action, authz.Resource{SectorCode: x.SectorCode, OperatorID: x.OperatorID}, x.TLP, false) {
		err = errNotFound
	}
	return x, err
}

type apiIncidentStageInput struct {
	Stage  incident.Stage      `json:"stage"`
	Values map[string]apiValue `json:"values"`
}

// apiIncidentStage sends an update (続報) or the final report (最終報告),
// which closes the report.
func (s *Server) apiIncidentStage(w http.ResponseWriter, r *http.Request) error {
	x, err := s.incidentHeader(r, authz.FileIncident)
	if err != nil {
		return err
	}
	var in apiIncidentStageInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if in.Stage != incident.Update && in.Stage != incident.Final {
		return fieldErrors{"stage": {ID: "incident.error.choice"}}
	}
	err = s.addIncidentStage(r, x.ID, in.Stage, stageValuesJSON(in.Values), nil)
	var fe postgres.FieldErrors
	if errors.As(err, &fe) {
		return incidentFieldErrors(fe, true)
	}
	if err != nil {
		return err
	}
	return s.writeIncident(w, r, http.StatusCreated, x.ID)
}

type apiIncidentMessageInput struct {
	ParentID int64  `json:"parent_id"`
	Body     string `json:"body"`
}

// apiIncidentMessage adds to the thread: the ministry or the NCO asks (no
// parent_id), the operator answers a question (its parent_id).
func (s *Server) apiIncidentMessage(w http.ResponseWriter, r *http.Request) error {
	x, err := s.incidentHeader(r, authz.ViewIncident)
	if err != nil {
		return err
	}
	var in apiIncidentMessageInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	res := authz.Resource{SectorCode: x.SectorCode, OperatorID: x.OperatorID}
	if in.ParentID < 0 || (in.ParentID == 0) != authz.Can(principal(r), authz.ReceiveIncident, res) {
		return fieldErrors{"parent_id": {ID: "incident.error.parent"}}
	}
	m, err := s.postIncidentMessage(r, x.ID, in.ParentID, in.Body)
	var fe postgres.FieldErrors
	if errors.As(err, &fe) {
		return incidentFieldErrors(fe, false)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Location", apiPrefix+"/incidents/"+itoa(x.ID))
	return writeJSON(w, http.StatusCreated, apiIncidentMessage{ID: m.ID, Kind: m.Kind, ParentID: m.ParentID, Body: m.Body,
		Author: m.AuthorName, CreatedAt: m.CreatedAt})
}

type apiIncidentTLPInput struct {
	TLP incident.TLP `json:"tlp"`
}

// apiIncidentTLP changes the label: the operator to any, the ministry and
// the NCO only to a narrower one (incident.CanRelabel).
func (s *Server) apiIncidentTLP(w http.ResponseWriter, r *http.Request) error {
	x, err := s.incidentHeader(r, authz.ViewIncident)
	if err != nil {
		return err
	}
	var in apiIncidentTLPInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	err = s.relabelIncident(r, x.ID, in.TLP)
	var fe postgres.FieldErrors
	if errors.As(err, &fe) {
		return incidentFieldErrors(fe, false)
	}
	if err != nil {
		return err
	}
	return s.writeIncident(w, r, http.StatusOK, x.ID)
}

// apiIncidentTemplate is the report template: the current version, or
// ?version=N (the one an older stage was sent with); with, for a caller
// that files, its operators and their registered systems (the choices of
// a systems field).
func (s *Server) apiIncidentTemplate(w http.ResponseWriter, r *http.Request) error {
	version := 0
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fieldErrors{"version": {ID: "api.error.bad_query"}}
		}
		version = n
	}
	p := principal(r)
	var out apiIncidentTemplate
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		var t incident.Template
		var err error
		if version > 0 {
			t, err = postgres.GetIncidentTemplateVersion(r.Context(), tx, version)
		} else {
			t, err = postgres.CurrentIncidentTemplate(r.Context(), tx)
		}
		if err != nil {
			return err
		}
		out = apiIncidentTemplate{Version: t.Version, Title: t.Title, Due: t.Due, Fields: []apiIncidentField{}, Operators: []apiIncidentOperator{}}
		for _, f := range t.Fields {
			j := apiIncidentField{Key: f.Key, Type: f.Type, Label: f.Label, Help: f.Help, Max: f.Max,
				Required: kijun.NonNil(f.Required), Choices: kijun.NonNil(f.Choices)}
			if j.Max == 0 {
				j.Max = incident.DefaultMax
			}
			out.Fields = append(out.Fields, j)
		}
		for _, c := range operatorChoices(p) {
			systems, err := postgres.OperatorSystemNames(r.Context(), tx, c.ID)
			if err != nil {
				return err
			}
			out.Operators = append(out.Operators, apiIncidentOperator{ID: c.ID, Name: c.Name, Systems: kijun.NonNil(systems)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// apiIncidentSummaries lists the anonymised summaries of the caller's
// audience (RLS), in id order, as the page /incident-summaries: nothing
// of the operator or of the report.
func (s *Server) apiIncidentSummaries(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	var tpl incident.Template
	return listPage(s, w, r, func(tx pgx.Tx) (list []incident.Summary, more bool, err error) {
		if tpl, err = postgres.CurrentIncidentTemplate(r.Context(), tx); err != nil {
			return nil, false, err
		}
		return postgres.ListIncidentSummariesAfter(r.Context(), tx, after, limit)
	}, func(sm incident.Summary) int64 { return sm.ID }, every(func(sm incident.Summary) apiIncidentSummary {
		return summaryJSON(sm, tpl)
	}))
}
