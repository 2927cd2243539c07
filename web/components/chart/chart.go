// Package chart draws Kijun's charts as SVG on the server: a heatmap, a
// stacked bar chart, a line chart and a box-and-marker chart. No
// JavaScript; every chart is meant to sit next to a data table with the
// same figures. Colours are one hue in steps of lightness (readable by
// colour-blind users and in greyscale print), and the value is printed in
// every cell; statuses get a pattern and a legend as well as a shade.
package chart

import (
	"fmt"
	"math"
	"strconv"
)

// Label is an axis label, optionally a link (a drill-down).
type Label struct {
	Text string
	Href string
}

// HeatCell is one cell of a heatmap: a value in 0–1 (nil: no data), the
// number of observations behind it and where clicking it leads.
type HeatCell struct {
	Value *float64
	N     int
	Href  string
	// Title is the cell's accessible description (shown as a tooltip).
	Title string
}

// Heatmap is a grid of rows × columns; Cells[row][col].
type Heatmap struct {
	ID      string
	Title   string
	Rows    []Label
	Cols    []Label
	Cells   [][]HeatCell
	NoData  string // the text of an empty cell's tooltip
	Legend  []string
	NLabel  string // "n=" prefix
	Percent bool   // print values as percentages (else 0.00)
}

// Geometry of the heatmap (SVG user units).
const (
	heatLabelMin = 120 // the label column is as wide as its longest label
	heatHeadH    = 64
	heatCellW    = 78
	heatCellH    = 40
)

// LabelW is the width of the row labels' column: the longest label (at
// 14 units) fits, in either language.
func (h Heatmap) LabelW() int { return labelWidth(h.Rows, 14, heatLabelMin) }

// Width is the heatmap's width.
func (h Heatmap) Width() int { return h.LabelW() + heatCellW*len(h.Cols) + 10 }

// Height is the heatmap's height, legend included.
func (h Heatmap) Height() int { return heatHeadH + heatCellH*len(h.Rows) + 50 }

// X returns the left of column c. LabelW measures every row label, so a
// loop over cells takes it once and uses columnX.
func (h Heatmap) X(c int) int { return columnX(h.LabelW(), c) }

// columnX is the left of column c after a label column labelW wide.
func columnX(labelW, c int) int { return labelW + heatCellW*c }

// Y returns the top of row r.
func (h Heatmap) Y(r int) int { return heatHeadH + heatCellH*r }

// Scale is the single-hue sequential scale, light to dark (the Digital
// Agency's blues), in five steps of 20 percentage points.
var Scale = []string{"#E8F1FE", "#C5D7FB", "#7096F8", "#3460FB", "#0017C1"}

// Step returns the scale step of v in 0–1.
func Step(v float64) int {
	return min(int(math.Floor(v*5)), 4)
}

// heatClasses are the classes of the scale's steps (web/styles/app.css
// gives them the colours of Scale).
var heatClasses = []string{"heat-0", "heat-1", "heat-2", "heat-3", "heat-4"}

// HeatClass returns the class that fills a cell with the colour of v.
func HeatClass(v *float64) string { return heatClasses[Step(*v)] }

// InkClass returns the class of the text colour that contrasts with the
// fill of v (≥ 4.5:1): white on the two darkest steps.
func InkClass(v *float64) string {
	if v != nil && Step(*v) >= 3 {
		return "ink-light"
	}
	return "ink-dark"
}

// Format prints a value as a whole percentage.
func Format(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.Itoa(int(math.Round(*v*100))) + "%"
}

// Series is one status of a stacked bar chart.
type Series struct {
	Label string
	// Pattern selects the fill: 0 solid dark, 1 diagonal, 2 dots, 3
	// cross-hatch, 4 light solid, 5 horizontal lines.
	Pattern int
}

// Bar is one stacked bar.
type Bar struct {
	Label  Label
	Values []int // per series
}

// Total is the bar's sum.
func (b Bar) Total() int {
	t := 0
	for _, v := range b.Values {
		t += v
	}
	return t
}

// StackedBars is a horizontal stacked bar chart, each bar scaled to 100%
// of its own total (shares), with counts printed in the segments.
type StackedBars struct {
	ID     string
	Title  string
	Series []Series
	Bars   []Bar
}

const (
	barLabelMin = 120
	barW        = 520
	barH        = 26
	barGap      = 10
	barTop      = 10
)

// LabelW is the width of the bar labels' column (the longest fits).
func (s StackedBars) LabelW() int {
	ls := make([]Label, len(s.Bars))
	for i, b := range s.Bars {
		ls[i] = b.Label
	}
	return labelWidth(ls, 14, barLabelMin)
}

// Width of the chart.
func (s StackedBars) Width() int { return s.LabelW() + barW + 20 }

// Height of the chart, legend included.
func (s StackedBars) Height() int {
	return barTop + (barH+barGap)*len(s.Bars) + 30 + 24*((len(s.Series)+2)/3)
}

// Segment is a drawn piece of a bar.
type Segment struct {
	X, W   float64
	Value  int
	Series int
}

// Segments lays out bar i, whose left edge is at x (the label column's
// width, LabelW).
func (s StackedBars) Segments(i, x0 int) []Segment {
	b := s.Bars[i]
	total := b.Total()
	var out []Segment
	x := float64(x0)
	for j, v := range b.Values {
		if v == 0 || total == 0 {
			continue
		}
		w := float64(barW) * float64(v) / float64(total)
		out = append(out, Segment{X: x, W: w, Value: v, Series: j})
		x += w
	}
	return out
}

// BarY is the top of bar i.
func (s StackedBars) BarY(i int) int { return barTop + (barH+barGap)*i }

// LegendXY places legend entry j.
func (s StackedBars) LegendXY(j int) (int, int) {
	return s.LabelW() + (j%3)*180, barTop + (barH+barGap)*len(s.Bars) + 10 + 24*(j/3)
}

// Fill returns the fill of a series pattern.
func (s StackedBars) Fill(p int) string {
	switch p {
	case 0:
		return "#0017C1"
	case 4:
		return "#E8F1FE"
	}
	return "url(#" + s.ID + "-pat" + strconv.Itoa(p) + ")"
}

// PatternInk returns the text colour on a pattern: printed on a white
// badge, so it reads on any pattern.
func PatternInk(p int) string {
	if p == 0 {
		return "#FFFFFF"
	}
	return "#1A1A1C"
}

// Point is a value of a line chart.
type Point struct {
	X     string
	Value *float64
}

// Line is a line chart of values in 0–1 over categories (fiscal years).
type Line struct {
	ID     string
	Title  string
	Points []Point
}

const (
	lineW   = 620
	lineH   = 240
	lineL   = 50
	lineTop = 16
	lineBot = 36
)

// Width of the line chart.
func (l Line) Width() int { return lineW }

// Height of the line chart.
func (l Line) Height() int { return lineH }

// PX is the x of point i.
func (l Line) PX(i int) float64 {
	if len(l.Points) <= 1 {
		return float64(lineL+lineW) / 2
	}
	return float64(lineL+20) + float64(i)*float64(lineW-lineL-60)/float64(len(l.Points)-1)
}

// PY is the y of a value.
func (l Line) PY(v float64) float64 {
	return float64(lineTop) + (1-v)*float64(lineH-lineTop-lineBot)
}

// Path is the polyline through the points with a value.
func (l Line) Path() string {
	s := ""
	for i, p := range l.Points {
		if p.Value == nil {
			continue
		}
		s += fmt.Sprintf("%.1f,%.1f ", l.PX(i), l.PY(*p.Value))
	}
	return s
}

// Grid is the y of the 0, 25, 50, 75 and 100% lines with their labels.
func (l Line) Grid() []struct {
	Y     float64
	Label string
} {
	var g []struct {
		Y     float64
		Label string
	}
	for _, v := range []float64{0, 0.25, 0.5, 0.75, 1} {
		g = append(g, struct {
			Y     float64
			Label string
		}{l.PY(v), Format(&v)})
	}
	return g
}

// BottomY is the baseline for x labels.
func (l Line) BottomY() int { return lineH - 12 }

// Box is one row of a box-and-marker chart: the group's quartiles (nil:
// suppressed or no data) and the reader's own value.
type Box struct {
	Label      string
	Own        *float64
	Q1, Med    *float64
	Q3         *float64
	Suppressed string // shown instead of the box
}

// Boxes compares the reader's own scores with a group's quartiles.
type Boxes struct {
	ID       string
	Title    string
	Rows     []Box
	OwnLabel string
	BoxLabel string
}

const (
	boxLabelMin = 120
	boxW        = 420
	boxRowH     = 34
)

// LabelW is the width of the row labels' column (the longest fits).
func (b Boxes) LabelW() int {
	ls := make([]Label, len(b.Rows))
	for i, r := range b.Rows {
		ls[i] = Label{Text: r.Label}
	}
	return labelWidth(ls, 13, boxLabelMin)
}

// Width of the chart.
func (b Boxes) Width() int { return b.LabelW() + boxW + 70 }

// Height of the chart.
func (b Boxes) Height() int { return 30 + boxRowH*len(b.Rows) + 40 }

// BX maps a value to x.
func (b Boxes) BX(v float64) float64 { return float64(b.LabelW()) + v*float64(boxW) }

// RowY is the centre of row i.
func (b Boxes) RowY(i int) int { return 30 + boxRowH*i + boxRowH/2 }

// Ticks are the x positions and labels of 0, 25, 50, 75, 100%.
func (b Boxes) Ticks() []struct {
	X     float64
	Label string
} {
	var t []struct {
		X     float64
		Label string
	}
	for _, v := range []float64{0, 0.25, 0.5, 0.75, 1} {
		t = append(t, struct {
			X     float64
			Label string
		}{b.BX(v), Format(&v)})
	}
	return t
}

// Diamond is the polygon of the own-value marker at (x, y).
func Diamond(x float64, y int) string {
	fy := float64(y)
	return fmt.Sprintf("%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f", x, fy-8, x+8, fy, x, fy+8, x-8, fy)
}

// F formats a coordinate.
func F(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// I formats an integer coordinate.
func I(v int) string { return strconv.Itoa(v) }

// labelWidth is the width of a column of labels drawn at size units: the
// widest label's estimated width and a margin, at least least. Wide
// (CJK) characters take a full em, others about 0.6 em, so that English
// labels are not clipped.
func labelWidth(labels []Label, size, least int) int {
	w := least
	for _, l := range labels {
		var em float64
		for _, r := range l.Text {
			if r >= 0x1100 {
				em++
			} else {
				em += 0.6
			}
		}
		w = max(w, int(math.Ceil(em*float64(size)))+16)
	}
	return w
}

// Role is the ARIA role of a chart: an image, unless it holds links (a
// drill-down), which an image would hide (axe: nested-interactive); then
// a group named by its title.
func Role(hasLinks bool) string {
	if hasLinks {
		return "group"
	}
	return "img"
}

// HasLinks reports whether the heatmap has a link anywhere.
func (h Heatmap) HasLinks() bool {
	for _, l := range append(append([]Label{}, h.Rows...), h.Cols...) {
		if l.Href != "" {
			return true
		}
	}
	for _, row := range h.Cells {
		for _, c := range row {
			if c.Href != "" && c.Value != nil {
				return true
			}
		}
	}
	return false
}

// HasLinks reports whether a bar's label is a link.
func (s StackedBars) HasLinks() bool {
	for _, b := range s.Bars {
		if b.Label.Href != "" {
			return true
		}
	}
	return false
}
