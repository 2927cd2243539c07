package dashboards

import (
	"context"
	"io"
	"testing"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/dashboard"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/plan"
)

// nationalInput is the national dashboard at national scale: 15 sectors,
// 7 sections, 5 themes, 5 cycles, 5 ministries' plans.
func nationalInput() OverviewInput {
	n := kijun.ReferenceNames{Oversight: map[string][]string{}}
	for _, c := range []string{"ict", "finance", "aviation", "airport", "railway", "electricity", "gas", "government",
		"medical", "water", "logistics", "chemical", "credit", "petroleum", "port"} {
		n.Sectors = append(n.Sectors, kijun.Named{Code: c, Name: kijun.Text{Ja: "分野" + c, En: "Sector " + c}})
	}
	for _, c := range []string{"BASE", "GV", "ID", "PR", "DE", "RS", "TT"} {
		n.Sections = append(n.Sections, kijun.Named{Code: c, Name: kijun.Text{Ja: "章" + c, En: "Section " + c}})
	}
	for _, c := range []string{"resilience", "supply-chain", "closed-network", "cloud", "ot"} {
		n.Themes = append(n.Themes, kijun.Named{Code: c, Name: kijun.Text{Ja: "テーマ" + c, En: "Theme " + c}})
	}
	for _, m := range []string{"FSA", "MIC", "MHLW", "METI", "MLIT"} {
		n.Ministries = append(n.Ministries, kijun.Named{Code: m, Name: kijun.Text{Ja: m, En: m}})
	}
	d := dashboard.Dashboard{}
	for i := 5; i >= 1; i-- {
		d.Cycles = append(d.Cycles, assessment.Cycle{ID: int64(i), FiscalYear: kijun.FiscalYear(2021 + i)})
	}
	d.Cycle = d.Cycles[0]
	score := func(i int) *float64 { v := float64(i%97) / 97; return &v }
	for i, s := range n.Sectors {
		d.Sectors = append(d.Sectors, s.Code)
		d.Cells = append(d.Cells, dashboard.Cell{Sector: s.Code, Kind: assessment.RollupOverall, N: 100 + i, Score: score(i), Implemented: 50, Applicable: 90})
		for j, sec := range n.Sections {
			d.Cells = append(d.Cells, dashboard.Cell{Sector: s.Code, Kind: assessment.RollupSection, Key: sec.Code, N: 100 + i, Score: score(i * j), Implemented: 50, Applicable: 90})
		}
		for j, th := range n.Themes {
			d.Cells = append(d.Cells, dashboard.Cell{Sector: s.Code, Kind: assessment.RollupTheme, Key: th.Code, N: 100 + i, Score: score(i + j), Implemented: 50, Applicable: 90})
		}
		d.Progress = append(d.Progress, dashboard.SectorProgress{Sector: s.Code, StatusCounts: assessment.StatusCounts{
			NotStarted: 10, InProgress: 20, Submitted: 30, Returned: 5, Accepted: 50, Overdue: 15, Total: 115}})
		for _, c := range d.Cycles {
			d.Trend = append(d.Trend, dashboard.TrendPoint{CycleID: c.ID, FiscalYear: c.FiscalYear, Sector: s.Code, N: 100, Score: score(i + int(c.ID))})
		}
	}
	for _, m := range n.Ministries {
		d.Plans = append(d.Plans, dashboard.PlanStatusCount{Ministry: m.Code, Status: plan.Statuses[0], N: 2})
		n.Oversight[m.Code] = []string{"x"}
	}
	in := OverviewInput{D: d, Names: n, Base: "/dashboards/national"}
	for _, m := range n.Ministries {
		in.Ministries = append(in.Ministries, m.Code)
	}
	return in
}

// BenchmarkNationalFigures builds and renders the national dashboard's
// figures: the server's own work for each request of that page.
func BenchmarkNationalFigures(b *testing.B) {
	in := nationalInput()
	loc := i18n.New(kijun.Ja)
	ctx := i18n.WithLocalizer(context.Background(), loc)
	b.ReportAllocs()
	for b.Loop() {
		p := Page{Title: "national", Figures: BuildOverview(loc, in)}
		if err := Body(p).Render(ctx, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
