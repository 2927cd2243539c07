package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/plan"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/pages/plans"
)

// The NCO's evaluations (評価・改善) per ministry, sector and fiscal year,
// and the annual report compiled from them.

func (s *Server) handleEvaluationIndex(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	v := plans.EvaluationsView{CanEdit: authz.Can(p, authz.EditEvaluations, authz.Resource{}), IsNCO: p.NCO}
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		var err error
		if v.Evaluations, err = postgres.ListEvaluations(r.Context(), tx, 0); err != nil {
			return err
		}
		v.Names, err = postgres.LoadReferenceNames(r.Context(), tx)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, plans.Evaluations(v))
}

func (s *Server) handleEvaluationNew(w http.ResponseWriter, r *http.Request) error {
	return s.renderEvaluationNew(w, r, http.StatusOK, plans.EvaluationForm{FiscalYear: strconv.Itoa(int(kijun.FiscalYearOf(s.now())))})
}

func (s *Server) renderEvaluationNew(w http.ResponseWriter, r *http.Request, status int, f plans.EvaluationForm) error {
	p := principal(r)
	v := plans.EvaluationNewView{Form: f}
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		rows, _ := tx.Query(r.Context(), `SELECT o.ministry_code, o.sector_code FROM sector_oversight o
			JOIN ministries m ON m.code = o.ministry_code JOIN sectors s ON s.code = o.sector_code
			ORDER BY m.sort_order, s.sort_order`)
		var err error
		if v.Oversight, err = pgx.CollectRows(rows, pgx.RowToStructByPos[plans.OversightPair]); err != nil {
			return err
		}
		v.Names, err = postgres.LoadReferenceNames(r.Context(), tx)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, status, plans.EvaluationNew(v))
}

func evaluationFormOf(r *http.Request) plans.EvaluationForm {
	pf := r.PostFormValue
	return plans.EvaluationForm{Findings: pf("findings"), GoodPractices: pf("good_practices"), Improvements: pf("improvement_requests"),
		Rating: pf("rating"), Edits: atoiOr0(pf("edits")), FiscalYear: pf("fiscal_year"), Errors: map[string]i18n.Message{}}
}

func problemsInto(err error, errs map[string]i18n.Message) bool {
	var ke *kijun.Error
	if !errors.As(err, &ke) || ke.Code != kijun.EInvalid {
		return false
	}
	if ps, ok := ke.Args["Problems"].([]plan.FieldProblem); ok {
		for _, prob := range ps {
			errs[prob.Field] = i18n.Message{MessageID: prob.MessageID, Args: prob.Args}
		}
	} else {
		errs["rating"] = i18n.Message{MessageID: ke.MessageID, Args: ke.Args}
	}
	return true
}

func (s *Server) handleEvaluationCreate(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	f := evaluationFormOf(r)
	// "METI/electricity": the ministry and one of its sectors.
	f.Ministry, f.Sector, _ = strings.Cut(r.PostFormValue("target"), "/")
	e := plan.Evaluation{MinistryCode: f.Ministry, SectorCode: f.Sector, FiscalYear: kijun.FiscalYear(atoiOr0(f.FiscalYear)),
		Findings: f.Findings, GoodPractices: f.GoodPractices, ImprovementRequests: f.Improvements, Rating: plan.EvaluationRating(f.Rating)}
	var id int64
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) (err error) {
		id, err = postgres.CreateEvaluation(r.Context(), tx, p, e, reqID(r))
		return err
	})
	if problemsInto(err, f.Errors) {
		return s.renderEvaluationNew(w, r, http.StatusUnprocessableEntity, f)
	}
	if kijun.ErrorCode(err) == kijun.EConflict {
		f.Errors["sector"] = i18n.Msg("plans.error.evaluation_exists")
		return s.renderEvaluationNew(w, r, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/evaluations/"+itoa(id), http.StatusSeeOther)
	return nil
}

func (s *Server) handleEvaluationShow(w http.ResponseWriter, r *http.Request) error {
	return s.renderEvaluation(w, r, http.StatusOK, plans.EvaluationView{}, nil)
}

// renderEvaluation shows an evaluation; v brings what a refused action
// adds (the response as typed and why, why publishing was refused) and
// typed the evaluation form as typed.
func (s *Server) renderEvaluation(w http.ResponseWriter, r *http.Request, status int, v plans.EvaluationView, typed *plans.EvaluationForm) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if v.E, err = postgres.GetEvaluation(r.Context(), tx, id); err != nil {
			return err
		}
		if !authz.Can(p, authz.ViewEvaluations, authz.Resource{MinistryCode: v.E.MinistryCode}) {
			return errNotFound
		}
		v.Names, err = postgres.LoadReferenceNames(r.Context(), tx)
		return err
	})
	if err != nil {
		return err
	}
	v.CanEdit = authz.Can(p, authz.EditEvaluations, authz.Resource{MinistryCode: v.E.MinistryCode})
	v.CanRespond = v.E.Published && authz.Can(p, authz.RespondEvaluation, authz.Resource{MinistryCode: v.E.MinistryCode})
	v.Form = plans.EvaluationForm{Findings: v.E.Findings, GoodPractices: v.E.GoodPractices, Improvements: v.E.ImprovementRequests,
		Rating: string(v.E.Rating), Edits: v.E.Edits}
	if typed != nil {
		v.Form = *typed
	}
	if v.Response == "" {
		v.Response = v.E.Response
	}
	return s.render(w, r, status, plans.Evaluation(v))
}

func (s *Server) handleEvaluationUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	f := evaluationFormOf(r)
	e := plan.Evaluation{ID: id, Findings: f.Findings, GoodPractices: f.GoodPractices, ImprovementRequests: f.Improvements,
		Rating: plan.EvaluationRating(f.Rating)}
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		return postgres.UpdateEvaluation(r.Context(), tx, p, e, f.Edits, reqID(r))
	})
	if problemsInto(err, f.Errors) {
		return s.renderEvaluation(w, r, http.StatusUnprocessableEntity, plans.EvaluationView{}, &f)
	}
	if kijun.ErrorCode(err) == kijun.EConflict {
		f.Errors["findings"] = i18n.Msg("plans.error.conflict")
		return s.renderEvaluation(w, r, http.StatusConflict, plans.EvaluationView{}, &f)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/evaluations/"+itoa(id), http.StatusSeeOther)
	return nil
}

// handleEvaluationPublish publishes an evaluation with, optionally, the
// date by which its ministry answers; a refused date comes back next to
// its field.
func (s *Server) handleEvaluationPublish(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	typed := r.PostFormValue("respond_by")
	var by *time.Time
	if typed != "" {
		d, ok := parseDay(typed)
		if !ok {
			return s.renderEvaluationPublish(w, r, typed, i18n.Msg("form.bad_date"))
		}
		by = &d
	}
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if err := postgres.PublishEvaluation(r.Context(), tx, p, id, by, s.now(), reqID(r)); err != nil {
			return err
		}
		e, err := postgres.GetEvaluation(r.Context(), tx, id)
		if err != nil {
			return err
		}
		y := strconv.Itoa(int(e.FiscalYear))
		return s.notify(r.Context(), tx, notify.Event{Kind: notify.EvaluationPublished,
			Scope:  authz.Resource{MinistryCode: e.MinistryCode},
			Params: map[string]kijun.Text{"Year": {Ja: y, En: y}}, Link: "/evaluations/" + itoa(id), Actor: p.UserID})
	})
	var ke *kijun.Error
	if errors.As(err, &ke) && ke.Code == kijun.EInvalid {
		if ps, ok := ke.Args["Problems"].([]plan.FieldProblem); ok && len(ps) > 0 {
			return s.renderEvaluationPublish(w, r, typed, i18n.Msg(ps[0].MessageID, ps[0].Args))
		}
	}
	if ke, ok := refusal(err); ok {
		// No rating yet, or already published: the page again, with why
		// beside the publish button.
		return s.renderEvaluation(w, r, statusOf(err), plans.EvaluationView{PublishError: ke,
			Publish: plans.PublishForm{RespondBy: typed}}, nil)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/evaluations/"+itoa(id), http.StatusSeeOther)
	return nil
}

// renderEvaluationPublish shows the evaluation again with the publish
// form's date as typed and why it was refused.
func (s *Server) renderEvaluationPublish(w http.ResponseWriter, r *http.Request, typed string, why i18n.Message) error {
	return s.renderEvaluation(w, r, http.StatusUnprocessableEntity,
		plans.EvaluationView{Publish: plans.PublishForm{RespondBy: typed, Error: why}}, nil)
}

func (s *Server) handleEvaluationRespond(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	response := r.PostFormValue("response")
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if err := postgres.RespondEvaluation(r.Context(), tx, p, id, response, reqID(r)); err != nil {
			return err
		}
		return s.notifyEvaluationAnswered(r.Context(), tx, id, p)
	})
	var ke *kijun.Error
	if errors.As(err, &ke) && ke.Code == kijun.EInvalid {
		return s.renderEvaluation(w, r, http.StatusUnprocessableEntity, plans.EvaluationView{Response: response, RespError: ke}, nil)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/evaluations/"+itoa(id), http.StatusSeeOther)
	return nil
}

// notifyEvaluationAnswered tells the NCO's evaluators that the ministry
// answered evaluation id: which ministry, for which sector and year.
func (s *Server) notifyEvaluationAnswered(ctx context.Context, tx pgx.Tx, id int64, actor *identity.Principal) error {
	e, err := postgres.GetEvaluation(ctx, tx, id)
	if err != nil {
		return err
	}
	ministry, err := postgres.ReferenceName(ctx, tx, "ministries", e.MinistryCode)
	if err != nil {
		return err
	}
	sector, err := postgres.ReferenceName(ctx, tx, "sectors", e.SectorCode)
	if err != nil {
		return err
	}
	y := strconv.Itoa(int(e.FiscalYear))
	return s.notify(ctx, tx, notify.Event{Kind: notify.EvaluationAnswered, Scope: authz.Resource{MinistryCode: e.MinistryCode},
		Params: map[string]kijun.Text{"Ministry": ministry, "Sector": sector, "Year": {Ja: y, En: y}},
		Link:   "/evaluations/" + itoa(id), Actor: actor.UserID})
}
