//go:build dev

package server_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

func TestSectorListShowsAllSectorsWithMinistries(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	status, body := env.Get(t, env.Client(t), "/sectors")
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	rows := regexp.MustCompile(`<tr data-sector="([a-z-]+)">(?s:.*?)</tr>`).FindAllStringSubmatch(body, -1)
	if len(rows) != 15 {
		t.Fatalf("%d sector rows, want 15", len(rows))
	}
	want := map[string][]string{
		"ict":         {"情報通信", "総務省", "T-CEPTOAR", "放送CEPTOAR"},
		"finance":     {"金融", "金融庁", "金融CEPTOAR連絡協議会"},
		"electricity": {"電力", "経済産業省", "電力CEPTOAR"},
		"medical":     {"医療", "厚生労働省", "医療CEPTOAR"},
		"port":        {"港湾", "国土交通省", "港湾CEPTOAR"},
		"government":  {"政府・行政サービス", "総務省", "自治体CEPTOAR"},
	}
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r[1]] = true
		for _, w := range want[r[1]] {
			if !strings.Contains(r[0], w) {
				t.Errorf("row %s lacks %q", r[1], w)
			}
		}
	}
	for code := range want {
		if !seen[code] {
			t.Errorf("sector %s missing", code)
		}
	}
}

// TestCEPTOARRowsUnderTheirSectors checks that all 21 rows of the source's
// CEPTOAR table appear, each on its own sector's page.
func TestCEPTOARRowsUnderTheirSectors(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := env.Client(t)
	perSector := map[string]int{"ict": 3, "finance": 5, "aviation": 1, "airport": 1, "railway": 1, "electricity": 1,
		"gas": 1, "government": 1, "medical": 1, "water": 1, "logistics": 1, "chemical": 1, "credit": 1, "petroleum": 1, "port": 1}
	total := 0
	for code, want := range perSector {
		status, body := env.Get(t, c, "/sectors/"+code)
		if status != http.StatusOK {
			t.Fatalf("%s: status %d", code, status)
		}
		got := strings.Count(body, `<tr class="ceptoar-row">`)
		if got != want {
			t.Errorf("%s: %d CEPTOAR rows, want %d", code, got, want)
		}
		if !strings.Contains(body, "2025年9月30日") {
			t.Errorf("%s: as-of date missing", code)
		}
		total += got
	}
	if total != 21 {
		t.Errorf("%d CEPTOAR rows in all, want 21", total)
	}
	_, body := env.Get(t, c, "/sectors/government")
	if !strings.Contains(body, "47都道府県 1,741市区町村") || !strings.Contains(body, "地方公共団体情報システム機構") {
		t.Error("government CEPTOAR row lacks its members or secretariat")
	}
	if status, _ := env.Get(t, c, "/sectors/nosuch"); status != http.StatusNotFound {
		t.Errorf("unknown sector: status %d, want 404", status)
	}
}

func TestLanguages(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := env.Client(t)

	_, ja := env.Get(t, c, "/sectors/electricity")
	_, en := env.Get(t, c, "/sectors/electricity", "Accept-Language", "en-US,en;q=0.8")
	if !strings.Contains(ja, `<html lang="ja">`) || !strings.Contains(ja, "<h1>電力</h1>") || !strings.Contains(ja, "事業の範囲") {
		t.Error("default page is not Japanese")
	}
	if !strings.Contains(en, `<html lang="en">`) || !strings.Contains(en, "<h1>Electric power</h1>") || !strings.Contains(en, "Business scopes") {
		t.Error("Accept-Language: en did not give English")
	}
	for _, body := range []string{ja, en} {
		if m := regexp.MustCompile(`\[[a-z0-9_]+\.[a-z0-9_.]+\]`).FindString(body); m != "" {
			t.Errorf("untranslated message %s on the page", m)
		}
	}

	// The switch sets a cookie that wins over Accept-Language and returns
	// to the same page; a foreign "next" is not followed.
	resp, err := c.PostForm(env.HTTP.URL+"/lang", url.Values{"lang": {"en"}, "next": {"/sectors/gas"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/sectors/gas" {
		t.Fatalf("switch: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := env.Get(t, c, "/sectors/gas", "Accept-Language", "ja"); !strings.Contains(body, "<h1>Gas</h1>") {
		t.Error("cookie did not switch to English")
	}
	resp, err = c.PostForm(env.HTTP.URL+"/lang", url.Values{"lang": {"ja"}, "next": {"//evil.example/x"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "/" {
		t.Errorf("open redirect: Location %q", loc)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	resp, err := env.Client(t).Get(env.HTTP.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Referrer-Policy") == "" {
		t.Error("nosniff or Referrer-Policy missing")
	}
}

func TestEveryRouteDeclaresAnAction(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	n := 0
	err := chi.Walk(env.Server.Router(), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		n++
		if _, ok := env.Server.RouteAction(method, route); !ok {
			t.Errorf("%s %s has no policy action", method, route)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 5 {
		t.Fatalf("walked only %d routes", n)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := env.Client(t)
	if s, _ := env.Get(t, c, "/healthz"); s != http.StatusOK {
		t.Errorf("healthz %d", s)
	}
	env.Get(t, c, "/sectors")
	// The metrics are never on the public listener: only on the metrics
	// handler, which kijun serve puts on METRICS_ADDR.
	if s, _ := env.Get(t, c, "/metrics"); s != http.StatusNotFound {
		t.Errorf("/metrics on the public handler: %d, want 404", s)
	}
	w := httptest.NewRecorder()
	env.Server.Metrics().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if body := w.Body.String(); w.Code != http.StatusOK || !strings.Contains(body, `kijun_http_requests_total{method="GET",route="/sectors",status="200"}`) {
		t.Errorf("metrics %d lacks the sectors request:\n%.2000s", w.Code, body)
	}
}

// TestReadyzFollowsTheDatabase cuts the server's connection to PostgreSQL
// with a proxy and restores it, without restarting the server.
func TestReadyzFollowsTheDatabase(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	u, _ := url.Parse(db.AppURL)
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.addr
	pool, err := pgxpool.New(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	env := servertest.NewOn(t, db, pool)
	c := env.Client(t)

	if s, _ := env.Get(t, c, "/readyz"); s != http.StatusOK {
		t.Fatalf("readyz with the database up: %d", s)
	}
	proxy.stop()
	pool.Reset()
	if s, _ := env.Get(t, c, "/readyz"); s != http.StatusServiceUnavailable {
		t.Fatalf("readyz with the database down: %d, want 503", s)
	}
	if s, _ := env.Get(t, c, "/healthz"); s != http.StatusOK {
		t.Fatalf("healthz must not depend on the database: %d", s)
	}
	proxy.start(t)
	if s, _ := env.Get(t, c, "/readyz"); s != http.StatusOK {
		t.Fatalf("readyz after the database came back: %d", s)
	}

	// A schema that is behind is not ready either.
	if _, err := db.Owner.Exec(context.Background(), `UPDATE schema_migrations SET version = version - 1`); err != nil {
		t.Fatal(err)
	}
	if s, _ := env.Get(t, c, "/readyz"); s != http.StatusServiceUnavailable {
		t.Fatalf("readyz with an old schema: %d, want 503", s)
	}
}

// tcpProxy forwards connections to target until stopped.
type tcpProxy struct {
	target, addr string
	mu           sync.Mutex
	l            net.Listener
	conns        []net.Conn
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	p := &tcpProxy{target: target, addr: "127.0.0.1:0"}
	p.start(t)
	p.addr = p.l.Addr().String()
	t.Cleanup(p.stop)
	return p
}

func (p *tcpProxy) start(t *testing.T) {
	l, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.l = l
	p.mu.Unlock()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}

func (p *tcpProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.l.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
