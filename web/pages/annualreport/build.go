// Package annualreport is the annual report's page and its document: one
// builder turns the figures into a pdfdoc.Doc (headings, paragraphs,
// tables, charts) that the page renders as HTML, the server as a PDF and
// its tables as XLSX, so that the three say the same thing. It also builds
// the documents of an operator's 提出控え and a ministry's plan.
package annualreport

import (
	"strconv"
	"strings"
	"time"

	"github.com/kijun-portal/kijun/internal/annualreport"
	"github.com/kijun-portal/kijun/internal/dashboard"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/pdfdoc"
	"github.com/kijun-portal/kijun/internal/plan"
)

// Pct prints a share (0–1) as a percentage with one decimal.
func Pct(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" }

// shareText prints a share, or why it is not shown.
func shareText(l *i18n.Localizer, v *float64, n int) string {
	if v != nil {
		return Pct(*v)
	}
	if n == 0 {
		return "—"
	}
	return l.T("report.suppressed", map[string]any{"Min": dashboard.MinBenchmarkGroup})
}

func day(l *i18n.Localizer, t time.Time) string {
	t = t.In(kijun.JST)
	if l.Lang == kijun.En {
		return t.Format("2 January 2006")
	}
	return strconv.Itoa(t.Year()) + "年" + strconv.Itoa(int(t.Month())) + "月" + strconv.Itoa(t.Day()) + "日"
}

// DimName names a dimension of the scores.
func DimName(l *i18n.Localizer, names kijun.ReferenceNames, d annualreport.Dim) string {
	switch d.Kind {
	case "section":
		return d.Key + " " + l.Pick(kijun.Name(names.Sections, d.Key))
	case "theme":
		return l.Pick(kijun.Name(names.Themes, d.Key))
	}
	return l.T("report.overall")
}

// Build is the report of rec (its stored figures when final, else f, the
// figures compiled now) as a document.
func Build(l *i18n.Localizer, names kijun.ReferenceNames, rec annualreport.Record, f annualreport.Figures) pdfdoc.Doc {
	if rec.Figures != nil {
		f = *rec.Figures
	}
	sector := func(c string) string { return l.Pick(kijun.Name(names.Sectors, c)) }
	ministry := func(c string) string { return l.Pick(kijun.Name(names.Ministries, c)) }
	year := f.FiscalYear.Label(l.Lang)
	d := pdfdoc.Doc{
		Title:     l.T("report.doc.title", map[string]any{"Year": year}),
		Subtitle:  l.T("report.status." + string(rec.Status)),
		Author:    l.T("report.doc.author"),
		Lang:      string(l.Lang),
		Date:      f.AsOf,
		TOCTitle:  l.T("report.doc.toc"),
		PageLabel: "%d / %d",
	}
	d.Lines = append(d.Lines, l.T("report.doc.author"), l.T("report.doc.as_of", map[string]any{"Date": day(l, f.AsOf)}))
	if rec.Status == annualreport.StatusFinal && rec.FinalizedAt != nil {
		d.Date = rec.FinalizedAt.UTC().Truncate(time.Second)
		d.Lines = append(d.Lines, l.T("report.doc.finalized", map[string]any{"Date": day(l, *rec.FinalizedAt), "By": rec.FinalizedBy}),
			"SHA-256: "+rec.SHA256)
		d.Footer = l.T("report.doc.footer_final", map[string]any{"Year": year, "Hash": rec.SHA256[:16]})
	} else {
		d.Footer = l.T("report.doc.footer_draft", map[string]any{"Year": year})
	}
	add := func(b ...pdfdoc.Block) { d.Blocks = append(d.Blocks, b...) }
	h1 := func(id string) { add(pdfdoc.Heading{Text: l.T(id), Level: 1}) }
	h2 := func(id string) { add(pdfdoc.Heading{Text: l.T(id), Level: 2}) }

	// 1. Summary
	h1("report.sec.summary")
	n := f.National
	add(pdfdoc.Para{Text: l.T("report.summary.rates", map[string]any{"Total": n.Total, "Submitted": n.Submitted, "Accepted": n.Accepted,
		"SubmittedShare": shareText(l, n.SubmittedShare, n.Total), "AcceptedShare": shareText(l, n.AcceptedShare, n.Total)})})
	if f.CycleID == 0 {
		add(pdfdoc.Para{Text: l.T("report.summary.no_cycle")})
	}
	add(pdfdoc.Para{Text: l.T("report.summary.evaluations", map[string]any{"Evaluated": len(f.Evaluated),
		"Pairs": len(f.Evaluated) + len(f.NotEvaluated), "Plans": len(f.Plans)})})
	ratings := pdfdoc.Table{Caption: l.T("report.table.ratings")}
	var rrow []string
	for _, r := range plan.EvaluationRatings {
		ratings.Header = append(ratings.Header, l.T("plans.rating."+string(r)))
		ratings.Right = append(ratings.Right, true)
		rrow = append(rrow, strconv.Itoa(f.Ratings[string(r)]))
	}
	ratings.Rows = [][]string{rrow}
	add(ratings, pdfdoc.Para{Text: l.T("report.summary.suppression", map[string]any{"Min": dashboard.MinBenchmarkGroup})})

	// 2. Submission and acceptance
	h1("report.sec.rates")
	rateTable := func(caption, first string, rs []annualreport.Rate, name func(string) string) (pdfdoc.Table, pdfdoc.BarChart) {
		t := pdfdoc.Table{Caption: caption, Widths: []float64{3, 1, 1, 1, 1.4, 1.4}, Right: []bool{false, true, true, true, true, true},
			Header: []string{first, l.T("report.col.total"), l.T("report.col.submitted"), l.T("report.col.accepted"),
				l.T("report.col.submitted_share"), l.T("report.col.accepted_share")}}
		c := pdfdoc.BarChart{Title: l.T("report.chart.submitted_share", map[string]any{"Of": caption}),
			Missing: l.T("report.suppressed", map[string]any{"Min": dashboard.MinBenchmarkGroup})}
		for _, r := range rs {
			if r.Total == 0 {
				continue
			}
			t.Rows = append(t.Rows, []string{name(r.Code), strconv.Itoa(r.Total), strconv.Itoa(r.Submitted), strconv.Itoa(r.Accepted),
				shareText(l, r.SubmittedShare, r.Total), shareText(l, r.AcceptedShare, r.Total)})
			c.Labels = append(c.Labels, name(r.Code))
			c.Values = append(c.Values, r.SubmittedShare)
		}
		t.Rows = append(t.Rows, []string{l.T("report.national"), strconv.Itoa(n.Total), strconv.Itoa(n.Submitted), strconv.Itoa(n.Accepted),
			shareText(l, n.SubmittedShare, n.Total), shareText(l, n.AcceptedShare, n.Total)})
		c.Caption = l.T("report.chart.rates_caption")
		return t, c
	}
	h2("report.sec.by_sector")
	t, c := rateTable(l.T("report.table.by_sector"), l.T("report.col.sector"), f.BySector, sector)
	add(t, c)
	h2("report.sec.by_ministry")
	t, c = rateTable(l.T("report.table.by_ministry"), l.T("report.col.ministry"), f.ByMinistry, ministry)
	add(t, c)

	// 3. Scores and trends
	h1("report.sec.scores")
	h2("report.sec.dimensions")
	st := pdfdoc.Table{Caption: l.T("report.table.dimensions"), Widths: []float64{4, 1, 1.5}, Right: []bool{false, true, true},
		Header: []string{l.T("report.col.dimension"), l.T("report.col.n"), l.T("report.col.score")}}
	sc := pdfdoc.BarChart{Title: l.T("report.chart.dimensions"), Missing: l.T("report.suppressed", map[string]any{"Min": dashboard.MinBenchmarkGroup}),
		Caption: l.T("report.chart.dimensions_caption")}
	for _, s := range f.Scores {
		if s.N == 0 {
			continue
		}
		st.Rows = append(st.Rows, []string{DimName(l, names, s.Dim), strconv.Itoa(s.N), shareText(l, s.Score, s.N)})
		sc.Labels = append(sc.Labels, DimName(l, names, s.Dim))
		sc.Values = append(sc.Values, s.Score)
	}
	if len(st.Rows) == 0 {
		add(pdfdoc.Para{Text: l.T("report.none")})
	} else {
		add(st, sc)
	}
	h2("report.sec.trend")
	add(pdfdoc.Para{Text: l.T("report.trend.lead", map[string]any{"Min": dashboard.MinBenchmarkGroup})})
	var xs []string
	for _, y := range f.Years {
		xs = append(xs, "FY"+strconv.Itoa(int(y)))
	}
	line := pdfdoc.LineChart{Title: l.T("report.chart.trend"), X: xs}
	tt := pdfdoc.Table{Caption: l.T("report.table.trend"), Header: append([]string{l.T("report.col.dimension"), l.T("report.col.compared")}, xs...)}
	tt.Widths = []float64{2.5, 2.5}
	tt.Right = []bool{false, false}
	for range xs {
		tt.Widths = append(tt.Widths, 1.2)
		tt.Right = append(tt.Right, true)
	}
	for _, s := range f.Scores {
		if s.Kind == "theme" || len(s.Compared) == 0 {
			continue
		}
		row := []string{DimName(l, names, s.Dim), joinNames(s.Compared, sector)}
		if len(s.Left) > 0 {
			row[1] += " " + l.T("report.trend.left", map[string]any{"Sectors": joinNames(s.Left, sector)})
		}
		ser := pdfdoc.Series{Name: DimName(l, names, s.Dim)}
		for _, p := range s.Trend {
			row = append(row, shareText(l, p.Score, p.N)+" (n="+strconv.Itoa(p.N)+")")
			ser.Values = append(ser.Values, p.Score)
		}
		tt.Rows = append(tt.Rows, row)
		line.Series = append(line.Series, ser)
	}
	if len(tt.Rows) == 0 {
		add(pdfdoc.Para{Text: l.T("report.none")})
	} else {
		line.Caption = l.T("report.chart.trend_caption", map[string]any{"Min": dashboard.MinBenchmarkGroup})
		add(line, tt)
	}
	h2("report.sec.sector_scores")
	ss := pdfdoc.Table{Caption: l.T("report.table.sector_scores"), Widths: []float64{3, 1, 1.5}, Right: []bool{false, true, true},
		Header: []string{l.T("report.col.sector"), l.T("report.col.n"), l.T("report.col.score")}}
	for _, s := range f.SectorScores {
		if s.N > 0 {
			ss.Rows = append(ss.Rows, []string{sector(s.Sector), strconv.Itoa(s.N), shareText(l, s.Score, s.N)})
		}
	}
	if len(ss.Rows) == 0 {
		add(pdfdoc.Para{Text: l.T("report.none")})
	} else {
		add(ss)
	}

	// 4. KPIs of the plans
	h1("report.sec.kpis")
	add(pdfdoc.Para{Text: l.T("report.kpis.lead", map[string]any{"Date": day(l, annualreport.YearEnd(f.FiscalYear))})})
	if len(f.Plans) == 0 {
		add(pdfdoc.Para{Text: l.T("report.none")})
	}
	for _, p := range f.Plans {
		add(pdfdoc.Heading{Text: ministry(p.Ministry) + " — " + l.Pick(p.Title), Level: 2})
		add(pdfdoc.Para{Text: l.T("report.kpis.plan", map[string]any{"Sectors": joinNames(p.Sectors, sector), "Version": p.Version, "Operators": p.Operators})})
		kt := pdfdoc.Table{Widths: []float64{2.5, 3, 1, 1.3, 1.2, 1.2, 1.3}, Right: []bool{false, false, true, false, true, true, false},
			Header: []string{l.T("report.col.kpi"), l.T("report.col.metric"), l.T("report.col.target"), l.T("report.col.due"),
				l.T("report.col.meeting"), l.T("report.col.attained"), l.T("report.col.state")}}
		for _, k := range p.KPIs {
			att := "—"
			if k.Percent != nil {
				att = Pct(*k.Percent / 100)
			}
			kt.Rows = append(kt.Rows, []string{k.Label, l.T("plans.kpi.metric_name." + string(k.Metric)), strconv.Itoa(k.Target) + "%",
				string(k.Due), strconv.Itoa(k.Meeting) + "/" + strconv.Itoa(k.Operators), att, l.T("plans.kpi.state." + k.State)})
		}
		if len(kt.Rows) == 0 {
			add(pdfdoc.Para{Text: l.T("report.kpis.none")})
		} else {
			add(kt)
		}
	}

	// 5. Not yet evaluated
	h1("report.sec.not_evaluated")
	ne := pdfdoc.Table{Caption: l.T("report.table.not_evaluated"), Header: []string{l.T("report.col.ministry"), l.T("report.col.sector")}}
	for _, p := range f.NotEvaluated {
		ne.Rows = append(ne.Rows, []string{ministry(p.Ministry), sector(p.Sector)})
	}
	if len(ne.Rows) == 0 {
		add(pdfdoc.Para{Text: l.T("report.none")})
	} else {
		add(ne)
	}
	np := pdfdoc.Table{Caption: l.T("report.table.plans_not_evaluated"), Widths: []float64{1.5, 3, 2},
		Header: []string{l.T("report.col.ministry"), l.T("report.col.plan"), l.T("report.col.sector")}}
	for _, p := range f.PlansNotEval {
		np.Rows = append(np.Rows, []string{ministry(p.Ministry), l.Pick(p.Title), joinNames(p.Sectors, sector)})
	}
	if len(np.Rows) > 0 {
		add(np)
	} else {
		add(pdfdoc.Para{Text: l.T("report.plans_all_evaluated")})
	}

	// 6–7. Good practices and requests
	notes := func(id string, ns []annualreport.Note) {
		h1(id)
		if len(ns) == 0 {
			add(pdfdoc.Para{Text: l.T("report.none")})
		}
		for _, x := range ns {
			add(pdfdoc.Heading{Text: ministry(x.Ministry) + " — " + sector(x.Sector), Level: 2}, pdfdoc.Para{Text: x.Text})
		}
	}
	notes("report.sec.practices", f.Practices)
	notes("report.sec.requests", f.Requests)

	// 8. Each evaluation with the ministry's response
	h1("report.sec.evaluations")
	if len(f.Evaluations) == 0 {
		add(pdfdoc.Para{Text: l.T("report.none")})
	}
	for _, e := range f.Evaluations {
		rating := "—"
		if e.Rating != "" {
			rating = l.T("plans.rating." + e.Rating)
		}
		add(pdfdoc.Heading{Text: ministry(e.Ministry) + " — " + sector(e.Sector) + " " + rating, Level: 2},
			pdfdoc.Para{Text: l.T("plans.eval.findings") + ": " + orDash(e.Findings)},
			pdfdoc.Para{Text: l.T("plans.eval.response") + ": " + orDash(e.Response)})
	}

	// 9. The opinion
	h1("report.sec.opinion")
	if rec.Status == annualreport.StatusDraft {
		add(pdfdoc.Para{Text: l.T("report.opinion.none")})
	} else {
		add(pdfdoc.Para{Text: l.T("report.opinion.meeting", map[string]any{"Meeting": rec.Meeting, "Date": day(l, rec.MeetingOn.Time())})},
			pdfdoc.Para{Text: rec.Opinion})
	}
	return d
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func joinNames(codes []string, name func(string) string) string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = name(c)
	}
	return strings.Join(out, "、")
}

// Tables returns the document's tables with the heading each is under
// (for the XLSX).
func Tables(d pdfdoc.Doc) (heads []string, tables []pdfdoc.Table) {
	head := ""
	for _, b := range d.Blocks {
		switch b := b.(type) {
		case pdfdoc.Heading:
			head = b.Text
		case pdfdoc.Table:
			heads = append(heads, head)
			tables = append(tables, b)
		}
	}
	return heads, tables
}
