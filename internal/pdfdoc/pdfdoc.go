// Package pdfdoc renders a simple document model (headings, paragraphs,
// tables, bar and line charts) as an A4 PDF with the IPAex Gothic font
// embedded as a subset, a table of contents, page numbers, an outline
// (bookmarks) and charts drawn as vector graphics. The same input gives
// the same bytes: the dates come from the document, not the clock, and
// the library writes its objects in a fixed order (SetCatalogSort).
//
// It knows nothing of the portal: the annual report, an operator's 提出控え
// and a ministry's plan are built as a Doc by their callers.
package pdfdoc

import (
	"bytes"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"codeberg.org/go-pdf/fpdf"
)

// ipaexg is IPAex Gothic 00401 (IPA Font License v1.0, fonts/), as
// Debian's fonts-ipaexfont-gothic ships it, unmodified.
//
//go:embed fonts/ipaexg.ttf
var ipaexg []byte

const (
	family     = "ipaexg"
	margin     = 18.0 // mm, left and right
	top        = 18.0
	bottom     = 20.0
	bodySize   = 9.5
	lineHeight = 5.0
)

// Doc is a document.
type Doc struct {
	Title    string
	Subtitle string   // under the title, e.g. the fiscal year
	Lines    []string // further lines on the title page (who, when, a hash)
	Author   string
	Lang     string    // "ja" or "en"
	Date     time.Time // creation and modification date: from the data, never the clock
	// Footer is printed on every page left of the page number (e.g. a
	// content hash); PageLabel formats the page number ("%d / %d").
	Footer    string
	PageLabel string
	// TOCTitle heads the table of contents after the title; empty: none.
	TOCTitle string
	Blocks   []Block
}

// Block is one element of the body.
type Block interface{ block() }

// Heading starts a section (Level 1) or a subsection (Level 2); both go
// into the table of contents and the outline. A level-1 heading starts a
// new page.
type Heading struct {
	Text  string
	Level int
}

// Para is a paragraph; "\n" breaks a line.
type Para struct{ Text string }

// Table is a table with a header row repeated on every page it spans.
// Widths are relative (any unit); Right marks right-aligned columns
// (figures).
type Table struct {
	Caption string // above the table
	Header  []string
	Rows    [][]string
	Widths  []float64
	Right   []bool
}

// BarChart draws one horizontal bar per label; a nil value is drawn as
// Missing (e.g. "—" for a suppressed figure). Values are shares 0–1 and
// print as percentages.
type BarChart struct {
	Title   string
	Labels  []string
	Values  []*float64
	Missing string
	// Caption describes the chart in words (under it).
	Caption string
}

// LineChart draws one line per series across X (e.g. fiscal years);
// values are shares 0–1, nil is a gap.
type LineChart struct {
	Title   string
	X       []string
	Series  []Series
	Caption string
}

// Series is one line of a LineChart.
type Series struct {
	Name   string
	Values []*float64
}

func (Heading) block()   {}
func (Para) block()      {}
func (Table) block()     {}
func (BarChart) block()  {}
func (LineChart) block() {}

// Render writes d as a PDF. It lays the document out twice: the first
// pass finds the pages of the headings and the page count, the second
// prints them in the table of contents and the footers (the contents'
// lines take the same room in both passes).
func Render(d Doc) ([]byte, error) {
	r := &renderer{d: d}
	if _, err := r.run(); err != nil {
		return nil, err
	}
	r.headingPages, r.pages = r.found, r.total
	return r.run()
}

type renderer struct {
	d            Doc
	f            *fpdf.Fpdf
	widths       map[rune]float64
	found        []int // page of each heading, in order (this pass)
	total        int
	headingPages []int // from the first pass
	pages        int
	links        []int
}

func (r *renderer) run() ([]byte, error) {
	f := fpdf.New("P", "mm", "A4", "")
	r.f, r.widths, r.found = f, map[rune]float64{}, nil
	f.SetCatalogSort(true)
	f.SetCreationDate(r.d.Date)
	f.SetModificationDate(r.d.Date)
	f.SetProducer("Kijun", false)
	f.SetCreator("Kijun", false)
	f.SetTitle(r.d.Title, true)
	if r.d.Author != "" {
		f.SetAuthor(r.d.Author, true)
	}
	if r.d.Lang != "" {
		f.SetLang(r.d.Lang)
	}
	f.AddUTF8FontFromBytes(family, "", ipaexg)
	f.SetMargins(margin, top, margin)
	f.SetAutoPageBreak(false, bottom)
	f.SetFooterFunc(r.footer)
	f.SetFont(family, "", bodySize)

	f.AddPage()
	r.titlePage()
	headings := r.headings()
	r.links = make([]int, len(headings))
	for i := range headings {
		r.links[i] = f.AddLink()
	}
	if r.d.TOCTitle != "" && len(headings) > 0 {
		r.toc(headings)
	}
	hi := 0
	for i, b := range r.d.Blocks {
		switch b := b.(type) {
		case Heading:
			r.heading(b, hi, i == 0)
			hi++
		case Para:
			r.para(b.Text)
		case Table:
			r.table(b)
		case BarChart:
			r.bars(b)
		case LineChart:
			r.lines(b)
		}
	}
	r.total = f.PageNo()
	if err := f.Error(); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := f.Output(&out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func (r *renderer) pageWidth() float64 {
	w, _ := r.f.GetPageSize()
	return w - 2*margin
}

func (r *renderer) pageBottom() float64 {
	_, h := r.f.GetPageSize()
	return h - bottom
}

// ensure starts a new page unless h mm fit below the cursor.
func (r *renderer) ensure(h float64) {
	if r.f.GetY()+h > r.pageBottom() {
		r.f.AddPage()
	}
}

func (r *renderer) footer() {
	f := r.f
	_, h := f.GetPageSize()
	f.SetFont(family, "", 7.5)
	f.SetTextColor(90, 90, 90)
	label := r.d.PageLabel
	if label == "" {
		label = "%d / %d"
	}
	num := fmt.Sprintf(label, f.PageNo(), max(r.pages, f.PageNo()))
	if r.d.Footer != "" {
		f.SetXY(margin, h-12)
		f.CellFormat(r.pageWidth()-30, 4, r.fit(r.d.Footer, r.pageWidth()-30), "", 0, "L", false, 0, "")
	}
	f.SetXY(margin+r.pageWidth()-30, h-12)
	f.CellFormat(30, 4, num, "", 0, "R", false, 0, "")
	f.SetTextColor(0, 0, 0)
	f.SetFont(family, "", bodySize)
}

func (r *renderer) titlePage() {
	f := r.f
	f.SetY(top + 20)
	f.SetFont(family, "", 20)
	for _, l := range r.wrap(r.d.Title, r.pageWidth()) {
		f.CellFormat(r.pageWidth(), 10, l, "", 1, "L", false, 0, "")
	}
	if r.d.Subtitle != "" {
		f.SetFont(family, "", 13)
		f.Ln(2)
		f.CellFormat(r.pageWidth(), 7, r.d.Subtitle, "", 1, "L", false, 0, "")
	}
	f.SetFont(family, "", bodySize)
	f.Ln(4)
	for _, l := range r.d.Lines {
		r.para(l)
	}
	f.SetDrawColor(0, 0, 0)
	f.SetLineWidth(0.4)
	f.Line(margin, f.GetY()+2, margin+r.pageWidth(), f.GetY()+2)
	f.Ln(8)
}

func (r *renderer) headings() []Heading {
	var hs []Heading
	for _, b := range r.d.Blocks {
		if h, ok := b.(Heading); ok {
			hs = append(hs, h)
		}
	}
	return hs
}

func (r *renderer) toc(hs []Heading) {
	f := r.f
	f.SetFont(family, "", 13)
	r.ensure(12)
	f.CellFormat(r.pageWidth(), 8, r.d.TOCTitle, "", 1, "L", false, 0, "")
	f.SetFont(family, "", bodySize)
	for i, h := range hs {
		r.ensure(lineHeight + 1)
		indent := 0.0
		if h.Level > 1 {
			indent = 6
		}
		page := "000"
		if i < len(r.headingPages) {
			page = strconv.Itoa(r.headingPages[i])
		}
		x, y := margin+indent, f.GetY()
		w := r.pageWidth() - indent - 12
		text := r.fit(h.Text, w-4)
		f.SetXY(x, y)
		f.CellFormat(w, lineHeight+1, text, "", 0, "L", false, r.links[i], "")
		// dotted leader from the text to the page number
		tw := f.GetStringWidth(text) + 2
		f.SetDrawColor(150, 150, 150)
		f.SetLineWidth(0.2)
		f.SetDashPattern([]float64{0.4, 1}, 0)
		f.Line(x+tw, y+lineHeight-0.5, margin+r.pageWidth()-12, y+lineHeight-0.5)
		f.SetDashPattern(nil, 0)
		f.SetXY(margin+r.pageWidth()-12, y)
		f.CellFormat(12, lineHeight+1, page, "", 1, "R", false, r.links[i], "")
	}
	f.SetDrawColor(0, 0, 0)
}

func (r *renderer) heading(h Heading, i int, first bool) {
	f := r.f
	if h.Level <= 1 {
		f.AddPage()
	} else {
		r.ensure(20)
		f.Ln(2)
	}
	size := 14.0
	if h.Level > 1 {
		size = 11.5
	}
	f.SetFont(family, "", size)
	f.Bookmark(h.Text, max(h.Level-1, 0), -1)
	f.SetLink(r.links[i], f.GetY(), f.PageNo())
	r.found = append(r.found, f.PageNo())
	for _, l := range r.wrap(h.Text, r.pageWidth()) {
		f.CellFormat(r.pageWidth(), size*0.5, l, "", 1, "L", false, 0, "")
	}
	if h.Level <= 1 {
		f.SetLineWidth(0.3)
		f.Line(margin, f.GetY()+1, margin+r.pageWidth(), f.GetY()+1)
		f.Ln(3)
	}
	f.Ln(1.5)
	f.SetFont(family, "", bodySize)
	_ = first
}

func (r *renderer) para(text string) {
	f := r.f
	for _, l := range r.wrap(text, r.pageWidth()) {
		r.ensure(lineHeight)
		f.CellFormat(r.pageWidth(), lineHeight, l, "", 1, "L", false, 0, "")
	}
	f.Ln(1.5)
}

func (r *renderer) table(t Table) {
	f := r.f
	if len(t.Header) == 0 {
		return
	}
	sum := 0.0
	for i := range t.Header {
		sum += r.weight(t.Widths, i)
	}
	ws := make([]float64, len(t.Header))
	for i := range ws {
		ws[i] = r.pageWidth() * r.weight(t.Widths, i) / sum
	}
	const lh = 4.2
	if t.Caption != "" {
		r.ensure(6 + 3*lh)
		f.SetFont(family, "", 9.5)
		for _, l := range r.wrap(t.Caption, r.pageWidth()) {
			f.CellFormat(r.pageWidth(), 5.5, l, "", 1, "L", false, 0, "")
		}
	}
	f.SetFont(family, "", 8.5)
	row := func(cells []string, header bool) {
		lines := make([][]string, len(ws))
		n := 1
		for i := range ws {
			c := ""
			if i < len(cells) {
				c = cells[i]
			}
			lines[i] = r.wrap(c, ws[i]-2)
			n = max(n, len(lines[i]))
		}
		h := float64(n)*lh + 2
		if f.GetY()+h > r.pageBottom() {
			f.AddPage()
			if !header {
				r.headerRow(t, ws, lh, lines)
			}
		}
		r.cells(t, ws, lh, lines, h, header)
	}
	r.ensure(3 * lh)
	row(t.Header, true)
	for _, cells := range t.Rows {
		row(cells, false)
	}
	f.Ln(3)
	f.SetFont(family, "", bodySize)
}

func (r *renderer) headerRow(t Table, ws []float64, lh float64, _ [][]string) {
	lines := make([][]string, len(ws))
	n := 1
	for i := range ws {
		lines[i] = r.wrap(t.Header[i], ws[i]-2)
		n = max(n, len(lines[i]))
	}
	r.cells(t, ws, lh, lines, float64(n)*lh+2, true)
}

func (r *renderer) cells(t Table, ws []float64, lh float64, lines [][]string, h float64, header bool) {
	f := r.f
	x, y := margin, f.GetY()
	f.SetDrawColor(120, 120, 120)
	f.SetLineWidth(0.2)
	if header {
		f.SetFillColor(230, 233, 240)
	}
	for i, w := range ws {
		style := "D"
		if header {
			style = "FD"
		}
		f.Rect(x, y, w, h, style)
		align := "L"
		if !header && i < len(t.Right) && t.Right[i] {
			align = "R"
		}
		for j, l := range lines[i] {
			f.SetXY(x+1, y+1+float64(j)*lh)
			f.CellFormat(w-2, lh, l, "", 0, align, false, 0, "")
		}
		x += w
	}
	f.SetXY(margin, y+h)
}

func (r *renderer) weight(ws []float64, i int) float64 {
	if i < len(ws) && ws[i] > 0 {
		return ws[i]
	}
	return 1
}

// Colours of chart series, distinguishable in grey too.
var palette = [][3]int{{31, 78, 161}, {214, 96, 18}, {40, 140, 70}, {150, 40, 120}, {100, 100, 100}, {200, 160, 0}}

func pct(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" }

func (r *renderer) chartTitle(title string) {
	if title == "" {
		return
	}
	f := r.f
	f.SetFont(family, "", 10)
	f.CellFormat(r.pageWidth(), 6, title, "", 1, "L", false, 0, "")
	f.SetFont(family, "", bodySize)
}

func (r *renderer) bars(c BarChart) {
	f := r.f
	const bh, gap = 5.0, 2.0
	h := float64(len(c.Labels))*(bh+gap) + 14
	r.ensure(min(h, 120))
	r.chartTitle(c.Title)
	labelW, valueW := 55.0, 16.0
	barW := r.pageWidth() - labelW - valueW
	x0 := margin + labelW
	y := f.GetY() + 2
	axis := func(top float64) {
		f.SetDrawColor(180, 180, 180)
		f.SetLineWidth(0.15)
		f.SetFont(family, "", 7)
		for _, t := range []float64{0, 0.25, 0.5, 0.75, 1} {
			x := x0 + barW*t
			f.Line(x, top, x, f.GetY())
			f.SetXY(x-8, f.GetY())
			f.CellFormat(16, 3.5, strconv.Itoa(int(t*100))+"%", "", 0, "C", false, 0, "")
		}
		f.SetFont(family, "", bodySize)
	}
	top := y
	f.SetFont(family, "", 8)
	for i, l := range c.Labels {
		if y+bh+gap > r.pageBottom()-6 {
			f.SetY(y)
			axis(top)
			f.AddPage()
			y, top = f.GetY()+2, f.GetY()+2
			f.SetFont(family, "", 8)
		}
		f.SetXY(margin, y)
		f.CellFormat(labelW-2, bh, r.fit(l, labelW-3), "", 0, "R", false, 0, "")
		var v *float64
		if i < len(c.Values) {
			v = c.Values[i]
		}
		if v != nil {
			col := palette[0]
			f.SetFillColor(col[0], col[1], col[2])
			f.Rect(x0, y, barW*min(max(*v, 0), 1), bh, "F")
			f.SetXY(x0+barW+1, y)
			f.CellFormat(valueW-1, bh, pct(*v), "", 0, "R", false, 0, "")
		} else {
			f.SetXY(x0+1, y)
			f.CellFormat(barW, bh, c.Missing, "", 0, "L", false, 0, "")
		}
		y += bh + gap
	}
	f.SetY(y)
	axis(top)
	f.SetY(f.GetY() + 5)
	if c.Caption != "" {
		f.SetFont(family, "", 8)
		r.para(c.Caption)
	}
	f.Ln(2)
}

func (r *renderer) lines(c LineChart) {
	f := r.f
	const ch = 55.0
	legend := float64(len(c.Series)+1) / 2 * 5
	r.ensure(ch + 22 + legend)
	r.chartTitle(c.Title)
	x0, y0 := margin+14, f.GetY()+3
	w := r.pageWidth() - 20
	f.SetDrawColor(180, 180, 180)
	f.SetLineWidth(0.15)
	f.SetFont(family, "", 7)
	for _, t := range []float64{0, 0.25, 0.5, 0.75, 1} {
		y := y0 + ch*(1-t)
		f.Line(x0, y, x0+w, y)
		f.SetXY(margin, y-1.75)
		f.CellFormat(12, 3.5, strconv.Itoa(int(t*100))+"%", "", 0, "R", false, 0, "")
	}
	n := len(c.X)
	xAt := func(i int) float64 {
		if n <= 1 {
			return x0 + w/2
		}
		return x0 + 8 + (w-16)*float64(i)/float64(n-1)
	}
	for i, l := range c.X {
		f.SetXY(xAt(i)-12, y0+ch+1)
		f.CellFormat(24, 3.5, l, "", 0, "C", false, 0, "")
	}
	for si, s := range c.Series {
		col := palette[si%len(palette)]
		f.SetDrawColor(col[0], col[1], col[2])
		f.SetFillColor(col[0], col[1], col[2])
		f.SetLineWidth(0.6)
		var prevX, prevY float64
		have := false
		for i, v := range s.Values {
			if v == nil || i >= n {
				have = false
				continue
			}
			x, y := xAt(i), y0+ch*(1-min(max(*v, 0), 1))
			if have {
				f.Line(prevX, prevY, x, y)
			}
			r.marker(si, x, y)
			prevX, prevY, have = x, y, true
		}
	}
	// legend, two per row
	f.SetFont(family, "", 8)
	ly := y0 + ch + 7
	for si, s := range c.Series {
		col := palette[si%len(palette)]
		lx := margin + float64(si%2)*r.pageWidth()/2
		y := ly + float64(si/2)*5
		f.SetDrawColor(col[0], col[1], col[2])
		f.SetFillColor(col[0], col[1], col[2])
		f.SetLineWidth(0.6)
		f.Line(lx, y+2, lx+8, y+2)
		r.marker(si, lx+4, y+2)
		f.SetXY(lx+10, y)
		f.CellFormat(r.pageWidth()/2-12, 4, r.fit(s.Name, r.pageWidth()/2-12), "", 0, "L", false, 0, "")
	}
	f.SetDrawColor(0, 0, 0)
	f.SetY(ly + legend + 2)
	if c.Caption != "" {
		r.para(c.Caption)
	}
	f.SetFont(family, "", bodySize)
	f.Ln(2)
}

// marker draws series si's point: a different shape per series, so that
// the lines differ without colour.
func (r *renderer) marker(si int, x, y float64) {
	f := r.f
	switch si % 3 {
	case 0:
		f.Circle(x, y, 0.9, "F")
	case 1:
		f.Rect(x-0.9, y-0.9, 1.8, 1.8, "F")
	default:
		f.Polygon([]fpdf.PointType{{X: x, Y: y - 1.1}, {X: x + 1.1, Y: y + 0.9}, {X: x - 1.1, Y: y + 0.9}}, "F")
	}
}

func (r *renderer) width(c rune) float64 {
	if w, ok := r.widths[c]; ok {
		return w
	}
	w := r.f.GetStringWidth(string(c))
	r.widths[c] = w
	return w
}

// wrap breaks text into lines no wider than w mm at the current font:
// between any two Japanese characters, at a space in Latin text, never
// before a closing mark (、。」）).
func (r *renderer) wrap(text string, w float64) []string {
	r.widths = map[rune]float64{} // the font size may have changed
	var out []string
	for _, para := range strings.Split(text, "\n") {
		var line []rune
		lw := 0.0
		for _, c := range para {
			cw := r.width(c)
			if lw+cw > w && len(line) > 0 && !strings.ContainsRune("、。，．」』）)]!?！？・ー", c) {
				cut := len(line)
				if c < unicode.MaxASCII && !unicode.IsSpace(c) {
					if sp := lastSpace(line); sp > 0 {
						cut = sp + 1
					}
				}
				out = append(out, strings.TrimRight(string(line[:cut]), " "))
				line = append([]rune(nil), line[cut:]...)
				lw = 0
				for _, l := range line {
					lw += r.width(l)
				}
			}
			line = append(line, c)
			lw += cw
		}
		out = append(out, string(line))
	}
	return out
}

func lastSpace(line []rune) int {
	for i := len(line) - 1; i >= 0; i-- {
		if line[i] == ' ' {
			return i
		}
		if line[i] >= unicode.MaxASCII {
			return -1
		}
	}
	return -1
}

// fit shortens s with "…" to at most w mm.
func (r *renderer) fit(s string, w float64) string {
	if r.f.GetStringWidth(s) <= w {
		return s
	}
	rs := []rune(s)
	for len(rs) > 0 && r.f.GetStringWidth(string(rs)+"…") > w {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}
