package server

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/annualreport"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/pdfdoc"
	"github.com/kijun-portal/kijun/internal/postgres"
	reportpage "github.com/kijun-portal/kijun/web/pages/annualreport"
)

// The NCO's annual report (docs/annual-report.md): one document built
// from the figures, shown as a page, downloaded as PDF and XLSX; its
// steps (the expert meeting's opinion, final). The PDFs of an operator's
// 提出控え and a ministry's plan are in documents.go.

func (s *Server) annualReportRoutes(h routeFunc) {
	h(http.MethodGet, "/evaluations/report", authz.ViewAnnualReport, s.handleAnnualReport)
	h(http.MethodGet, "/evaluations/report.xlsx", authz.ViewAnnualReport, s.handleAnnualReportXLSX)
	h(http.MethodGet, "/evaluations/report.pdf", authz.ViewAnnualReport, s.handleAnnualReportPDF)
	h(http.MethodPost, "/evaluations/report/opinion", authz.DecideAnnualReport, s.handleAnnualReportOpinion)
	h(http.MethodPost, "/evaluations/report/final", authz.DecideAnnualReport, s.handleAnnualReportFinal)
	h(http.MethodGet, "/exports/assessments/{id}/receipt.pdf", authz.ExportAssessment, s.handleAssessmentReceiptPDF)
	h(http.MethodGet, "/plans/{id}/plan.pdf", authz.ViewPlans, s.handlePlanPDF)
}

// loadAnnualReport reads the report of ?fy= (default: the newest year
// with a cycle or a published evaluation) and builds its document in the
// user's language.
func (s *Server) loadAnnualReport(r *http.Request) (reportpage.View, error) {
	p := principal(r)
	var v reportpage.View
	var f annualreport.Figures
	var names kijun.ReferenceNames
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		var err error
		if v.Years, err = postgres.EvaluationYears(r.Context(), tx); err != nil {
			return err
		}
		v.FiscalYear = kijun.FiscalYear(atoiOr0(r.URL.Query().Get("fy")))
		if v.FiscalYear == 0 && len(v.Years) > 0 {
			v.FiscalYear = v.Years[0]
		}
		if v.FiscalYear == 0 {
			v.FiscalYear = kijun.FiscalYearOf(s.now())
		}
		if v.FiscalYear < 2019 || v.FiscalYear > 2200 {
			return errNotFound
		}
		if v.Record, err = postgres.GetAnnualReport(r.Context(), tx, v.FiscalYear); err != nil {
			return err
		}
		if v.Record.Figures == nil {
			in, err := postgres.LoadAnnualReportInputs(r.Context(), tx, v.FiscalYear)
			if err != nil {
				return err
			}
			f = annualreport.Compile(in)
		}
		names, err = postgres.LoadReferenceNames(r.Context(), tx)
		return err
	})
	if err != nil {
		return v, err
	}
	v.Doc = reportpage.Build(i18n.From(r.Context()), names, v.Record, f)
	v.CanDecide = authz.Can(p, authz.DecideAnnualReport, authz.Resource{})
	v.Opinion = reportpage.OpinionForm{Opinion: v.Record.Opinion, Meeting: v.Record.Meeting, MeetingOn: string(v.Record.MeetingOn)}
	return v, nil
}

func (s *Server) handleAnnualReport(w http.ResponseWriter, r *http.Request) error {
	v, err := s.loadAnnualReport(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, reportpage.Report(v))
}

func (s *Server) handleAnnualReportPDF(w http.ResponseWriter, r *http.Request) error {
	v, err := s.loadAnnualReport(r)
	if err != nil {
		return err
	}
	b, err := pdfdoc.Render(v.Doc)
	if err != nil {
		return err
	}
	return sendFile(w, "application/pdf", "annual-report-FY"+strconv.Itoa(int(v.FiscalYear))+".pdf", b)
}

// handleAnnualReportXLSX writes the published evaluations on the first
// sheet and every table of the report on a sheet of its own.
func (s *Server) handleAnnualReportXLSX(w http.ResponseWriter, r *http.Request) error {
	v, err := s.loadAnnualReport(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	loc := i18n.From(ctx)
	keys := []string{"fiscal_year", "ministry", "sector", "rating", "findings", "good_practices", "improvement_requests", "response"}
	cols := make([]exchange.Column, len(keys))
	for i, k := range keys {
		cols[i] = exchange.Column{Header: i18n.T(ctx, "plans.eval."+k)}
		if i >= 4 {
			cols[i].Width = 50
		}
	}
	var names kijun.ReferenceNames
	if err := postgres.InTx(ctx, s.db, principal(r), func(tx pgx.Tx) (err error) {
		names, err = postgres.LoadReferenceNames(ctx, tx)
		return err
	}); err != nil {
		return err
	}
	figures := v.Record.Figures
	if figures == nil {
		// Not final: the evaluations as compiled for the page.
		figures = &annualreport.Figures{}
		if err := postgres.InTx(ctx, s.db, principal(r), func(tx pgx.Tx) error {
			in, err := postgres.LoadAnnualReportInputs(ctx, tx, v.FiscalYear)
			*figures = annualreport.Compile(in)
			return err
		}); err != nil {
			return err
		}
	}
	var b bytes.Buffer
	x, err := exchange.NewXLSXWriter(&b, i18n.T(ctx, "plans.report.sheet"), cols)
	if err != nil {
		return err
	}
	for _, e := range figures.Evaluations {
		if err := x.Write([]string{v.FiscalYear.Label(loc.Lang), loc.Pick(kijun.Name(names.Ministries, e.Ministry)),
			loc.Pick(kijun.Name(names.Sectors, e.Sector)), e.Rating, e.Findings, e.GoodPractices, e.ImprovementRequests, e.Response}); err != nil {
			return err
		}
	}
	heads, tables := reportpage.Tables(v.Doc)
	used := map[string]bool{i18n.T(ctx, "plans.report.sheet"): true}
	for i, t := range tables {
		name := sheetName(strconv.Itoa(i+1)+" "+firstNonEmpty(t.Caption, heads[i]), used)
		tc := make([]exchange.Column, len(t.Header))
		for j, h := range t.Header {
			tc[j] = exchange.Column{Header: h}
		}
		if err := x.AddSheet(name, tc); err != nil {
			return err
		}
		for _, row := range t.Rows {
			if err := x.Write(row); err != nil {
				return err
			}
		}
	}
	if err := x.Close(); err != nil {
		return err
	}
	return sendFile(w, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"annual-report-FY"+strconv.Itoa(int(v.FiscalYear))+".xlsx", b.Bytes())
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// sheetName makes s a worksheet name: at most 31 characters, none of
// []:*?/\, unique among used.
func sheetName(s string, used map[string]bool) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return ' '
		}
		return r
	}, s)
	for utf8.RuneCountInString(s) > 31 {
		s = string([]rune(s)[:31])
	}
	base := s
	for n := 2; used[s]; n++ {
		suffix := "~" + strconv.Itoa(n)
		s = string([]rune(base)[:min(utf8.RuneCountInString(base), 31-len(suffix))]) + suffix
	}
	used[s] = true
	return s
}

func (s *Server) handleAnnualReportOpinion(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	fy := kijun.FiscalYear(atoiOr0(r.URL.Query().Get("fy")))
	if fy < 2019 || fy > 2200 {
		return errNotFound
	}
	form := reportpage.OpinionForm{Opinion: r.PostFormValue("opinion"), Meeting: r.PostFormValue("meeting"),
		MeetingOn: r.PostFormValue("meeting_on"), Errors: map[string]i18n.Message{}}
	on, ok := kijun.ParseDate(form.MeetingOn)
	if !ok {
		on = ""
	}
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		return postgres.RecordReportOpinion(r.Context(), tx, p, fy, form.Opinion, form.Meeting, on,
			atoiOr0(r.PostFormValue("edits")), s.now(), reqID(r))
	})
	var ke *kijun.Error
	if errors.As(err, &ke) && (ke.Code == kijun.EInvalid || ke.Code == kijun.EConflict) {
		v, lerr := s.loadAnnualReport(r)
		if lerr != nil {
			return lerr
		}
		if ps, ok := ke.Args["Problems"].(map[string]string); ok {
			for field, id := range ps {
				form.Errors[field] = i18n.Msg(id)
			}
		} else if v.Record.Status == annualreport.StatusFinal {
			v.FinalError = i18n.Message{MessageID: ke.MessageID, Args: ke.Args}
		} else {
			form.Errors["opinion"] = i18n.Message{MessageID: ke.MessageID, Args: ke.Args} // changed meanwhile
		}
		v.Opinion = form
		return s.render(w, r, statusOf(err), reportpage.Report(v))
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/evaluations/report?fy="+strconv.Itoa(int(fy)), http.StatusSeeOther)
	return nil
}

func (s *Server) handleAnnualReportFinal(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	fy := kijun.FiscalYear(atoiOr0(r.URL.Query().Get("fy")))
	if fy < 2019 || fy > 2200 {
		return errNotFound
	}
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		_, err := postgres.FinalizeAnnualReport(r.Context(), tx, p, fy, atoiOr0(r.PostFormValue("edits")), s.now(), reqID(r))
		return err
	})
	var ke *kijun.Error
	if errors.As(err, &ke) && (ke.Code == kijun.EInvalid || ke.Code == kijun.EConflict) {
		v, lerr := s.loadAnnualReport(r)
		if lerr != nil {
			return lerr
		}
		v.FinalError = i18n.Message{MessageID: ke.MessageID, Args: ke.Args}
		return s.render(w, r, statusOf(err), reportpage.Report(v))
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/evaluations/report?fy="+strconv.Itoa(int(fy)), http.StatusSeeOther)
	return nil
}
