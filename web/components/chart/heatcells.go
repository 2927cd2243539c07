package chart

import (
	"context"
	"io"
	"strconv"

	"github.com/a-h/templ"

	"github.com/kijun-portal/kijun/web/components/markup"
)

// heatRow draws the cells of row r, each translated to its place so that
// its own coordinates are the same in every cell; colours come from the
// heat-* and ink-* classes of the stylesheet (the no-data hatch is the
// chart's own pattern). A national dashboard has some two hundred cells,
// each a link with a tooltip, so they are written here as bytes (escaped
// and sanitised as templ would), at a fraction of the cost of templ's
// per-attribute resolution and class handling.
func heatRow(h Heatmap, r int) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		b := make([]byte, 0, 1024)
		labelW := h.LabelW()
		for c, cell := range h.Cells[r] {
			b = b[:0]
			tag := "g"
			if cell.Href != "" && cell.Value != nil {
				tag = "a"
				b = append(b, `<a href="`...)
				b = markup.AppendURL(b, cell.Href)
				b = append(b, `" class="chart-cell" transform="translate(`...)
			} else {
				b = append(b, `<g transform="translate(`...)
			}
			b = strconv.AppendInt(b, int64(columnX(labelW, c)), 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, int64(h.Y(r)), 10)
			b = append(b, `)"><title>`...)
			b = markup.AppendText(b, cell.Title)
			b = append(b, `</title>`...)
			if cell.Value != nil {
				ink := InkClass(cell.Value)
				b = append(b, `<rect x="1" y="1" width="76" height="38" class="`...)
				b = append(b, HeatClass(cell.Value)...)
				b = append(b, `"></rect><text x="39" y="18" class="heat-v `...)
				b = append(b, ink...)
				b = append(b, `">`...)
				b = append(b, Format(cell.Value)...)
				b = append(b, `</text><text x="39" y="33" class="heat-n `...)
				b = append(b, ink...)
				b = append(b, `">`...)
				b = markup.AppendText(b, h.NLabel)
				b = strconv.AppendInt(b, int64(cell.N), 10)
				b = append(b, `</text>`...)
			} else {
				b = append(b, `<rect x="1" y="1" width="76" height="38" fill="url(#`...)
				b = markup.AppendText(b, h.ID)
				b = append(b, `-nodata)" stroke="#FFFFFF"></rect><text x="39" y="18" class="heat-v ink-dark">`...)
				b = append(b, Format(cell.Value)...)
				b = append(b, `</text>`...)
			}
			b = append(b, "</"+tag+">"...)
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	})
}
