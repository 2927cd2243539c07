package server

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
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
	"github.com/kijun-portal/kijun/web/pages/orgflow"
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
	h(http.MethodPost, "/assessments/{id}/extend", authz.ExtendAssessment, s.handleAssessmentExtend)
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
	}
	if len(form.Errors) == 0 {
		refused, warned := assessment.CheckCycleDates(kijun.FiscalYear(fy), opens, due, s.now())
		maps.Copy(form.Errors, refused)
		if len(refused) == 0 && len(warned) > 0 && r.PostFormValue("confirm_dates") != "yes" {
			form.Warnings = warned
		}
	}
	if len(form.Errors) > 0 || len(form.Warnings) > 0 {
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
		form.Errors["fiscal_year"], form.Args = ke.MessageID, map[string]map[string]any{"fiscal_year": ke.Args}
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
		// Without a cycle chosen: every cycle still open, else the newest.
		open := false
		for _, c := range v.Cycles {
			open = open || c.Status == assessment.CycleOpen
		}
		if cycle == 0 && !open && len(v.Cycles) > 0 {
			cycle = v.Cycles[0].ID
		}
		v.CycleID, v.OpenCycles, v.AnyOpen = cycle, cycle == 0 && open, open
		v.List, err = postgres.ListAssessments(r.Context(), tx, assessment.Filter{
			CycleID: cycle, OpenCycles: v.OpenCycles, Sector: v.Sector, Status: v.Status, Limit: asm.PageSize,
			Offset: (v.Page - 1) * asm.PageSize,
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
	return s.renderAssessment(w, r, http.StatusOK, nil, asm.ReviewForm{}, nil)
}

// refusal is err as a refusal the user can act on (bad input, or a state
// that changed), which the page that was sent shows again.
func refusal(err error) (*kijun.Error, bool) {
	var ke *kijun.Error
	if errors.As(err, &ke) && (ke.Code == kijun.EInvalid || ke.Code == kijun.EConflict) {
		return ke, true
	}
	return nil, false
}

// renderAssessment shows the overview: progress by section, what to do
// next, the gaps that stop a submission (problems), review (with the
// review form as typed when it comes back) and history.
func (s *Server) renderAssessment(w http.ResponseWriter, r *http.Request, status int, problems []assessment.AnswerProblem, review asm.ReviewForm, refused *asm.Message) error {
	return s.showAssessment(w, r, status, asm.ShowView{Problems: problems, Review: review, Refused: refused})
}

// showAssessment renders the overview with what v already holds (a form
// coming back) and everything the page reads.
func (s *Server) showAssessment(w http.ResponseWriter, r *http.Request, status int, v asm.ShowView) error {
	p := principal(r)
	v.Notice, v.Imported = r.URL.Query().Get("done"), r.URL.Query().Get("imported")
	if _, err := strconv.Atoi(v.Imported); err != nil {
		v.Imported = ""
	}
	switch v.Notice {
	case "", "submitted", "accept", "return", "carried", "extended":
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
		if v.Extensions, err = postgres.ListExtensions(r.Context(), tx, v.Assessment.ID); err != nil {
			return err
		}
		if v.Comments, err = postgres.ListComments(r.Context(), tx, v.Assessment.ID, ""); err != nil {
			return err
		}
		if v.Rollups, err = postgres.Rollups(r.Context(), tx, v.Assessment.ID); err != nil {
			return err
		}
		if v.SignOff, err = postgres.CurrentSignOff(r.Context(), tx, v.Assessment.ID); err != nil {
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
	v.CanExtend = authz.Can(p, authz.ExtendAssessment, res) && v.Assessment.Status.Owed()
	v.ShowWork = authz.Can(p, authz.AnswerAssessment, res)
	v.SignOffText = orgflow.SignOffLine(r.Context(), v.SignOff)
	if v.Sections, err = s.sectionNames(r); err != nil {
		return err
	}
	return s.render(w, r, status, asm.Show(v))
}

func (s *Server) handleSectionShow(w http.ResponseWriter, r *http.Request) error {
	return s.renderSection(w, r, http.StatusOK, sectionInput{})
}

// sectionInput is what the section page shows again when the form comes
// back: the answers as typed, the notes per control (conflicts, refused
// fields), comments not sent, and a problem with the whole form.
type sectionInput struct {
	Typed   map[string]assessment.Answer
	Notes   map[string]asm.ControlNote
	Drafts  map[string]string
	Problem *asm.Message
	Removal map[int64]asm.Message // a file's removal refused, by evidence id
}

// renderSection shows one section's controls as one form, with what the
// user sent over what is stored when the form comes back, so that
// nothing typed is lost.
func (s *Server) renderSection(w http.ResponseWriter, r *http.Request, status int, in sectionInput) error {
	p := principal(r)
	section := chiParam(r, "section")
	v := asm.SectionView{Section: section, Saved: r.URL.Query().Get("saved") != "", Notes: in.Notes, Drafts: in.Drafts, Problem: in.Problem,
		Removal: in.Removal}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var d postgres.Section
	if err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) (err error) {
		d, err = postgres.LoadSection(r.Context(), tx, id, section)
		return err
	}); err != nil {
		return err
	}
	if !authz.Can(p, authz.ViewAssessment, assessmentResource(d.Assessment)) {
		return errNotFound
	}
	v.Assessment, v.Rows, v.Evidence, v.Comments, v.Scale = d.Assessment, d.Rows, d.Evidence, d.Comments, d.Scale
	v.SectionNames = kijun.NameMap(d.Names.Sections)
	for i, row := range v.Rows {
		if a, ok := in.Typed[row.Control.Ref]; ok {
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

// handleSectionSave is the form's POST, which works without JavaScript.
// Whichever button was pressed, it keeps everything the page holds: it
// saves every answer of the section that changed, confirms the carried
// answers asked for (one, or the whole section) at the versions the user
// saw, attaches every file chosen and sends every comment typed. Answers
// someone else saved meanwhile come back side by side with what the user
// typed, and every refusal comes back next to its field with what was
// typed; nothing is overwritten or dropped silently.
func (s *Server) handleSectionSave(w http.ResponseWriter, r *http.Request) error {
	cleanup, err := parseMultipart(w, r, maxEvidenceSize, 1<<20)
	defer cleanup()
	if err != nil && !errors.Is(err, http.ErrNotMultipart) {
		// The body was cut off: nothing of it can be read back.
		return s.renderSection(w, r, http.StatusUnprocessableEntity, sectionInput{
			Problem: &asm.Message{MessageID: "asmui.error.upload_too_large", Args: map[string]any{"MB": maxEvidenceSize >> 20}},
		})
	}
	if err := checkForm(r); err != nil {
		return err
	}
	p := principal(r)
	section := chiParam(r, "section")
	reqID := middleware.GetReqID(r.Context())
	in := sectionInput{Typed: map[string]assessment.Answer{}, Notes: map[string]asm.ControlNote{}, Drafts: map[string]string{}}
	refuse := func(ref, field string, m asm.Message) {
		n := in.Notes[ref]
		if n.Fields == nil {
			n.Fields = map[string]asm.Message{}
		}
		n.Fields[field] = m
		in.Notes[ref] = n
	}
	var anchor string
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		a, err := s.loadAssessment(r, tx, authz.ViewAssessment)
		if err != nil {
			return err
		}
		res := assessmentResource(a)
		answer := authz.Can(p, authz.AnswerAssessment, res) && a.Status.Editable()
		rows, err := postgres.ListAnswers(r.Context(), tx, a.ID, section)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return errNotFound
		}
		// Carried answers to confirm, at the versions the page showed.
		var confirmRefs []string
		var confirmVersions []int
		confirmAll := r.PostFormValue("confirm_all") == section
		for _, row := range rows {
			ref := row.Control.Ref
			if row.Answer.CarriedForward && answer && (confirmAll || r.PostFormValue("confirm") == ref) {
				confirmRefs = append(confirmRefs, ref)
				confirmVersions = append(confirmVersions, atoiOr0(r.PostFormValue("version-"+ref)))
			}
			if !answer {
				continue
			}
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
				note := asm.ControlNote{MessageID: ke.MessageID, Args: ke.Args}
				ans.Version = version
				if cur, ok := ke.Args["Current"].(assessment.Answer); ok {
					note.Stored = &cur
					ans.Version = cur.Version // saving again overwrites, on purpose
				}
				if ps, ok := ke.Args["Problems"].([]assessment.AnswerProblem); ok {
					// Each problem goes next to its field.
					note.MessageID, note.Args, note.Fields = "", nil, map[string]asm.Message{}
					for _, pr := range ps {
						note.Fields[pr.Field] = asm.Message{MessageID: pr.MessageID, Args: pr.Args}
					}
				}
				in.Typed[ref], in.Notes[ref] = ans, note
			}
		}
		if r.PostFormValue("confirm") != "" {
			anchor = r.PostFormValue("confirm")
		}
		if len(confirmRefs) > 0 {
			done, err := postgres.ConfirmCarriedAt(r.Context(), tx, p, a.ID, confirmRefs, confirmVersions, reqID)
			if err != nil {
				return err
			}
			for _, ref := range confirmRefs {
				if !slices.Contains(done, ref) {
					if _, noted := in.Notes[ref]; !noted {
						in.Notes[ref] = asm.ControlNote{MessageID: "asmui.section.confirm_stale"}
					}
				}
			}
		}
		comment, commented := authz.Can(p, authz.CommentAssessment, res), false
		for _, row := range rows {
			ref := row.Control.Ref
			if comment {
				body := strings.TrimSpace(r.PostFormValue("comment-" + ref))
				pressed := r.PostFormValue("comment") == ref
				if pressed {
					anchor = ref
				}
				if body == "" {
					if pressed {
						refuse(ref, "comment", asm.Message{MessageID: "asmui.error.comment_empty"})
					}
				} else if _, err := postgres.AddComment(r.Context(), tx, p, a.ID, ref, 0, body, reqID); err != nil {
					var ke *kijun.Error
					if !errors.As(err, &ke) || ke.Code != kijun.EInvalid {
						return err
					}
					refuse(ref, "comment", asm.Message{MessageID: ke.MessageID, Args: ke.Args})
					in.Drafts[ref] = body
				} else {
					commented = true
				}
			}
			if answer {
				pressed := r.PostFormValue("upload") == ref
				if pressed {
					anchor = ref
				}
				if m := s.saveEvidence(r, tx, a.ID, ref, pressed); m != nil {
					refuse(ref, "evidence", *m)
				}
			}
		}
		// A file's 削除 button: removed through the API's path; refused
		// (the assessment was submitted meanwhile) next to the file.
		if v := r.PostFormValue("remove_evidence"); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				return errNotFound
			}
			ev, err := removeEvidence(r, tx, id, a.ID)
			var ke *kijun.Error
			switch {
			case errors.As(err, &ke) && (ke.Code == kijun.EConflict || ke.Code == kijun.EForbidden):
				in.Removal = map[int64]asm.Message{id: {MessageID: ke.MessageID, Args: ke.Args}}
			case err != nil:
				return err
			default:
				anchor = ev.Ref
			}
		}
		if commented {
			// One notice for the comments of one save.
			e := assessmentEvent(notify.AssessmentCommented, a, p)
			e.ToReviewers = p.InOperator(a.OperatorID)
			return s.notify(r.Context(), tx, e)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(in.Notes) > 0 || len(in.Removal) > 0 {
		status := http.StatusUnprocessableEntity
		if len(in.Removal) > 0 {
			status = http.StatusConflict
		}
		for _, n := range in.Notes {
			if n.Stored != nil {
				status = http.StatusConflict
			}
		}
		return s.renderSection(w, r, status, in)
	}
	target := r.URL.Path + "?saved=1"
	if anchor != "" {
		target += "#ctl-" + anchor
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// saveEvidence stores the file chosen for ref, if any; it returns why the
// file was refused, or that none was chosen when the user pressed that
// control's button.
func (s *Server) saveEvidence(r *http.Request, tx pgx.Tx, assessmentID int64, ref string, pressed bool) *asm.Message {
	f, hdr, err := r.FormFile("evidence-" + ref)
	if err != nil || (hdr.Filename == "" && hdr.Size == 0) {
		if pressed {
			return &asm.Message{MessageID: "asmui.error.no_file"}
		}
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxEvidenceSize+1))
	if err != nil {
		return &asm.Message{MessageID: "asmui.error.no_file"}
	}
	_, err = postgres.AddEvidence(r.Context(), tx, principal(r), assessmentID, ref, hdr.Filename, data, maxEvidenceSize,
		middleware.GetReqID(r.Context()))
	var ke *kijun.Error
	if errors.As(err, &ke) && ke.Code == kijun.EInvalid {
		return &asm.Message{MessageID: ke.MessageID, Args: ke.Args}
	}
	if err != nil {
		return &asm.Message{MessageID: "error.internal"}
	}
	return nil
}

// removeEvidence is the one path that removes a file from an answer, for
// the section page's button and the API's DELETE /evidence/{id}: only the
// file's operator may (authz.AnswerAssessment on its tenant; anyone else
// is told it is not found), only while the assessment is editable
// (postgres.DeleteEvidence locks it and refuses a submitted or accepted
// one, kijun.EConflict), audited as assessment.evidence.delete; the
// database voids the internal check. assessmentID, when not 0, is the
// assessment the file must belong to (the page's).
func removeEvidence(r *http.Request, tx pgx.Tx, id, assessmentID int64) (assessment.Evidence, error) {
	p := principal(r)
	ev, _, err := postgres.GetEvidence(r.Context(), tx, id)
	if err != nil {
		return ev, err
	}
	if !authz.Can(p, authz.AnswerAssessment, authz.Resource{SectorCode: ev.SectorCode, OperatorID: ev.OperatorID}) ||
		assessmentID != 0 && ev.AssessmentID != assessmentID {
		return ev, errNotFound
	}
	return postgres.DeleteEvidence(r.Context(), tx, p, id, middleware.GetReqID(r.Context()))
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
		msg := loc.T(ke.MessageID, ke.Args)
		if ps, ok := ke.Args["Problems"].([]assessment.AnswerProblem); ok {
			for _, pr := range ps { // which field, and why
				msg += " " + loc.T("asmui.field."+pr.Field) + loc.T("plans.colon") + loc.T(pr.MessageID, pr.Args)
			}
		}
		return reply(http.StatusUnprocessableEntity, autosaveReply{Message: msg})
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

// handleCarryForward copies the previous cycle's answers; a refusal
// (nothing to carry, an assessment already started or locked) comes back
// on the assessment's page.
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
	if ke, ok := refusal(err); ok {
		return s.renderAssessment(w, r, statusOf(err), nil, asm.ReviewForm{}, &asm.Message{MessageID: ke.MessageID, Args: ke.Args})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/assessments/"+itoa(id)+"?done=carried", http.StatusSeeOther)
	return nil
}

// handleAssessmentSubmit submits (or resubmits a returned) assessment; an
// incomplete one comes back with every gap listed.
func (s *Server) handleAssessmentSubmit(w http.ResponseWriter, r *http.Request) error {
	id, problems, err := s.submitAssessment(r, -1)
	if ke, ok := refusal(err); ok {
		return s.renderAssessment(w, r, statusOf(err), nil, asm.ReviewForm{}, &asm.Message{MessageID: ke.MessageID, Args: ke.Args})
	}
	if err != nil {
		return err
	}
	if problems != nil {
		return s.renderAssessment(w, r, http.StatusUnprocessableEntity, problems, asm.ReviewForm{}, nil)
	}
	http.Redirect(w, r, "/assessments/"+itoa(id)+"?done=submitted", http.StatusSeeOther)
	return nil
}

// submitAssessment submits (or resubmits a returned) the assessment of
// the URL and tells its reviewers, for the page and the API. An
// incomplete one is not submitted: problems lists every gap. version, if
// not negative, is the assessment version the caller saw (If-Match): a
// different one is refused with staleError.
func (s *Server) submitAssessment(r *http.Request, version int) (id int64, problems []assessment.AnswerProblem, err error) {
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		a, err := s.loadAssessment(r, tx, authz.AnswerAssessment)
		if err != nil {
			return err
		}
		id = a.ID
		if version >= 0 && version != a.Version {
			return staleError{kijun.Errorf(kijun.EConflict, "api.error.stale", nil)}
		}
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
	return id, problems, err
}

// handleAssessmentReview accepts or returns a submitted assessment. A
// refusal (no reason for a return, a note too long, an assessment no
// longer submitted) comes back on the assessment's page with the note as
// typed and the reason next to it.
func (s *Server) handleAssessmentReview(w http.ResponseWriter, r *http.Request) error {
	decision := r.PostFormValue("decision")
	id, err := s.reviewAssessment(r, decision, r.PostFormValue("note"), nil, -1)
	if ke, ok := refusal(err); ok {
		return s.renderAssessment(w, r, statusOf(err), nil, asm.ReviewForm{
			Note: r.PostFormValue("note"), Error: &asm.Message{MessageID: ke.MessageID, Args: ke.Args},
		}, nil)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/assessments/"+itoa(id)+"?done="+decision, http.StatusSeeOther)
	return nil
}

// reviewAssessment accepts ("accept") or returns ("return", with a note
// and comments on answers) the submitted assessment of the URL and tells
// its operator's users, for the page and the API. version, if not
// negative, is the assessment version the caller saw (If-Match): a
// different one is refused with staleError.
func (s *Server) reviewAssessment(r *http.Request, decision, note string, comments []postgres.CommentInput, version int) (id int64, err error) {
	note = strings.TrimSpace(note)
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		a, err := s.loadAssessment(r, tx, authz.ReviewAssessment)
		if err != nil {
			return err
		}
		id = a.ID
		if version >= 0 && version != a.Version {
			return staleError{kijun.Errorf(kijun.EConflict, "api.error.stale", nil)}
		}
		reqID := middleware.GetReqID(r.Context())
		switch decision {
		case "accept":
			if err := postgres.Accept(r.Context(), tx, principal(r), a.ID, note, reqID); err != nil {
				return err
			}
			return s.notify(r.Context(), tx, assessmentEvent(notify.AssessmentAccepted, a, principal(r)))
		case "return":
			if err := postgres.Return(r.Context(), tx, principal(r), a.ID, note, comments, reqID); err != nil {
				return err
			}
			return s.notify(r.Context(), tx, assessmentEvent(notify.AssessmentReturned, a, principal(r)))
		}
		return kijun.Errorf(kijun.EInvalid, "asmui.error.decision", nil)
	})
	return id, err
}

// handleAssessmentExtend moves the assessment's due date for its
// operator (its ministry), with a reason, and tells the operator's users.
// A refusal comes back on the page with what was typed and each message
// next to its field.
func (s *Server) handleAssessmentExtend(w http.ResponseWriter, r *http.Request) error {
	form := asm.ExtendForm{DueOn: r.PostFormValue("due_on"), Reason: r.PostFormValue("reason")}
	var id int64
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		a, err := s.loadAssessment(r, tx, authz.ExtendAssessment)
		if err != nil {
			return err
		}
		id = a.ID
		due, ok := parseDay(form.DueOn)
		if !ok {
			return kijun.Errorf(kijun.EInvalid, postgres.MsgExtendInvalid, map[string]any{"Problems": append([]assessment.Problem{
				{Field: "due_on", MessageID: assessment.ExtendBadDate}}, assessment.CheckExtensionReason(form.Reason)...)})
		}
		before, x, err := postgres.ExtendDue(r.Context(), tx, principal(r), a.ID, due, form.Reason, s.now(), middleware.GetReqID(r.Context()))
		if err != nil {
			return err
		}
		e := assessmentEvent(notify.AssessmentExtended, before, principal(r))
		e.Params["Date"] = kijun.Text{Ja: kijun.FormatDate(kijun.Ja, x.DueOn), En: kijun.FormatDate(kijun.En, x.DueOn)}
		return s.notify(r.Context(), tx, e)
	})
	if ke, ok := refusal(err); ok {
		v := asm.ShowView{Extend: form}
		problems, _ := ke.Args["Problems"].([]assessment.Problem)
		if len(problems) == 0 {
			problems = []assessment.Problem{{MessageID: ke.MessageID, Args: ke.Args}}
		}
		for _, pr := range problems {
			if pr.Field == "" {
				v.Refused = &asm.Message{MessageID: pr.MessageID, Args: pr.Args}
				continue
			}
			v.Extend.Refuse(pr.Field, pr.MessageID, pr.Args)
		}
		return s.showAssessment(w, r, statusOf(err), v)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/assessments/"+itoa(id)+"?done=extended#extensions-heading", http.StatusSeeOther)
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
	return sendUpload(w, ev.ContentType, ev.FileName, data)
}
