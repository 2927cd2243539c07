package server

import (
	"context"
	"net/http"
	"time"

	"github.com/kijun-portal/kijun/internal/postgres"
)

// handleHealthz says the process is up; it touches nothing else, so a
// database outage does not get healthy pods restarted.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("ok\n"))
	return err
}

// handleReadyz says whether this instance can serve: it is not shutting
// down, the database answers and its schema is the one this binary needs.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.stopping.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, err := w.Write([]byte("shutting down\n"))
		return err
	}
	if err := postgres.CheckSchema(ctx, s.db); err != nil {
		s.log.WarnContext(ctx, "not ready", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, err = w.Write([]byte("not ready\n"))
		return err
	}
	_, err := w.Write([]byte("ready\n"))
	return err
}
