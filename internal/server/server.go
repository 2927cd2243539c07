// Package server is Kijun's HTTP side: the chi router, middleware and one
// file of handlers per resource. Handlers return errors; one wrapper turns
// them into pages.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kijun-portal/kijun/internal/auth"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/config"
)

// Server serves the portal.
type Server struct {
	cfg     config.Config
	db      *pgxpool.Pool // connected as the restricted application role
	log     *slog.Logger
	metrics *metrics
	router  chi.Router
	auth    *auth.Manager
	// dev is the development identity provider, nil in production.
	dev *DevIdentity
	// actions records the policy action of every route, keyed "METHOD
	// pattern", so a test can prove that no route lacks one.
	actions map[string]authz.Action
	// stopping is set on shutdown: /readyz then answers 503.
	stopping atomic.Bool
}

// DevIdentity is a development identity provider: the server serves
// Handler at /dev-idp, offers Provider at sign-in and shows a banner on
// every page. Only builds with the dev tag make one (`kijun dev` and the
// tests); a release binary has no code that could.
type DevIdentity struct {
	Handler  http.Handler
	Provider auth.ProviderConfig
	// Mailbox, if set, shows the mail caught in this process
	// (internal/devmail) at /dev/mail, linked from the banner.
	Mailbox http.Handler
}

// New builds a server over db: sessions in PostgreSQL, the OIDC providers
// of cfg.ProvidersFile, and dev if it is not nil. reg may be nil (a
// registry of its own).
func New(cfg config.Config, db *pgxpool.Pool, log *slog.Logger, reg prometheus.Registerer, dev *DevIdentity) (*Server, error) {
	s := &Server{
		cfg:     cfg,
		db:      db,
		log:     log,
		metrics: newMetrics(reg),
		actions: map[string]authz.Action{},
		dev:     dev,
	}
	var providers []auth.ProviderConfig
	if cfg.ProvidersFile != "" {
		ps, err := auth.LoadProviders(cfg.ProvidersFile)
		if err != nil {
			return nil, err
		}
		providers = ps
	}
	if dev != nil {
		providers = append(providers, dev.Provider)
	}
	sessions := auth.NewSessions(db, auth.SessionConfig{Idle: cfg.SessionIdle, Absolute: cfg.SessionAbsolute, Secure: cfg.Secure()})
	m, err := auth.NewManager(sessions, cfg.SessionIdle, cfg.BaseURL, providers)
	if err != nil {
		return nil, err
	}
	s.auth = m
	m.Now, m.Log = s.now, log
	s.router = s.routes()
	return s, nil
}

// DiscoverProviders tries each identity provider once and returns; those
// that failed are retried in the background until they answer or ctx ends.
// Their state shows in /readyz.
func (s *Server) DiscoverProviders(ctx context.Context) { s.auth.DiscoverProviders(ctx) }

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// Router returns the router, for tests that walk its routes.
func (s *Server) Router() chi.Router { return s.router }

// RouteAction returns the action declared for a route.
func (s *Server) RouteAction(method, pattern string) (authz.Action, bool) {
	a, ok := s.actions[method+" "+pattern]
	return a, ok
}

// Serve listens on l until ctx ends, then shuts down in three steps
// (docs/operations.md, "Shutdown"): for cfg.ShutdownDrain it keeps
// serving while /readyz answers 503, so that load balancers stop sending;
// then it stops accepting and gives in-flight requests up to
// cfg.ShutdownTimeout; then it cancels the contexts of the requests still
// running, so that their transactions roll back instead of committing for
// a client that was already told nothing, and waits for their replies up
// to cancelWait. It returns when no request is left or that wait is over.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	base, cancelRequests := context.WithCancel(context.Background())
	defer cancelRequests()
	srv := &http.Server{
		Handler:           s,
		BaseContext:       func(net.Listener) context.Context { return base },
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}

	s.stopping.Store(true)
	srv.SetKeepAlivesEnabled(false) // each reply from now on closes its connection
	s.log.Info("shutting down: draining", "drain", s.cfg.ShutdownDrain.String())
	drain := time.NewTimer(s.cfg.ShutdownDrain)
	select {
	case <-drain.C:
	case err := <-errc:
		drain.Stop()
		return err
	}

	s.log.Info("shutting down: waiting for in-flight requests", "timeout", s.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("shutting down: cancelling the requests still running")
		cancelRequests()
		wctx, cancel := context.WithTimeout(context.Background(), cancelWait)
		defer cancel()
		if err = srv.Shutdown(wctx); err != nil {
			s.log.Error("shutting down: requests still running after cancellation; closing their connections", "err", err)
			err = srv.Close()
		}
	}
	if err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	s.log.Info("shutting down: no request left")
	return nil
}

// cancelWait is how long Serve waits for cancelled requests to roll back
// and reply; it is part of config.ShutdownMargin.
const cancelWait = time.Second

// stopped reports whether err is a request's context ended by shutdown.
func (s *Server) stopped(err error) bool {
	return s.stopping.Load() && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

// now is the server's clock: cfg.Now, else time.Now.
func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}
