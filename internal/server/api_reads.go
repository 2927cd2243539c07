package server

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	kaudit "github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/plan"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/pages/dashboards"
)

// The API's read-only views of what the pages show: implementation plans
// and sector profiles (with the OSCAL profile the page exports),
// dashboard figures (built by the pages' own builders, so with their
// suppression of small groups) and audit events.
func (s *Server) apiReadRoutes(a apiRoute) {
	a(http.MethodGet, "/plans", authz.ViewPlans, s.apiPlans)
	a(http.MethodGet, "/plans/{id}", authz.ViewPlans, s.apiPlan)
	a(http.MethodGet, "/plans/{id}/profile/oscal", authz.ViewPlans, s.apiPlanProfileOSCAL)
	a(http.MethodGet, "/profile", authz.ViewSectorProfile, s.apiSectorProfile)
	a(http.MethodGet, "/dashboards/national", authz.ViewNationalDashboard, s.apiDashboard(s.nationalPage))
	a(http.MethodGet, "/dashboards/ministry", authz.ViewSectorDashboard, s.apiDashboard(s.ministryPage))
	a(http.MethodGet, "/dashboards/sectors/{code}", authz.ViewSectorDashboard, s.apiDashboard(s.sectorPage))
	a(http.MethodGet, "/dashboards/scorecard", authz.ViewScorecard, s.apiDashboard(s.scorecardPage))
	a(http.MethodGet, "/audit-events", authz.ViewAudit, s.apiAuditEvents)
}

// --- plans and sector profiles ---

type apiPlanSummary struct {
	ID            int64       `json:"id"`
	Ministry      string      `json:"ministry"`
	Sectors       []string    `json:"sectors"`
	PeriodStart   int         `json:"period_start"`
	PeriodEnd     int         `json:"period_end"`
	LatestVersion int         `json:"latest_version"`
	LatestStatus  plan.Status `json:"latest_status"`
	Title         kijun.Text  `json:"title"`
	// CurrentVersion is the accepted version in force (0: none yet).
	CurrentVersion int        `json:"current_version"`
	SubmittedAt    *time.Time `json:"submitted_at,omitempty"`
}

type apiProfileControl struct {
	Ref              string                  `json:"ref"`
	Section          string                  `json:"section"`
	Title            kijun.Text              `json:"title"`
	Applies          bool                    `json:"applies"`
	NAReason         string                  `json:"na_reason"`
	TargetStatus     assessment.AnswerStatus `json:"target_status"`
	TargetMaturity   int                     `json:"target_maturity"`
	StandardDoc      string                  `json:"standard_doc"`
	StandardClause   string                  `json:"standard_clause"`
	Reflection       plan.Reflection         `json:"reflection"`
	ReflectionOn     string                  `json:"reflection_on,omitempty"`
	ReflectionReason string                  `json:"reflection_reason"`
	TailoringNote    string                  `json:"tailoring_note"`
	Sectors          []string                `json:"sectors"`
	Supplementary    bool                    `json:"supplementary"`
	Statement        *kijun.Text             `json:"statement,omitempty"`
}

type apiPlanVersion struct {
	Version     int         `json:"version"`
	Status      plan.Status `json:"status"`
	CatalogID   int64       `json:"catalog_id"`
	Title       kijun.Text  `json:"title"`
	SubmittedAt *time.Time  `json:"submitted_at,omitempty"`
	DecidedAt   *time.Time  `json:"decided_at,omitempty"`
	// ConfirmedBy and ConfirmedAt: the ministry's internal check the
	// submission rests on (docs/plans.md), when it names one.
	ConfirmedBy string              `json:"confirmed_by,omitempty"`
	ConfirmedAt *time.Time          `json:"confirmed_at,omitempty"`
	Profile     []apiProfileControl `json:"profile"`
}

type apiPlan struct {
	apiPlanSummary
	Version apiPlanVersion `json:"version"`
}

func planSummaryJSON(pl plan.Plan) apiPlanSummary {
	return apiPlanSummary{ID: pl.ID, Ministry: pl.MinistryCode, Sectors: kijun.NonNil(pl.SectorCodes), PeriodStart: int(pl.PeriodStart),
		PeriodEnd: int(pl.PeriodEnd), LatestVersion: pl.Latest, LatestStatus: pl.LatestStatus, Title: pl.LatestTitle,
		CurrentVersion: pl.Current, SubmittedAt: pl.SubmittedAt}
}

func profileControlJSON(c plan.ProfileControl) apiProfileControl {
	out := apiProfileControl{Ref: c.Ref, Section: c.Section, Title: c.Title, Applies: c.Applies, NAReason: c.NAReason,
		TargetStatus: c.TargetStatus, TargetMaturity: c.TargetMaturity, StandardDoc: c.StandardDoc,
		StandardClause: c.StandardClause, Reflection: c.Reflection, ReflectionReason: c.ReflectionReason,
		TailoringNote: c.TailoringNote, Sectors: kijun.NonNil(c.Sectors)}
	out.ReflectionOn = string(c.ReflectionOn)
	return out
}

// apiPlans lists the plans the caller may see: a ministry its own, the
// NCO every one (the page's list, under RLS).
func (s *Server) apiPlans(w http.ResponseWriter, r *http.Request) error {
	out := page[apiPlanSummary]{Items: []apiPlanSummary{}}
	p := principal(r)
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		list, err := postgres.ListPlans(r.Context(), tx, postgres.PlanFilter{})
		for _, pl := range list {
			if authz.Can(p, authz.ViewPlans, authz.Resource{MinistryCode: pl.MinistryCode}) {
				out.Items = append(out.Items, planSummaryJSON(pl))
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// apiPlan is one plan with one version (?version=, else the latest) and
// its sector profile, as the page shows it (the ministry's internal note
// is not part of the API).
func (s *Server) apiPlan(w http.ResponseWriter, r *http.Request) error {
	pl, v, _, err := s.loadVersionForExport(r)
	if err != nil {
		return err
	}
	out := apiPlan{apiPlanSummary: planSummaryJSON(pl), Version: apiPlanVersion{Version: v.Version, Status: v.Status,
		CatalogID: v.CatalogID, Title: v.Title, SubmittedAt: v.SubmittedAt, DecidedAt: v.DecidedAt,
		ConfirmedBy: v.CheckedBy, ConfirmedAt: v.CheckedAt, Profile: []apiProfileControl{}}}
	for _, c := range v.Profile {
		out.Version.Profile = append(out.Version.Profile, profileControlJSON(c))
	}
	return writeJSON(w, http.StatusOK, out)
}

// apiPlanProfileOSCAL is a plan version's sector profile as the OSCAL
// profile the page exports (profile.json).
func (s *Server) apiPlanProfileOSCAL(w http.ResponseWriter, r *http.Request) error {
	pl, v, _, err := s.loadVersionForExport(r)
	if err != nil {
		return err
	}
	body, err := exportProfileOSCAL(pl, v, apiPrefix+"/catalogs/"+itoa(v.CatalogID)+"/oscal")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(body)
	return err
}

type apiSectorProfile struct {
	Sector     string              `json:"sector"`
	PlanID     int64               `json:"plan_id"`
	Ministry   string              `json:"ministry"`
	Version    int                 `json:"version"`
	AcceptedAt *time.Time          `json:"accepted_at,omitempty"`
	Title      kijun.Text          `json:"title"`
	CatalogID  int64               `json:"catalog_id"`
	Controls   []apiProfileControl `json:"controls"`
}

// apiSectorProfile is, for an operator's users, the sector profile in
// force for their sector this fiscal year (the page /profile); none is 404.
func (s *Server) apiSectorProfile(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	var out apiSectorProfile
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		o, err := postgres.GetOperator(r.Context(), tx, p.Operators[0])
		if err != nil {
			return err
		}
		sp, err := postgres.GetSectorProfile(r.Context(), tx, o.SectorCode, kijun.FiscalYearOf(s.now()))
		if err != nil {
			return err
		}
		if sp == nil {
			return errNotFound
		}
		out = apiSectorProfile{Sector: o.SectorCode, PlanID: sp.PlanID, Ministry: sp.MinistryCode, Version: sp.Version,
			AcceptedAt: sp.AcceptedAt, Title: sp.Title, CatalogID: sp.CatalogID, Controls: []apiProfileControl{}}
		for _, c := range sp.Controls {
			j := profileControlJSON(c.ProfileControl)
			j.Supplementary = c.Supplementary
			if c.Statement != (kijun.Text{}) {
				st := c.Statement
				j.Statement = &st
			}
			out.Controls = append(out.Controls, j)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// --- dashboards ---

type apiFigure struct {
	ID      string     `json:"id"`
	Title   string     `json:"title"`
	Lead    string     `json:"lead,omitempty"`
	Empty   string     `json:"empty,omitempty"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
}

type apiDashboard struct {
	Title   string      `json:"title"`
	Notice  string      `json:"notice,omitempty"`
	Figures []apiFigure `json:"figures"`
}

// apiDashboard serves a dashboard page's figures as data: the same page
// builder (the same queries, the same suppression of small groups, the
// same query parameters) and each figure's table as its download has it,
// in the caller's language.
func (s *Server) apiDashboard(build func(*http.Request) (dashboards.Page, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := build(r)
		if err != nil {
			return err
		}
		out := apiDashboard{Title: p.Title, Notice: p.Notice, Figures: []apiFigure{}}
		for _, f := range p.Figures {
			rows := f.Table.Records()
			if rows == nil {
				rows = [][]string{}
			}
			out.Figures = append(out.Figures, apiFigure{ID: f.ID, Title: f.Title, Lead: f.Lead, Empty: f.Empty,
				Columns: kijun.NonNil(f.Table.Header), Rows: rows})
		}
		return writeJSON(w, http.StatusOK, out)
	}
}

// --- audit events ---

type apiAuditEvent struct {
	ID         int64           `json:"id"`
	Chain      string          `json:"chain"`
	Seq        int64           `json:"seq"`
	At         time.Time       `json:"at"`
	Actor      string          `json:"actor"`
	Action     string          `json:"action"`
	ObjectType string          `json:"object_type"`
	ObjectID   string          `json:"object_id"`
	ObjectName *kijun.Text     `json:"object_name,omitempty"`
	Ministry   string          `json:"ministry,omitempty"`
	Sector     string          `json:"sector,omitempty"`
	OperatorID int64           `json:"operator_id,omitempty"`
	Before     json.RawMessage `json:"before,omitempty"`
	After      json.RawMessage `json:"after,omitempty"`
	RequestID  string          `json:"request_id"`
}

// apiAuditEvents lists the audit events of the caller's scope (RLS, as
// the page /audit), oldest first from the cursor, so that a log
// collector reads forward and never misses an event appended meanwhile;
// action (a prefix) and from/to (dates, JST, inclusive) narrow it.
func (s *Server) apiAuditEvents(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := kaudit.Filter{Action: q.Get("action"), Forward: true, After: after, Limit: limit + 1}
	fe := fieldErrors{}
	if v := q.Get("action"); kijun.TextProblem(v) != "" || len(v) > 100 {
		fe["action"] = fieldMsg{ID: "api.error.bad_query"}
	}
	if t, ok := parseDay(q.Get("from")); ok {
		f.From = t
	} else if q.Get("from") != "" {
		fe["from"] = fieldMsg{ID: "form.bad_date"}
	}
	if t, ok := parseDay(q.Get("to")); ok {
		f.To = t.AddDate(0, 0, 1)
	} else if q.Get("to") != "" {
		fe["to"] = fieldMsg{ID: "form.bad_date"}
	}
	if len(fe) > 0 {
		return fe
	}
	out := page[apiAuditEvent]{Items: []apiAuditEvent{}}
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		list, err := postgres.ListAudit(r.Context(), tx, f)
		if len(list) > limit {
			list = list[:limit]
			out.NextCursor = nextCursor(list[len(list)-1].ID)
		}
		for _, e := range list {
			j := apiAuditEvent{ID: e.ID, Chain: e.Chain, Seq: e.Seq, At: e.At, Actor: e.ActorLabel, Action: e.Action,
				ObjectType: e.ObjectType, ObjectID: e.ObjectID, Ministry: e.MinistryCode, Sector: e.SectorCode,
				OperatorID: e.OperatorID, Before: e.Before, After: e.After, RequestID: e.RequestID}
			if e.ObjectName != (kijun.Text{}) {
				n := e.ObjectName
				j.ObjectName = &n
			}
			out.Items = append(out.Items, j)
		}
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}
