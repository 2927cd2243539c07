package server

import (
	"context"
	"net/http"

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

// The ministry's internal check of a plan draft (docs/plans.md, "The
// ministry's internal check"): its users ask for it, its admins confirm
// it or send it back for rework; the admins hear of a request, and who
// asked hears of the decision.

// handlePlanSignOffRequest asks the ministry's admins to check the draft.
func (s *Server) handlePlanSignOffRequest(w http.ResponseWriter, r *http.Request) error {
	return s.planSignOffAction(w, r, authz.RequestPlanSignOff, func(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64) error {
		if err := postgres.RequestPlanSignOff(ctx, tx, p, id, reqID(r)); err != nil {
			return err
		}
		return s.notifyPlan(ctx, tx, notify.PlanSignOffWaiting, id, p)
	})
}

// handlePlanSignOff records an admin's decision (decision=confirmed or
// sent_back, with a comment for a send-back) and tells who asked.
func (s *Server) handlePlanSignOff(w http.ResponseWriter, r *http.Request) error {
	step := plan.SignOffStep(r.PostFormValue("decision"))
	comment := r.PostFormValue("comment")
	return s.planSignOffAction(w, r, authz.SignOffPlan, func(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64) error {
		askedBy, err := postgres.DecidePlanSignOff(ctx, tx, p, id, step, comment, reqID(r))
		if err != nil {
			return err
		}
		k := notify.PlanConfirmed
		if step == plan.SignOffSentBack {
			k = notify.PlanSentBack
		}
		return s.notifyPlanUser(ctx, tx, k, id, p, askedBy)
	})
}

// planSignOffAction runs a step of the check on the plan of {id}, loaded
// for action a, and returns to the plan. A refusal shows the plan again:
// a comment's problem beside the comment (as typed), any other above the
// check's form.
func (s *Server) planSignOffAction(w http.ResponseWriter, r *http.Request, a authz.Action, fn func(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64) error) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if _, err := loadPlan(r.Context(), tx, p, id, a); err != nil {
			return err
		}
		return fn(r.Context(), tx, p, id)
	})
	if ke, ok := refusal(err); ok {
		msg := i18n.Message{MessageID: ke.MessageID, Args: ke.Args}
		v := plans.ShowView{CheckError: msg}
		if ke.Code == kijun.EInvalid && ke.MessageID != plan.MsgCheckDecision {
			v = plans.ShowView{CommentError: msg}
		}
		r.URL.RawQuery = ""
		return s.showPlan(w, r, statusOf(err), v)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/plans/"+itoa(id)+"#plan-signoff", http.StatusSeeOther)
	return nil
}

// notifyPlanUser tells one user of the plan's ministry (who asked for
// its internal check) of an event on the plan.
func (s *Server) notifyPlanUser(ctx context.Context, tx pgx.Tx, k notify.Kind, id int64, actor *identity.Principal, user int64) error {
	if user == 0 {
		return nil
	}
	pl, err := postgres.GetPlan(ctx, tx, id)
	if err != nil {
		return err
	}
	ministry, err := postgres.ReferenceName(ctx, tx, "ministries", pl.MinistryCode)
	if err != nil {
		return err
	}
	return s.notify(ctx, tx, notify.Event{Kind: k, Scope: authz.Resource{MinistryCode: pl.MinistryCode}, User: user,
		Params: map[string]kijun.Text{"Plan": pl.LatestTitle, "Ministry": ministry}, Link: "/plans/" + itoa(id), Actor: actor.UserID})
}
