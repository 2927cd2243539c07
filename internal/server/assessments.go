package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/postgres"
	asm "github.com/kijun-portal/kijun/web/pages/assessments"
)

// Evidence files larger than this are refused (the database's ceiling is
// higher; this is the portal's policy).
const maxEvidenceSize = 20 << 20

// assessmentRoutes registers cycles, assessment lists, the section pages
// where operators answer, submission and review.
func (s *Server) assessmentRoutes(h routeFunc) {
	h(http.MethodGet, "/cycles", authz.ManageCycles, s.handleCycleIndex)
	h(http.MethodPost, "/cycles", authz.ManageCycles, s.handleCycleCreate)
	h(http.MethodGet, "/assessments", authz.ListAssessments, s.handleAssessmentIndex)
	h(http.MethodGet, "/assessments/{id}", authz.ViewAssessment, s.handleAssessmentShow)
	h(http.MethodGet, "/assessments/{id}/sections/{section}", authz.ViewAssessment, s.handleSectionShow)
	h(http.MethodPost, "/assessments/{id}/sections/{section}", authz.ViewAssessment, s.handleSectionSave)
	h(http.MethodPost, "/assessments/{id}/answers/{ref}", authz.AnswerAssessment, s.handleAnswerAutosave)
	h(http.MethodPost, "/assessments/{id}/carry-forward", authz.AnswerAssessment, s.handleCarryForward)
	h(http.MethodPost, "/assessments/{id}/submit", authz.AnswerAssessment, s.handleAssessmentSubmit)
	h(http.MethodPost, "/assessments/{id}/review", authz.ReviewAssessment, s.handleAssessmentReview)
	h(http.MethodGet, "/evidence/{id}", authz.ViewAssessment, s.handleEvidenceDownload)
}

// assessmentResource is the tenancy of an assessment for the policy.
func assessmentResource(a assessment.Assessment) authz.Resource {
	return authz.Resource{SectorCode: a.SectorCode, OperatorID: a.OperatorID}
}

// loadAssessment reads the assessment of the URL in tx and checks action on
// it: another tenant's assessment is "not found", whatever RLS let through.
func (s *Server) loadAssessment(r *http.Request, tx pgx.Tx, action authz.Action) (assessment.Assessment, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return assessment.Assessment{}, err
	}
	a, err := postgres.GetAssessment(r.Context(), tx, id)
	if err != nil {
		return a, err
	}
	if !authz.Can(principal(r), action, assessmentResource(a)) {
		return a, errNotFound
	}
	return a, nil
}

func (s *Server) handleCycleIndex(w http.ResponseWriter, r *http.Request) error {
	return s.renderCycles(w, r, http.StatusOK, asm.CycleForm{})
}

func (s *Server) renderCycles(w http.ResponseWriter, r *http.Request, status int, form asm.CycleForm) error {
	v := asm.CyclesView{Form: form}
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		var err error
		if v.Cycles, err = postgres.ListCycles(r.Context(), tx); err != nil {
			return err
		}
		v.Catalogs, err = postgres.PublishedCatalogs(r.Context(), tx)
		return err
	})
	if err != nil {
		return err
	}
	if v.Form.FiscalYear == "" {
		fy := kijun.FiscalYearOf(s.now()) + 1
		v.Form.FiscalYear = strconv.Itoa(int(fy))
		v.Form.OpensOn = fy.Start().Format(time.DateOnly)
		v.Form.DueOn = fy.Start().AddDate(0, 6, -1).Format(time.DateOnly)
	}
	return s.render(w, r, status, asm.Cycles(v))
}

// handleCycleCreate opens a fiscal year's cycle: every active operator gets
// an assessment against its sector's profile where an accepted plan
// defines one, otherwise the baseline.
func (s *Server) handleCycleCreate(w http.ResponseWriter, r *http.Request) error {
	form := asm.CycleForm{
		FiscalYear: strings.TrimSpace(r.PostFormValue("fiscal_year")),
		Catalog:    r.PostFormValue("catalog"),
		OpensOn:    r.PostFormValue("opens_on"),
		DueOn:      r.PostFormValue("due_on"),
		Errors:     map[string]string{},
	}
	fy, err := strconv.Atoi(form.FiscalYear)
	if err != nil || fy < 2019 || fy > 2200 {
		form.Errors["fiscal_year"] = "asmui.error.fiscal_year"
	}
	catalogID := formID(form.Catalog)
	if catalogID == 0 {
		form.Errors["catalog"] = "asmui.error.catalog"
	}
	opens, okOpens := parseDay(form.OpensOn)
	due, okDue := parseDay(form.DueOn)
	if !okOpens {
		form.Errors["opens_on"] = "form.bad_date"
	}
	if !okDue {
		form.Errors["due_on"] = "form.bad_date"
	} else if okOpens && !due.After(opens) {
		form.Errors["due_on"] = "asmui.error.due_before_open"
	}
	if len(form.Errors) > 0 {
		return s.renderCycles(w, r, http.StatusUnprocessableEntity, form)
	}
	var created int
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		in := postgres.CycleInput{FiscalYear: kijun.FiscalYear(fy), CatalogID: catalogID, OpensOn: opens, DueOn: due}
		var err error
		c, n, err := postgres.OpenCycle(r.Context(), tx, principal(r), in,
			postgres.ProfileSelector(kijun.FiscalYear(fy)), middleware.GetReqID(r.Context()))
		if err != nil {
			return err
		}
		created = n
		return postgres.Enqueue(r.Context(), tx, notify.CycleOpenedArgs{CycleID: c.ID})
	})
	var ke *kijun.Error
	if errors.As(err, &ke) && ke.Code != kijun.EInternal {
		form.Errors["fiscal_year"] = ke.MessageID
		return s.renderCycles(w, r, statusOf(err), form)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/assessments?opened="+strconv.Itoa(created), http.StatusSeeOther)
	return nil
}

func (s *Server) handleAssessmentIndex(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	v := asm.IndexView{Sector: q.Get("sector"), Status: q.Get("status"), Opened: q.Get("opened")}
	v.Page = queryPage(q)
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		var err error
		if v.Cycles, err = postgres.ListCycles(r.Context(), tx); err != nil {
			return err
		}
		cycle, err := queryID(r, "cycle")
		if err != nil {
			return err
		}
		if cycle == 0 && len(v.Cycles) > 0 {
			cycle = v.Cycles[0].ID // the newest
		}
		v.CycleID = cycle
		v.List, err = postgres.ListAssessments(r.Context(), tx, assessment.Filter{
			CycleID: cycle, Sector: v.Sector, Status: v.Status, Limit: asm.PageSize, Offset: (v.Page - 1) * asm.PageSize,
		})
		return err
	})
	if err != nil {
		return err
	}
	if v.Sectors, err = s.sectorNames(r); err != nil {
		return err
	}
	v.Reviewer = authz.Can(principal(r), authz.ReviewAssessment, authz.Resource{}) || principal(r).NCO
	return s.render(w, r, http.StatusOK, asm.Index(v))
}

// sectorNames maps sector codes to names (reference data, public).
func (s *Server) sectorNames(r *http.Request) (map[string]kijun.Text, error) {
	n, err := postgres.LoadReferenceNames(r.Context(), s.db)
	return kijun.NameMap(n.Sectors), err
}

// sectionNames maps baseline section codes to names.
func (s *Server) sectionNames(r *http.Request) (map[string]kijun.Text, error) {
	n, err := postgres.LoadReferenceNames(r.Context(), s.db)
	return kijun.NameMap(n.Sections), err
}

func (s *Server) handleAssessmentShow(w http.ResponseWriter, r *http.Request) error {
	return s.renderAssessment(w, r, http.StatusOK, nil)
}

// renderAssessment shows the overview: progress by section, what to do
// next, the gaps that stop a submission (problems), review and history.
func (s *Server) renderAssessment(w http.ResponseWriter, r *http.Request, status int, problems []assessment.AnswerProblem) error {
	p := principal(r)
	v := asm.ShowView{Problems: problems, Notice: r.URL.Query().Get("done"), Imported: r.URL.Query().Get("imported")}
	if _, err := strconv.Atoi(v.Imported); err != nil {
		v.Imported = ""
	}
	switch v.Notice {
	case "", "submitted", "accept", "return", "carried":
	default:
		v.Notice = "" // only the notices the page knows
	}
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		var err error
		if v.Assessment, err = s.loadAssessment(r, tx, authz.ViewAssessment); err != nil {
			return err
		}
		if v.History, err = postgres.History(r.Context(), tx, v.Assessment.ID); err != nil {
			return err
		}
		if v.Comments, err = postgres.ListComments(r.Context(), tx, v.Assessment.ID, ""); err != nil {
			return err
		}
		if v.Rollups, err = postgres.Rollups(r.Context(), tx, v.Assessment.ID); err != nil {
			return err
		}
		rows, err := postgres.ListAnswers(r.Context(), tx, v.Assessment.ID, "")
		for _, row := range rows {
			if row.Answer.CarriedForward {
				v.Carried++
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	res := assessmentResource(v.Assessment)
	v.CanAnswer = authz.Can(p, authz.AnswerAssessment, res) && v.Assessment.Status.Editable()
	v.CanReview = authz.Can(p, authz.ReviewAssessment, res) && v.Assessment.Status == assessment.Submitted
	v.CanComment = authz.Can(p, authz.CommentAssessment, res)
	if v.Sections, err = s.sectionNames(r); err != nil {
		return err
	}
	return s.render(w, r, status, asm.Show(v))
}

func (s *Server) handleSectionShow(w http.ResponseWriter, r *http.Request) error {
	return s.renderSection(w, r, http.StatusOK, nil, nil)
}

// renderSection shows one section's controls as one form. typed holds
// what the user sent when the form comes back (conflicts or errors), so
// nothing typed is lost.
func (s *Server) renderSection(w http.ResponseWriter, r *http.Request, status int, typed map[string]assessment.Answer, notes map[string]asm.ControlNote) error {
	p := principal(r)
	section := chiParam(r, "section")
	v := asm.SectionView{Section: section, Saved: r.URL.Query().Get("saved") != "", Notes: notes}
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		var err error
		if v.Assessment, err = s.loadAssessment(r, tx, authz.ViewAssessment); err != nil {
			return err
		}
		if v.Rows, err = postgres.ListAnswers(r.Context(), tx, v.Assessment.ID, section); err != nil {
			return err
		}
		if len(v.Rows) == 0 {
			return errNotFound
		}
		if v.Evidence, err = postgres.ListEvidence(r.Context(), tx, v.Assessment.ID, ""); err != nil {
			return err
		}
		v.Comments, err = postgres.ListComments(r.Context(), tx, v.Assessment.ID, "")
		return err
	})
	if err != nil {
		return err
	}
	if v.Scale, err = postgres.AnswerScale(r.Context(), s.db); err != nil {
		return err
	}
	if v.SectionNames, err = s.sectionNames(r); err != nil {
		return err
	}
	for i, row := range v.Rows {
		if a, ok := typed[row.Control.Ref]; ok {
			v.Rows[i].Answer = a // what was typed, over what is stored
		}
	}
	res := assessmentResource(v.Assessment)
	v.CanAnswer = authz.Can(p, authz.AnswerAssessment, res) && v.Assessment.Status.Editable()
	v.CanComment = authz.Can(p, authz.CommentAssessment, res)
	return s.render(w, r, status, asm.Section(v))
}

// answerFromForm reads one control's fields; the names carry the ref, so
// that one form holds a whole section.
func answerFromForm(form url.Values, assessmentID int64, ref string) (assessment.Answer, int) {
	a := assessment.Answer{AssessmentID: assessmentID, Ref: ref}
	a.Status = assessment.AnswerStatus(form.Get("status-" + ref))
	a.Maturity = atoiOr0(form.Get("maturity-" + ref))
	a.How = strings.TrimSpace(form.Get("how-" + ref))
	a.NAReason = strings.TrimSpace(form.Get("na_reason-" + ref))
	a.Remediation.Action = strings.TrimSpace(form.Get("action-" + ref))
	a.Remediation.Owner = strings.TrimSpace(form.Get("owner-" + ref))
	if d, ok := parseDay(form.Get("due-" + ref)); ok {
		a.Remediation.Due = &d
	}
	version := atoiOr0(form.Get("version-" + ref))
	return a, version
}

// handleSectionSave is the form's POST, which works without JavaScript: it
// saves every answer of the section that changed, then does what the
// pressed button asks (upload evidence, comment, confirm a carried answer).
// Answers someone else saved meanwhile come back side by side with what
// the user typed; nothing is overwritten silently.
func (s *Server) handleSectionSave(w http.ResponseWriter, r *http.Request) error {
	cleanup, err := parseMultipart(w, r, maxEvidenceSize, 1<<20)
	defer cleanup()
	if err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return kijun.Errorf(kijun.EInvalid, "asmui.error.upload_too_large", map[string]any{"MB": maxEvidenceSize >> 20})
	}
	if err := checkForm(r); err != nil {
		return err
	}
	p := principal(r)
	section := chiParam(r, "section")
	reqID := middleware.GetReqID(r.Context())
	typed := map[string]assessment.Answer{}
	notes := map[string]asm.ControlNote{}
	var anchor string
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		a, err := s.loadAssessment(r, tx, authz.ViewAssessment)
		if err != nil {
			return err
		}
		res := assessmentResource(a)
		if authz.Can(p, authz.AnswerAssessment, res) && a.Status.Editable() {
			rows, err := postgres.ListAnswers(r.Context(), tx, a.ID, section)
			if err != nil {
				return err
			}
			for _, row := range rows {
				ref := row.Control.Ref
				if _, sent := r.PostForm["version-"+ref]; !sent {
					continue
				}
				ans, version := answerFromForm(r.PostForm, a.ID, ref)
				if ans.SameContent(row.Answer) {
					continue
				}
				if _, err := postgres.SaveAnswer(r.Context(), tx, p, ans, version, reqID); err != nil {
					var ke *kijun.Error
					if !errors.As(err, &ke) || (ke.Code != kijun.EConflict && ke.Code != kijun.EInvalid) {
						return err
					}
					note := asm.ControlNote{MessageID: ke.MessageID}
					if cur, ok := ke.Args["Current"].(assessment.Answer); ok {
						note.Stored = &cur
						ans.Version = cur.Version // saving again overwrites, on purpose
					} else {
						ans.Version = version
					}
					typed[ref], notes[ref] = ans, note
				}
			}
		}
		if ref := r.PostFormValue("confirm"); ref != "" && authz.Can(p, authz.AnswerAssessment, res) {
			anchor = ref
			if _, err := postgres.ConfirmCarried(r.Context(), tx, p, a.ID, []string{ref}, reqID); err != nil {
				return err
			}
		}
		if ref := r.PostFormValue("comment"); ref != "" && authz.Can(p, authz.CommentAssessment, res) {
			anchor = ref
			body := strings.TrimSpace(r.PostFormValue("comment-" + ref))
			if body == "" {
				notes[ref] = asm.ControlNote{MessageID: "asmui.error.comment_empty"}
			} else if _, err := postgres.AddComment(r.Context(), tx, p, a.ID, ref, 0, body, reqID); err != nil {
				return err
			} else {
				e := assessmentEvent(notify.AssessmentCommented, a, p)
				e.ToReviewers = p.InOperator(a.OperatorID)
				if err := s.notify(r.Context(), tx, e); err != nil {
					return err
				}
			}
		}
		if ref := r.PostFormValue("upload"); ref != "" && authz.Can(p, authz.AnswerAssessment, res) {
			anchor = ref
			if msg := s.saveEvidence(r, tx, a.ID, ref); msg != "" {
				notes[ref] = asm.ControlNote{MessageID: msg}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(notes) > 0 {
		status := http.StatusUnprocessableEntity
		for _, n := range notes {
			if n.Stored != nil {
				status = http.StatusConflict
			}
		}
		return s.renderSection(w, r, status, typed, notes)
	}
	target := r.URL.Path + "?saved=1"
	if anchor != "" {
		target += "#ctl-" + anchor
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// saveEvidence stores the file uploaded for ref; it returns a message id
// when the file is refused.
func (s *Server) saveEvidence(r *http.Request, tx pgx.Tx, assessmentID int64, ref string) string {
	f, hdr, err := r.FormFile("evidence-" + ref)
	if err != nil {
		return "asmui.error.no_file"
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxEvidenceSize+1))
	if err != nil {
		return "asmui.error.no_file"
	}
	_, err = postgres.AddEvidence(r.Context(), tx, principal(r), assessmentID, ref, hdr.Filename, data, maxEvidenceSize,
		middleware.GetReqID(r.Context()))
	var ke *kijun.Error
	if errors.As(err, &ke) && ke.Code == kijun.EInvalid {
		return ke.MessageID
	}
	if err != nil {
		return "error.internal"
	}
	return ""
}

// autosaveReply is what the page's script reads after saving one answer.
type autosaveReply struct {
	Version  int    `json:"version,omitempty"`
	Message  string `json:"message"`
	Conflict bool   `json:"conflict,omitempty"`
	SavedAt  string `json:"saved_at,omitempty"`
}

// handleAnswerAutosave saves one answer as the user works (web/static/
// kijun.js). On a conflict the script submits the whole form, which shows
// both versions side by side.
func (s *Server) handleAnswerAutosave(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	ref := chiParam(r, "ref")
	loc := i18n.From(r.Context())
	reply := func(status int, rep autosaveReply) error {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		return json.NewEncoder(w).Encode(rep)
	}
	if err := r.ParseForm(); err != nil {
		return reply(http.StatusBadRequest, autosaveReply{Message: loc.T("error.bad_request")})
	}
	id, err := pathID(r, "id")
	if err != nil {
		return reply(http.StatusNotFound, autosaveReply{Message: loc.T("error.not_found")})
	}
	ans, version := answerFromForm(r.PostForm, id, ref)
	saved, err := postgres.SaveAnswerAs(r.Context(), s.db, p, ans, version, middleware.GetReqID(r.Context()),
		func(t postgres.Tenant) bool {
			return authz.Can(p, authz.AnswerAssessment, authz.Resource{SectorCode: t.SectorCode, OperatorID: t.OperatorID})
		})
	var ke *kijun.Error
	switch {
	case errors.As(err, &ke) && ke.Code == kijun.EConflict:
		return reply(http.StatusConflict, autosaveReply{Conflict: true, Message: loc.T("asmui.autosave.conflict")})
	case errors.As(err, &ke) && ke.Code == kijun.EInvalid:
		return reply(http.StatusUnprocessableEntity, autosaveReply{Message: loc.T(ke.MessageID, ke.Args)})
	case errors.As(err, &ke) && ke.Code == kijun.ENotFound:
		return reply(http.StatusNotFound, autosaveReply{Message: loc.T("error.not_found")})
	case err != nil:
		return err
	}
	return reply(http.StatusOK, autosaveReply{
		Version: saved.Version,
		SavedAt: loc.DateTime(saved.UpdatedAt),
		Message: loc.T("asmui.autosave.saved", map[string]any{"At": loc.DateTime(saved.UpdatedAt)}),
	})
}

func (s *Server) handleCarryForward(w http.ResponseWriter, r *http.Request) error {
	var id int64
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		a, err := s.loadAssessment(r, tx, authz.AnswerAssessment)
		if err != nil {
			return err
		}
		id = a.ID
		_, err = postgres.CarryForward(r.Context(), tx, principal(r), a.ID, middleware.GetReqID(r.Context()))
		return err
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/assessments/"+itoa(id)+"?done=carried", http.StatusSeeOther)
	return nil
}

// handleAssessmentSubmit submits (or resubmits a returned) assessment; an
// incomplete one comes back with every gap listed.
func (s *Server) handleAssessmentSubmit(w http.ResponseWriter, r *http.Request) error {
	var problems []assessment.AnswerProblem
	var id int64
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		a, err := s.loadAssessment(r, tx, authz.AnswerAssessment)
		if err != nil {
			return err
		}
		id = a.ID
		submit := postgres.Submit
		if a.Status == assessment.Returned {
			submit = postgres.Resubmit
		}
		err = submit(r.Context(), tx, principal(r), a.ID, middleware.GetReqID(r.Context()))
		if err == nil {
			return s.notify(r.Context(), tx, assessmentEvent(notify.ReviewWaiting, a, principal(r)))
		}
		var ke *kijun.Error
		if errors.As(err, &ke) && ke.MessageID == "assessment.incomplete" {
			problems, _ = ke.Args["Problems"].([]assessment.AnswerProblem)
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	if problems != nil {
		return s.renderAssessment(w, r, http.StatusUnprocessableEntity, problems)
	}
	http.Redirect(w, r, "/assessments/"+itoa(id)+"?done=submitted", http.StatusSeeOther)
	return nil
}

// handleAssessmentReview accepts or returns a submitted assessment.
func (s *Server) handleAssessmentReview(w http.ResponseWriter, r *http.Request) error {
	var id int64
	decision := r.PostFormValue("decision")
	note := strings.TrimSpace(r.PostFormValue("note"))
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		a, err := s.loadAssessment(r, tx, authz.ReviewAssessment)
		if err != nil {
			return err
		}
		id = a.ID
		reqID := middleware.GetReqID(r.Context())
		switch decision {
		case "accept":
			if err := postgres.Accept(r.Context(), tx, principal(r), a.ID, note, reqID); err != nil {
				return err
			}
			return s.notify(r.Context(), tx, assessmentEvent(notify.AssessmentAccepted, a, principal(r)))
		case "return":
			if err := postgres.Return(r.Context(), tx, principal(r), a.ID, note, nil, reqID); err != nil {
				return err
			}
			return s.notify(r.Context(), tx, assessmentEvent(notify.AssessmentReturned, a, principal(r)))
		}
		return kijun.Errorf(kijun.EInvalid, "asmui.error.decision", nil)
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/assessments/"+itoa(id)+"?done="+decision, http.StatusSeeOther)
	return nil
}

// handleEvidenceDownload sends a file to those who may see its assessment,
// as an attachment with its sniffed type, so that a browser never renders
// an uploaded file as a page of the portal.
func (s *Server) handleEvidenceDownload(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var ev assessment.Evidence
	var data []byte
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		ev, data, err = postgres.GetEvidence(r.Context(), tx, id)
		return err
	})
	if err != nil {
		return err
	}
	if !authz.Can(principal(r), authz.ViewAssessment, authz.Resource{SectorCode: ev.SectorCode, OperatorID: ev.OperatorID}) {
		return errNotFound
	}
	w.Header().Set("Content-Type", ev.ContentType)
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(ev.FileName))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", "private, no-store")
	_, err = w.Write(data)
	return err
}
