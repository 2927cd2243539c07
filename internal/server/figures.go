package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/figcache"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/pages/dashboards"
)

// Dashboards through the figure cache (internal/figcache; docs/dashboards.md,
// "Figure cache"): a page is built and rendered once per change of the data
// behind it, not once per request.

// WatchFigures keeps the figure cache in step with the database until ctx
// ends; until it listens, the cache stores nothing. Serve runs it; a test
// that wants the cache runs it itself.
func (s *Server) WatchFigures(ctx context.Context) {
	if s.cfg.FigureCacheMB == 0 {
		return
	}
	s.figures.Run(ctx, func(ctx context.Context) (*pgx.Conn, error) {
		return pgx.ConnectConfig(ctx, s.db.Config().ConnConfig.Copy())
	}, s.log)
}

// FigureCache returns the figure cache, for tests that wait on it.
func (s *Server) FigureCache() *figcache.Cache { return s.figures }

// cachedPage is a dashboard page as cached: its figures, for the
// downloads, and its rendered body.
type cachedPage struct {
	page dashboards.Page
	body string
}

// dashboardPage returns the page build makes for r, from the cache when
// nothing it is computed from has changed since it was built.
func (s *Server) dashboardPage(r *http.Request, build func(*http.Request) (dashboards.Page, error)) (*cachedPage, error) {
	key := figureKey(r)
	v, tok, ok := s.figures.Get(key)
	if ok {
		return v.(*cachedPage), nil
	}
	p, err := build(r)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	if err := dashboards.Body(p).Render(r.Context(), &b); err != nil {
		return nil, err
	}
	cp := &cachedPage{page: p, body: b.String()}
	s.figures.Put(key, tok, cp, 2*len(cp.body)) // the figures' tables take about as much again
	return cp, nil
}

// figureKey names what a dashboard page shows: its path (a download's is
// its page's) and parameters but the download's own, the language, the
// date in Japan (assessments fall overdue at midnight JST) and what the
// principal may see.
func figureKey(r *http.Request) string {
	q := r.URL.Query()
	q.Del("figure")
	q.Del("format")
	return strings.TrimSuffix(r.URL.Path, "/download") + "?" + q.Encode() + "|" + string(i18n.From(r.Context()).Lang) +
		"|" + time.Now().In(kijun.JST).Format(time.DateOnly) + "|" + principal(r).ScopeKey()
}

// serveDashboard renders a dashboard page.
func (s *Server) serveDashboard(w http.ResponseWriter, r *http.Request, build func(*http.Request) (dashboards.Page, error)) error {
	cp, err := s.dashboardPage(r, build)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, dashboards.Dashboard(cp.page, templ.Raw(cp.body)))
}

// serveFigureDownload sends one figure of a dashboard page as CSV or XLSX.
func (s *Server) serveFigureDownload(w http.ResponseWriter, r *http.Request, build func(*http.Request) (dashboards.Page, error), prefix string) error {
	cp, err := s.dashboardPage(r, build)
	if err != nil {
		return err
	}
	return sendFigure(w, r, cp.page, prefix)
}

// sectorBenchmark is the sector's benchmark through the cache: it is the
// same aggregate for every operator of the sector, and the caller has
// already established that the principal may see it.
func (s *Server) sectorBenchmark(r *http.Request, cycleID int64, sector string) ([]postgres.Benchmark, error) {
	key := "benchmark|" + strconv.FormatInt(cycleID, 10) + "|" + sector
	v, tok, ok := s.figures.Get(key)
	if ok {
		return v.([]postgres.Benchmark), nil
	}
	var b []postgres.Benchmark
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) (err error) {
		b, err = postgres.SectorBenchmarkTx(r.Context(), tx, cycleID, sector)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(b) > 0 { // an empty answer is cheap, and never shared
		s.figures.Put(key, tok, b, 64*len(b)+64)
	}
	return b, nil
}
