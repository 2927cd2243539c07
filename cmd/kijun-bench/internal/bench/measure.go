package bench

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kijun-portal/kijun/internal/auth"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/synthetic"
)

// Stats are one measurement of one endpoint or its SQL.
type Stats struct {
	N             int
	Errors        int
	P50, P95, P99 time.Duration
	PerSecond     float64
	FirstError    string
	from          time.Time // when counting started
}

func statsOf(lat []time.Duration, errs int, elapsed time.Duration, firstErr string) Stats {
	s := Stats{N: len(lat), Errors: errs, FirstError: firstErr}
	if len(lat) == 0 {
		return s
	}
	slices.Sort(lat)
	at := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	s.P50, s.P95, s.P99 = at(0.50), at(0.95), at(0.99)
	s.PerSecond = float64(len(lat)) / elapsed.Seconds()
	return s
}

// Line is an endpoint's result: each run's HTTP and SQL figures.
type Line struct {
	Endpoint  Endpoint
	Available bool
	Status    int // of the probe
	HTTP, SQL []Stats
	// Server is the server's own time per request (duration_ms of its
	// request log) during the HTTP runs.
	Server []Stats
	// Paced and PacedServer are the same at the users' own pace
	// (Endpoint.Pace, pacedLoop) rather than saturated.
	Paced, PacedServer []Stats
}

// Report is what the bench writes.
type Report struct {
	Machine   Machine
	DB        Database
	Duration  time.Duration
	Runs      int
	Lines     []Line
	Export    *ExportResult
	ExportMsg string
	PeakRSSKB int64 // VmHWM of the server at the end
	IdleRSSKB int64 // VmRSS after start, before load
	LoadRSSKB int64 // highest VmRSS seen during the endpoint runs
}

// ExportResult is the national CSV export's cost.
type ExportResult struct {
	Status    int
	Bytes     int64
	Elapsed   time.Duration
	PeakRSSKB int64 // highest VmRSS sampled during the export
}

// users of the synthetic data, found by their e-mail.
type users struct {
	nco       int64
	ministry  int64
	minCode   string
	sectors   []string
	operators []opUser
	cycle     int64
	// bigSector is the ministry's sector with the most operators (the
	// API's register list reads it).
	bigSector string
}

type opUser struct {
	user, operator, assessment int64
	sector, section            string
	refs                       []string
	versions                   map[string]int
}

func loadUsers(ctx context.Context, db *pgxpool.Pool) (users, error) {
	var u users
	err := db.QueryRow(ctx, `SELECT id FROM cycles ORDER BY fiscal_year DESC LIMIT 1`).Scan(&u.cycle)
	if err != nil {
		return u, fmt.Errorf("no cycle: %w", err)
	}
	if err := db.QueryRow(ctx, `SELECT id FROM users WHERE email = 'bench-nco@'||$1`, synthetic.EmailDomain).Scan(&u.nco); err != nil {
		return u, fmt.Errorf("no synthetic NCO user: %w", err)
	}
	u.minCode = "METI"
	if err := db.QueryRow(ctx, `SELECT id FROM users WHERE email = 'bench-meti@'||$1`, synthetic.EmailDomain).Scan(&u.ministry); err != nil {
		return u, fmt.Errorf("no synthetic METI user: %w", err)
	}
	rows, _ := db.Query(ctx, `SELECT sector_code FROM sector_oversight WHERE ministry_code = $1 ORDER BY 1`, u.minCode)
	if u.sectors, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return u, err
	}
	if err := db.QueryRow(ctx, `SELECT o.sector_code FROM operators o JOIN sector_oversight s ON s.sector_code = o.sector_code
		WHERE s.ministry_code = $1 GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`, u.minCode).Scan(&u.bigSector); err != nil {
		return u, fmt.Errorf("no operator in %s's sectors: %w", u.minCode, err)
	}
	rows, _ = db.Query(ctx, `SELECT g.user_id, g.operator_id, g.sector_code, a.id,
			(SELECT i.section_code FROM control_set_items i WHERE i.set_id = a.control_set_id
				GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1)
		FROM role_grants g JOIN users u ON u.id = g.user_id
		JOIN assessments a ON a.operator_id = g.operator_id AND a.cycle_id = $1
		WHERE u.email LIKE 'bench-op-%@'||$2 AND a.status = 'in_progress' ORDER BY u.email`, u.cycle, synthetic.EmailDomain)
	u.operators, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (opUser, error) {
		var o opUser
		err := r.Scan(&o.user, &o.operator, &o.sector, &o.assessment, &o.section)
		return o, err
	})
	if err != nil {
		return u, err
	}
	if len(u.operators) == 0 {
		return u, errors.New("no synthetic operator user with an assessment in progress: reseed")
	}
	for i := range u.operators {
		o := &u.operators[i]
		rows, _ := db.Query(ctx, `SELECT i.ref, coalesce(x.version, 0) FROM assessments a
			JOIN control_set_items i ON i.set_id = a.control_set_id
			LEFT JOIN answers x ON x.assessment_id = a.id AND x.ref = i.ref
			WHERE a.id = $1 ORDER BY i.sort_order, i.ref`, o.assessment)
		o.versions = map[string]int{}
		var ref string
		var v int
		if _, err := pgx.ForEachRow(rows, []any{&ref, &v}, func() error {
			o.refs = append(o.refs, ref)
			o.versions[ref] = v
			return nil
		}); err != nil {
			return u, err
		}
	}
	return u, nil
}

// newSession writes a session row for user as the server's session store
// (scs's pgxstore keyed by auth.SessionKey) does after the OIDC sign-in
// (auth.SignedInSession),
// the state a browser has then, and returns the cookie.
// Everything after sign-in — session lookup and renewal, loading the
// principal and its grants, RLS — is the server's real path.
func newSession(ctx context.Context, db *pgxpool.Pool, userID int64) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	deadline := time.Now().Add(12 * time.Hour)
	data, err := auth.SignedInSession(userID, "bench", deadline)
	if err != nil {
		return "", err
	}
	if _, err := db.Exec(ctx, `INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3)`, auth.SessionKey(token), data, deadline); err != nil {
		return "", err
	}
	return "kijun_session=" + token, nil
}

// newToken issues an API token of v's role and scope through the store,
// as an admin of v's tenant does on the page /tokens (the synthetic user
// stands in as the issuing admin), and returns its secret. Each request
// with it is then the server's real path: the token's lookup, its rate
// count, the service account's principal, RLS.
func newToken(ctx context.Context, db *pgxpool.Pool, v *VU) (string, error) {
	oversight, err := postgres.Oversight(ctx, db)
	if err != nil {
		return "", err
	}
	var role identity.Role
	var admin identity.Grant
	switch v.Who {
	case AsNCO:
		role, admin = identity.RoleNCOAnalyst, identity.Grant{Role: identity.RoleNCOAdmin}
	case AsMinistry:
		role, admin = identity.RoleMinistryStaff, identity.Grant{Role: identity.RoleMinistryAdmin, MinistryCode: v.Ministry}
	case AsOperator:
		role, admin = identity.RoleOperatorStaff, identity.Grant{Role: identity.RoleOperatorAdmin, OperatorID: v.Operator}
	}
	p := identity.NewPrincipal(v.UserID, "bench", "", []identity.Grant{admin}, oversight)
	secret, hash := identity.NewTokenSecret()
	now := time.Now()
	err = postgres.InTx(ctx, db, p, func(tx pgx.Tx) error {
		_, err := postgres.IssueToken(ctx, tx, p, identity.APIToken{Name: fmt.Sprintf("bench %d", v.N), Role: role,
			MinistryCode: admin.MinistryCode, OperatorID: v.Operator, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}, hash, "bench")
		return err
	})
	return secret, err
}

func (u users) vus(ctx context.Context, db *pgxpool.Pool, e Endpoint) ([]*VU, error) {
	out := make([]*VU, e.Concurrency)
	for i := range out {
		v := &VU{N: i, Who: e.Who, Cycle: u.cycle}
		switch e.Who {
		case AsNCO:
			v.UserID = u.nco
		case AsMinistry:
			v.UserID, v.Ministry, v.Sectors, v.Sector = u.ministry, u.minCode, u.sectors, u.bigSector
		case AsOperator:
			o := u.operators[i%len(u.operators)]
			v.UserID, v.Operator, v.Sector, v.Assessment, v.Section = o.user, o.operator, o.sector, o.assessment, o.section
			v.Refs, v.Versions = o.refs, maps.Clone(o.versions)
			if i >= len(u.operators) { // two VUs on one operator: keep to separate answers
				v.Refs = o.refs[len(o.refs)/2:]
			} else if e.Concurrency > len(u.operators) {
				v.Refs = o.refs[:len(o.refs)/2]
			}
		}
		if e.API {
			t, err := newToken(ctx, db, v)
			if err != nil {
				return nil, err
			}
			v.Token = t
		}
		c, err := newSession(ctx, db, v.UserID)
		if err != nil {
			return nil, err
		}
		v.Cookie = c
		out[i] = v
	}
	return out, nil
}

func (v *VU) path(p string) string {
	r := strings.NewReplacer("{cycle}", strconv.FormatInt(v.Cycle, 10), "{assessment}", strconv.FormatInt(v.Assessment, 10),
		"{section}", v.Section, "{operator}", strconv.FormatInt(v.Operator, 10), "{sector}", v.Sector, "{ministry}", v.Ministry)
	if strings.Contains(p, "{ref}") && len(v.Refs) > 0 {
		p = strings.ReplaceAll(p, "{ref}", v.Refs[v.next%len(v.Refs)])
	}
	return r.Replace(p)
}

// server is the kijun serve subprocess.
type server struct {
	cmd  *exec.Cmd
	base string
	pid  int
	log  string
}

func startServer(ctx context.Context, bin string, d Database) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	logPath := filepath.Join(os.TempDir(), "kijun-bench-server.log")
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+d.OwnerURL, "APP_DATABASE_URL="+d.AppURL, "LISTEN_ADDR="+addr,
		"BASE_URL=http://"+addr, "LOG_LEVEL=info",
		// The bench measures the API, not its rate limit: the count is
		// still kept on every request, never reached.
		"API_RATE_LIMIT=1000000000")
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 20 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s (run `make build` or pass -kijun): %w", bin, err)
	}
	s := &server{cmd: cmd, base: "http://" + addr, pid: cmd.Process.Pid, log: logPath}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("kijun serve did not become ready in 60s; see %s", logPath)
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	_ = s.cmd.Wait()
}

// procKB reads a field (VmRSS, VmHWM) of /proc/<pid>/status in kB.
func procKB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// rssWatch samples VmRSS every 50 ms and keeps the highest value.
type rssWatch struct {
	max  atomic.Int64
	stop chan struct{}
	done chan struct{}
}

func watchRSS(pid int) *rssWatch {
	w := &rssWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if kb := procKB(pid, "VmRSS"); kb > w.max.Load() {
				w.max.Store(kb)
			}
			select {
			case <-w.stop:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

func (w *rssWatch) end() int64 { close(w.stop); <-w.done; return w.max.Load() }

func measure(ctx context.Context, o Options, d Database) error {
	owner, err := postgres.Open(ctx, d.OwnerURL)
	if err != nil {
		return err
	}
	defer owner.Close()
	u, err := loadUsers(ctx, owner)
	if err != nil {
		return err
	}
	srv, err := startServer(ctx, o.Kijun, d)
	if err != nil {
		return err
	}
	defer srv.stop()
	rep := Report{Machine: machine(ctx, owner), DB: d, Duration: o.Duration, Runs: o.Runs, IdleRSSKB: procKB(srv.pid, "VmRSS")}
	logf("kijun serve (pid %d) at %s; log in %s", srv.pid, srv.base, srv.log)
	client := &http.Client{
		Transport:     &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 128},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       60 * time.Second,
	}
	endpoints := selected(o.Only)
	lines := make([]Line, len(endpoints))
	vus := make([][]*VU, len(endpoints))
	for i, e := range endpoints {
		lines[i].Endpoint = e
		if vus[i], err = u.vus(ctx, owner, e); err != nil {
			return err
		}
		st, _, err := do(ctx, client, srv.base, e, vus[i][0])
		if err != nil {
			return err
		}
		lines[i].Status = st
		lines[i].Available = st != http.StatusNotFound
		if !lines[i].Available {
			logf("%s: %s %s answers 404: not available yet", e.Name, e.Method, e.Path)
		}
	}
	appCfg, err := pgxpool.ParseConfig(d.AppURL)
	if err != nil {
		return err
	}
	appCfg.MaxConns = 32
	app, err := pgxpool.NewWithConfig(ctx, appCfg)
	if err != nil {
		return err
	}
	defer app.Close()
	load := watchRSS(srv.pid)
	for run := 1; run <= o.Runs; run++ {
		for i, e := range endpoints {
			if lines[i].Available {
				if e.Method != "GET" && e.Who == AsOperator { // the other save endpoint moved the versions on
					if err := refreshVersions(ctx, owner, vus[i]); err != nil {
						return err
					}
				}
			}
			runSaturated(ctx, client, srv, app, &lines[i], vus[i], o.Duration, run)
			if lines[i].Available {
				runPaced(ctx, client, srv, &lines[i], vus[i], o.Duration, run)
			}
		}
	}
	rep.LoadRSSKB = load.end()
	rep.Lines = lines
	if len(o.Only) > 0 {
		srv.stop()
		fmt.Println(rep.Markdown())
		return nil
	}
	// The national CSV export, once, with memory watched.
	ev, err := u.vus(ctx, owner, Export)
	if err != nil {
		return err
	}
	w := watchRSS(srv.pid)
	start := time.Now()
	req, _ := http.NewRequestWithContext(ctx, Export.Method, srv.base+ev[0].path(Export.Path), nil)
	req.Header.Set("Cookie", ev[0].Cookie)
	resp, err := client.Do(req)
	if err != nil {
		w.end()
		return err
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	x := &ExportResult{Status: resp.StatusCode, Bytes: n, Elapsed: time.Since(start), PeakRSSKB: w.end()}
	if resp.StatusCode == http.StatusNotFound {
		rep.ExportMsg = "not available yet (" + Export.Path + " answers 404)"
	} else {
		rep.Export = x
	}
	rep.PeakRSSKB = procKB(srv.pid, "VmHWM")
	srv.stop()
	md := rep.Markdown()
	fmt.Println(md)
	if o.Out != "" {
		if err := writeGenerated(o.Out, md); err != nil {
			return err
		}
		logf("figures written to %s", o.Out)
	}
	return nil
}

// refreshVersions reads the stored version of every answer the virtual
// users save, so that the page's saves and the API's, which write the
// same answers in turn, each start from the versions the other left.
func refreshVersions(ctx context.Context, db *pgxpool.Pool, vus []*VU) error {
	for _, v := range vus {
		rows, _ := db.Query(ctx, `SELECT ref, version FROM answers WHERE assessment_id = $1`, v.Assessment)
		var ref string
		var n int
		if _, err := pgx.ForEachRow(rows, []any{&ref, &n}, func() error {
			if _, ok := v.Versions[ref]; ok {
				v.Versions[ref] = n
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// runSaturated is one saturated run of a line: its page (when available)
// and its bare SQL in turns, with the server's own figures from its
// request log.
func runSaturated(ctx context.Context, client *http.Client, srv *server, app *pgxpool.Pool, l *Line, vus []*VU, d time.Duration, run int) {
	var page func(*VU) (string, error)
	if l.Available {
		page = func(v *VU) (string, error) { return httpSample(ctx, client, srv.base, l.Endpoint, v) }
	}
	offset := fileSize(srv.log)
	h, q := saturated(d, Slice, vus, page, sqlSample(ctx, app, l.Endpoint))
	if l.Available {
		l.HTTP = append(l.HTTP, h)
		l.Server = append(l.Server, serverStats(srv.log, offset, h.from, l.Endpoint.Method))
		logf("run %d %-26s HTTP p50 %6.1f ms p95 %6.1f p99 %6.1f  %7.1f/s  errors %d %s", run, l.Endpoint.Name,
			ms(h.P50), ms(h.P95), ms(h.P99), h.PerSecond, h.Errors, h.FirstError)
	}
	l.SQL = append(l.SQL, q)
	logf("run %d %-26s SQL  p50 %6.1f ms p95 %6.1f p99 %6.1f  %7.1f/s  errors %d %s", run, l.Endpoint.Name,
		ms(q.P50), ms(q.P95), ms(q.P99), q.PerSecond, q.Errors, q.FirstError)
}

// runPaced is one HTTP run of a line's page at the users' own pace, with
// the server's own figures.
func runPaced(ctx context.Context, client *http.Client, srv *server, l *Line, vus []*VU, d time.Duration, run int) {
	offset := fileSize(srv.log)
	s := pacedLoop(d, vus, l.Endpoint.Pace, func(v *VU) (string, error) { return httpSample(ctx, client, srv.base, l.Endpoint, v) })
	l.Paced = append(l.Paced, s)
	l.PacedServer = append(l.PacedServer, serverStats(srv.log, offset, s.from, l.Endpoint.Method))
	logf("run %d %-26s paced p50 %6.1f ms p95 %6.1f p99 %6.1f  %7.1f/s  errors %d %s", run, l.Endpoint.Name,
		ms(s.P50), ms(s.P95), ms(s.P99), s.PerSecond, s.Errors, s.FirstError)
}

// selected returns the endpoints whose name contains one of only
// (all when only is empty).
func selected(only []string) []Endpoint {
	if len(only) == 0 {
		return Endpoints
	}
	var out []Endpoint
	for _, e := range Endpoints {
		if slices.ContainsFunc(only, func(s string) bool {
			return strings.Contains(strings.ToLower(e.Name), strings.ToLower(strings.TrimSpace(s)))
		}) {
			out = append(out, e)
		}
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// do sends one request as v and reads the whole answer; an API list of
// several Pages follows next_cursor and counts as one request.
func do(ctx context.Context, c *http.Client, base string, e Endpoint, v *VU) (int, []byte, error) {
	path := v.path(e.Path)
	for page := 1; ; page++ {
		st, body, err := doOne(ctx, c, base+path, e, v)
		if err != nil || st != http.StatusOK || page >= e.Pages {
			return st, body, err
		}
		var next struct {
			NextCursor string `json:"next_cursor"`
		}
		if json.Unmarshal(body, &next) != nil || next.NextCursor == "" {
			return st, body, nil
		}
		path = v.path(e.Path) + "&cursor=" + next.NextCursor
	}
}

func doOne(ctx context.Context, c *http.Client, url string, e Endpoint, v *VU) (int, []byte, error) {
	var body io.Reader
	ifMatch := ""
	switch {
	case e.Form != nil:
		body = strings.NewReader(e.Form(v).Encode())
	case e.JSON != nil:
		var b string
		b, ifMatch = e.JSON(v)
		body = strings.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, e.Method, url, body)
	if err != nil {
		return 0, nil, err
	}
	if e.API {
		req.Header.Set("Authorization", "Bearer "+v.Token)
	} else {
		req.Header.Set("Cookie", v.Cookie)
	}
	req.Header.Set("Accept-Language", "ja")
	switch {
	case e.Form != nil:
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case e.JSON != nil:
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("If-Match", ifMatch)
	}
	// The client asks for gzip as a browser does but, like wrk, does not
	// inflate what it does not read: inflating a page is the browser's
	// work on the user's machine, and here it would take the CPUs the
	// server and PostgreSQL share with the load generator.
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, err = io.Copy(&buf, resp.Body)
	if err == nil && resp.Header.Get("Content-Encoding") == "gzip" && (e.After != nil || e.Pages > 1 || resp.StatusCode >= 300) {
		var zr *gzip.Reader
		if zr, err = gzip.NewReader(&buf); err == nil {
			var plain bytes.Buffer
			_, err = io.Copy(&plain, zr)
			buf = plain
		}
	}
	if e.After != nil {
		e.After(v, resp.StatusCode, buf.Bytes())
	}
	return resp.StatusCode, buf.Bytes(), err
}

// httpSample is one sample of e as v: "" when it succeeded, else what
// went wrong.
func httpSample(ctx context.Context, c *http.Client, base string, e Endpoint, v *VU) (string, error) {
	st, body, err := do(ctx, c, base, e, v)
	if err != nil {
		return "", err
	}
	if st >= 300 {
		return fmt.Sprintf("HTTP %d: %.120s", st, body), nil
	}
	return "", nil
}

// sqlSample is one sample of the endpoint's bare SQL, as the application
// role with the virtual user's principal: a page's in the store's own
// transaction (postgres.InTx, as its handler runs it) after identify, the
// bare UPDATE in BEGIN, set_config, UPDATE, COMMIT.
func sqlSample(ctx context.Context, db *pgxpool.Pool, e Endpoint) func(*VU) (string, error) {
	sessions := auth.NewSessions(db, auth.SessionConfig{}).Store
	return func(v *VU) (string, error) {
		var err error
		if e.Method == "GET" {
			for range max(e.Pages, 1) {
				if err = identify(ctx, db, sessions, e, v); err != nil {
					return err.Error(), nil
				}
			}
			err = postgres.InTx(ctx, db, v.principal(), func(tx pgx.Tx) error { return e.SQL(ctx, tx, v) })
		} else {
			err = pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
				if err := setPrincipal(ctx, tx, v); err != nil {
					return err
				}
				return e.SQL(ctx, tx, v)
			})
		}
		if err != nil {
			return err.Error(), nil
		}
		return "", nil
	}
}

// identify is what every request of a page asks of the database before
// the page's own SQL, as the server asks it: for a page the session, from
// the store the server uses, then the principal with the header's unread
// count; for the API the token's use, rate count and principal.
func identify(ctx context.Context, db *pgxpool.Pool, sessions sessionStore, e Endpoint, v *VU) error {
	if e.API { // the token's use reads the principal in its round trip
		u, ok, err := postgres.UseToken(ctx, db, identity.HashToken(v.Token), time.Now(), time.Minute)
		if err == nil && (!ok || u.Principal == nil) {
			err = errors.New("token refused")
		}
		return err
	}
	if _, ok, err := sessions.Find(strings.TrimPrefix(v.Cookie, "kijun_session=")); err != nil || !ok {
		return cmp.Or(err, errors.New("no session"))
	}
	p, _, err := postgres.LoadRequestPrincipal(ctx, db, v.UserID)
	if err == nil && p == nil {
		err = errors.New("no principal")
	}
	return err
}

// sessionStore is what identify needs of the server's session store.
type sessionStore interface {
	Find(token string) ([]byte, bool, error)
}

// principal is what the server reads for v's user, as far as row-level
// security goes.
func (v *VU) principal() *identity.Principal {
	p := &identity.Principal{UserID: v.UserID}
	switch v.Who {
	case AsNCO:
		p.NCO = true
	case AsMinistry:
		p.Ministries, p.Sectors = []string{v.Ministry}, v.Sectors
	case AsOperator:
		p.Operators = []int64{v.Operator}
	}
	return p
}

// setPrincipal is the principal's set_config, for the bare UPDATE.
func setPrincipal(ctx context.Context, tx pgx.Tx, v *VU) error {
	nco, ministries, sectors, ops := "", "{}", "{}", "{}"
	switch v.Who {
	case AsNCO:
		nco = "true"
	case AsMinistry:
		ministries, sectors = "{"+v.Ministry+"}", "{"+strings.Join(v.Sectors, ",")+"}"
	case AsOperator:
		ops = "{" + strconv.FormatInt(v.Operator, 10) + "}"
	}
	_, err := tx.Exec(ctx, `SELECT set_config('kijun.user_id', $1, true), set_config('kijun.nco', $2, true),
		set_config('kijun.ministries', $3, true), set_config('kijun.sectors', $4, true),
		set_config('kijun.operators', $5, true), set_config('kijun.system', '', true)`,
		strconv.FormatInt(v.UserID, 10), nco, ministries, sectors, ops)
	return err
}

// saturated runs page and its bare SQL (page nil: the SQL alone) each
// in a closed loop — every virtual user sends its next sample when the
// last is answered — in turns of slice until each has run for d, after a
// tenth of d of both warming up uncounted. Taking turns lets both see the
// same machine: the speed of a shared machine drifts by tens of per cent
// within a minute, which would otherwise show as a change of their ratio.
func saturated(d, slice time.Duration, vus []*VU, page, sql func(v *VU) (string, error)) (h, q Stats) {
	var hs, qs samples
	warm := d / 10
	if page != nil {
		closedLoop(warm/2, vus, page, nil)
	}
	closedLoop(warm/2, vus, sql, nil)
	for spent := time.Duration(0); spent < d; spent += slice {
		if page != nil {
			closedLoop(slice, vus, page, &hs)
		}
		closedLoop(slice, vus, sql, &qs)
	}
	return hs.stats(), qs.stats()
}

// Slice is how long a saturated endpoint or its bare SQL runs before the
// other takes its turn.
const Slice = 2 * time.Second

// samples collects the latencies and errors of closed loops.
type samples struct {
	mu      sync.Mutex
	lat     []time.Duration
	errs    int
	first   string
	elapsed time.Duration
	from    time.Time
}

func (s *samples) stats() Stats {
	st := statsOf(s.lat, s.errs, s.elapsed, s.first)
	st.from = s.from
	return st
}

// closedLoop runs the virtual users for d, each sending its next sample
// when the last is answered, and adds what they saw to into (nil: warm-up,
// not counted). A sample still running at the end is waited for and
// counts, and so does the time it takes.
func closedLoop(d time.Duration, vus []*VU, one func(v *VU) (string, error), into *samples) {
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for _, v := range vus {
		wg.Go(func() {
			var mine []time.Duration
			errs, first := 0, ""
			for t := time.Now(); t.Before(end); t = time.Now() {
				msg, err := one(v)
				if err != nil {
					msg = err.Error()
				}
				if msg != "" {
					errs++
					first = cmp.Or(first, msg)
					continue
				}
				mine = append(mine, time.Since(t))
			}
			if into == nil {
				return
			}
			into.mu.Lock()
			into.lat = append(into.lat, mine...)
			into.errs += errs
			into.first = cmp.Or(into.first, first)
			into.mu.Unlock()
		})
	}
	wg.Wait()
	if into != nil {
		if into.from.IsZero() {
			into.from = start
		}
		into.elapsed += time.Since(start)
	}
}

// pacedLoop is the users working at their own pace: each sends its
// samples one after another at times drawn in advance, a Poisson process
// of mean interval pace (exponential gaps, each user starting at a random
// phase), and waits for none but its own previous answer. A sample's
// latency runs from the time it was due, not from when it could be sent,
// so a slow answer that delays the next sample counts in both (no
// coordinated omission). The first tenth of the time warms up.
func pacedLoop(d time.Duration, vus []*VU, pace time.Duration, one func(v *VU) (string, error)) Stats {
	warm := d / 10
	start := time.Now()
	measureFrom, end := start.Add(warm), start.Add(warm+d)
	var mu sync.Mutex
	var lat []time.Duration
	errs, first := 0, ""
	var wg sync.WaitGroup
	for _, v := range vus {
		rng := mrand.New(mrand.NewPCG(uint64(v.N), uint64(start.UnixNano())))
		gap := func() time.Duration { return time.Duration(rng.ExpFloat64() * float64(pace)) }
		wg.Go(func() {
			var mine []time.Duration
			myErrs, myFirst := 0, ""
			for due := start.Add(time.Duration(rng.Float64() * float64(pace))); due.Before(end); due = due.Add(gap()) {
				time.Sleep(time.Until(due))
				msg, err := one(v)
				if err != nil {
					msg = err.Error()
				}
				if due.Before(measureFrom) {
					continue
				}
				if msg != "" {
					myErrs++
					if myFirst == "" {
						myFirst = msg
					}
					continue
				}
				mine = append(mine, time.Since(due))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += myErrs
			if first == "" {
				first = myFirst
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	st := statsOf(lat, errs, d, first)
	st.from = measureFrom
	return st
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// serverStats reads the server's request log from offset and takes the
// duration of each request of method logged at or after from.
func serverStats(path string, offset int64, from time.Time, method string) Stats {
	f, err := os.Open(path)
	if err != nil {
		return Stats{}
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return Stats{}
	}
	var lat []time.Duration
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var first, last time.Time
	for sc.Scan() {
		var l struct {
			Time     time.Time `json:"time"`
			Msg      string    `json:"msg"`
			Method   string    `json:"method"`
			Duration float64   `json:"duration_ms"`
		}
		if json.Unmarshal(sc.Bytes(), &l) != nil || l.Msg != "request" || l.Method != method || l.Time.Before(from) {
			continue
		}
		if first.IsZero() {
			first = l.Time
		}
		last = l.Time
		lat = append(lat, time.Duration(l.Duration*float64(time.Millisecond)))
	}
	return statsOf(lat, 0, max(last.Sub(first), time.Millisecond), "")
}

// median of a figure over runs.
func median[T int64 | float64 | time.Duration](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
