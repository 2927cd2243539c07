package dashboards

import (
	"context"
	"io"

	"github.com/a-h/templ"

	"github.com/kijun-portal/kijun/web/components/markup"
)

// tableRows writes the body rows of a figure's data table: the first cell
// a row header, any cell optionally a link. The national dashboard's
// tables have some four hundred rows, so they are written here as bytes
// (escaped and sanitised as templ would), at a fraction of the cost of
// templ's per-attribute resolution.
func tableRows(t Table) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		b := make([]byte, 0, 1024)
		for _, row := range t.Rows {
			b = append(b[:0], "<tr>"...)
			for i, c := range row {
				open, end := "<td>", "</td>"
				if i == 0 {
					open, end = `<th scope="row">`, "</th>"
				}
				b = append(b, open...)
				if c.Href != "" {
					b = append(b, `<a href="`...)
					b = markup.AppendURL(b, c.Href)
					b = append(b, `">`...)
				}
				b = markup.AppendText(b, c.Text)
				if c.Href != "" {
					b = append(b, "</a>"...)
				}
				b = append(b, end...)
			}
			b = append(b, "</tr>"...)
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	})
}
