package server

import (
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/pages/notices"
)

func (s *Server) noticeRoutes(h routeFunc) {
	h(http.MethodGet, "/admin/jobs", authz.ViewDeadJobs, s.handleDeadJobs)
}

// handleDeadJobs lists the background jobs river discarded.
func (s *Server) handleDeadJobs(w http.ResponseWriter, r *http.Request) error {
	var v notices.DeadJobsView
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		jobs, err := postgres.ListDeadJobs(r.Context(), tx, 200)
		for _, j := range jobs {
			v.Jobs = append(v.Jobs, notices.DeadJob{ID: j.ID, Kind: j.Kind, Args: j.Args, Attempts: j.Attempts,
				MaxAttempts: j.MaxAttempts, At: j.FinalizedAt, Errors: j.Errors})
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, notices.DeadJobs(v))
}
