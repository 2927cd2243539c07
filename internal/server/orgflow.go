package server

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/postgres"
	asm "github.com/kijun-portal/kijun/web/pages/assessments"
	"github.com/kijun-portal/kijun/web/pages/orgflow"
)

// orgFlowRoutes registers the work inside an operator (docs/assessment.md,
// "Inside the operator"): assignments, marking them ready, the internal
// check, and the "assigned to me" list.
func (s *Server) orgFlowRoutes(h routeFunc) {
	h(http.MethodGet, "/assignments", authz.ViewMyAssignments, s.handleMyAssignments)
	h(http.MethodGet, "/assessments/{id}/work", authz.ViewAssessment, s.handleWork)
	h(http.MethodPost, "/assessments/{id}/assignments", authz.AssignAssessment, s.handleAssign)
	h(http.MethodPost, "/assessments/{id}/assignments/{aid}/ready", authz.AnswerAssessment, s.handleAssignmentReady)
	h(http.MethodPost, "/assessments/{id}/assignments/{aid}/delete", authz.AssignAssessment, s.handleUnassign)
	h(http.MethodPost, "/assessments/{id}/signoff", authz.SignOffAssessment, s.handleSignOff)
	h(http.MethodPost, "/plans/internal-check", authz.ManagePlanCheck, s.handlePlanCheck)
	h(http.MethodPost, "/delegations", authz.ManageDelegation, s.handleSetDelegation)
	h(http.MethodPost, "/delegations/{id}/cancel", authz.ManageDelegation, s.handleCancelDelegation)
}

// myAssignments reads the reader's open assignments, and those of the
// absent users the reader is the deputy of today (authz.Deputyships).
func (s *Server) myAssignments(r *http.Request, tx pgx.Tx) ([]assessment.Assignment, error) {
	p := principal(r)
	return postgres.ListMyAssignments(r.Context(), tx, p.UserID, authz.Deputyships(p, time.Now()))
}

func (s *Server) handleMyAssignments(w http.ResponseWriter, r *http.Request) error {
	v := orgflow.MineView{Notice: r.URL.Query().Get("done")}
	switch v.Notice {
	case "", "delegated", "delegation_cancelled":
	default:
		v.Notice = ""
	}
	return s.renderMine(w, r, http.StatusOK, v)
}

// renderMine shows "assigned to me" and the reader's delegations while
// away, with what v already holds (a delegation form that comes back).
func (s *Server) renderMine(w http.ResponseWriter, r *http.Request, status int, v orgflow.MineView) error {
	p := principal(r)
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) (err error) {
		if v.Assignments, err = s.myAssignments(r, tx); err != nil {
			return err
		}
		if v.Delegations, err = postgres.ListDelegations(r.Context(), tx, p.UserID, p.AdminOperators); err != nil {
			return err
		}
		var ops []int64
		for _, op := range p.CheckOperators {
			if authz.Can(p, authz.ManageDelegation, authz.Resource{OperatorID: op}) {
				ops = append(ops, op)
			}
		}
		if len(ops) == 0 {
			return nil
		}
		members, err := postgres.CheckMembers(r.Context(), tx, p, ops)
		if err != nil {
			return err
		}
		for _, g := range p.Grants {
			if slices.Contains(ops, g.OperatorID) && !slices.ContainsFunc(v.Operators, func(o orgflow.Option) bool { return o.Value == itoa(g.OperatorID) }) {
				v.Operators = append(v.Operators, orgflow.Option{Value: itoa(g.OperatorID), Label: g.OperatorName})
				for _, m := range members[g.OperatorID] {
					v.Deputies = append(v.Deputies, orgflow.Option{Value: itoa(m.ID), Label: kijun.Text{Ja: m.Name, En: m.Name},
						Group: g.OperatorName})
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	v.Me = p.UserID
	v.AdminOf = p.AdminOperators
	if v.Sections, err = s.sectionNames(r); err != nil {
		return err
	}
	return s.render(w, r, status, orgflow.Mine(v))
}

// handleSetDelegation records the reader's absence and its deputy, and
// tells the deputy. Refusals come back next to their fields, with what
// was typed.
func (s *Server) handleSetDelegation(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	form := orgflow.DelegationForm{Operator: r.PostFormValue("operator"), Deputy: r.PostFormValue("deputy"),
		From: r.PostFormValue("from"), To: r.PostFormValue("to")}
	in := postgres.DelegationInput{OperatorID: int64(atoiOr0(form.Operator)), DeputyID: int64(atoiOr0(form.Deputy))}
	in.From, _ = parseDay(form.From)
	in.To, _ = parseDay(form.To)
	if !authz.Can(p, authz.ManageDelegation, authz.Resource{OperatorID: in.OperatorID}) {
		form.Errors = map[string]orgflow.Message{"operator": {MessageID: assessment.MsgDelegOperator}}
		return s.renderMine(w, r, http.StatusUnprocessableEntity, orgflow.MineView{Delegation: form})
	}
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		d, err := postgres.SetDelegation(r.Context(), tx, p, in, middleware.GetReqID(r.Context()))
		if err != nil {
			return err
		}
		op, err := postgres.GetOperator(r.Context(), tx, d.OperatorID)
		if err != nil {
			return err
		}
		lang := func(l kijun.Lang, t time.Time) string { return kijun.FormatDate(l, t) }
		return s.notify(r.Context(), tx, notify.Event{Kind: notify.DelegationSet,
			Scope: authz.Resource{SectorCode: op.SectorCode, OperatorID: op.ID}, User: d.DeputyID,
			Params: map[string]kijun.Text{"Operator": op.Name, "Name": {Ja: d.UserName, En: d.UserName},
				"From": {Ja: lang(kijun.Ja, d.From), En: lang(kijun.En, d.From)},
				"To":   {Ja: lang(kijun.Ja, d.To), En: lang(kijun.En, d.To)}},
			Link: "/assignments", Actor: p.UserID})
	})
	var ps postgres.DelegationProblems
	if errors.As(err, &ps) {
		form.Errors = map[string]orgflow.Message{}
		for f, m := range ps {
			form.Errors[f] = orgflow.Message{MessageID: m}
		}
		return s.renderMine(w, r, http.StatusUnprocessableEntity, orgflow.MineView{Delegation: form})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/assignments?done=delegated", http.StatusSeeOther)
	return nil
}

// handleCancelDelegation ends a delegation now: the absent user's own, or
// one of the operator's (its admins).
func (s *Server) handleCancelDelegation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		_, err := postgres.CancelDelegation(r.Context(), tx, principal(r), id, middleware.GetReqID(r.Context()))
		return err
	})
	if ke, ok := refusal(err); ok {
		return s.renderMine(w, r, statusOf(err), orgflow.MineView{Refused: &orgflow.Message{MessageID: ke.MessageID, Args: ke.Args}})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/assignments?done=delegation_cancelled", http.StatusSeeOther)
	return nil
}

func (s *Server) handleWork(w http.ResponseWriter, r *http.Request) error {
	v := orgflow.WorkView{Notice: r.URL.Query().Get("done")}
	switch v.Notice {
	case "", "assigned", "ready", "not_ready", "confirmed", "sent_back", "unassigned":
	default:
		v.Notice = ""
	}
	return s.renderWork(w, r, http.StatusOK, v)
}

// renderWork shows the work page with what v already holds (a form that
// comes back) and everything it reads.
func (s *Server) renderWork(w http.ResponseWriter, r *http.Request, status int, v orgflow.WorkView) error {
	p := principal(r)
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		var err error
		if v.Assessment, err = s.loadAssessment(r, tx, authz.ViewAssessment); err != nil {
			return err
		}
		if v.Assignments, err = postgres.ListAssignments(r.Context(), tx, v.Assessment.ID); err != nil {
			return err
		}
		if v.SignOffs, err = postgres.ListSignOffs(r.Context(), tx, v.Assessment.ID); err != nil {
			return err
		}
		for i := range v.SignOffs {
			if v.SignOffs[i].Current() {
				v.Current = &v.SignOffs[i]
				break
			}
		}
		res := assessmentResource(v.Assessment)
		editable := v.Assessment.Status.Editable()
		v.CanAssign = authz.Can(p, authz.AssignAssessment, res) && editable
		v.CanSignOff = authz.Can(p, authz.SignOffAssessment, res) && editable
		if v.CanSignOff && !slices.Contains(p.CheckOperators, v.Assessment.OperatorID) {
			if d, ok := authz.DeputyFor(p, v.Assessment.OperatorID, time.Now()); ok {
				v.DeputyFor = d.ForName
			}
		}
		v.CanAnswer = authz.Can(p, authz.AnswerAssessment, res) && editable
		for _, d := range authz.Deputyships(p, time.Now()) {
			if d.OperatorID == v.Assessment.OperatorID {
				v.ActFor = append(v.ActFor, d.ForUserID)
			}
		}
		if v.CanAssign {
			ms, err := postgres.OperatorMembers(r.Context(), tx, v.Assessment.OperatorID)
			if err != nil {
				return err
			}
			for _, m := range ms {
				v.Members = append(v.Members, orgflow.Member{ID: m.ID, Name: m.Name})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	v.Me = p.UserID
	if v.Sections, err = s.sectionNames(r); err != nil {
		return err
	}
	return s.render(w, r, status, orgflow.Work(v))
}

// handleAssign gives a section or control to a member of the operator
// and tells the assignee. Refusals come back next to their fields.
func (s *Server) handleAssign(w http.ResponseWriter, r *http.Request) error {
	form := orgflow.AssignForm{Section: r.PostFormValue("section"), Ref: strings.TrimSpace(r.PostFormValue("ref")),
		Assignee: r.PostFormValue("assignee"), DueOn: r.PostFormValue("due_on")}
	var id int64
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		a, err := s.loadAssessment(r, tx, authz.AssignAssessment)
		if err != nil {
			return err
		}
		id = a.ID
		in := postgres.AssignInput{AssessmentID: a.ID, Section: form.Section, Ref: form.Ref, AssigneeID: int64(atoiOr0(form.Assignee))}
		problems := postgres.AssignmentProblems{}
		if kijun.TextProblem(form.Ref) != "" || len(form.Ref) > 50 {
			problems["section"] = assessment.MsgAssignNoSection
		}
		if due, ok := parseDay(form.DueOn); ok {
			in.DueOn = due
		} else {
			problems["due_on"] = "orgflow.error.due_required"
		}
		if len(problems) > 0 {
			return problems
		}
		x, err := postgres.Assign(r.Context(), tx, principal(r), in, middleware.GetReqID(r.Context()))
		if err != nil {
			return err
		}
		e := assessmentEvent(notify.AssessmentAssigned, a, principal(r))
		e.User = x.AssigneeID
		e.Params["Date"] = kijun.Text{Ja: kijun.FormatDate(kijun.Ja, x.DueOn), En: kijun.FormatDate(kijun.En, x.DueOn)}
		return s.notify(r.Context(), tx, e)
	})
	var ps postgres.AssignmentProblems
	if errors.As(err, &ps) {
		form.Errors = map[string]orgflow.Message{}
		for f, m := range ps {
			form.Errors[f] = orgflow.Message{MessageID: m}
		}
		return s.renderWork(w, r, http.StatusUnprocessableEntity, orgflow.WorkView{Assign: form})
	}
	if ke, ok := refusal(err); ok {
		if ke.MessageID == assessment.MsgAssignDueAfter { // the database's check
			form.Errors = map[string]orgflow.Message{"due_on": {MessageID: ke.MessageID, Args: ke.Args}}
			return s.renderWork(w, r, http.StatusUnprocessableEntity, orgflow.WorkView{Assign: form})
		}
		return s.renderWork(w, r, statusOf(err), orgflow.WorkView{Assign: form, Refused: &orgflow.Message{MessageID: ke.MessageID, Args: ke.Args}})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/assessments/"+itoa(id)+"/work?done=assigned", http.StatusSeeOther)
	return nil
}

// handleAssignmentReady marks an assignment ready (ready=1) or not
// (ready=0); when the last one is ready, the operator's admins hear that
// the assessment awaits its internal check.
func (s *Server) handleAssignmentReady(w http.ResponseWriter, r *http.Request) error {
	aid, err := pathID(r, "aid")
	if err != nil {
		return err
	}
	ready := r.PostFormValue("ready") != "0"
	var id int64
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		a, err := s.loadAssessment(r, tx, authz.AnswerAssessment)
		if err != nil {
			return err
		}
		id = a.ID
		all, err := postgres.MarkReady(r.Context(), tx, principal(r), a.ID, aid, ready, middleware.GetReqID(r.Context()))
		if err != nil || !ready || !all {
			return err
		}
		return s.notify(r.Context(), tx, assessmentEvent(notify.SignOffWaiting, a, principal(r)))
	})
	if ke, ok := refusal(err); ok {
		return s.renderWork(w, r, statusOf(err), orgflow.WorkView{Refused: &orgflow.Message{MessageID: ke.MessageID, Args: ke.Args}})
	}
	if err != nil {
		return err
	}
	done := map[bool]string{true: "ready", false: "not_ready"}[ready]
	http.Redirect(w, r, "/assessments/"+itoa(id)+"/work?done="+done, http.StatusSeeOther)
	return nil
}

func (s *Server) handleUnassign(w http.ResponseWriter, r *http.Request) error {
	aid, err := pathID(r, "aid")
	if err != nil {
		return err
	}
	var id int64
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		a, err := s.loadAssessment(r, tx, authz.AssignAssessment)
		if err != nil {
			return err
		}
		id = a.ID
		return postgres.Unassign(r.Context(), tx, principal(r), a.ID, aid, middleware.GetReqID(r.Context()))
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/assessments/"+itoa(id)+"/work?done=unassigned", http.StatusSeeOther)
	return nil
}

// handleSignOff records the internal check: confirmed, or sent back with
// a comment (the operator's users hear of it). An incomplete assessment
// is not confirmed: its gaps show on the assessment's page.
func (s *Server) handleSignOff(w http.ResponseWriter, r *http.Request) error {
	form := orgflow.SignOffForm{Comment: r.PostFormValue("comment")}
	d := assessment.SignOffDecision(r.PostFormValue("decision"))
	id, err := s.signOff(r, d, form.Comment)
	if ke, ok := refusal(err); ok {
		if ke.MessageID == "assessment.incomplete" {
			problems, _ := ke.Args["Problems"].([]assessment.AnswerProblem)
			return s.renderAssessment(w, r, http.StatusUnprocessableEntity, problems, asm.ReviewForm{}, nil)
		}
		form.Error = &orgflow.Message{MessageID: ke.MessageID, Args: ke.Args}
		return s.renderWork(w, r, statusOf(err), orgflow.WorkView{SignOff: form})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/assessments/"+itoa(id)+"/work?done="+string(d), http.StatusSeeOther)
	return nil
}

// signOff is the internal check's one code path, for the page and the
// API: the assessment of the request's {id}, loaded for SignOffAssessment,
// the decision recorded (postgres.SignOff checks it), and a send-back told
// to the operator's users.
func (s *Server) signOff(r *http.Request, d assessment.SignOffDecision, comment string) (id int64, err error) {
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		a, err := s.loadAssessment(r, tx, authz.SignOffAssessment)
		if err != nil {
			return err
		}
		id = a.ID
		if m := kijun.CheckText(comment, assessment.MaxCommentLen, "assessment.answer.too_long"); m != "" {
			return kijun.Errorf(kijun.EInvalid, m, map[string]any{"Max": assessment.MaxCommentLen})
		}
		if _, err := postgres.SignOff(r.Context(), tx, principal(r), a.ID, d, comment, middleware.GetReqID(r.Context())); err != nil {
			return err
		}
		if d == assessment.SignOffSentBack {
			return s.notify(r.Context(), tx, assessmentEvent(notify.AssessmentSentBack, a, principal(r)))
		}
		return nil
	})
	return id, err
}

// handlePlanCheck turns a ministry's internal check of its plans on
// (required=1) or off: its admins only (docs/plans.md).
func (s *Server) handlePlanCheck(w http.ResponseWriter, r *http.Request) error {
	ministry := r.PostFormValue("ministry")
	if !authz.Can(principal(r), authz.ManagePlanCheck, authz.Resource{MinistryCode: ministry}) || ministry == "" {
		return errNotFound
	}
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		return postgres.SetPlanCheck(r.Context(), tx, principal(r), ministry, r.PostFormValue("required") == "1", middleware.GetReqID(r.Context()))
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/plans", http.StatusSeeOther)
	return nil
}
