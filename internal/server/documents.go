package server

import (
	"net/http"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/export"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/pdfdoc"
	"github.com/kijun-portal/kijun/internal/postgres"
	reportpage "github.com/kijun-portal/kijun/web/pages/annualreport"
)

// The server's PDFs besides the annual report: an operator's 提出控え of a
// submitted self-assessment (with the SHA-256 of its content) and a
// ministry's implementation plan at one version. Both go through
// pdfdoc, as the annual report does.

// handleAssessmentReceiptPDF writes the 提出控え of a submitted or
// accepted assessment the principal may export; any other status is a
// conflict (nothing was submitted).
func (s *Server) handleAssessmentReceiptPDF(w http.ResponseWriter, r *http.Request) error {
	a, err := s.loadExport(r)
	if err != nil {
		return err
	}
	if a.Assessment.Status != assessment.Submitted && a.Assessment.Status != assessment.Accepted {
		return kijun.Errorf(kijun.EConflict, "report.receipt.not_submitted", nil)
	}
	var names kijun.ReferenceNames
	if err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) (err error) {
		names, err = postgres.LoadReferenceNames(r.Context(), tx)
		return err
	}); err != nil {
		return err
	}
	hash := export.ContentHash(a)
	b, err := pdfdoc.Render(reportpage.Receipt(i18n.From(r.Context()), names, a, hash))
	if err != nil {
		return err
	}
	w.Header().Set("X-Content-SHA256", hash)
	return sendFile(w, "application/pdf", exportFileName(a.Assessment, "-receipt.pdf"), b)
}

// handlePlanPDF writes a plan's version (?v=, default the latest)
// as a PDF.
func (s *Server) handlePlanPDF(w http.ResponseWriter, r *http.Request) error {
	pl, v, names, err := s.loadVersionForExport(r)
	if err != nil {
		return err
	}
	b, err := pdfdoc.Render(reportpage.PlanDoc(i18n.From(r.Context()), names, pl, v))
	if err != nil {
		return err
	}
	return sendFile(w, "application/pdf", "plan-"+itoa(pl.ID)+"-v"+strconv.Itoa(v.Version)+".pdf", b)
}
