package dashboard

import (
	"slices"
	"testing"

	"github.com/kijun-portal/kijun/internal/assessment"
)

// A sector that has results in one year only does not move the line: the
// line compares the sectors scored in every year with any score.
func TestComparableTrend(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	d := &Dashboard{
		Cycles:  []assessment.Cycle{{ID: 3, FiscalYear: 2027}, {ID: 2, FiscalYear: 2026}, {ID: 1, FiscalYear: 2025}},
		Sectors: []string{"finance", "electricity", "gas", "water"},
		Trend: []TrendPoint{
			{CycleID: 1, Sector: "electricity", N: 10, Score: f(0.5)},
			{CycleID: 1, Sector: "gas", N: 3, Score: f(0.2)},
			{CycleID: 2, Sector: "electricity", N: 10, Score: f(0.6)},
			{CycleID: 2, Sector: "gas", N: 1, Score: f(0.3)},
			{CycleID: 2, Sector: "finance", N: 30, Score: f(0.9)}, // joins in FY2026
			// FY2027 has no score yet: it compares nothing.
		},
	}
	line := d.ComparableTrend()
	if !slices.Equal(line.Sectors, []string{"electricity", "gas"}) || !slices.Equal(line.Left, []string{"finance"}) {
		t.Fatalf("compared %v, left %v", line.Sectors, line.Left)
	}
	near := func(p *float64, want float64) bool { return p != nil && *p > want-1e-9 && *p < want+1e-9 }
	if p := line.Points[1]; p.N != 13 || !near(p.Score, (0.5*10+0.2*3)/13) {
		t.Errorf("FY2025 %d %v", p.N, p.Score)
	}
	if p := line.Points[2]; p.N != 11 || !near(p.Score, (0.6*10+0.3*1)/11) {
		t.Errorf("FY2026 %d %v (finance must not count)", p.N, p.Score)
	}
	if p := line.Points[3]; p.N != 0 || p.Score != nil {
		t.Errorf("FY2027 without scores: %d %v", p.N, p.Score)
	}
	// Under MinBenchmarkGroup operators the point is suppressed.
	d.Trend = []TrendPoint{{CycleID: 1, Sector: "gas", N: MinBenchmarkGroup - 1, Score: f(0.4)}}
	if p := d.ComparableTrend().Points[1]; p.Score != nil {
		t.Errorf("a group of %d operators is shown: %v", p.N, *p.Score)
	}
}
