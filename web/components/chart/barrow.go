package chart

import (
	"context"
	"io"
	"strconv"

	"github.com/a-h/templ"

	"github.com/kijun-portal/kijun/web/components/markup"
)

// barRow draws bar i of a stacked bar chart after its label: the white
// frame, then each segment with its tooltip and, where it is wide
// enough, its count on a white badge. Strokes, badges and text take
// their look from the ch-* classes of the stylesheet. A national
// dashboard has some seventy segments, each four elements, so they are
// written here as bytes (escaped as templ would), as heatRow does for
// the heatmap's cells.
func barRow(s StackedBars, labelW, i int) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		y := s.BarY(i)
		b := make([]byte, 0, 2048)
		b = append(b, `<rect x="`...)
		b = strconv.AppendInt(b, int64(labelW), 10)
		b = append(b, `" y="`...)
		b = strconv.AppendInt(b, int64(y), 10)
		b = append(b, `" width="`+strconv.Itoa(barW)+`" height="`+strconv.Itoa(barH)+`" class="ch-frame"></rect>`...)
		for _, seg := range s.Segments(i, labelW) {
			ser := s.Series[seg.Series]
			b = append(b, `<rect x="`...)
			b = strconv.AppendFloat(b, seg.X, 'f', 1, 64)
			b = append(b, `" y="`...)
			b = strconv.AppendInt(b, int64(y), 10)
			b = append(b, `" width="`...)
			b = strconv.AppendFloat(b, seg.W, 'f', 1, 64)
			b = append(b, `" height="`+strconv.Itoa(barH)+`" fill="`...)
			b = markup.AppendText(b, s.Fill(ser.Pattern))
			b = append(b, `" class="ch-seg"><title>`...)
			b = markup.AppendText(b, ser.Label)
			b = append(b, ": "...)
			b = strconv.AppendInt(b, int64(seg.Value), 10)
			b = append(b, `</title></rect>`...)
			if seg.W >= 22 {
				b = append(b, `<rect x="`...)
				b = strconv.AppendFloat(b, seg.X+seg.W/2-10, 'f', 1, 64)
				b = append(b, `" y="`...)
				b = strconv.AppendInt(b, int64(y+5), 10)
				b = append(b, `" width="20" height="16" rx="3" class="ch-badge"></rect><text x="`...)
				b = strconv.AppendFloat(b, seg.X+seg.W/2, 'f', 1, 64)
				b = append(b, `" y="`...)
				b = strconv.AppendInt(b, int64(y+18), 10)
				b = append(b, `" class="ch-cnt">`...)
				b = strconv.AppendInt(b, int64(seg.Value), 10)
				b = append(b, `</text>`...)
			}
		}
		_, err := w.Write(b)
		return err
	})
}
