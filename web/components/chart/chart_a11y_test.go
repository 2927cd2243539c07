package chart

import (
	"context"
	"strings"
	"testing"
)

// TestChartWithLinksIsAGroup: a chart whose cells are links is not an
// image (an image hides its links: axe nested-interactive); one without
// links stays an image.
func TestChartWithLinksIsAGroup(t *testing.T) {
	v := 0.5
	render := func(h Heatmap) string {
		var b strings.Builder
		if err := HeatmapSVG(h).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	h := Heatmap{ID: "h", Title: "t", Rows: []Label{{Text: "Electricity"}}, Cols: []Label{{Text: "GV"}},
		Cells: [][]HeatCell{{{Value: &v, N: 3, Href: "/dashboards/sectors/electricity"}}}}
	if got := render(h); !strings.Contains(got, `role="group"`) || strings.Contains(got, `role="img"`) {
		t.Errorf("a heatmap with links is not a group: %.200s", got)
	}
	h.Cells[0][0].Href = ""
	if got := render(h); !strings.Contains(got, `role="img"`) {
		t.Errorf("a heatmap without links is not an image: %.200s", got)
	}
}

// TestEnglishLabelsFit: the label column grows with the longest label, so
// that an English sector name is not clipped at the chart's left edge.
func TestEnglishLabelsFit(t *testing.T) {
	long := "Information and communications (demo)" // 38 characters at 14 units
	h := Heatmap{Rows: []Label{{Text: "電力"}, {Text: long}}}
	if w := h.LabelW(); w < int(float64(len(long))*14*0.55) {
		t.Errorf("label column %d units wide for %q", w, long)
	}
	if w := (Heatmap{Rows: []Label{{Text: "電力"}}}).LabelW(); w > 190 {
		t.Errorf("a short label takes %d units", w)
	}
}
