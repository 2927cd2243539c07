package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
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
// down, the database answers, its schema is the one this binary needs, and
// some identity provider works (providerReadiness).
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
	report, ok := s.providerReadiness()
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, err := w.Write([]byte("not ready: no identity provider discovered\n" + report))
		return err
	}
	_, err := w.Write([]byte("ready\n" + report))
	return err
}

// providerReadiness reports each identity provider's discovery, one line
// each, and whether at least one works (or none is configured). The
// reason is only its kind: the error, which may name internal hosts, is
// in the log.
func (s *Server) providerReadiness() (string, bool) {
	statuses, ok := s.auth.Discovery()
	var b strings.Builder
	for _, st := range statuses {
		switch {
		case st.OK:
			fmt.Fprintf(&b, "provider %s: ok\n", st.ID)
		case st.LastAttempt.IsZero():
			fmt.Fprintf(&b, "provider %s: not yet discovered\n", st.ID)
		default:
			fmt.Fprintf(&b, "provider %s: failing (%s), %d failed attempts, last at %s\n",
				st.ID, st.Reason, st.Failures, st.LastAttempt.UTC().Format(time.RFC3339))
		}
	}
	return b.String(), ok
}
