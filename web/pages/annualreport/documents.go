package annualreport

import (
	"strconv"
	"strings"
	"time"

	"github.com/kijun-portal/kijun/internal/export"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/pdfdoc"
	"github.com/kijun-portal/kijun/internal/plan"
)

// Receipt is an operator's 提出控え: the submitted self-assessment with
// the SHA-256 of its content (export.ContentHash) on the title page and
// every page's footer. Its date is the submission's.
func Receipt(l *i18n.Localizer, names kijun.ReferenceNames, a export.Assessment, hash string) pdfdoc.Doc {
	as := a.Assessment
	d := pdfdoc.Doc{
		Title:     l.T("report.receipt.title"),
		Subtitle:  l.Pick(as.OperatorName) + " — " + as.FiscalYear.Label(l.Lang),
		Lang:      string(l.Lang),
		TOCTitle:  l.T("report.doc.toc"),
		PageLabel: "%d / %d",
		Footer:    l.T("report.receipt.footer", map[string]any{"Hash": hash[:16]}),
	}
	if as.SubmittedAt != nil {
		d.Date = as.SubmittedAt.UTC().Truncate(time.Second)
	}
	d.Lines = []string{
		l.T("report.receipt.sector", map[string]any{"Sector": l.Pick(kijun.Name(names.Sectors, as.SectorCode))}),
		l.T("report.receipt.status", map[string]any{"Status": l.T("asmui.status." + string(as.Status))}),
	}
	if as.SubmittedAt != nil {
		d.Lines = append(d.Lines, l.T("report.receipt.submitted_at", map[string]any{"At": kijun.FormatDateTime(l.Lang, *as.SubmittedAt)}))
	}
	if as.AcceptedAt != nil {
		d.Lines = append(d.Lines, l.T("report.receipt.accepted_at", map[string]any{"At": kijun.FormatDateTime(l.Lang, *as.AcceptedAt)}))
	}
	d.Lines = append(d.Lines, l.T("report.receipt.catalog", map[string]any{"Catalog": a.Catalog.Code + " " + a.Catalog.Version}),
		l.T("report.receipt.hash"), "SHA-256: "+hash)

	d.Blocks = append(d.Blocks, pdfdoc.Heading{Text: l.T("report.receipt.sec_scores"), Level: 1})
	st := pdfdoc.Table{Widths: []float64{4, 1, 1, 1, 1, 1.3}, Right: []bool{false, true, true, true, true, true},
		Header: []string{l.T("report.col.dimension"), l.T("report.receipt.col.applicable"), l.T("report.receipt.col.implemented"),
			l.T("report.receipt.col.partial"), l.T("report.receipt.col.na"), l.T("report.col.score")}}
	var labels []string
	var values []*float64
	for _, r := range a.Rollups {
		if r.Kind != "overall" && r.Kind != "section" {
			continue
		}
		name := l.T("report.overall")
		if r.Kind == "section" {
			name = r.Key + " " + l.Pick(kijun.Name(names.Sections, r.Key))
		}
		score := "—"
		if r.Score != nil {
			score = Pct(*r.Score)
		}
		st.Rows = append(st.Rows, []string{name, strconv.Itoa(r.Applicable), strconv.Itoa(r.Implemented), strconv.Itoa(r.Partial),
			strconv.Itoa(r.NA), score})
		labels, values = append(labels, name), append(values, r.Score)
	}
	if len(st.Rows) == 0 {
		d.Blocks = append(d.Blocks, pdfdoc.Para{Text: l.T("report.none")})
	} else {
		d.Blocks = append(d.Blocks, st, pdfdoc.BarChart{Title: l.T("report.receipt.chart"), Labels: labels, Values: values, Missing: "—"})
	}

	d.Blocks = append(d.Blocks, pdfdoc.Heading{Text: l.T("report.receipt.sec_answers"), Level: 1})
	at := pdfdoc.Table{Widths: []float64{1, 3, 1.3, 0.8, 4},
		Header: []string{l.T("plans.col.ref"), l.T("plans.col.title"), l.T("report.receipt.col.answer"), l.T("report.receipt.col.maturity"),
			l.T("report.receipt.col.detail")}}
	for _, c := range a.Controls {
		ans := c.Answer
		status := "—"
		for _, s := range a.Scale {
			if s.Code == ans.Status && ans.Status != "" {
				status = l.Pick(s.Label)
			}
		}
		maturity := ""
		if ans.Maturity > 0 {
			maturity = strconv.Itoa(ans.Maturity)
		}
		var detail []string
		for _, x := range []string{ans.How, ans.NAReason} {
			if strings.TrimSpace(x) != "" {
				detail = append(detail, x)
			}
		}
		if ans.Remediation.Action != "" {
			due := ""
			if ans.Remediation.Due != nil {
				due = kijun.ISODate(*ans.Remediation.Due)
			}
			detail = append(detail, l.T("report.receipt.remediation", map[string]any{"Action": ans.Remediation.Action,
				"Owner": ans.Remediation.Owner, "Due": due}))
		}
		at.Rows = append(at.Rows, []string{c.Control.Ref, l.Pick(c.Control.Title), status, maturity, strings.Join(detail, "\n")})
	}
	d.Blocks = append(d.Blocks, at)
	return d
}

// PlanDoc is a ministry's implementation plan at one version. Its date
// is the version's decision (else submission, else last edit); the
// ministry's internal note is left out.
func PlanDoc(l *i18n.Localizer, names kijun.ReferenceNames, p plan.Plan, v *plan.Version) pdfdoc.Doc {
	sectors := joinNames(p.SectorCodes, func(c string) string { return l.Pick(kijun.Name(names.Sectors, c)) })
	d := pdfdoc.Doc{
		Title:     l.Pick(v.Title),
		Subtitle:  l.Pick(kijun.Name(names.Ministries, p.MinistryCode)),
		Lang:      string(l.Lang),
		TOCTitle:  l.T("report.doc.toc"),
		PageLabel: "%d / %d",
		Footer: l.T("report.plan.footer", map[string]any{"Ministry": l.Pick(kijun.Name(names.Ministries, p.MinistryCode)),
			"Version": v.Version, "Status": l.T("plans.status." + string(v.Status))}),
		Date: v.UpdatedAt,
	}
	for _, t := range []*time.Time{v.SubmittedAt, v.DecidedAt} {
		if t != nil {
			d.Date = *t
		}
	}
	d.Date = d.Date.UTC().Truncate(time.Second)
	d.Lines = []string{
		l.T("report.plan.sectors", map[string]any{"Sectors": sectors}),
		l.T("report.plan.period", map[string]any{"From": p.PeriodStart.Label(l.Lang), "To": p.PeriodEnd.Label(l.Lang)}),
		l.T("report.plan.version", map[string]any{"Version": v.Version, "Status": l.T("plans.status." + string(v.Status))}),
		l.T("report.plan.catalog", map[string]any{"Catalog": v.CatalogName}),
		l.T("report.plan.scope", map[string]any{"Scope": l.T("plans.scope.mode." + string(v.Scope.Mode))}),
	}
	if v.SubmittedAt != nil {
		d.Lines = append(d.Lines, l.T("report.plan.submitted", map[string]any{"At": kijun.FormatDateTime(l.Lang, *v.SubmittedAt), "By": v.SubmittedBy}))
	}
	if v.CheckedAt != nil { // the ministry's internal check the submission rests on
		d.Lines = append(d.Lines, l.T("report.plan.checked", map[string]any{"Name": v.CheckedBy, "At": kijun.FormatDateTime(l.Lang, *v.CheckedAt)}))
	}
	if v.DecidedAt != nil {
		d.Lines = append(d.Lines, l.T("report.plan.decided", map[string]any{"At": kijun.FormatDateTime(l.Lang, *v.DecidedAt)}))
	}
	add := func(b ...pdfdoc.Block) { d.Blocks = append(d.Blocks, b...) }

	add(pdfdoc.Heading{Text: l.T("report.plan.sec_kpis"), Level: 1})
	kt := pdfdoc.Table{Widths: []float64{2.5, 3.5, 1, 1.3}, Right: []bool{false, false, true, false},
		Header: []string{l.T("report.col.kpi"), l.T("report.col.metric"), l.T("report.col.target"), l.T("report.col.due")}}
	for _, k := range v.KPIs {
		kt.Rows = append(kt.Rows, []string{k.Label, l.T("plans.kpi.metric_name." + string(k.Metric)), strconv.Itoa(k.Target) + "%", string(k.Due)})
	}
	mt := pdfdoc.Table{Widths: []float64{4, 1.3, 1}, Header: []string{l.T("report.plan.col.milestone"), l.T("report.col.due"), l.T("report.plan.col.done")}}
	for _, m := range v.Milestones {
		done := ""
		if m.Done {
			done = "✓"
		}
		mt.Rows = append(mt.Rows, []string{m.Label, string(m.Due), done})
	}
	for _, t := range []pdfdoc.Table{kt, mt} {
		if len(t.Rows) > 0 {
			add(t)
		}
	}
	if len(kt.Rows)+len(mt.Rows) == 0 {
		add(pdfdoc.Para{Text: l.T("report.none")})
	}

	add(pdfdoc.Heading{Text: l.T("report.plan.sec_profile"), Level: 1})
	pt := pdfdoc.Table{Widths: []float64{1, 3, 0.8, 1.3, 3},
		Header: []string{l.T("plans.col.ref"), l.T("plans.col.title"), l.T("plans.col.applies"), l.T("plans.col.target_status"), l.T("report.plan.col.note")}}
	for _, c := range v.Profile {
		applies, note := l.T("plans.applies.yes"), c.TailoringNote
		if !c.Applies {
			applies, note = l.T("plans.applies.no"), c.NAReason
		}
		target := ""
		if c.TargetStatus != "" {
			target = l.T("plans.target." + string(c.TargetStatus))
			if c.TargetMaturity > 0 {
				target += " / " + strconv.Itoa(c.TargetMaturity)
			}
		}
		pt.Rows = append(pt.Rows, []string{c.Ref, l.Pick(c.Title), applies, target, note})
	}
	if len(pt.Rows) == 0 {
		add(pdfdoc.Para{Text: l.T("report.none")})
	} else {
		add(pt)
	}

	add(pdfdoc.Heading{Text: l.T("report.plan.sec_supplementary"), Level: 1})
	sup := pdfdoc.Table{Widths: []float64{1.3, 3, 4}, Header: []string{l.T("plans.col.ref"), l.T("plans.col.title"), l.T("report.plan.col.statement")}}
	for _, c := range v.Supplementary {
		sup.Rows = append(sup.Rows, []string{c.Ref, l.Pick(c.Title), l.Pick(c.Statement)})
	}
	if len(sup.Rows) == 0 {
		add(pdfdoc.Para{Text: l.T("report.none")})
	} else {
		add(sup)
	}
	return d
}
