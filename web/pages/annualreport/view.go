package annualreport

import (
	"strconv"

	"github.com/kijun-portal/kijun/internal/annualreport"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/pdfdoc"
)

// View is the annual report's page.
type View struct {
	FiscalYear kijun.FiscalYear
	Years      []kijun.FiscalYear
	Record     annualreport.Record
	Doc        pdfdoc.Doc
	// CanDecide: the principal records the opinion and makes it final.
	CanDecide bool
	Opinion   OpinionForm
	// FinalError is why making it final (or changing a final report) was
	// refused.
	FinalError i18n.Message
}

// OpinionForm is the opinion as typed, with its errors by field.
type OpinionForm struct {
	Opinion, Meeting, MeetingOn string
	Errors                      map[string]i18n.Message
}

func (f OpinionForm) bad(field string) bool { return f.Errors[field].MessageID != "" }

func (v View) fy() string { return strconv.Itoa(int(v.FiscalYear)) }

// blockID numbers the page's headings for their anchors.
func headingID(i int) string { return "r-" + strconv.Itoa(i) }

func headings(d pdfdoc.Doc) []pdfdoc.Heading {
	var hs []pdfdoc.Heading
	for _, b := range d.Blocks {
		if h, ok := b.(pdfdoc.Heading); ok {
			hs = append(hs, h)
		}
	}
	return hs
}

// barWidth is a share as a percentage of the SVG's bar area.
func barWidth(v *float64) string {
	if v == nil {
		return "0"
	}
	return strconv.FormatFloat(min(max(*v, 0), 1)*100, 'f', 2, 64) + "%"
}
