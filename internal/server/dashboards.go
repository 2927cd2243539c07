package server

import (
	"bufio"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/dashboard"
	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/export"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/pages/dashboards"
)

// dashboardRoutes registers the dashboards, their downloads and the
// exports (docs/dashboards.md).
func (s *Server) dashboardRoutes(h routeFunc) {
	get := http.MethodGet
	h(get, "/dashboards", authz.ViewDashboards, s.handleDashboardIndex)
	h(get, "/dashboards/national", authz.ViewNationalDashboard, s.handleNationalDashboard)
	h(get, "/dashboards/national/download", authz.ViewNationalDashboard, s.handleNationalDownload)
	h(get, "/dashboards/ministry", authz.ViewSectorDashboard, s.handleMinistryDashboard)
	h(get, "/dashboards/ministry/download", authz.ViewSectorDashboard, s.handleMinistryDownload)
	h(get, "/dashboards/sectors/{code}", authz.ViewSectorDashboard, s.handleSectorDashboard)
	h(get, "/dashboards/sectors/{code}/download", authz.ViewSectorDashboard, s.handleSectorDownload)
	h(get, "/dashboards/scorecard", authz.ViewScorecard, s.handleScorecard)
	h(get, "/dashboards/scorecard/download", authz.ViewScorecard, s.handleScorecardDownload)
	h(get, "/exports/assessments/{id}/report.xlsx", authz.ExportAssessment, s.handleExportAssessmentXLSX)
	h(get, "/exports/assessments/{id}/assessment-results.json", authz.ExportAssessment, s.handleExportAssessmentOSCAL)
	h(get, "/exports/answers.csv", authz.ExportAnswers, s.handleExportAnswers)
}

func (s *Server) handleDashboardIndex(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	to := ""
	switch {
	case authz.Can(p, authz.ViewNationalDashboard, authz.Resource{}):
		to = "/dashboards/national"
	case authz.Can(p, authz.ViewSectorDashboard, authz.Resource{}):
		to = "/dashboards/ministry"
	case authz.Can(p, authz.ViewScorecard, authz.Resource{}):
		to = "/dashboards/scorecard"
	default:
		return errNotFound
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// nationalPage builds the NCO's dashboard: every sector, plan status of
// every ministry.
func (s *Server) nationalPage(r *http.Request) (dashboards.Page, error) {
	loc := i18n.From(r.Context())
	cycleID, err := queryID(r, "cycle")
	if err != nil {
		return dashboards.Page{}, err
	}
	var in dashboards.OverviewInput
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		var cycles []assessment.Cycle
		if in.Names, cycles, err = postgres.LoadNamesAndCycles(r.Context(), tx); err != nil {
			return err
		}
		var sectors []string
		for _, sc := range in.Names.Sectors {
			sectors = append(sectors, sc.Code)
		}
		in.D, err = postgres.LoadDashboard(r.Context(), tx, cycles, cycleID, sectors, true)
		return err
	})
	if err != nil {
		return dashboards.Page{}, err
	}
	for _, m := range in.Names.Ministries {
		if len(in.Names.Oversight) > 0 && hasOversight(in.Names, m.Code) {
			in.Ministries = append(in.Ministries, m.Code)
		}
	}
	in.Base = "/dashboards/national"
	in.Query = url.Values{}
	if in.D.Cycle.ID != 0 {
		in.Query.Set("cycle", strconv.FormatInt(in.D.Cycle.ID, 10))
	}
	p := dashboards.Page{Title: loc.T("dash.national.title"), Lead: loc.T("dash.national.lead"), Action: in.Base,
		Figures: dashboards.BuildOverview(loc, in)}
	s.overviewChrome(loc, &p, in)
	p.Figures = append(p.Figures, dashboards.IncidentFigure(loc, in.Names, in.D, in.Download("incidents")))
	return p, nil
}

func hasOversight(n kijun.ReferenceNames, ministry string) bool {
	for _, ms := range n.Oversight {
		if slices.Contains(ms, ministry) {
			return true
		}
	}
	return false
}

// overviewChrome adds the cycle filter, the notice without a cycle and the
// answer export link.
func (s *Server) overviewChrome(loc *i18n.Localizer, p *dashboards.Page, in dashboards.OverviewInput) {
	if in.D.Cycle.ID == 0 {
		p.Notice = loc.T("dash.no_cycle")
		return
	}
	p.Filters = append([]dashboards.Filter{dashboards.CycleFilter(loc, in.D.Cycles, in.D.Cycle.ID)}, p.Filters...)
	q := url.Values{"cycle": {strconv.FormatInt(in.D.Cycle.ID, 10)}}
	if in.Ministry {
		q.Set("ministry", in.Query.Get("ministry"))
	}
	p.Links = append(p.Links, dashboards.Link{Label: loc.T("dash.export.answers"), Href: "/exports/answers.csv?" + q.Encode(), ID: "export-answers"})
}

// serveDashboard renders a dashboard page.
func (s *Server) serveDashboard(w http.ResponseWriter, r *http.Request, build func(*http.Request) (dashboards.Page, error)) error {
	p, err := build(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, dashboards.Dashboard(p))
}

// serveFigureDownload sends one figure of a dashboard page as CSV or XLSX.
func (s *Server) serveFigureDownload(w http.ResponseWriter, r *http.Request, build func(*http.Request) (dashboards.Page, error), prefix string) error {
	p, err := build(r)
	if err != nil {
		return err
	}
	return sendFigure(w, r, p, prefix)
}

func (s *Server) handleNationalDashboard(w http.ResponseWriter, r *http.Request) error {
	return s.serveDashboard(w, r, s.nationalPage)
}

func (s *Server) handleNationalDownload(w http.ResponseWriter, r *http.Request) error {
	return s.serveFigureDownload(w, r, s.nationalPage, "national")
}

// ministryScope works out the ministry a dashboard is about and its
// sectors the principal may see: a ministry's staff their own ministry
// (the first if several, or ?ministry=), the NCO any (?ministry=).
func ministryScope(r *http.Request, names kijun.ReferenceNames) (string, []string, error) {
	p := principal(r)
	ministry := r.URL.Query().Get("ministry")
	if ministry == "" {
		if len(p.Ministries) > 0 {
			ministry = p.Ministries[0]
		} else {
			for _, m := range names.Ministries {
				if hasOversight(names, m.Code) {
					ministry = m.Code
					break
				}
			}
		}
	}
	if !p.NCO && !slices.Contains(p.Ministries, ministry) {
		return "", nil, errNotFound
	}
	var sectors []string
	for _, sc := range names.Sectors {
		if slices.Contains(names.Oversight[sc.Code], ministry) && authz.Can(p, authz.ViewSectorDashboard, authz.Resource{SectorCode: sc.Code}) {
			sectors = append(sectors, sc.Code)
		}
	}
	if len(sectors) == 0 {
		return "", nil, errNotFound
	}
	return ministry, sectors, nil
}

func (s *Server) ministryPage(r *http.Request) (dashboards.Page, error) {
	loc := i18n.From(r.Context())
	ctx := r.Context()
	cycleID, err := queryID(r, "cycle")
	if err != nil {
		return dashboards.Page{}, err
	}
	in := dashboards.OverviewInput{Ministry: true, Base: "/dashboards/ministry"}
	var ministry string
	var sectors []string
	err = postgres.InTx(ctx, s.db, principal(r), func(tx pgx.Tx) error {
		var cycles []assessment.Cycle
		if in.Names, cycles, err = postgres.LoadNamesAndCycles(ctx, tx); err != nil {
			return err
		}
		if ministry, sectors, err = ministryScope(r, in.Names); err != nil {
			return err
		}
		in.Focus = r.URL.Query().Get("sector")
		if !slices.Contains(sectors, in.Focus) {
			in.Focus = sectors[0]
		}
		in.D, in.MinistryFigures, err = postgres.LoadMinistryDashboard(ctx, tx, cycles, cycleID, sectors, in.Focus)
		return err
	})
	if err != nil {
		return dashboards.Page{}, err
	}
	in.Ministries = []string{ministry}
	in.Query = url.Values{"ministry": {ministry}, "sector": {in.Focus}}
	if in.D.Cycle.ID != 0 {
		in.Query.Set("cycle", strconv.FormatInt(in.D.Cycle.ID, 10))
	}
	name := loc.Pick(kijun.Name(in.Names.Ministries, ministry))
	p := dashboards.Page{Title: loc.T("dash.ministry.title", map[string]any{"Ministry": name}), Lead: loc.T("dash.ministry.lead"),
		Action: in.Base, Figures: dashboards.BuildOverview(loc, in)}
	s.overviewChrome(loc, &p, in)
	p.Figures = append(p.Figures, dashboards.IncidentFigure(loc, in.Names, in.D, in.Download("incidents")))
	if principal(r).NCO {
		f := dashboards.Filter{Name: "ministry", Label: loc.T("dash.filter.ministry")}
		for _, m := range in.Names.Ministries {
			if hasOversight(in.Names, m.Code) {
				f.Opts = append(f.Opts, dashboards.Option{Value: m.Code, Label: loc.Pick(m.Name), Selected: m.Code == ministry})
			}
		}
		p.Filters = append(p.Filters, f)
	} else {
		p.Filters = append(p.Filters, dashboards.Filter{Name: "ministry", Label: loc.T("dash.filter.ministry"),
			Opts: []dashboards.Option{{Value: ministry, Label: name, Selected: true}}})
	}
	f := dashboards.Filter{Name: "sector", Label: loc.T("dash.filter.focus")}
	for _, sc := range sectors {
		f.Opts = append(f.Opts, dashboards.Option{Value: sc, Label: loc.Pick(kijun.Name(in.Names.Sectors, sc)), Selected: sc == in.Focus})
	}
	p.Filters = append(p.Filters, f)
	return p, nil
}

func (s *Server) handleMinistryDashboard(w http.ResponseWriter, r *http.Request) error {
	return s.serveDashboard(w, r, s.ministryPage)
}

func (s *Server) handleMinistryDownload(w http.ResponseWriter, r *http.Request) error {
	return s.serveFigureDownload(w, r, s.ministryPage, "ministry")
}

// sectorPage is the drill-down: a sector's operators in a cycle with their
// scores, optionally focused on one heatmap cell or one status.
func (s *Server) sectorPage(r *http.Request) (dashboards.Page, error) {
	loc := i18n.From(r.Context())
	ctx := r.Context()
	pr := principal(r)
	code := chiParam(r, "code")
	if !authz.Can(pr, authz.ViewSectorDashboard, authz.Resource{SectorCode: code}) {
		return dashboards.Page{}, errNotFound
	}
	cycleID, err := queryID(r, "cycle")
	if err != nil {
		return dashboards.Page{}, err
	}
	q := r.URL.Query()
	f := dashboard.SectorFilter{Sector: code, Kind: q.Get("kind"), Key: q.Get("key"), Status: q.Get("status"), ByScore: q.Get("sort") == "score"}
	if f.Kind != "" && f.Kind != assessment.RollupSection && f.Kind != assessment.RollupTheme && f.Kind != assessment.RollupOverall {
		return dashboards.Page{}, errNotFound
	}
	if page := queryPage(q); page > 1 {
		f.Offset = (page - 1) * 100
	}
	in := dashboards.SectorInput{Sector: code, Kind: f.Kind, Key: f.Key}
	var cycles []assessment.Cycle
	err = postgres.InTx(ctx, s.db, pr, func(tx pgx.Tx) error {
		if in.Names, cycles, err = postgres.LoadNamesAndCycles(ctx, tx); err != nil {
			return err
		}
		if !slices.ContainsFunc(in.Names.Sectors, func(n kijun.Named) bool { return n.Code == code }) {
			return errNotFound
		}
		if len(cycles) == 0 && cycleID == 0 {
			return nil
		}
		if in.Cycle, err = dashboard.PickCycle(cycles, cycleID); err != nil {
			return err
		}
		f.CycleID = in.Cycle.ID
		in.Operators, in.Total, err = postgres.SectorOperators(ctx, tx, f)
		return err
	})
	if err != nil {
		return dashboards.Page{}, err
	}
	in.Query = url.Values{"cycle": {strconv.FormatInt(in.Cycle.ID, 10)}}
	for _, k := range []string{"kind", "key", "status", "sort", "page"} {
		if v := q.Get(k); v != "" {
			in.Query.Set(k, v)
		}
	}
	sector := loc.Pick(kijun.Name(in.Names.Sectors, code))
	p := dashboards.Page{Title: loc.T("dash.sector.title", map[string]any{"Sector": sector}),
		Lead:   loc.T("dash.sector.lead", map[string]any{"Focus": dashboards.FocusLabel(loc, in.Names, f.Kind, f.Key)}),
		Action: "/dashboards/sectors/" + url.PathEscape(code), Figures: []dashboards.Figure{dashboards.BuildSector(loc, in)}}
	back := "/dashboards/ministry?" + url.Values{"cycle": {in.Query.Get("cycle")}, "sector": {code}}.Encode()
	if authz.Can(pr, authz.ViewNationalDashboard, authz.Resource{}) {
		back = "/dashboards/national?cycle=" + in.Query.Get("cycle")
	}
	p.Crumbs = []dashboards.Link{{Label: loc.T("dash.crumb"), Href: back}}
	if in.Cycle.ID == 0 {
		p.Notice = loc.T("dash.no_cycle")
		return p, nil
	}
	p.Filters = []dashboards.Filter{dashboards.CycleFilter(loc, cycles, in.Cycle.ID)}
	st := dashboards.Filter{Name: "status", Label: loc.T("dash.filter.status"), Opts: []dashboards.Option{{Value: "", Label: loc.T("dash.filter.all")}}}
	for _, v := range []string{"counted", "not_started", "in_progress", "submitted", "returned", "accepted", assessment.StatusOverdue} {
		st.Opts = append(st.Opts, dashboards.Option{Value: v, Label: dashboards.StatusLabel(loc, v), Selected: f.Status == v})
	}
	sort := dashboards.Filter{Name: "sort", Label: loc.T("dash.filter.sort"), Opts: []dashboards.Option{
		{Value: "name", Label: loc.T("dash.sort.name"), Selected: !f.ByScore}, {Value: "score", Label: loc.T("dash.sort.score"), Selected: f.ByScore}}}
	p.Filters = append(p.Filters, st, sort)
	// Keep the focus (kind/key) through the filter form.
	if f.Kind != "" {
		p.Filters = append(p.Filters, dashboards.Filter{Name: "kind", Label: loc.T("dash.filter.focus_kind"),
			Opts: []dashboards.Option{{Value: f.Kind, Label: loc.T("dash.col." + f.Kind), Selected: true}, {Value: "", Label: loc.T("dash.overall")}}},
			dashboards.Filter{Name: "key", Label: loc.T("dash.filter.focus_key"),
				Opts: []dashboards.Option{{Value: f.Key, Label: dashboards.FocusLabel(loc, in.Names, f.Kind, f.Key), Selected: true}}})
	}
	if in.Total > f.Offset+len(in.Operators) {
		next := url.Values{}
		for k, v := range in.Query {
			next[k] = v
		}
		next.Set("page", strconv.Itoa(f.Offset/100+2))
		p.Links = append(p.Links, dashboards.Link{Label: loc.T("dash.next_page"), Href: p.Action + "?" + next.Encode(), ID: "next-page"})
	}
	p.Links = append(p.Links, dashboards.Link{Label: loc.T("dash.export.answers"),
		Href: "/exports/answers.csv?" + url.Values{"cycle": {in.Query.Get("cycle")}, "sector": {code}}.Encode(), ID: "export-answers"})
	return p, nil
}

func (s *Server) handleSectorDashboard(w http.ResponseWriter, r *http.Request) error {
	return s.serveDashboard(w, r, s.sectorPage)
}

func (s *Server) handleSectorDownload(w http.ResponseWriter, r *http.Request) error {
	return s.serveFigureDownload(w, r, s.sectorPage, "sector-"+chiParam(r, "code"))
}

// scorecardPage is an operator's own scorecard. Its benchmark is read by
// postgres.LoadScorecard (aggregates only, small groups suppressed);
// nothing here reads another operator's name or row.
func (s *Server) scorecardPage(r *http.Request) (dashboards.Page, error) {
	loc := i18n.From(r.Context())
	ctx := r.Context()
	pr := principal(r)
	opID, err := queryID(r, "operator")
	if err != nil {
		return dashboards.Page{}, err
	}
	if opID == 0 && len(pr.Operators) > 0 {
		opID = pr.Operators[0]
	}
	if !authz.Can(pr, authz.ViewScorecard, authz.Resource{OperatorID: opID}) {
		return dashboards.Page{}, errNotFound
	}
	cycleID, err := queryID(r, "cycle")
	if err != nil {
		return dashboards.Page{}, err
	}
	in := dashboards.ScorecardInput{}
	var cycles []assessment.Cycle
	var sc postgres.Scorecard
	err = postgres.InTx(ctx, s.db, pr, func(tx pgx.Tx) error {
		if in.Names, cycles, err = postgres.LoadNamesAndCycles(ctx, tx); err != nil {
			return err
		}
		if in.Sector, err = postgres.OperatorSector(ctx, tx, opID); err != nil || len(cycles) == 0 {
			return err
		}
		if in.Cycle, err = dashboard.PickCycle(cycles, cycleID); err != nil {
			return err
		}
		// The benchmark is an aggregate of the sector with small groups
		// suppressed, computed by a SECURITY DEFINER function that returns
		// no row of any operator.
		if sc, err = postgres.LoadScorecard(ctx, tx, in.Cycle.ID, opID, in.Sector); err != nil {
			return err
		}
		in.Bench, in.Own, in.Gaps = sc.Bench, sc.Own, sc.Gaps
		in.Submitted = sc.Status == assessment.Submitted || sc.Status == assessment.Accepted
		return nil
	})
	if err != nil {
		return dashboards.Page{}, err
	}
	p := dashboards.Page{Title: loc.T("dash.scorecard.title"), Lead: loc.T("dash.scorecard.intro",
		map[string]any{"Sector": loc.Pick(kijun.Name(in.Names.Sectors, in.Sector)), "Min": dashboard.MinBenchmarkGroup}),
		Action: "/dashboards/scorecard"}
	if in.Cycle.ID == 0 {
		p.Notice = loc.T("dash.no_cycle")
		p.Figures = dashboards.BuildScorecard(loc, in)
		return p, nil
	}
	in.Query = url.Values{"cycle": {strconv.FormatInt(in.Cycle.ID, 10)}, "operator": {strconv.FormatInt(opID, 10)}}
	p.Filters = []dashboards.Filter{dashboards.CycleFilter(loc, cycles, in.Cycle.ID)}
	if len(pr.Operators) > 1 {
		p.Filters = append(p.Filters, dashboards.Filter{Name: "operator", Label: loc.T("dash.filter.operator"),
			Opts: []dashboards.Option{{Value: strconv.FormatInt(opID, 10), Label: strconv.FormatInt(opID, 10), Selected: true}}})
	}
	if sc.AssessmentID == 0 {
		p.Notice = loc.T("dash.scorecard.no_assessment")
	} else {
		if !in.Submitted {
			p.Notice = loc.T("dash.scorecard.not_submitted")
		}
		id := strconv.FormatInt(sc.AssessmentID, 10)
		p.Links = []dashboards.Link{
			{Label: loc.T("dash.scorecard.open"), Href: "/assessments/" + id, ID: "open-assessment"},
			{Label: loc.T("dash.export.xlsx"), Href: "/exports/assessments/" + id + "/report.xlsx", ID: "export-xlsx"},
			{Label: loc.T("dash.export.oscal"), Href: "/exports/assessments/" + id + "/assessment-results.json", ID: "export-oscal"},
		}
	}
	p.Figures = append(dashboards.BuildScorecard(loc, in), dashboards.OwnIncidentsFigure(loc, sc.Incidents, sc.IncidentKind, in.Download("incidents")))
	return p, nil
}

func (s *Server) handleScorecard(w http.ResponseWriter, r *http.Request) error {
	return s.serveDashboard(w, r, s.scorecardPage)
}

func (s *Server) handleScorecardDownload(w http.ResponseWriter, r *http.Request) error {
	return s.serveFigureDownload(w, r, s.scorecardPage, "scorecard")
}

// sendFigure writes the table of ?figure= as ?format= csv (UTF-8 with
// BOM) or xlsx: the very rows the page shows under the chart.
func sendFigure(w http.ResponseWriter, r *http.Request, p dashboards.Page, prefix string) error {
	// An empty figure downloads as its header: what the page shows.
	f, ok := p.Find(r.URL.Query().Get("figure"))
	if !ok {
		return errNotFound
	}
	name := unsafeFileChars.ReplaceAllString(prefix+"-"+f.ID+"-"+r.URL.Query().Get("cycle"), "_")
	switch r.URL.Query().Get("format") {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		setAttachment(w, name+".csv")
		cw, err := exchange.NewCSVWriter(w, f.Table.Header)
		if err != nil {
			return err
		}
		for _, row := range f.Table.Records() {
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		return cw.Flush()
	case "xlsx":
		cols := make([]exchange.Column, len(f.Table.Header))
		for i, h := range f.Table.Header {
			cols[i] = exchange.Column{Header: h}
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		setAttachment(w, name+".xlsx")
		x, err := exchange.NewXLSXWriter(w, f.ID, cols)
		if err != nil {
			return err
		}
		for _, row := range f.Table.Records() {
			if err := x.Write(row); err != nil {
				x.Close()
				return err
			}
		}
		return x.Close()
	}
	return errNotFound
}

func setAttachment(w http.ResponseWriter, name string) {
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
}

// loadExport reads one assessment the principal may export, with its
// controls, answers, rollups, the scale and the catalog's header.
func (s *Server) loadExport(r *http.Request) (export.Assessment, error) {
	var out export.Assessment
	id, err := pathID(r, "id")
	if err != nil {
		return out, err
	}
	ctx := r.Context()
	pr := principal(r)
	err = postgres.InTx(ctx, s.db, pr, func(tx pgx.Tx) error {
		a, err := postgres.GetAssessment(ctx, tx, id)
		if err != nil {
			return err
		}
		if !authz.Can(pr, authz.ExportAssessment, authz.Resource{SectorCode: a.SectorCode, OperatorID: a.OperatorID}) {
			return errNotFound
		}
		out.Assessment = a
		rows, err := postgres.ListAnswers(ctx, tx, id, "")
		if err != nil {
			return err
		}
		for _, row := range rows {
			out.Controls = append(out.Controls, export.Control{Control: row.Control, Answer: row.Answer})
		}
		if out.Rollups, err = postgres.Rollups(ctx, tx, id); err != nil {
			return err
		}
		if out.Scale, err = postgres.AnswerScale(ctx, tx); err != nil {
			return err
		}
		cycles, err := postgres.ListCycles(ctx, tx)
		if err != nil {
			return err
		}
		cy, err := dashboard.PickCycle(cycles, a.CycleID)
		if err != nil {
			return err
		}
		cat, err := postgres.GetCatalog(ctx, tx, cy.CatalogID)
		if err != nil {
			return err
		}
		out.Catalog = *cat
		out.Catalog.Controls = nil
		return nil
	})
	out.Now = s.now()
	return out, err
}

func exportFileName(a assessment.Assessment, ext string) string {
	return unsafeFileChars.ReplaceAllString("assessment-"+strconv.FormatInt(a.ID, 10)+"-FY"+strconv.Itoa(int(a.FiscalYear)), "_") + ext
}

func (s *Server) handleExportAssessmentXLSX(w http.ResponseWriter, r *http.Request) error {
	a, err := s.loadExport(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	setAttachment(w, exportFileName(a.Assessment, ".xlsx"))
	return export.WriteXLSX(w, a, i18n.From(r.Context()).Lang)
}

func (s *Server) handleExportAssessmentOSCAL(w http.ResponseWriter, r *http.Request) error {
	a, err := s.loadExport(r)
	if err != nil {
		return err
	}
	b, err := export.AssessmentResultsJSON(a)
	if err != nil {
		return err
	}
	return sendFile(w, "application/json; charset=utf-8", exportFileName(a.Assessment, ".oscal-ar.json"), b)
}

// exportFlushRows is how many rows the streamed export writes between
// flushes to the client.
const exportFlushRows = 500

// handleExportAnswers streams the answers of a cycle as CSV (UTF-8 with
// BOM) for a sector (?sector=), a ministry's sectors (?ministry=) or, for
// the NCO, the nation: rows go from the database cursor to the client as
// they come, so memory stays flat whatever the size.
func (s *Server) handleExportAnswers(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	pr := principal(r)
	loc := i18n.From(ctx)
	cycleID, err := queryID(r, "cycle")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	started := false
	err = postgres.InTx(ctx, s.db, pr, func(tx pgx.Tx) error {
		names, err := postgres.LoadReferenceNames(ctx, tx)
		if err != nil {
			return err
		}
		var sectors []string
		for _, sc := range names.Sectors {
			switch {
			case q.Get("sector") != "" && sc.Code != q.Get("sector"):
			case q.Get("ministry") != "" && !slices.Contains(names.Oversight[sc.Code], q.Get("ministry")):
			case !authz.Can(pr, authz.ExportAnswers, authz.Resource{SectorCode: sc.Code}):
			default:
				sectors = append(sectors, sc.Code)
			}
		}
		if len(sectors) == 0 {
			return errNotFound
		}
		cycles, err := postgres.ListCycles(ctx, tx)
		if err != nil {
			return err
		}
		cy, err := dashboard.PickCycle(cycles, cycleID)
		if err != nil {
			return err
		}
		scale, err := postgres.AnswerScale(ctx, tx)
		if err != nil {
			return err
		}
		labels := map[string]string{}
		for _, e := range scale {
			labels[string(e.Code)] = loc.Pick(e.Label)
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		setAttachment(w, unsafeFileChars.ReplaceAllString("answers-FY"+strconv.Itoa(int(cy.FiscalYear))+"-"+q.Get("sector")+q.Get("ministry"), "_")+".csv")
		started = true
		bw := bufio.NewWriterSize(w, 32<<10)
		header := []string{"fiscal_year", "sector", "corporate_number", "operator", "assessment_id", "assessment_status",
			"ref", "answer", "answer_label", "maturity", "na_reason", "remediation_action", "remediation_owner", "remediation_due", "updated_at"}
		cw, err := exchange.NewCSVWriter(bw, header)
		if err != nil {
			return err
		}
		flusher, _ := w.(http.Flusher)
		n := 0
		err = postgres.StreamAnswers(ctx, tx, cy.ID, sectors, func(a dashboard.AnswerExportRow) error {
			maturity, due := "", ""
			if a.Maturity > 0 {
				maturity = strconv.Itoa(a.Maturity)
			}
			if a.Due != nil {
				due = kijun.ISODate(*a.Due)
			}
			if err := cw.Write([]string{strconv.Itoa(int(a.FiscalYear)), a.Sector, a.CorporateNumber, loc.Pick(a.OperatorName),
				strconv.FormatInt(a.AssessmentID, 10), string(a.AssessmentStatus), a.Ref, a.Status, labels[a.Status], maturity,
				a.NAReason, a.Action, a.Owner, due, kijun.ISODateTime(a.UpdatedAt)}); err != nil {
				return err
			}
			if n++; n%exportFlushRows == 0 {
				if err := cw.Flush(); err != nil {
					return err
				}
				if err := bw.Flush(); err != nil {
					return err
				}
				if flusher != nil {
					flusher.Flush()
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := cw.Flush(); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil && started {
		// Headers and rows are out: an error page cannot follow. Cut the
		// connection so the client sees a broken download, not a short
		// file that looks complete.
		s.log.ErrorContext(ctx, "answer export failed", "err", err, "request_id", middleware.GetReqID(ctx))
		panic(http.ErrAbortHandler)
	}
	return err
}
