// Package dashboards renders the dashboards (docs/dashboards.md): the
// NCO's national view, a ministry's view of its sectors, a sector's
// operator list (the drill-down) and an operator's scorecard. Each figure
// is a chart and a data table built from the same Table, which is also
// what the figure's CSV and XLSX downloads contain, cell for cell.
package dashboards

import (
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/dashboard"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/plan"
	"github.com/kijun-portal/kijun/web/components/chart"
)

// Cell is a cell of a data table, optionally a link.
type Cell struct {
	Text string
	Href string
}

// Table is a figure's data: the HTML table under its chart and its
// downloads.
type Table struct {
	Caption string
	Header  []string
	Rows    [][]Cell
}

// Records returns the table as text rows (for CSV and XLSX).
func (t Table) Records() [][]string {
	out := make([][]string, len(t.Rows))
	for i, r := range t.Rows {
		out[i] = make([]string, len(r))
		for j, c := range r {
			out[i][j] = c.Text
		}
	}
	return out
}

// Figure is one chart with its table.
type Figure struct {
	ID    string // also the figure's name in download URLs
	Title string
	Lead  string // what the figure means, in one or two sentences
	// One of the charts, or none (a table only).
	Heatmap *chart.Heatmap
	Bars    *chart.StackedBars
	Line    *chart.Line
	Boxes   *chart.Boxes
	Table   Table
	// Download is the URL of the downloads without the format.
	Download string
	// Empty, when set, is shown instead of chart and table.
	Empty string
}

// Option is a choice of a select.
type Option struct {
	Value    string
	Label    string
	Selected bool
}

// Filter is a select of the page's filter form.
type Filter struct {
	Name  string // the form field
	Label string
	Opts  []Option
}

// Link is a labelled link.
type Link struct {
	Label string
	Href  string
	ID    string
}

// Page is what every dashboard page shows around its figures.
type Page struct {
	Title   string
	Lead    string
	Crumbs  []Link
	Action  string // the filter form's action
	Filters []Filter
	Notice  string // e.g. "no cycle yet"
	Figures []Figure
	Links   []Link // exports
}

// Find returns the figure with id.
func (p Page) Find(id string) (Figure, bool) {
	for _, f := range p.Figures {
		if f.ID == id {
			return f, true
		}
	}
	return Figure{}, false
}

// pct prints a 0–1 value as a percentage with one decimal, "—" for nil.
func pct(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(math.Round(*v*1000)/10, 'f', 1, 64) + "%"
}

func itoa(n int) string { return strconv.Itoa(n) }

func id64(n int64) string { return strconv.FormatInt(n, 10) }

// CycleFilter offers the cycles, the chosen one selected.
func CycleFilter(loc *i18n.Localizer, cycles []assessment.Cycle, chosen int64) Filter {
	f := Filter{Name: "cycle", Label: loc.T("dash.filter.cycle")}
	for _, c := range cycles {
		f.Opts = append(f.Opts, Option{Value: id64(c.ID), Label: c.FiscalYear.Label(loc.Lang), Selected: c.ID == chosen})
	}
	return f
}

// StatusLabel names an assessment status (or "overdue").
func StatusLabel(loc *i18n.Localizer, s string) string { return loc.T("dash.status." + s) }

// OverviewInput is what the national and ministry dashboards show.
type OverviewInput struct {
	D     dashboard.Dashboard
	Names kijun.ReferenceNames
	// Base is the page's path ("/dashboards/national"); Query the
	// parameters that reproduce the view (cycle, ministry).
	Base  string
	Query url.Values
	// Ministries lists the ministries whose plans are shown ("" none).
	Ministries []string
	// Ministry extras (zero on the national dashboard).
	Ministry bool
	Focus    string // the sector the ministry figures are about
	dashboard.MinistryFigures
}

func (in OverviewInput) download(figure string) string {
	q := url.Values{}
	for k, v := range in.Query {
		q[k] = v
	}
	q.Set("figure", figure)
	return in.Base + "/download?" + q.Encode()
}

// sectorHref links a sector's drill-down; extra are parameter names and
// values, given in alphabetical order of the names (after cycle) as
// url.Values.Encode would put them. A heatmap has hundreds of these links:
// they are written straight, not through url.Values.
func sectorHref(cycle int64, sector string, extra ...string) string {
	var b strings.Builder
	b.Grow(96)
	b.WriteString("/dashboards/sectors/")
	b.WriteString(url.PathEscape(sector))
	b.WriteString("?cycle=")
	b.WriteString(id64(cycle))
	for i := 0; i+1 < len(extra); i += 2 {
		b.WriteByte('&')
		b.WriteString(extra[i])
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(extra[i+1]))
	}
	return b.String()
}

// BuildOverview builds the figures of the national or a ministry's
// dashboard.
func BuildOverview(loc *i18n.Localizer, in OverviewInput) []Figure {
	d, n := in.D, in.Names
	figs := []Figure{
		heatFigure(loc, in, "heatmap", assessment.RollupSection, n.Sections),
		progressFigure(loc, in),
		heatFigure(loc, in, "themes", assessment.RollupTheme, n.Themes),
		trendFigure(loc, in),
	}
	if in.Ministry {
		figs = append(figs, weakestFigure(loc, in), attentionFigure(loc, in), belowFigure(loc, in))
	}
	if d.Cycle.ID == 0 {
		// Without a cycle every figure but plan status is empty.
		for i := range figs {
			figs[i].Empty = loc.T("dash.no_cycle")
		}
	}
	if len(in.Ministries) > 0 {
		figs = append(figs, plansFigure(loc, in))
	}
	return figs
}

// heatFigure: sectors × sections (or themes), the mean score with n.
func heatFigure(loc *i18n.Localizer, in OverviewInput, id, kind string, dims []kijun.Named) Figure {
	d := in.D
	f := Figure{ID: id, Title: loc.T("dash." + id + ".title"), Lead: loc.T("dash." + id + ".lead"), Download: in.download(id)}
	h := &chart.Heatmap{ID: "chart-" + id, Title: f.Title, NLabel: "n=", NoData: loc.T("dash.no_data"),
		Legend: []string{"0–20%", "20–40%", "40–60%", "60–80%", "80–100%"}}
	f.Table = Table{Caption: f.Title, Header: []string{loc.T("dash.col.sector"), loc.T("dash.col." + kind), loc.T("dash.col.code"),
		loc.T("dash.col.n"), loc.T("dash.col.mean_score"), loc.T("dash.col.share_implemented")}}
	for _, dim := range dims {
		h.Cols = append(h.Cols, chart.Label{Text: dimShort(loc, kind, dim)})
	}
	f.Table.Rows = make([][]Cell, 0, len(d.Sectors)*len(dims))
	// The kind's cells by sector and key, found once rather than by a
	// walk of every cell for each of the heatmap's ~100 cells.
	type at struct{ sector, key string }
	cells := make(map[at]dashboard.Cell, len(d.Sectors)*len(dims))
	for _, c := range d.Cells {
		if c.Kind == kind {
			cells[at{c.Sector, c.Key}] = c
		}
	}
	for _, s := range d.Sectors {
		name := loc.Pick(kijun.Name(in.Names.Sectors, s))
		h.Rows = append(h.Rows, chart.Label{Text: name, Href: sectorHref(d.Cycle.ID, s)})
		row := make([]chart.HeatCell, 0, len(dims))
		for _, dim := range dims {
			c := cells[at{s, dim.Code}]
			href := sectorHref(d.Cycle.ID, s, "key", dim.Code, "kind", kind, "sort", "score", "status", "counted")
			row = append(row, chart.HeatCell{Value: c.Score, N: c.N, Href: href,
				Title: name + " × " + loc.Pick(dim.Name) + ": " + pct(c.Score) + " (n=" + itoa(c.N) + ")"})
			f.Table.Rows = append(f.Table.Rows, []Cell{{Text: name}, {Text: loc.Pick(dim.Name)}, {Text: dim.Code},
				{Text: itoa(c.N)}, {Text: pct(c.Score), Href: href}, {Text: pct(c.ShareImplemented())}})
		}
		h.Cells = append(h.Cells, row)
	}
	f.Heatmap = h
	return f
}

// dimShort is a column head short enough for a heatmap: the section code,
// or the theme's number in reference order.
func dimShort(loc *i18n.Localizer, kind string, dim kijun.Named) string {
	if kind == assessment.RollupSection {
		return dim.Code
	}
	return loc.T("dash.theme_short." + dim.Code)
}

var progressStatuses = []string{"not_started", "in_progress", "submitted", "returned", "accepted"}

func progressFigure(loc *i18n.Localizer, in OverviewInput) Figure {
	d := in.D
	f := Figure{ID: "progress", Title: loc.T("dash.progress.title"), Lead: loc.T("dash.progress.lead"), Download: in.download("progress")}
	b := &chart.StackedBars{ID: "chart-progress", Title: f.Title}
	for i, s := range progressStatuses {
		b.Series = append(b.Series, chart.Series{Label: StatusLabel(loc, s), Pattern: []int{5, 2, 1, 3, 0}[i]})
	}
	f.Table = Table{Caption: f.Title, Header: []string{loc.T("dash.col.sector")}}
	for _, s := range append(progressStatuses, assessment.StatusOverdue, "total") {
		f.Table.Header = append(f.Table.Header, StatusLabel(loc, s))
	}
	for _, p := range d.Progress {
		name := loc.Pick(kijun.Name(in.Names.Sectors, p.Sector))
		c := p.StatusCounts
		vals := []int{c.NotStarted, c.InProgress, c.Submitted, c.Returned, c.Accepted}
		label := name
		if c.Overdue > 0 {
			label = name + " " + loc.T("dash.progress.overdue_mark", map[string]any{"Count": c.Overdue})
		}
		b.Bars = append(b.Bars, chart.Bar{Label: chart.Label{Text: label, Href: sectorHref(d.Cycle.ID, p.Sector)}, Values: vals})
		row := []Cell{{Text: name, Href: sectorHref(d.Cycle.ID, p.Sector)}}
		for i, v := range append(vals, c.Overdue) {
			st := append(progressStatuses, assessment.StatusOverdue)[i]
			row = append(row, Cell{Text: itoa(v), Href: sectorHref(d.Cycle.ID, p.Sector, "status", st)})
		}
		row = append(row, Cell{Text: itoa(c.Total)})
		f.Table.Rows = append(f.Table.Rows, row)
	}
	if len(b.Bars) == 0 {
		f.Empty = loc.T("dash.progress.empty")
	}
	f.Bars = b
	return f
}

func trendFigure(loc *i18n.Localizer, in OverviewInput) Figure {
	d := in.D
	line := d.ComparableTrend()
	names := func(codes []string) string {
		out := make([]string, len(codes))
		for i, c := range codes {
			out[i] = loc.Pick(kijun.Name(in.Names.Sectors, c))
		}
		return strings.Join(out, loc.T("dash.trend.sep"))
	}
	lead := loc.T("dash.trend.lead", map[string]any{"Sectors": names(line.Sectors), "Min": dashboard.MinBenchmarkGroup})
	if len(line.Sectors) == 0 {
		lead = loc.T("dash.trend.lead_none")
	}
	if len(line.Left) > 0 {
		lead += loc.T("dash.trend.left", map[string]any{"Sectors": names(line.Left)})
	}
	f := Figure{ID: "trend", Title: loc.T("dash.trend.title"), Lead: lead, Download: in.download("trend")}
	l := &chart.Line{ID: "chart-trend", Title: f.Title}
	f.Table = Table{Caption: f.Title, Header: []string{loc.T("dash.col.fiscal_year"), loc.T("dash.col.sector"),
		loc.T("dash.col.n"), loc.T("dash.col.mean_score")}}
	// Oldest first.
	for i := len(d.Cycles) - 1; i >= 0; i-- {
		cy := d.Cycles[i]
		fy := cy.FiscalYear.Label(loc.Lang)
		var rows [][]Cell
		for _, s := range d.Sectors {
			tp := d.TrendOf(s, cy.ID)
			if tp.N == 0 {
				continue
			}
			rows = append(rows, []Cell{{Text: fy}, {Text: loc.Pick(kijun.Name(in.Names.Sectors, s)), Href: sectorHref(cy.ID, s)},
				{Text: itoa(tp.N)}, {Text: pct(tp.Score)}})
		}
		all := line.Points[cy.ID]
		l.Points = append(l.Points, chart.Point{X: "FY" + strconv.Itoa(int(cy.FiscalYear)), Value: all.Score})
		f.Table.Rows = append(f.Table.Rows, []Cell{{Text: fy}, {Text: loc.T("dash.trend.all")}, {Text: itoa(all.N)}, {Text: pct(all.Score)}})
		f.Table.Rows = append(f.Table.Rows, rows...)
	}
	f.Line = l
	return f
}

func plansFigure(loc *i18n.Localizer, in OverviewInput) Figure {
	f := Figure{ID: "plans", Title: loc.T("dash.plans.title"), Lead: loc.T("dash.plans.lead"), Download: in.download("plans")}
	b := &chart.StackedBars{ID: "chart-plans", Title: f.Title}
	for i, s := range plan.Statuses {
		b.Series = append(b.Series, chart.Series{Label: loc.T("dash.plan_status." + string(s)), Pattern: []int{5, 2, 3, 1, 0, 4}[i]})
	}
	f.Table = Table{Caption: f.Title, Header: []string{loc.T("dash.col.ministry")}}
	for _, s := range plan.Statuses {
		f.Table.Header = append(f.Table.Header, loc.T("dash.plan_status."+string(s)))
	}
	f.Table.Header = append(f.Table.Header, StatusLabel(loc, "total"))
	for _, m := range in.Ministries {
		name := loc.Pick(kijun.Name(in.Names.Ministries, m))
		vals := make([]int, len(plan.Statuses))
		total := 0
		for _, pc := range in.D.Plans {
			if pc.Ministry != m {
				continue
			}
			for i, s := range plan.Statuses {
				if s == pc.Status {
					vals[i] += pc.N
					total += pc.N
				}
			}
		}
		label := name
		if total == 0 {
			label = name + " " + loc.T("dash.plans.none")
		}
		b.Bars = append(b.Bars, chart.Bar{Label: chart.Label{Text: label}, Values: vals})
		row := []Cell{{Text: name}}
		for _, v := range vals {
			row = append(row, Cell{Text: itoa(v)})
		}
		f.Table.Rows = append(f.Table.Rows, append(row, Cell{Text: itoa(total)}))
	}
	f.Bars = b
	return f
}

func weakestFigure(loc *i18n.Localizer, in OverviewInput) Figure {
	sector := loc.Pick(kijun.Name(in.Names.Sectors, in.Focus))
	f := Figure{ID: "weakest", Title: loc.T("dash.weakest.title", map[string]any{"Sector": sector}),
		Lead: loc.T("dash.weakest.lead"), Download: in.download("weakest")}
	f.Table = Table{Caption: f.Title, Header: []string{loc.T("dash.col.ref"), loc.T("dash.col.control"),
		loc.T("dash.answer.implemented"), loc.T("dash.answer.partial"), loc.T("dash.answer.not_implemented"),
		loc.T("dash.answer.not_applicable"), loc.T("dash.col.mean_score")}}
	for _, c := range in.Weakest {
		f.Table.Rows = append(f.Table.Rows, []Cell{{Text: c.Ref}, {Text: loc.Pick(c.Title)}, {Text: itoa(c.Implemented)},
			{Text: itoa(c.Partial)}, {Text: itoa(c.NotImplemented)}, {Text: itoa(c.NA)}, {Text: pct(c.Score)}})
	}
	if len(in.Weakest) == 0 {
		f.Empty = loc.T("dash.no_submissions")
	}
	return f
}

func attentionFigure(loc *i18n.Localizer, in OverviewInput) Figure {
	f := Figure{ID: "attention", Title: loc.T("dash.attention.title"),
		Lead: loc.T("dash.attention.lead", map[string]any{"Count": in.AttnTotal}), Download: in.download("attention")}
	f.Table = Table{Caption: f.Title, Header: []string{loc.T("dash.col.sector"), loc.T("dash.col.operator"),
		loc.T("dash.col.status"), loc.T("dash.col.due"), loc.T("dash.col.returned_at")}}
	for _, a := range in.Attention {
		st := StatusLabel(loc, string(a.Status))
		if a.Overdue {
			st += " / " + StatusLabel(loc, assessment.StatusOverdue)
		}
		ret := ""
		if a.ReturnedAt != nil {
			ret = loc.Date(*a.ReturnedAt)
		}
		f.Table.Rows = append(f.Table.Rows, []Cell{{Text: loc.Pick(kijun.Name(in.Names.Sectors, a.Sector))},
			{Text: loc.Pick(a.Name), Href: "/assessments/" + id64(a.AssessmentID)}, {Text: st}, {Text: loc.Date(a.DueOn)}, {Text: ret}})
	}
	if len(in.Attention) == 0 {
		f.Empty = loc.T("dash.attention.none")
	}
	return f
}

func belowFigure(loc *i18n.Localizer, in OverviewInput) Figure {
	sector := loc.Pick(kijun.Name(in.Names.Sectors, in.Focus))
	f := Figure{ID: "below", Title: loc.T("dash.below.title", map[string]any{"Sector": sector}),
		Lead: loc.T("dash.below.lead"), Download: in.download("below")}
	f.Table = Table{Caption: f.Title, Header: []string{loc.T("dash.col.operator"), loc.T("dash.col.below"), loc.T("dash.col.targets")}}
	for _, b := range in.Below {
		f.Table.Rows = append(f.Table.Rows, []Cell{{Text: loc.Pick(b.Name), Href: "/assessments/" + id64(b.AssessmentID)},
			{Text: itoa(b.Below)}, {Text: itoa(b.Targets)}})
	}
	switch {
	case !in.HasTarget:
		f.Empty = loc.T("dash.below.no_profile")
	case len(in.Below) == 0:
		f.Empty = loc.T("dash.below.none")
	}
	return f
}

// SectorInput is a sector's operator list.
type SectorInput struct {
	Cycle     assessment.Cycle
	Sector    string
	Names     kijun.ReferenceNames
	Kind, Key string
	Operators []dashboard.SectorOperator
	Total     int
	Query     url.Values
}

// FocusLabel names the dimension in focus.
func FocusLabel(loc *i18n.Localizer, names kijun.ReferenceNames, kind, key string) string {
	switch kind {
	case assessment.RollupSection:
		return key + " " + loc.Pick(kijun.Name(names.Sections, key))
	case assessment.RollupTheme:
		return loc.Pick(kijun.Name(names.Themes, key))
	}
	return loc.T("dash.overall")
}

// BuildSector builds the operator list of a sector: the drill-down of
// every figure.
func BuildSector(loc *i18n.Localizer, in SectorInput) Figure {
	q := url.Values{}
	for k, v := range in.Query {
		q[k] = v
	}
	q.Set("figure", "operators")
	f := Figure{ID: "operators", Title: loc.T("dash.sector.operators", map[string]any{"Count": in.Total}),
		Download: "/dashboards/sectors/" + url.PathEscape(in.Sector) + "/download?" + q.Encode()}
	f.Table = Table{Caption: f.Title, Header: []string{loc.T("dash.col.operator"), loc.T("dash.col.status"),
		loc.T("dash.overall"), FocusLabel(loc, in.Names, in.Kind, in.Key)}}
	if in.Kind == "" || in.Kind == assessment.RollupOverall {
		f.Table.Header = f.Table.Header[:3]
	}
	for _, o := range in.Operators {
		st := StatusLabel(loc, string(o.Status))
		if o.Overdue {
			st += " / " + StatusLabel(loc, assessment.StatusOverdue)
		}
		row := []Cell{{Text: loc.Pick(o.Name), Href: "/assessments/" + id64(o.AssessmentID)}, {Text: st}, {Text: pct(o.Overall)}}
		if len(f.Table.Header) == 4 {
			row = append(row, Cell{Text: pct(o.Focus)})
		}
		f.Table.Rows = append(f.Table.Rows, row)
	}
	if len(in.Operators) == 0 {
		f.Empty = loc.T("dash.sector.none")
	}
	return f
}

// ScorecardInput is an operator's own figures and its sector benchmark.
type ScorecardInput struct {
	Cycle     assessment.Cycle
	Names     kijun.ReferenceNames
	Sector    string
	Own       []assessment.Rollup
	Bench     []dashboard.Benchmark
	Gaps      []dashboard.Gap
	Query     url.Values
	Submitted bool // the assessment counts (submitted or accepted)
}

func (in ScorecardInput) download(fig string) string {
	q := url.Values{}
	for k, v := range in.Query {
		q[k] = v
	}
	q.Set("figure", fig)
	return "/dashboards/scorecard/download?" + q.Encode()
}

// BuildScorecard builds the scorecard: sections and themes against the
// sector's quartiles (suppressed under dashboard.MinBenchmarkGroup), and
// the gaps. It names no other operator: the benchmark is aggregates only.
func BuildScorecard(loc *i18n.Localizer, in ScorecardInput) []Figure {
	figs := []Figure{
		boxFigure(loc, in, "sections", assessment.RollupSection, in.Names.Sections),
		boxFigure(loc, in, "scorethemes", assessment.RollupTheme, in.Names.Themes),
	}
	g := Figure{ID: "gaps", Title: loc.T("dash.gaps.title"), Lead: loc.T("dash.gaps.lead"), Download: in.download("gaps")}
	g.Table = Table{Caption: g.Title, Header: []string{loc.T("dash.col.ref"), loc.T("dash.col.control"), loc.T("dash.col.status"),
		loc.T("dash.col.action"), loc.T("dash.col.owner"), loc.T("dash.col.remediation_due")}}
	for _, gp := range in.Gaps {
		due := ""
		if gp.Remediation.Due != nil {
			due = loc.Date(*gp.Remediation.Due)
		}
		g.Table.Rows = append(g.Table.Rows, []Cell{{Text: gp.Ref}, {Text: loc.Pick(gp.Title)},
			{Text: loc.T("dash.answer." + string(gp.Status))}, {Text: gp.Remediation.Action}, {Text: gp.Remediation.Owner}, {Text: due}})
	}
	if len(in.Gaps) == 0 {
		g.Empty = loc.T("dash.gaps.none")
	}
	return append(figs, g)
}

func boxFigure(loc *i18n.Localizer, in ScorecardInput, id, kind string, dims []kijun.Named) Figure {
	f := Figure{ID: id, Title: loc.T("dash.score" + kind + ".title"),
		Lead: loc.T("dash.scorecard.lead"), Download: in.download(id)}
	b := &chart.Boxes{ID: "chart-" + id, Title: f.Title, OwnLabel: loc.T("dash.scorecard.own"), BoxLabel: loc.T("dash.scorecard.box")}
	f.Table = Table{Caption: f.Title, Header: []string{loc.T("dash.col." + kind), loc.T("dash.scorecard.own"),
		loc.T("dash.col.sector_n"), loc.T("dash.col.q1"), loc.T("dash.col.median"), loc.T("dash.col.q3")}}
	for _, dim := range dims {
		var own *float64
		present := false
		for _, r := range in.Own {
			if r.Kind == kind && r.Key == dim.Code {
				own, present = r.Score, true
			}
		}
		var bench dashboard.Benchmark
		for _, bm := range in.Bench {
			if bm.Kind == kind && bm.Key == dim.Code {
				bench = bm
			}
		}
		if !present && bench.N == 0 {
			continue
		}
		label := loc.Pick(dim.Name)
		if kind == assessment.RollupSection {
			label = dim.Code + " " + label
		}
		row := chart.Box{Label: label, Own: own, Q1: bench.Q1, Med: bench.Median, Q3: bench.Q3}
		q1, med, q3 := pct(bench.Q1), pct(bench.Median), pct(bench.Q3)
		if bench.Suppressed() {
			row.Suppressed = loc.T("dash.scorecard.suppressed_short", map[string]any{"Min": dashboard.MinBenchmarkGroup})
			q1, med, q3 = row.Suppressed, row.Suppressed, row.Suppressed
		}
		b.Rows = append(b.Rows, row)
		nText := itoa(bench.N)
		if bench.Suppressed() {
			nText = loc.T("dash.scorecard.fewer", map[string]any{"Min": dashboard.MinBenchmarkGroup})
		}
		f.Table.Rows = append(f.Table.Rows, []Cell{{Text: label}, {Text: pct(own)}, {Text: nText}, {Text: q1}, {Text: med}, {Text: q3}})
	}
	if len(b.Rows) == 0 {
		f.Empty = loc.T("dash.no_submissions")
	} else {
		f.Boxes = b
	}
	return f
}
