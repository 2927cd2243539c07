package server

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/plan"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/pages/plans"
)

// planRoutes registers the implementation plan pages (docs/plans.md):
// ministries draft and revise their plans and sector profiles, the NCO
// reviews them and writes its evaluations, operators read their sector's
// profile.
func (s *Server) planRoutes(h routeFunc) {
	get, post := http.MethodGet, http.MethodPost
	h(get, "/plans", authz.ViewPlans, s.handlePlanIndex)
	h(get, "/plans/review", authz.ReviewPlans, s.handlePlanQueue)
	h(get, "/plans/deadlines", authz.ViewPlans, s.handlePlanDeadlines)
	h(post, "/plans/deadlines", authz.SetPlanDeadlines, s.handlePlanDeadlineSet)
	h(get, "/plans/new", authz.EditPlans, s.handlePlanNew)
	h(post, "/plans", authz.EditPlans, s.handlePlanCreate)
	h(get, "/plans/{id}", authz.ViewPlans, s.handlePlanShow)
	h(get, "/plans/{id}/edit", authz.EditPlans, s.handlePlanEdit)
	h(post, "/plans/{id}/edit", authz.EditPlans, s.handlePlanUpdate)
	h(get, "/plans/{id}/profile", authz.ViewPlans, s.handlePlanProfile)
	h(post, "/plans/{id}/profile", authz.EditPlans, s.handlePlanProfileSave)
	h(post, "/plans/{id}/supplementary", authz.EditPlans, s.handleSupplementaryAdd)
	h(post, "/plans/{id}/supplementary/{ref}/delete", authz.EditPlans, s.handleSupplementaryDelete)
	h(get, "/plans/{id}/profile.xlsx", authz.ViewPlans, s.handleProfileXLSX)
	h(get, "/plans/{id}/profile.json", authz.ViewPlans, s.handleProfileOSCAL)
	h(post, "/plans/{id}/profile/import", authz.EditPlans, s.handleProfileImport)
	h(post, "/plans/{id}/profile/import/confirm", authz.EditPlans, s.handleProfileImportConfirm)
	h(get, "/plans/{id}/diff", authz.ViewPlans, s.handlePlanDiff)
	h(post, "/plans/{id}/submit", authz.EditPlans, s.handlePlanSubmit)
	h(post, "/plans/{id}/revise", authz.EditPlans, s.handlePlanRevise)
	h(post, "/plans/{id}/comments", authz.ViewPlans, s.handlePlanComment)
	h(post, "/plans/{id}/review", authz.ReviewPlans, s.handlePlanStartReview)
	h(post, "/plans/{id}/return", authz.ReviewPlans, s.handlePlanReturn)
	h(post, "/plans/{id}/accept", authz.ReviewPlans, s.handlePlanAccept)
	h(post, "/plans/{id}/signoff/request", authz.RequestPlanSignOff, s.handlePlanSignOffRequest)
	h(post, "/plans/{id}/signoff", authz.SignOffPlan, s.handlePlanSignOff)

	h(get, "/evaluations", authz.ViewEvaluations, s.handleEvaluationIndex)
	h(get, "/evaluations/new", authz.EditEvaluations, s.handleEvaluationNew)
	h(post, "/evaluations", authz.EditEvaluations, s.handleEvaluationCreate)
	h(get, "/evaluations/{id}", authz.ViewEvaluations, s.handleEvaluationShow)
	h(post, "/evaluations/{id}", authz.EditEvaluations, s.handleEvaluationUpdate)
	h(post, "/evaluations/{id}/publish", authz.EditEvaluations, s.handleEvaluationPublish)
	h(post, "/evaluations/{id}/response", authz.RespondEvaluation, s.handleEvaluationRespond)

	h(get, "/profile", authz.ViewSectorProfile, s.handleSectorProfile)
}

func reqID(r *http.Request) string { return middleware.GetReqID(r.Context()) }

// loadPlan reads a plan the principal may see under action a; another
// ministry's plan is "not found".
func loadPlan(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64, a authz.Action) (plan.Plan, error) {
	pl, err := postgres.GetPlan(ctx, tx, id)
	if err != nil {
		return pl, err
	}
	if !authz.Can(p, a, authz.Resource{MinistryCode: pl.MinistryCode}) {
		return pl, errNotFound
	}
	return pl, nil
}

func (s *Server) handlePlanIndex(w http.ResponseWriter, r *http.Request) error {
	return s.renderPlanList(w, r, false)
}

func (s *Server) handlePlanQueue(w http.ResponseWriter, r *http.Request) error {
	return s.renderPlanList(w, r, true)
}

func (s *Server) renderPlanList(w http.ResponseWriter, r *http.Request, queue bool) error {
	p := principal(r)
	v := plans.IndexView{Queue: queue, CanCreate: authz.Can(p, authz.EditPlans, authz.Resource{}),
		CanReview: authz.Can(p, authz.ReviewPlans, authz.Resource{}), Ministry: len(p.Ministries) > 0}
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		var err error
		if v.Plans, err = postgres.ListPlans(r.Context(), tx, postgres.PlanFilter{Queue: queue}); err != nil {
			return err
		}
		for _, m := range p.AdminMinistries {
			if !queue && authz.Can(p, authz.ManagePlanCheck, authz.Resource{MinistryCode: m}) {
				required, err := postgres.PlanCheckRequired(r.Context(), tx, m)
				if err != nil {
					return err
				}
				v.Checks = append(v.Checks, plans.PlanCheck{Ministry: m, Required: required})
			}
		}
		v.Names, err = postgres.LoadReferenceNames(r.Context(), tx)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, plans.Index(v))
}

func (s *Server) handlePlanNew(w http.ResponseWriter, r *http.Request) error {
	fy := kijun.FiscalYearOf(s.now())
	return s.renderPlanNew(w, r, http.StatusOK, plans.NewForm{PeriodStart: strconv.Itoa(int(fy)), PeriodEnd: strconv.Itoa(int(fy) + 2)})
}

func (s *Server) renderPlanNew(w http.ResponseWriter, r *http.Request, status int, f plans.NewForm) error {
	p := principal(r)
	v := plans.NewView{Form: f}
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		names, err := postgres.LoadReferenceNames(r.Context(), tx)
		if err != nil {
			return err
		}
		for _, sc := range names.Sectors {
			if p.OverseesSector(sc.Code) {
				v.Sectors = append(v.Sectors, sc)
			}
		}
		cats, err := postgres.PublishedCatalogs(r.Context(), tx)
		for _, c := range cats {
			v.Catalogs = append(v.Catalogs, plans.CatalogOption{ID: c.ID, Label: c.Title.In(kijun.Ja) + " " + c.Version})
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, status, plans.New(v))
}

func (s *Server) handlePlanCreate(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := plans.NewForm{Sectors: r.PostForm["sectors"], PeriodStart: r.PostFormValue("period_start"),
		PeriodEnd: r.PostFormValue("period_end"), CatalogID: r.PostFormValue("catalog_id"),
		TitleJa: r.PostFormValue("title_ja"), TitleEn: r.PostFormValue("title_en"), Errors: map[string]i18n.Message{}}
	catID, _ := strconv.ParseInt(f.CatalogID, 10, 64)
	// A user of several ministries plans for the one overseeing the
	// first chosen sector.
	ministry := ""
	if len(p.Ministries) > 0 {
		ministry = p.Ministries[0]
	}
	var id int64
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if len(f.Sectors) > 0 {
			_ = tx.QueryRow(r.Context(), `SELECT ministry_code FROM sector_oversight
				WHERE sector_code = $1 AND ministry_code = ANY ($2) ORDER BY ministry_code LIMIT 1`, f.Sectors[0], p.Ministries).Scan(&ministry)
		}
		var err error
		id, err = postgres.CreatePlan(r.Context(), tx, p, postgres.NewPlan{MinistryCode: ministry, SectorCodes: f.Sectors,
			PeriodStart: kijun.FiscalYear(atoiOr0(f.PeriodStart)), PeriodEnd: kijun.FiscalYear(atoiOr0(f.PeriodEnd)),
			CatalogID: catID, Title: kijun.Text{Ja: f.TitleJa, En: f.TitleEn}}, reqID(r))
		return err
	})
	var ke *kijun.Error
	if errors.As(err, &ke) && (ke.Code == kijun.EInvalid || ke.Code == kijun.EConflict) {
		if fields, ok := ke.Args["Fields"].(map[string]string); ok {
			for field, id := range fields {
				f.Errors[field] = i18n.Msg(id)
			}
		} else {
			f.Errors["title_ja"] = i18n.Message{MessageID: ke.MessageID, Args: ke.Args}
		}
		return s.renderPlanNew(w, r, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/plans/"+itoa(id), http.StatusSeeOther)
	return nil
}

// versionParam reads ?v= (0: the latest).
func versionParam(r *http.Request) int {
	n := atoiOr0(r.URL.Query().Get("v"))
	return max(n, 0)
}

func (s *Server) handlePlanShow(w http.ResponseWriter, r *http.Request) error {
	return s.renderPlanShow(w, r, http.StatusOK, i18n.Message{})
}

func (s *Server) renderPlanShow(w http.ResponseWriter, r *http.Request, status int, msg i18n.Message) error {
	return s.showPlan(w, r, status, plans.ShowView{Error: msg})
}

// showPlan renders a plan's page with what v already holds (a refusal,
// a form coming back) and everything the page reads.
func (s *Server) showPlan(w http.ResponseWriter, r *http.Request, status int, v plans.ShowView) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	msg := v.Error
	if msg.MessageID == "" {
		msg = v.CheckError
	}
	if msg.MessageID == "" {
		msg = v.CommentError
	}
	if msg.MessageID != "" && r.Method == http.MethodPost {
		v.Typed = map[string]string{} // a refused form comes back as typed
		for k := range r.PostForm {
			v.Typed[k] = r.PostForm.Get(k)
		}
	}
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		ctx := r.Context()
		if v.Plan, err = loadPlan(ctx, tx, p, id, authz.ViewPlans); err != nil {
			return err
		}
		if v.V, err = postgres.GetPlanVersion(ctx, tx, id, versionParam(r)); err != nil {
			return err
		}
		if v.Progress, err = postgres.ComputePlanProgress(ctx, tx, v.Plan.SectorCodes, v.V, s.now()); err != nil {
			return err
		}
		if v.Operators, err = postgres.PlanScopeOperators(ctx, tx, v.Plan.SectorCodes, v.V.Scope); err != nil {
			return err
		}
		if v.Comments, err = postgres.ListPlanComments(ctx, tx, id); err != nil {
			return err
		}
		if v.Events, err = postgres.ListPlanEvents(ctx, tx, id); err != nil {
			return err
		}
		choices, err := postgres.LoadScopeChoices(ctx, tx, v.Plan.SectorCodes)
		v.Scopes = choices.Scopes
		if err != nil {
			return err
		}
		// The ministry's internal check, for the ministry's own users.
		if authz.Can(p, authz.RequestPlanSignOff, authz.Resource{MinistryCode: v.Plan.MinistryCode}) {
			if v.CheckRequired, err = postgres.PlanCheckRequired(ctx, tx, v.Plan.MinistryCode); err != nil {
				return err
			}
			if v.SignOffs, err = postgres.ListPlanSignOffs(ctx, tx, v.V.ID); err != nil {
				return err
			}
		}
		v.Names, err = postgres.LoadReferenceNames(ctx, tx)
		return err
	})
	if err != nil {
		return err
	}
	res := authz.Resource{MinistryCode: v.Plan.MinistryCode}
	own := authz.Can(p, authz.EditPlans, res)
	latest := v.V.Version == v.Plan.Latest
	state, current := plan.StateOf(v.SignOffs)
	v.CheckState = state
	v.CanEdit = own && latest && v.V.Status == plan.Draft
	v.CanSubmit = v.CanEdit && plan.CanSubmit(v.CheckRequired, current) == ""
	v.CanRequestCheck = latest && authz.Can(p, authz.RequestPlanSignOff, res) && plan.CanRequest(v.CheckRequired, v.V.Status, state) == ""
	v.CanDecideCheck = latest && authz.Can(p, authz.SignOffPlan, res) && v.CheckRequired && v.V.Status == plan.Draft && state == plan.CheckRequested
	v.CanRevise = own && latest && v.V.Status.Revisable()
	v.CanReview = latest && authz.Can(p, authz.ReviewPlans, authz.Resource{MinistryCode: v.Plan.MinistryCode})
	v.CanNote = true // RLS shows plans only to their ministry and the NCO
	return s.render(w, r, status, plans.Show(v))
}

// planAction runs a transition and returns to the plan; a refusal the
// user can understand (a stale page, a missing comment) shows the plan
// again with the message.
func (s *Server) planAction(w http.ResponseWriter, r *http.Request, a authz.Action, fn func(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64) error) error {
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
	var ke *kijun.Error
	if errors.As(err, &ke) && (ke.Code == kijun.EInvalid || ke.Code == kijun.EConflict) {
		status := http.StatusConflict
		if ke.Code == kijun.EInvalid {
			status = http.StatusUnprocessableEntity
		}
		r.URL.RawQuery = ""
		return s.renderPlanShow(w, r, status, i18n.Message{MessageID: ke.MessageID, Args: ke.Args}) // with what was typed (ShowView.Typed)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/plans/"+itoa(id), http.StatusSeeOther)
	return nil
}

func (s *Server) handlePlanSubmit(w http.ResponseWriter, r *http.Request) error {
	return s.planAction(w, r, authz.EditPlans, func(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64) error {
		if err := postgres.SubmitPlan(ctx, tx, p, id, reqID(r)); err != nil {
			return err
		}
		return s.notifyPlan(ctx, tx, notify.PlanReviewWaiting, id, p)
	})
}

func (s *Server) handlePlanRevise(w http.ResponseWriter, r *http.Request) error {
	return s.planAction(w, r, authz.EditPlans, func(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64) error {
		_, err := postgres.RevisePlan(ctx, tx, p, id, reqID(r))
		return err
	})
}

func (s *Server) handlePlanComment(w http.ResponseWriter, r *http.Request) error {
	return s.planAction(w, r, authz.ViewPlans, func(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64) error {
		if err := postgres.AddPlanComment(ctx, tx, p, id, r.PostFormValue("section"), r.PostFormValue("body"), reqID(r)); err != nil {
			return err
		}
		// The other side hears of it: the NCO's comment the ministry, the
		// ministry's the NCO's reviewers.
		return s.notifyPlan(ctx, tx, notify.PlanCommented, id, p)
	})
}

func (s *Server) handlePlanStartReview(w http.ResponseWriter, r *http.Request) error {
	return s.planAction(w, r, authz.ReviewPlans, func(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64) error {
		return postgres.StartReview(ctx, tx, p, id, reqID(r))
	})
}

func (s *Server) handlePlanReturn(w http.ResponseWriter, r *http.Request) error {
	return s.planAction(w, r, authz.ReviewPlans, func(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64) error {
		comments := map[string]string{}
		for _, sec := range plan.Sections {
			comments[sec] = r.PostFormValue("comment_" + sec)
		}
		if err := postgres.ReturnPlan(ctx, tx, p, id, comments, reqID(r)); err != nil {
			return err
		}
		return s.notifyPlan(ctx, tx, notify.PlanReturned, id, p)
	})
}

func (s *Server) handlePlanAccept(w http.ResponseWriter, r *http.Request) error {
	return s.planAction(w, r, authz.ReviewPlans, func(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64) error {
		if err := postgres.AcceptPlan(ctx, tx, p, id, reqID(r)); err != nil {
			return err
		}
		return s.notifyPlan(ctx, tx, notify.PlanAccepted, id, p)
	})
}

// editFormOf fills the general sections' form from a version.
func editFormOf(pl plan.Plan, v *plan.Version) plans.EditForm {
	f := plans.EditForm{Edits: v.Edits, TitleJa: v.Title.Ja, TitleEn: v.Title.En, PeriodEnd: strconv.Itoa(int(pl.PeriodEnd)),
		ScopeMode: string(v.Scope.Mode), Designation: v.Scope.Designation, Method: v.Gathering.Method, Cycles: v.Gathering.Cycles,
		Coverage: strconv.Itoa(v.Gathering.CoverageTarget), FollowUp: v.Gathering.FollowUp, InternalNote: v.InternalNote}
	for _, id := range v.Scope.ScopeIDs {
		f.ScopeIDs = append(f.ScopeIDs, itoa(id))
	}
	for _, id := range v.Scope.OperatorIDs {
		f.OperatorIDs = append(f.OperatorIDs, itoa(id))
	}
	for _, k := range v.KPIs {
		f.KPIs = append(f.KPIs, plans.KPIForm{Label: k.Label, Metric: string(k.Metric), Key: k.Key,
			Threshold: strconv.Itoa(k.Threshold), Target: strconv.Itoa(k.Target), Due: string(k.Due)})
	}
	for _, m := range v.Milestones {
		f.Milestones = append(f.Milestones, plans.MilestoneForm{Label: m.Label, Due: string(m.Due), Done: m.Done})
	}
	return f
}

func (s *Server) handlePlanEdit(w http.ResponseWriter, r *http.Request) error {
	return s.renderPlanEdit(w, r, http.StatusOK, nil)
}

func (s *Server) renderPlanEdit(w http.ResponseWriter, r *http.Request, status int, typed *plans.EditForm) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	var v plans.EditView
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		ctx := r.Context()
		if v.Plan, err = loadPlan(ctx, tx, p, id, authz.EditPlans); err != nil {
			return err
		}
		ver, err := postgres.GetPlanVersion(ctx, tx, id, 0)
		if err != nil {
			return err
		}
		if ver.Status != plan.Draft {
			return kijun.Errorf(kijun.EConflict, "plans.error.immutable", nil)
		}
		v.Form = editFormOf(v.Plan, ver)
		if typed != nil {
			edits := v.Form.Edits
			v.Form = *typed
			if !typed.Conflict {
				v.Form.Edits = edits
			}
		}
		if v.Choices, err = postgres.LoadScopeChoices(ctx, tx, v.Plan.SectorCodes); err != nil {
			return err
		}
		v.Names, err = postgres.LoadReferenceNames(ctx, tx)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, status, plans.Edit(v))
}

func parseIDs(list []string) []int64 {
	var out []int64
	for _, s := range list {
		if id := formID(s); id > 0 {
			out = append(out, id)
		}
	}
	return out
}

// parseDate reads a form date; a bad one is reported, not dropped.
func parsePlanDate(s string, field string, errs map[string]i18n.Message) kijun.Date {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	d, ok := kijun.ParseDate(s)
	if !ok {
		errs[field] = i18n.Msg("plans.error.date")
	}
	return d
}

func (s *Server) handlePlanUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	pf := r.PostFormValue
	f := plans.EditForm{Edits: atoiOr0(pf("edits")), TitleJa: pf("title_ja"), TitleEn: pf("title_en"), PeriodEnd: pf("period_end"),
		ScopeMode: pf("scope_mode"), Designation: pf("designation"), ScopeIDs: r.PostForm["scope_ids"], OperatorIDs: r.PostForm["operator_ids"],
		Method: pf("method"), Cycles: pf("cycles"), Coverage: pf("coverage_target"), FollowUp: pf("follow_up"),
		InternalNote: pf("internal_note"), Errors: map[string]i18n.Message{}}
	d := postgres.DraftFields{Title: kijun.Text{Ja: f.TitleJa, En: f.TitleEn}, InternalNote: f.InternalNote,
		PeriodEnd: kijun.FiscalYear(atoiOr0(f.PeriodEnd)),
		Scope: plan.Scope{Mode: plan.ScopeMode(f.ScopeMode), Designation: f.Designation,
			ScopeIDs: parseIDs(f.ScopeIDs), OperatorIDs: parseIDs(f.OperatorIDs)},
		Gathering: plan.Gathering{Method: f.Method, Cycles: f.Cycles, CoverageTarget: atoiOr0(f.Coverage), FollowUp: f.FollowUp}}
	if d.Scope.Mode != plan.ScopeDesignation {
		d.Scope.Designation = ""
	}
	if d.Scope.Mode != plan.ScopeScopes {
		d.Scope.ScopeIDs = nil
	}
	if d.Scope.Mode != plan.ScopeNamed {
		d.Scope.OperatorIDs = nil
	}
	if strings.TrimSpace(f.Coverage) != "" {
		if _, err := strconv.Atoi(strings.TrimSpace(f.Coverage)); err != nil {
			f.Errors["coverage_target"] = i18n.Msg("plans.error.percent")
		}
	}
	// KPI and milestone rows: a blank row is no row.
	for i := 0; i < 50; i++ {
		n := strconv.Itoa(i)
		k := plans.KPIForm{Label: pf("kpi_label_" + n), Metric: pf("kpi_metric_" + n), Key: pf("kpi_key_" + n),
			Threshold: pf("kpi_threshold_" + n), Target: pf("kpi_target_" + n), Due: pf("kpi_due_" + n)}
		if _, ok := r.PostForm["kpi_label_"+n]; !ok {
			break
		}
		if strings.TrimSpace(k.Label+k.Target+k.Due+k.Threshold) == "" {
			continue
		}
		j := strconv.Itoa(len(f.KPIs))
		f.KPIs = append(f.KPIs, k)
		d.KPIs = append(d.KPIs, plan.KPI{Label: strings.TrimSpace(k.Label), Metric: plan.KPIMetric(k.Metric), Key: k.Key,
			Threshold: atoiOr0(k.Threshold), Target: atoiOr0(k.Target), Due: parsePlanDate(k.Due, "kpi_"+j+"_due", f.Errors)})
	}
	for i := 0; i < 50; i++ {
		n := strconv.Itoa(i)
		if _, ok := r.PostForm["milestone_label_"+n]; !ok {
			break
		}
		m := plans.MilestoneForm{Label: pf("milestone_label_" + n), Due: pf("milestone_due_" + n), Done: pf("milestone_done_"+n) == "1"}
		if strings.TrimSpace(m.Label+m.Due) == "" {
			continue
		}
		j := strconv.Itoa(len(f.Milestones))
		f.Milestones = append(f.Milestones, m)
		d.Milestones = append(d.Milestones, plan.Milestone{Label: strings.TrimSpace(m.Label), Done: m.Done,
			Due: parsePlanDate(m.Due, "milestone_"+j+"_due", f.Errors)})
	}
	p := principal(r)
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		pl, err := loadPlan(r.Context(), tx, p, id, authz.EditPlans)
		if err != nil {
			return err
		}
		for _, prob := range postgres.CheckDraftFields(d, pl.PeriodStart) {
			if _, dup := f.Errors[prob.Field]; !dup {
				f.Errors[prob.Field] = i18n.Message{MessageID: prob.MessageID, Args: prob.Args}
			}
		}
		if len(f.Errors) > 0 {
			return nil
		}
		return postgres.UpdateDraft(r.Context(), tx, p, id, f.Edits, d, reqID(r))
	})
	switch {
	case kijun.ErrorCode(err) == kijun.EConflict:
		var ke *kijun.Error
		if errors.As(err, &ke) && ke.MessageID == "plans.error.conflict" {
			f.Conflict = true
			return s.renderPlanEdit(w, r, http.StatusConflict, &f)
		}
		return err
	case err != nil:
		return err
	case len(f.Errors) > 0:
		return s.renderPlanEdit(w, r, http.StatusUnprocessableEntity, &f)
	}
	http.Redirect(w, r, "/plans/"+itoa(id), http.StatusSeeOther)
	return nil
}

func (s *Server) handlePlanProfile(w http.ResponseWriter, r *http.Request) error {
	return s.renderPlanProfile(w, r, http.StatusOK, plans.ProfileView{Saved: r.URL.Query().Get("saved") == "1",
		SuppAdded: r.URL.Query().Get("added") == "1"}, nil)
}

// renderPlanProfile shows a version's profile; typed replaces stored
// rows by the values the user sent.
func (s *Server) renderPlanProfile(w http.ResponseWriter, r *http.Request, status int, v plans.ProfileView, typed map[string]plan.ProfileControl) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		ctx := r.Context()
		if v.Plan, err = loadPlan(ctx, tx, p, id, authz.ViewPlans); err != nil {
			return err
		}
		n := versionParam(r)
		if r.Method == http.MethodPost {
			n = 0
		}
		if v.V, err = postgres.GetPlanVersion(ctx, tx, id, n); err != nil {
			return err
		}
		v.Names, err = postgres.LoadReferenceNames(ctx, tx)
		return err
	})
	if err != nil {
		return err
	}
	for i, c := range v.V.Profile {
		if t, ok := typed[c.Ref]; ok {
			t.Section, t.Title = c.Section, c.Title
			v.V.Profile[i] = t
		}
	}
	v.Editable = v.V.Version == v.Plan.Latest && v.V.Status == plan.Draft &&
		authz.Can(p, authz.EditPlans, authz.Resource{MinistryCode: v.Plan.MinistryCode})
	if v.Supp.TargetStatus == "" {
		v.Supp.TargetStatus = string(assessment.AnswerImplemented)
	}
	return s.render(w, r, status, plans.Profile(v))
}

// profileRowOf reads one profile row of the form, reporting bad cells.
// A row without sector boxes (eligible for one sector only) keeps its
// sectors.
func profileRowOf(r *http.Request, stored plan.ProfileControl) (plan.ProfileControl, map[string]i18n.Message) {
	ref := stored.Ref
	errs := map[string]i18n.Message{}
	f := func(name string) string { return strings.TrimSpace(r.PostFormValue(name + "." + ref)) }
	c := plan.ProfileControl{Ref: ref, Applies: f("applies") != "no", NAReason: f("na_reason"), TailoringNote: f("tailoring_note")}
	c.TargetStatus = assessment.AnswerStatus(f("target_status"))
	if m := f("target_maturity"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil {
			errs["target_maturity"] = i18n.Msg("plans.error.maturity")
		}
		c.TargetMaturity = n
	}
	c.StandardDoc, c.StandardClause = f("standard_doc"), f("standard_clause")
	c.Reflection, c.ReflectionReason = plan.Reflection(f("reflection")), f("reflection_reason")
	c.ReflectionOn = parsePlanDate(f("reflection_on"), "reflection_on", errs)
	c.Sectors, c.Eligible = sectorsOf(r.PostForm["sectors."+ref], stored.Eligible), stored.Eligible
	if c.Sectors == nil {
		c.Sectors = stored.Sectors
	}
	for _, prob := range c.Check() {
		if _, dup := errs[prob.Field]; !dup {
			errs[prob.Field] = i18n.Message{MessageID: prob.MessageID, Args: prob.Args}
		}
	}
	return c, errs
}

// handlePlanProfileSave saves the rows of the profile form that changed.
// One bad row saves nothing: the form comes back as typed with every error.
func (s *Server) handlePlanProfileSave(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	p := principal(r)
	typed := map[string]plan.ProfileControl{}
	errs := map[string]map[string]i18n.Message{}
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if _, err := loadPlan(r.Context(), tx, p, id, authz.EditPlans); err != nil {
			return err
		}
		v, err := postgres.GetPlanVersion(r.Context(), tx, id, 0)
		if err != nil {
			return err
		}
		var changed []plan.ProfileControl
		for _, stored := range v.Profile {
			if _, sent := r.PostForm["applies."+stored.Ref]; !sent {
				continue
			}
			c, e := profileRowOf(r, stored)
			c.Section, c.Title = stored.Section, stored.Title
			if c.Equal(stored) {
				continue
			}
			typed[c.Ref] = c
			if len(e) > 0 {
				errs[c.Ref] = e
			}
			changed = append(changed, c)
		}
		if len(errs) > 0 || len(changed) == 0 {
			return nil
		}
		return postgres.UpdateProfileControls(r.Context(), tx, p, id, changed, reqID(r))
	})
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return s.renderPlanProfile(w, r, http.StatusUnprocessableEntity, plans.ProfileView{Errors: errs}, typed)
	}
	http.Redirect(w, r, "/plans/"+itoa(id)+"/profile?saved=1", http.StatusSeeOther)
	return nil
}

// sectorsOf reads a group of sector boxes: nil when the form has none
// (only the hidden empty value marks it as sent), else the ticked sectors
// in the order of choices, then any others (which the checks refuse).
func sectorsOf(values, choices []string) []string {
	if values == nil {
		return nil
	}
	out := []string{}
	for _, c := range choices {
		if slices.Contains(values, c) {
			out = append(out, c)
		}
	}
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// supplementaryOf reads the supplementary-control form.
func supplementaryOf(f plans.SuppForm) (plan.SupplementaryControl, map[string]i18n.Message) {
	errs := map[string]i18n.Message{}
	split := func(s string) []string {
		var out []string
		for _, x := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '、' }) {
			out = append(out, strings.TrimSpace(x))
		}
		return out
	}
	c := plan.SupplementaryControl{Control: catalog.Control{Ref: strings.ToUpper(strings.TrimSpace(f.Ref)), Section: f.Section,
		Title: kijun.Text{Ja: f.TitleJa, En: f.TitleEn}, Statement: kijun.Text{Ja: f.StatementJa, En: f.StatementEn},
		Guidance: kijun.Text{Ja: f.GuidanceJa}, Themes: split(f.Themes), CSF: split(strings.ToUpper(f.CSF))},
		ProfileTarget: plan.ProfileTarget{TargetStatus: assessment.AnswerStatus(f.TargetStatus), StandardDoc: f.StandardDoc,
			StandardClause: f.StandardClause, Reflection: plan.Reflection(f.Reflection), ReflectionReason: f.ReflectionReason},
		Sectors: sectorsOf(f.Sectors, nil)}
	if f.TargetMaturity != "" {
		n, err := strconv.Atoi(f.TargetMaturity)
		if err != nil {
			errs["target_maturity"] = i18n.Msg("plans.error.maturity")
		}
		c.TargetMaturity = n
	}
	c.ReflectionOn = parsePlanDate(f.ReflectionOn, "reflection_on", errs)
	return c, errs
}

func (s *Server) handleSupplementaryAdd(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pf := r.PostFormValue
	f := plans.SuppForm{Ref: pf("ref"), Section: pf("section"), TitleJa: pf("title_ja"), TitleEn: pf("title_en"),
		StatementJa: pf("statement_ja"), StatementEn: pf("statement_en"), GuidanceJa: pf("guidance_ja"), Themes: pf("themes"),
		CSF: pf("csf"), TargetStatus: pf("target_status"), TargetMaturity: pf("target_maturity"), StandardDoc: pf("standard_doc"),
		StandardClause: pf("standard_clause"), Reflection: pf("reflection"), ReflectionOn: pf("reflection_on"),
		ReflectionReason: pf("reflection_reason"), Sectors: r.PostForm["sectors"]}
	c, errs := supplementaryOf(f)
	p := principal(r)
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if _, err := loadPlan(r.Context(), tx, p, id, authz.EditPlans); err != nil {
			return err
		}
		for _, prob := range postgres.CheckSupplementary(r.Context(), tx, id, c) {
			if _, dup := errs[prob.Field]; !dup {
				errs[prob.Field] = i18n.Message{MessageID: prob.MessageID, Args: prob.Args}
			}
		}
		if len(errs) > 0 {
			return nil
		}
		return postgres.SaveSupplementary(r.Context(), tx, p, id, c, false, reqID(r))
	})
	var ke *kijun.Error
	if errors.As(err, &ke) && ke.Code == kijun.EInvalid {
		if ps, ok := ke.Args["Problems"].([]plan.FieldProblem); ok {
			for _, prob := range ps {
				errs[prob.Field] = i18n.Message{MessageID: prob.MessageID, Args: prob.Args}
			}
		}
		err = nil
	}
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return s.renderPlanProfile(w, r, http.StatusUnprocessableEntity, plans.ProfileView{Supp: f, SuppErrors: errs}, nil)
	}
	http.Redirect(w, r, "/plans/"+itoa(id)+"/profile?added=1#supplementary", http.StatusSeeOther)
	return nil
}

func (s *Server) handleSupplementaryDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if _, err := loadPlan(r.Context(), tx, p, id, authz.EditPlans); err != nil {
			return err
		}
		return postgres.DeleteSupplementary(r.Context(), tx, p, id, chiParam(r, "ref"), reqID(r))
	})
	if ke, ok := refusal(err); ok {
		// e.g. the plan was submitted in another tab: the page again, with
		// why beside the control's delete button.
		return s.renderPlanProfile(w, r, statusOf(err), plans.ProfileView{SuppDeleteRef: chiParam(r, "ref"), SuppDeleteError: ke}, nil)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/plans/"+itoa(id)+"/profile#supplementary", http.StatusSeeOther)
	return nil
}

func (s *Server) handlePlanDiff(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	v := plans.DiffView{From: atoiOr0(r.URL.Query().Get("from")), To: atoiOr0(r.URL.Query().Get("to"))}
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		ctx := r.Context()
		if v.Plan, err = loadPlan(ctx, tx, p, id, authz.ViewPlans); err != nil {
			return err
		}
		if v.To <= 0 || v.To > v.Plan.Latest {
			v.To = v.Plan.Latest
		}
		if v.From <= 0 || v.From > v.Plan.Latest {
			v.From = max(v.To-1, 1)
		}
		a, err := postgres.GetPlanVersion(ctx, tx, id, v.From)
		if err != nil {
			return err
		}
		b, err := postgres.GetPlanVersion(ctx, tx, id, v.To)
		if err != nil {
			return err
		}
		v.Changes = plan.DiffVersions(a, b)
		v.Names, err = postgres.LoadReferenceNames(ctx, tx)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, plans.Diff(v))
}

// handleSectorProfile shows an operator's users the profile in force for
// their sector: what applies, the targets and where the sector's
// 安全基準等 reflect them; nothing of the plan itself.
func (s *Server) handleSectorProfile(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	v := plans.SectorProfileView{}
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		ctx := r.Context()
		o, err := postgres.GetOperator(ctx, tx, p.Operators[0])
		if err != nil {
			return err
		}
		v.Sector = o.SectorCode
		if v.Profile, err = postgres.GetSectorProfile(ctx, tx, o.SectorCode, kijun.FiscalYearOf(s.now())); err != nil {
			return err
		}
		v.Names, err = postgres.LoadReferenceNames(ctx, tx)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, plans.SectorProfilePage(v))
}
