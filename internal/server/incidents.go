package server

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/incident"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/pages/incidents"
)

// Incident reports (docs/incidents.md): the operator files, updates and
// closes; its ministry and the NCO read, ask and summarise.
func (s *Server) incidentRoutes(h routeFunc) {
	h(http.MethodGet, "/incidents", authz.ListIncidents, s.handleIncidentIndex)
	h(http.MethodGet, "/incidents/new", authz.FileIncident, s.handleIncidentNew)
	h(http.MethodGet, "/incidents/templates", authz.ManageIncidentTemplates, s.handleIncidentTemplate)
	h(http.MethodPost, "/incidents/templates", authz.ManageIncidentTemplates, s.handleIncidentTemplateEdit)
	h(http.MethodGet, "/incidents/templates/download", authz.ManageIncidentTemplates, s.handleIncidentTemplateExport)
	h(http.MethodPost, "/incidents/templates/import", authz.ManageIncidentTemplates, s.handleIncidentTemplateImport)
	h(http.MethodPost, "/incidents", authz.FileIncident, s.handleIncidentFile)
	h(http.MethodGet, "/incidents/{id}", authz.ViewIncident, s.handleIncidentShow)
	h(http.MethodPost, "/incidents/{id}/stages", authz.FileIncident, s.handleIncidentStage)
	h(http.MethodPost, "/incidents/{id}/messages", authz.ViewIncident, s.handleIncidentMessage)
	h(http.MethodPost, "/incidents/{id}/tlp", authz.ViewIncident, s.handleIncidentTLP)
	h(http.MethodPost, "/incidents/{id}/summaries", authz.ReceiveIncident, s.handleIncidentSummary)
	h(http.MethodGet, "/incidents/files/{id}", authz.ViewIncident, s.handleIncidentFileDownload)
	h(http.MethodGet, "/incident-summaries", authz.ViewIncidentSummaries, s.handleIncidentSummaries)
	h(http.MethodGet, "/incident-summaries/{id}/stix", authz.ViewIncidentSummaries, s.handleIncidentSummarySTIX)
	h(http.MethodGet, "/incidents/export", authz.ExportIncidents, s.handleIncidentExport)
}

// maxIncidentFiles bounds the files of one stage's form, all together.
const maxIncidentFiles = maxEvidenceSize

func init() {
	fileRoutes["POST /incidents"] = true
	fileRoutes["POST /incidents/{id}/stages"] = true
	fileRoutes["POST /incidents/templates/import"] = true
}

func (s *Server) handleIncidentIndex(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	var list []incident.Report
	var tpl incident.Template
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) (err error) {
		if list, err = postgres.ListIncidents(r.Context(), tx, postgres.IncidentFilter{}); err != nil {
			return err
		}
		tpl, err = postgres.CurrentIncidentTemplate(r.Context(), tx)
		return err
	})
	if err != nil {
		return err
	}
	v := incidents.IndexView{CanFile: authz.Can(p, authz.FileIncident, authz.Resource{}),
		ShowOwner: p.NCO || len(p.Ministries) > 0, CanExport: authz.Can(p, authz.ExportIncidents, authz.Resource{}), Summaries: true,
		Templates: authz.Can(p, authz.ManageIncidentTemplates, authz.Resource{})}
	if v.Rows, err = s.incidentRows(r, list, tpl); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, incidents.Index(v))
}

// nextDue is the first date a stage of an open report falls due.
func nextDue(x incident.Report) *time.Time {
	switch {
	case x.UpdateDueOn != nil && (x.FinalDueOn == nil || x.UpdateDueOn.Before(*x.FinalDueOn)):
		return x.UpdateDueOn
	}
	return x.FinalDueOn
}

// incidentDue is the next date a stage of report x falls due and the days
// it is overdue at now (0: not overdue), as the list shows them.
func incidentDue(x incident.Report, now time.Time) (*time.Time, int) {
	due := nextDue(x)
	return due, x.DaysOverdue(due, now)
}

func kindLabel(t incident.Template, kind string) kijun.Text {
	if kind == "" {
		return kijun.Text{}
	}
	f, _ := t.Field(incident.KeyKind)
	return f.ChoiceLabel(kind)
}

// operatorChoices are the operators p files for.
func operatorChoices(p *identity.Principal) []incidents.OperatorChoice {
	var out []incidents.OperatorChoice
	for _, g := range p.Grants {
		if g.OperatorID != 0 && !slices.ContainsFunc(out, func(c incidents.OperatorChoice) bool { return c.ID == g.OperatorID }) &&
			authz.Can(p, authz.FileIncident, authz.Resource{SectorCode: g.SectorCode, OperatorID: g.OperatorID}) {
			out = append(out, incidents.OperatorChoice{ID: g.OperatorID, Name: g.OperatorName})
		}
	}
	return out
}

func (s *Server) handleIncidentNew(w http.ResponseWriter, r *http.Request) error {
	choices := operatorChoices(principal(r))
	if len(choices) == 0 {
		return errNotFound
	}
	f := incidents.Form{Stage: incident.First, Values: incident.Values{}, TLP: incident.Amber, Errors: map[string]string{},
		Choices: choices, Operator: choices[0].ID}
	return s.renderIncidentNew(w, r, http.StatusOK, f)
}

func (s *Server) renderIncidentNew(w http.ResponseWriter, r *http.Request, status int, f incidents.Form) error {
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) (err error) {
		if f.Template, err = postgres.CurrentIncidentTemplate(r.Context(), tx); err != nil {
			return err
		}
		f.Systems, err = postgres.OperatorSystemNames(r.Context(), tx, f.Operator)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, status, incidents.New(incidents.NewView{Form: f}))
}

// readStageForm reads a stage's multipart form: the template's fields
// (field.<key>; a multiple select's values one per line) and the files.
func readStageForm(w http.ResponseWriter, r *http.Request) (incident.Values, []postgres.IncidentFile, error) {
	if !isMultipart(r) { // a form without files
		if err := r.ParseForm(); err != nil {
			return nil, nil, errBadText
		}
		return stageValues(r.PostForm), nil, nil
	}
	cleanup, err := parseMultipart(w, r, maxIncidentFiles, 1<<20)
	defer cleanup()
	if err != nil {
		var big *http.MaxBytesError
		if errors.As(err, &big) {
			return nil, nil, kijun.Errorf(kijun.EInvalid, "exchange.file.too_large",
				map[string]any{"Max": strconv.Itoa(maxIncidentFiles>>20) + " MB"})
		}
		return nil, nil, errBadText
	}
	if err := checkForm(r); err != nil {
		return nil, nil, err
	}
	values := stageValues(r.MultipartForm.Value)
	var files []postgres.IncidentFile
	for _, hdr := range r.MultipartForm.File["files"] {
		if hdr.Filename == "" && hdr.Size == 0 {
			continue
		}
		f, err := hdr.Open()
		if err != nil {
			return nil, nil, errBadText
		}
		data, err := io.ReadAll(io.LimitReader(f, maxIncidentFiles+1))
		f.Close()
		if err != nil {
			return nil, nil, errBadText
		}
		files = append(files, postgres.IncidentFile{Name: hdr.Filename, Data: data})
	}
	return values, files, nil
}

// stageValues are the template's fields of a form (field.<key>; a
// multiple select's values one per line).
func stageValues(form map[string][]string) incident.Values {
	values := incident.Values{}
	for k, vs := range form {
		if key, ok := strings.CutPrefix(k, "field."); ok {
			values[key] = strings.Join(vs, "\n")
		}
	}
	return values
}

func (s *Server) handleIncidentFile(w http.ResponseWriter, r *http.Request) error {
	values, files, err := readStageForm(w, r)
	if err != nil {
		return err
	}
	choices := operatorChoices(principal(r))
	if len(choices) == 0 {
		return errNotFound
	}
	op, _ := strconv.ParseInt(r.FormValue("operator"), 10, 64)
	f := incidents.Form{Stage: incident.First, Values: values, TLP: incident.TLP(r.FormValue("tlp")), Choices: choices, Operator: op}
	id, err := s.fileIncident(r, op, f.TLP, values, files)
	var fe postgres.FieldErrors
	if errors.As(err, &fe) {
		if _, ok := fe["operator"]; ok {
			f.Operator = choices[0].ID
		}
		f.Errors = fe
		return s.renderIncidentNew(w, r, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/incidents/"+itoa(id)+"?sent=1", http.StatusSeeOther)
	return nil
}

// fileIncident files a first report for operator op, one the user files
// for (operatorChoices), with the page's form or the API's JSON: field
// problems come back as postgres.FieldErrors, the operator's under
// "operator".
func (s *Server) fileIncident(r *http.Request, op int64, tlp incident.TLP, values incident.Values, files []postgres.IncidentFile) (int64, error) {
	p := principal(r)
	choices := operatorChoices(p)
	if len(choices) == 0 {
		return 0, errNotFound
	}
	if !slices.ContainsFunc(choices, func(c incidents.OperatorChoice) bool { return c.ID == op }) {
		return 0, postgres.FieldErrors{"operator": "incident.error.operator"}
	}
	var id int64
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) (err error) {
		id, err = postgres.FileIncident(r.Context(), tx, p, op, tlp, values, files, maxEvidenceSize, middleware.GetReqID(r.Context()))
		return err
	})
	return id, err
}

func (s *Server) handleIncidentShow(w http.ResponseWriter, r *http.Request) error {
	v := incidents.ShowView{}
	if r.URL.Query().Get("sent") == "1" {
		v.Notice = "incident.notice.sent"
	}
	return s.renderIncident(w, r, http.StatusOK, v)
}

// incidentDetail is a report as its named recipients read it: the
// header, the stages with the template each was sent with, the thread,
// the summaries published of it, the current template and the
// operator's registered systems (the next stage's form).
type incidentDetail struct {
	Report    incident.Report
	Stages    []incidents.StageView
	Messages  []incident.Message
	Summaries []incident.Summary
	Current   incident.Template
	Systems   []string
}

// loadIncident reads report id for the page and the API: 404 outside its
// named recipients (RLS, and the policy asked with the report's label).
func (s *Server) loadIncident(r *http.Request, id int64) (incidentDetail, error) {
	p := principal(r)
	var d incidentDetail
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		x, err := postgres.GetIncident(r.Context(), tx, id)
		if err != nil {
			return err
		}
		if !authz.CanIncident(p, authz.ViewIncident, authz.Resource{SectorCode: x.SectorCode, OperatorID: x.OperatorID}, x.TLP, false) {
			return kijun.ErrNotFound
		}
		d.Report = x
		stages, err := postgres.ListIncidentStages(r.Context(), tx, id)
		if err != nil {
			return err
		}
		templates := map[int64]incident.Template{}
		for _, st := range stages {
			if _, ok := templates[st.TemplateID]; !ok {
				if templates[st.TemplateID], err = postgres.GetIncidentTemplate(r.Context(), tx, st.TemplateID); err != nil {
					return err
				}
			}
			d.Stages = append(d.Stages, incidents.StageView{Stage: st, Template: templates[st.TemplateID]})
		}
		if d.Messages, err = postgres.ListIncidentMessages(r.Context(), tx, id); err != nil {
			return err
		}
		if d.Current, err = postgres.CurrentIncidentTemplate(r.Context(), tx); err != nil {
			return err
		}
		if d.Systems, err = postgres.OperatorSystemNames(r.Context(), tx, x.OperatorID); err != nil {
			return err
		}
		d.Summaries, err = postgres.ListReportSummaries(r.Context(), tx, id)
		return err
	})
	return d, err
}

// renderIncident loads the report (404 outside its named recipients) and
// shows it with the forms in v (what was typed, the problems).
func (s *Server) renderIncident(w http.ResponseWriter, r *http.Request, status int, v incidents.ShowView) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	d, err := s.loadIncident(r, id)
	if err != nil {
		return err
	}
	v.Report, v.Stages, v.Summaries, v.Form.Systems = d.Report, d.Stages, d.Summaries, d.Systems
	current, msgs := d.Current, d.Messages
	res := authz.Resource{SectorCode: v.Report.SectorCode, OperatorID: v.Report.OperatorID}
	v.CanFile = authz.Can(p, authz.FileIncident, res)
	v.CanReceive = authz.Can(p, authz.ReceiveIncident, res)
	v.CanSummarize = authz.CanIncident(p, authz.ReceiveIncident, res, v.Report.TLP, true)
	v.Now = s.now()
	v.Form.Template = current
	if v.Form.Stage == "" {
		v.Form.Stage = incident.Update
	}
	if v.Form.Values == nil {
		v.Form.Values = incident.Values{incident.KeyTitle: v.Report.Title}
	}
	names, err := postgres.LoadReferenceNames(r.Context(), s.db)
	if err != nil {
		return err
	}
	sectors := kijun.NameMap(names.Sectors)
	v.SectorName, v.KindLabel = sectors[v.Report.SectorCode], kindLabel(current, v.Report.Kind)
	for _, n := range names.Sectors {
		v.Sectors = append(v.Sectors, incidents.SectorChoice{Code: n.Code, Name: n.Name})
	}
	for _, m := range msgs {
		if m.Kind == "question" {
			v.Thread = append(v.Thread, incidents.ThreadItem{Question: m})
			continue
		}
		for i := range v.Thread {
			if v.Thread[i].Question.ID == m.ParentID {
				v.Thread[i].Answers = append(v.Thread[i].Answers, m)
			}
		}
	}
	return s.render(w, r, status, incidents.Show(v))
}

func (s *Server) handleIncidentStage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	values, files, err := readStageForm(w, r)
	if err != nil {
		return err
	}
	stage := incident.Stage(r.FormValue("stage"))
	if stage != incident.Update && stage != incident.Final {
		stage = incident.Update
	}
	err = s.addIncidentStage(r, id, stage, values, files)
	var fe postgres.FieldErrors
	if errors.As(err, &fe) {
		return s.renderIncident(w, r, http.StatusUnprocessableEntity, incidents.ShowView{
			Form: incidents.Form{Stage: stage, Values: values, Errors: fe}})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/incidents/"+itoa(id)+"?sent=1", http.StatusSeeOther)
	return nil
}

func (s *Server) handleIncidentMessage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	parent, err := parseOptionalID(r.PostFormValue("parent"))
	if err != nil {
		return err
	}
	body := r.PostFormValue("body")
	_, err = s.postIncidentMessage(r, id, parent, body)
	var fe postgres.FieldErrors
	if errors.As(err, &fe) {
		return s.renderIncident(w, r, http.StatusUnprocessableEntity, incidents.ShowView{AskErrors: fe, AskBody: body, AnswerTo: parent})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/incidents/"+itoa(id)+"#thread-heading", http.StatusSeeOther)
	return nil
}

// addIncidentStage sends an update or the final report on report id (the
// page's form and the API's JSON).
func (s *Server) addIncidentStage(r *http.Request, id int64, stage incident.Stage, values incident.Values, files []postgres.IncidentFile) error {
	p := principal(r)
	return postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		return postgres.AddIncidentStage(r.Context(), tx, p, id, stage, values, files, maxEvidenceSize, middleware.GetReqID(r.Context()))
	})
}

// postIncidentMessage adds a question (parent 0) or an answer to question
// parent on report id (the page's form and the API's JSON).
func (s *Server) postIncidentMessage(r *http.Request, id, parent int64, body string) (incident.Message, error) {
	p := principal(r)
	var m incident.Message
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) (err error) {
		m, err = postgres.AskIncident(r.Context(), tx, p, id, parent, body, middleware.GetReqID(r.Context()))
		return err
	})
	return m, err
}

// relabelIncident changes report id's TLP label by the rule of
// incident.CanRelabel (the page's form and the API's JSON).
func (s *Server) relabelIncident(r *http.Request, id int64, tlp incident.TLP) error {
	p := principal(r)
	return postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		return postgres.RelabelIncident(r.Context(), tx, p, id, tlp, middleware.GetReqID(r.Context()))
	})
}

func parseOptionalID(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	return parseID(v)
}

func (s *Server) handleIncidentTLP(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = s.relabelIncident(r, id, incident.TLP(r.PostFormValue("tlp")))
	var fe postgres.FieldErrors
	if errors.As(err, &fe) {
		return s.renderIncident(w, r, http.StatusUnprocessableEntity, incidents.ShowView{TLPError: fe["tlp"]})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/incidents/"+itoa(id), http.StatusSeeOther)
	return nil
}

func (s *Server) handleIncidentSummary(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	f := incidents.SummaryForm{Sector: r.PostFormValue("sector"), Title: r.PostFormValue("title"), Body: r.PostFormValue("body")}
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		_, err := postgres.PublishIncidentSummary(r.Context(), tx, p, id, f.Sector, f.Title, f.Body, middleware.GetReqID(r.Context()))
		return err
	})
	var fe postgres.FieldErrors
	if errors.As(err, &fe) {
		f.Errors = fe
		return s.renderIncident(w, r, http.StatusUnprocessableEntity, incidents.ShowView{Summary: f})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/incidents/"+itoa(id)+"#summary-heading", http.StatusSeeOther)
	return nil
}

// handleIncidentFileDownload sends an attachment to the report's named
// recipients, as an attachment, never rendered as a page.
func (s *Server) handleIncidentFileDownload(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var a incident.Attachment
	var data []byte
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		a, data, err = postgres.GetIncidentAttachment(r.Context(), tx, id)
		return err
	})
	if err != nil {
		return err
	}
	if !authz.Can(principal(r), authz.ViewIncident, authz.Resource{SectorCode: a.SectorCode, OperatorID: a.OperatorID}) {
		return errNotFound
	}
	return sendUpload(w, a.ContentType, a.FileName, data)
}

func (s *Server) handleIncidentSummaries(w http.ResponseWriter, r *http.Request) error {
	var list []incident.Summary
	var tpl incident.Template
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) (err error) {
		if list, err = postgres.ListIncidentSummaries(r.Context(), tx); err != nil {
			return err
		}
		tpl, err = postgres.CurrentIncidentTemplate(r.Context(), tx)
		return err
	})
	if err != nil {
		return err
	}
	sectors, err := s.sectorNames(r)
	if err != nil {
		return err
	}
	v := incidents.SummariesView{}
	for _, sm := range list {
		v.Summaries = append(v.Summaries, incidents.SummaryRow{Summary: sm, SectorName: sectors[sm.SectorCode], KindLabel: kindLabel(tpl, sm.Kind)})
	}
	return s.render(w, r, http.StatusOK, incidents.Summaries(v))
}

// incidentRows are the list's rows of reports.
func (s *Server) incidentRows(r *http.Request, list []incident.Report, tpl incident.Template) ([]incidents.Row, error) {
	sectors, err := s.sectorNames(r)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var rows []incidents.Row
	for _, x := range list {
		row := incidents.Row{Report: x, SectorName: sectors[x.SectorCode], KindLabel: kindLabel(tpl, x.Kind)}
		row.DueOn, row.DaysOverdue = incidentDue(x, now)
		rows = append(rows, row)
	}
	return rows, nil
}

// handleIncidentExport writes the reports of the ministry's sectors (all
// for the NCO) as CSV or XLSX, for their own records: never a TLP:RED
// report (authz.CanIncident), which stays with its named recipients.
func (s *Server) handleIncidentExport(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format != "csv" && format != "xlsx" {
		return errNotFound
	}
	p := principal(r)
	var list []incident.Report
	var tpl incident.Template
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) (err error) {
		if list, err = postgres.ListIncidents(r.Context(), tx, postgres.IncidentFilter{NoRed: true, Limit: 100000}); err != nil {
			return err
		}
		tpl, err = postgres.CurrentIncidentTemplate(r.Context(), tx)
		return err
	})
	if err != nil {
		return err
	}
	list = slices.DeleteFunc(list, func(x incident.Report) bool {
		return !authz.CanIncident(p, authz.ExportIncidents, authz.Resource{SectorCode: x.SectorCode, OperatorID: x.OperatorID}, x.TLP, false)
	})
	rows, err := s.incidentRows(r, list, tpl)
	if err != nil {
		return err
	}
	l := i18n.From(r.Context())
	header := incidents.ExportHeader(l)
	name := "incident-reports-" + s.now().In(kijun.JST).Format("20060102")
	w.Header().Set("Cache-Control", "no-store")
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		setAttachment(w, name+".csv")
		cw, err := exchange.NewCSVWriter(w, header)
		if err != nil {
			return err
		}
		for _, row := range rows {
			if err := cw.Write(incidents.ExportRecord(l, row)); err != nil {
				return err
			}
		}
		return cw.Flush()
	}
	cols := make([]exchange.Column, len(header))
	for i, h := range header {
		cols[i] = exchange.Column{Header: h}
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	setAttachment(w, name+".xlsx")
	x, err := exchange.NewXLSXWriter(w, "incident-reports", cols)
	if err != nil {
		return err
	}
	for _, row := range rows {
		if err := x.Write(incidents.ExportRecord(l, row)); err != nil {
			x.Close()
			return err
		}
	}
	return x.Close()
}

// handleIncidentSummarySTIX sends a summary of the user's audience as a
// STIX 2.1 bundle (docs/incidents.md, "Interchange"); it holds nothing of
// the operator, as the summary holds nothing.
func (s *Server) handleIncidentSummarySTIX(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var sm incident.Summary
	var tpl incident.Template
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) (err error) {
		if sm, err = postgres.GetIncidentSummary(r.Context(), tx, id); err != nil {
			return err
		}
		tpl, err = postgres.CurrentIncidentTemplate(r.Context(), tx)
		return err
	})
	if err != nil {
		return err
	}
	l := i18n.From(r.Context())
	b, err := incident.STIXBundle(sm, l.T("incident.stix.publisher"), l.Pick(kindLabel(tpl, sm.Kind)))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/stix+json;version=2.1")
	w.Header().Set("Cache-Control", "no-store")
	setAttachment(w, "incident-summary-"+itoa(sm.ID)+".stix.json")
	_, err = w.Write(b)
	return err
}
