package dashboards

import (
	"strconv"

	"github.com/kijun-portal/kijun/internal/dashboard"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/incident"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// IncidentFigure is the count of incident reports by sector, kind and
// month (d.Incidents, the kinds named by d.IncidentKind); counts under
// dashboard.MinBenchmarkGroup show as suppressed. download is the
// figure's download URL without the format.
func IncidentFigure(loc *i18n.Localizer, names kijun.ReferenceNames, d dashboard.Dashboard, download string) Figure {
	f := Figure{ID: "incidents", Title: loc.T("incident.dash.title"),
		Lead: loc.T("incident.dash.lead", map[string]any{"Min": dashboard.MinBenchmarkGroup}), Download: download}
	f.Table = Table{Caption: f.Title, Header: []string{loc.T("incident.dash.month"), loc.T("dash.col.sector"),
		loc.T("incident.col.kind"), loc.T("incident.dash.count")}}
	for _, c := range d.Incidents {
		n := strconv.Itoa(c.N)
		if dashboard.CountSuppressed(c.N) {
			n = loc.T("incident.dash.suppressed", map[string]any{"Min": dashboard.MinBenchmarkGroup})
		}
		kind := ""
		if c.Kind != "" {
			kind = loc.Pick(d.IncidentKind.ChoiceLabel(c.Kind))
		}
		f.Table.Rows = append(f.Table.Rows, []Cell{{Text: c.Month}, {Text: loc.Pick(kijun.Name(names.Sectors, c.Sector))},
			{Text: kind}, {Text: n}})
	}
	if len(d.Incidents) == 0 {
		f.Empty = loc.T("incident.dash.none")
	}
	return f
}

// OwnIncidentsFigure lists an operator's own reports on its scorecard.
func OwnIncidentsFigure(loc *i18n.Localizer, reports []incident.Report, kinds incident.Field, download string) Figure {
	f := Figure{ID: "incidents", Title: loc.T("incident.dash.own_title"), Lead: loc.T("incident.dash.own_lead"), Download: download}
	f.Table = Table{Caption: f.Title, Header: []string{loc.T("incident.col.ref"), loc.T("incident.col.title"),
		loc.T("incident.col.kind"), "TLP", loc.T("incident.col.status"), loc.T("incident.col.filed")}}
	for _, x := range reports {
		kind := ""
		if x.Kind != "" {
			kind = loc.Pick(kinds.ChoiceLabel(x.Kind))
		}
		f.Table.Rows = append(f.Table.Rows, []Cell{{Text: x.Ref(), Href: "/incidents/" + id64(x.ID)}, {Text: x.Title}, {Text: kind},
			{Text: x.TLP.Label()}, {Text: loc.T("incident.status." + string(x.Status))}, {Text: loc.DateTime(x.FiledAt)}})
	}
	if len(reports) == 0 {
		f.Empty = loc.T("incident.dash.own_none")
	}
	return f
}

// Download is the figure's download URL of the overview.
func (in OverviewInput) Download(figure string) string { return in.download(figure) }

// Download is the figure's download URL of the scorecard.
func (in ScorecardInput) Download(figure string) string { return in.download(figure) }
