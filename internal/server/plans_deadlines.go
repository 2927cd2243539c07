package server

import (
	"net/http"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/plan"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/pages/plans"
)

// Plan deadlines (docs/deadlines.md): the NCO sets by when the ministries
// submit their implementation plans for a fiscal year; the NCO and the
// ministries see who is past it.

func (s *Server) handlePlanDeadlines(w http.ResponseWriter, r *http.Request) error {
	fy := kijun.FiscalYearOf(s.now())
	return s.renderPlanDeadlines(w, r, http.StatusOK, plans.DeadlineForm{FiscalYear: strconv.Itoa(int(fy))})
}

func (s *Server) renderPlanDeadlines(w http.ResponseWriter, r *http.Request, status int, f plans.DeadlineForm) error {
	p := principal(r)
	v := plans.DeadlinesView{Form: f, CanSet: authz.Can(p, authz.SetPlanDeadlines, authz.Resource{}),
		Saved: r.URL.Query().Get("done") == "saved"}
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		var err error
		if v.Deadlines, err = postgres.ListPlanDeadlines(r.Context(), tx); err != nil {
			return err
		}
		if v.Overdue, err = postgres.OverduePlans(r.Context(), tx); err != nil {
			return err
		}
		v.Names, err = postgres.LoadReferenceNames(r.Context(), tx)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, status, plans.Deadlines(v))
}

// handlePlanDeadlineSet sets (or moves) a fiscal year's plan deadline;
// refused input comes back with the message next to its field.
func (s *Server) handlePlanDeadlineSet(w http.ResponseWriter, r *http.Request) error {
	f := plans.DeadlineForm{FiscalYear: r.PostFormValue("fiscal_year"), DueOn: r.PostFormValue("due_on"),
		Errors: map[string]string{}, Args: map[string]map[string]any{}}
	fy, err := strconv.Atoi(f.FiscalYear)
	if err != nil {
		f.Errors["fiscal_year"] = plan.DeadlineYear
	}
	due, ok := parseDay(f.DueOn)
	if !ok {
		f.Errors["due_on"] = "form.bad_date"
	}
	if len(f.Errors) == 0 {
		err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
			return postgres.SetPlanDeadline(r.Context(), tx, principal(r), kijun.FiscalYear(fy), due, s.now(), reqID(r))
		})
		if ke, ok := refusal(err); ok {
			ps, _ := ke.Args["Problems"].([]plan.FieldProblem)
			for _, pr := range ps {
				f.Errors[pr.Field], f.Args[pr.Field] = pr.MessageID, pr.Args
			}
		} else if err != nil {
			return err
		}
	}
	if len(f.Errors) > 0 {
		return s.renderPlanDeadlines(w, r, http.StatusUnprocessableEntity, f)
	}
	http.Redirect(w, r, "/plans/deadlines?done=saved", http.StatusSeeOther)
	return nil
}
