//go:build dev

// Package servertest starts a real Kijun server over a fresh test database
// for handler and browser tests.
package servertest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/auth/devidp"
	"github.com/kijun-portal/kijun/internal/config"
	"github.com/kijun-portal/kijun/internal/demo"
	"github.com/kijun-portal/kijun/internal/devmail"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/server"
)

// Env is a running test server, its database and its development
// identity provider.
type Env struct {
	DB     *pgtest.DB
	Server *server.Server
	HTTP   *httptest.Server
	// IDP is the development identity provider the server offers, for
	// tests that make it misbehave.
	IDP *devidp.Provider
	// Logs holds everything the server logged.
	Logs *Logs
	// Mail is the development mailbox the server shows at /dev/mail;
	// Mail.Relay sends to it.
	Mail *devmail.Box
}

// Logs is a server's log output, safe to read while it writes.
type Logs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns what was logged so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// New starts a server over a fresh database; both end with the test.
func New(t testing.TB) *Env {
	t.Helper()
	db := pgtest.New(t)
	return NewOn(t, db, db.App)
}

// NewOn starts a server over db, using pool as its connection (tests pass a
// pool through a proxy to simulate outages). The development identity
// provider is on, and the demo operators are in the database.
func NewOn(t testing.TB, db *pgtest.DB, pool *pgxpool.Pool) *Env {
	t.Helper()
	return NewWith(t, db, pool, func(*config.Config) {})
}

// NewWith is NewOn with a chance to change the configuration.
// WebhookTestKey is the test servers' WEBHOOK_SECRET_KEY.
const WebhookTestKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

func NewWith(t testing.TB, db *pgtest.DB, pool *pgxpool.Pool, change func(*config.Config)) *Env {
	t.Helper()
	ctx := context.Background()
	if err := pgx.BeginFunc(ctx, db.Owner, func(tx pgx.Tx) error { return demo.Seed(ctx, tx) }); err != nil {
		t.Fatalf("servertest: demo data: %v", err)
	}
	hs := httptest.NewUnstartedServer(nil)
	cfg := config.Config{
		DatabaseURL: db.OwnerURL, AppDatabaseURL: db.AppURL, ShutdownTimeout: time.Second,
		BaseURL:     "http://" + hs.Listener.Addr().String(),
		SessionIdle: 30 * time.Minute, SessionAbsolute: 12 * time.Hour,
		// Webhooks: a fixed test key; test receivers listen on loopback.
		WebhookSecretKey: WebhookTestKey, WebhookAllowLoopback: true,
	}
	change(&cfg)
	logs := &Logs{}
	var out io.Writer = logs
	if testing.Verbose() {
		out = io.MultiWriter(logs, testWriter{t})
	}
	log := slog.New(slog.NewTextHandler(out, nil))
	idp, err := devidp.New(demo.DevIDPConfig(cfg.BaseURL))
	if err != nil {
		t.Fatalf("servertest: development identity provider: %v", err)
	}
	box, err := devmail.Start(0)
	if err != nil {
		t.Fatalf("servertest: %v", err)
	}
	t.Cleanup(func() { _ = box.Close() })
	srv, err := server.New(cfg, pool, log, nil, &server.DevIdentity{Handler: idp, Provider: demo.DevProvider(cfg.BaseURL), Mailbox: box.Handler()})
	if err != nil {
		t.Fatalf("servertest: %v", err)
	}
	hs.Config.Handler = srv
	hs.Start()
	t.Cleanup(hs.Close)
	ctx, stop := context.WithCancel(ctx)
	t.Cleanup(stop)
	srv.DiscoverProviders(ctx)
	return &Env{DB: db, Server: srv, HTTP: hs, IDP: idp, Logs: logs, Mail: box}
}

// Client returns an HTTP client with its own cookie jar that does not
// follow redirects, so tests see each response.
func (e *Env) Client(t testing.TB) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Get fetches path and returns the status and body.
func (e *Env) Get(t testing.TB, c *http.Client, path string, header ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.HTTP.URL+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
