package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/incident"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/pages/incidents"
)

// The NCO's editor of the report template (docs/incidents.md, "The
// report template is data"): the current version as a form of one row
// a field, re-rendered by the server for each step (add a field, remove,
// move, check), a preview of the first report's form and the changes
// before publishing with a reason; the JSON as download and upload.

// maxTemplateFile bounds an uploaded template definition.
const maxTemplateFile = 1 << 20

func (s *Server) currentIncidentTemplate(r *http.Request) (incident.Template, error) {
	var cur incident.Template
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) (err error) {
		cur, err = postgres.CurrentIncidentTemplate(r.Context(), tx)
		return err
	})
	return cur, err
}

func (s *Server) handleIncidentTemplate(w http.ResponseWriter, r *http.Request) error {
	cur, err := s.currentIncidentTemplate(r)
	if err != nil {
		return err
	}
	v := incidents.TemplateView{Current: cur, Draft: incidents.DraftOf(cur), Preview: &cur}
	if n, err := strconv.Atoi(r.URL.Query().Get("published")); err == nil && n > 0 {
		v.Notice, v.NoticeArgs = "incident.template.published", map[string]any{"Version": n}
	}
	return s.render(w, r, http.StatusOK, incidents.TemplatePage(v))
}

// templateDraft reads the editor's form as typed.
func templateDraft(r *http.Request) incidents.TemplateDraft {
	f := r.PostForm
	d := incidents.TemplateDraft{TitleJa: f.Get("title_ja"), TitleEn: f.Get("title_en"),
		FinalDays: f.Get("final_days"), UpdateDays: f.Get("update_days"), Reason: f.Get("reason")}
	d.Base, _ = strconv.Atoi(f.Get("base"))
	n, _ := strconv.Atoi(f.Get("rows"))
	n = min(max(n, 0), incident.MaxFields+1)
	for i := range n {
		at := func(part string) string { return "row." + strconv.Itoa(i) + "." + part }
		d.Rows = append(d.Rows, incidents.TemplateRow{Key: f.Get(at("key")), Type: f.Get(at("type")),
			LabelJa: f.Get(at("label_ja")), LabelEn: f.Get(at("label_en")), HelpJa: f.Get(at("help_ja")), HelpEn: f.Get(at("help_en")),
			Max: f.Get(at("max")), Required: f[at("required")], Choices: f.Get(at("choices"))})
	}
	return d
}

// checkDraft reads the draft as a template and checks it as the version
// after cur: the problems of reading it and of the template; the
// preview and the changes when there are none.
func checkDraft(v *incidents.TemplateView) incident.Template {
	t, problems := v.Draft.Template()
	for at, p := range t.NextProblems(v.Current) {
		if _, ok := problems[at]; !ok {
			problems[at] = p
		}
	}
	v.Problems = problems
	if len(problems) == 0 {
		v.Preview, v.Changes = &t, t.Diff(v.Current)
	}
	return t
}

// handleIncidentTemplateEdit takes one step of the editor, named by the
// button pressed: add a row, remove or move one, check the draft (the
// default, also the Enter key's), or publish it as the next version.
// Nothing is stored until a checked draft is published; a refused form
// comes back as typed, each problem next to its row and part.
func (s *Server) handleIncidentTemplateEdit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errBadText
	}
	cur, err := s.currentIncidentTemplate(r)
	if err != nil {
		return err
	}
	v := incidents.TemplateView{Current: cur, Draft: templateDraft(r)}
	action := r.PostForm.Get("action")
	verb, n, _ := strings.Cut(action, "-")
	i, err := strconv.Atoi(n)
	if n != "" && (err != nil || i < 0 || i >= len(v.Draft.Rows)) {
		verb = "preview"
	}
	rows := v.Draft.Rows
	switch verb {
	case "add":
		if len(rows) < incident.MaxFields {
			v.Draft.Rows = append(rows, incidents.TemplateRow{Type: incident.TypeText})
		}
		return s.renderTemplateStep(w, r, v)
	case "remove":
		v.Draft.Rows = slices.Delete(rows, i, i+1)
		return s.renderTemplateStep(w, r, v)
	case "up", "down":
		j := i - 1
		if verb == "down" {
			j = i + 1
		}
		if j >= 0 && j < len(rows) {
			rows[i], rows[j] = rows[j], rows[i]
		}
		return s.renderTemplateStep(w, r, v)
	case "publish":
		return s.publishIncidentTemplate(w, r, v)
	}
	checkDraft(&v)
	status := http.StatusOK
	if len(v.Problems) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return s.render(w, r, status, incidents.TemplatePage(v))
}

// renderTemplateStep shows the draft after adding, removing or moving a
// row: the preview and the changes when it checks, and no problems yet
// (a row just added is empty).
func (s *Server) renderTemplateStep(w http.ResponseWriter, r *http.Request, v incidents.TemplateView) error {
	checkDraft(&v)
	v.Problems = nil
	return s.render(w, r, http.StatusOK, incidents.TemplatePage(v))
}

// publishIncidentTemplate publishes the draft as the next version
// (postgres.PublishIncidentTemplate checks it again in the transaction
// that stores it).
func (s *Server) publishIncidentTemplate(w http.ResponseWriter, r *http.Request, v incidents.TemplateView) error {
	t := checkDraft(&v)
	problems := v.Problems
	if len(problems) == 0 {
		p := principal(r)
		err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) (err error) {
			t, err = postgres.PublishIncidentTemplate(r.Context(), tx, p, t, v.Draft.Base, v.Draft.Reason, middleware.GetReqID(r.Context()))
			return err
		})
		if !errors.As(err, &problems) {
			if err != nil {
				return err
			}
			http.Redirect(w, r, "/incidents/templates?published="+strconv.Itoa(t.Version), http.StatusSeeOther)
			return nil
		}
	} else if id := incident.ReasonProblem(v.Draft.Reason); id != "" {
		problems["reason"] = incident.Problem{ID: id, Args: map[string]any{"Max": incident.MaxReason}}
	}
	v.Problems = problems
	if _, stale := problems["base"]; stale {
		// Another version was published meanwhile: show it and the changes
		// from it, keep the draft.
		cur, err := s.currentIncidentTemplate(r)
		if err != nil {
			return err
		}
		v.Current, v.Draft.Base = cur, cur.Version
	}
	v.Preview, v.Changes = nil, nil
	if !slices.ContainsFunc(slices.Collect(maps.Keys(problems)), func(at string) bool { return at != "reason" && at != "base" }) {
		// Only the reason or the version edited: the draft itself checks.
		v.Preview, v.Changes = &t, t.Diff(v.Current)
	}
	return s.render(w, r, http.StatusUnprocessableEntity, incidents.TemplatePage(v))
}

// handleIncidentTemplateExport sends the current version as JSON (the
// form ParseTemplate reads and the upload takes).
func (s *Server) handleIncidentTemplateExport(w http.ResponseWriter, r *http.Request) error {
	cur, err := s.currentIncidentTemplate(r)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(cur, "", "  ")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	setAttachment(w, "incident-template-v"+strconv.Itoa(cur.Version)+".json")
	_, err = w.Write(append(b, '\n'))
	return err
}

// handleIncidentTemplateImport reads an uploaded JSON definition into the
// editor, checked as the next version; nothing is stored: the NCO reads
// the preview and the changes and publishes from the form.
func (s *Server) handleIncidentTemplateImport(w http.ResponseWriter, r *http.Request) error {
	cur, err := s.currentIncidentTemplate(r)
	if err != nil {
		return err
	}
	v := incidents.TemplateView{Current: cur, Draft: incidents.DraftOf(cur)}
	up, err := readUpload(w, r, "file", maxTemplateFile, "incident.template.error.file")
	var ke *kijun.Error
	if errors.As(err, &ke) && ke.Code == kijun.EInvalid {
		v.Problems = incident.Problems{"file": {ID: ke.MessageID, Args: ke.Args}}
		return s.render(w, r, http.StatusUnprocessableEntity, incidents.TemplatePage(v))
	}
	if err != nil {
		return err
	}
	var t incident.Template
	dec := json.NewDecoder(bytes.NewReader(up.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil || dec.More() {
		v.Problems = incident.Problems{"file": {ID: "incident.template.error.json"}}
		return s.render(w, r, http.StatusUnprocessableEntity, incidents.TemplatePage(v))
	}
	v.Draft = incidents.DraftOf(t)
	v.Draft.Base = cur.Version
	checkDraft(&v)
	if len(v.Problems) > 0 {
		return s.render(w, r, http.StatusUnprocessableEntity, incidents.TemplatePage(v))
	}
	v.Notice, v.NoticeArgs = "incident.template.imported", map[string]any{"Name": up.Name}
	return s.render(w, r, http.StatusOK, incidents.TemplatePage(v))
}
