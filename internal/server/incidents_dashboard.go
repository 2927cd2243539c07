package server

import (
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/incident"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/pages/dashboards"
)

// ownIncidentsFigure is the scorecard's list of the operator's own reports.
func (s *Server) ownIncidentsFigure(r *http.Request, loc *i18n.Localizer, operatorID int64, download string) (dashboards.Figure, error) {
	var list []incident.Report
	var tpl incident.Template
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) (err error) {
		if list, err = postgres.ListIncidents(r.Context(), tx, postgres.IncidentFilter{OperatorID: operatorID, Limit: 50}); err != nil {
			return err
		}
		tpl, err = postgres.CurrentIncidentTemplate(r.Context(), tx)
		return err
	})
	return dashboards.OwnIncidentsFigure(loc, list, tpl, download), err
}
