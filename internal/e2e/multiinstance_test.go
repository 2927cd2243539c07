//go:build dev

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/auth/devidp"
	"github.com/kijun-portal/kijun/internal/demo"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// kijunBinary builds cmd/kijun once per test binary, as an operator would
// run it: a separate process.
func kijunBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kijun-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "kijun")
		_, here, _, _ := runtime.Caller(0)
		cmd := exec.Command("go", "build", "-trimpath", "-o", binPath, "./cmd/kijun")
		cmd.Dir = filepath.Join(filepath.Dir(here), "..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// instance is one running `kijun serve` process.
type instance struct {
	name string
	addr string // host:port it listens on
	logs *lockedBuffer
	stop func() // ends the process and waits for its last log line
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startInstance runs `kijun serve` with env and waits until it logs that
// it is serving; /readyz must then say it is ready.
func startInstance(t *testing.T, name string, env []string) *instance {
	t.Helper()
	in := &instance{name: name, logs: &lockedBuffer{}}
	cmd := exec.Command(kijunBinary(t), "serve")
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "LISTEN_ADDR=127.0.0.1:0", "SHUTDOWN_TIMEOUT=2s", "SHUTDOWN_DRAIN=0s")
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrc := make(chan string, 1)
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			in.logs.Write([]byte(line + "\n"))
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "serving" {
				addrc <- rec.Addr
			}
		}
	}()
	in.stop = sync.OnceFunc(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		pw.Close()
		<-logged
	})
	t.Cleanup(func() {
		in.stop()
		if t.Failed() {
			t.Logf("logs of %s:\n%s", name, in.logs.String())
		}
	})
	select {
	case in.addr = <-addrc:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s did not start:\n%s", name, in.logs.String())
	}
	// It checked the schema before it listened; it is ready once it has
	// discovered the identity provider, which it does right after.
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + in.addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return in
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s serving but not ready: %d %s", name, resp.StatusCode, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTwoInstances runs two `kijun serve` processes over one database
// behind a round-robin reverse proxy, with an identity provider that both
// trust, and shows that nothing the portal keeps in process memory breaks
// it: a sign-in that alternates between the instances works, the session
// is honoured by both and ended on both, both refuse a cross-site POST,
// and the scheduled job runs once per period while both run it.
func TestTwoInstances(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	if err := pgx.BeginFunc(ctx, db.Owner, func(tx pgx.Tx) error { return demo.Seed(ctx, tx) }); err != nil {
		t.Fatal(err)
	}

	// The reverse proxy comes first: its URL is the portal's BASE_URL.
	var backends []*url.URL
	var next atomic.Int64
	served := map[string]int{}
	var servedMu sync.Mutex
	proxy := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			b := backends[int(next.Add(1))%len(backends)]
			r.SetURL(b)
			r.Out.Host = r.In.Host // the portal checks origins against the public host
			r.SetXForwarded()
		},
		ModifyResponse: func(resp *http.Response) error {
			servedMu.Lock()
			served[resp.Request.URL.Host]++
			servedMu.Unlock()
			resp.Header.Set("X-Served-By", resp.Request.URL.Host)
			return nil
		},
	})
	t.Cleanup(proxy.Close)

	// An OpenID provider of its own, as Keycloak would be: the development
	// provider's code, served by the test, not by either instance.
	idpSrv := httptest.NewUnstartedServer(nil)
	idpURL := "http://" + idpSrv.Listener.Addr().String() + "/idp"
	idp, err := devidp.New(devidp.Config{Issuer: idpURL, Users: demo.Users, Clients: []devidp.Client{{
		ID: "kijun-portal", Secret: "s3cret",
		RedirectURIs:           []string{proxy.URL + "/auth/callback/corp"},
		PostLogoutRedirectURIs: []string{proxy.URL + "/"},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	idpSrv.Config.Handler = http.StripPrefix("/idp", idp)
	idpSrv.Start()
	t.Cleanup(idpSrv.Close)

	providers := filepath.Join(t.TempDir(), "providers.yaml")
	var grants strings.Builder
	for g, spec := range demo.DevProvider("").GroupGrants {
		fmt.Fprintf(&grants, "    %s: %s\n", g, spec)
	}
	err = os.WriteFile(providers, []byte(fmt.Sprintf(`- id: corp
  name: {ja: 組織のIDプロバイダ, en: Organisation IdP}
  issuer: %s
  client_id: kijun-portal
  client_secret_env: TEST_IDP_SECRET
  scopes: [profile, email, groups]
  corporate_number_claim: corporate_number
  group_grants:
%s`, idpURL, grants.String())), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	env := []string{
		"DATABASE_URL=" + db.OwnerURL, "APP_DATABASE_URL=" + db.AppURL,
		"BASE_URL=" + proxy.URL, "OIDC_PROVIDERS_FILE=" + providers, "TEST_IDP_SECRET=s3cret",
		"LOG_LEVEL=info",
		"JOBS_AUDIT_ANCHOR_EVERY=1s",
	}
	a := startInstance(t, "a", env)
	b := startInstance(t, "b", env)
	backends = []*url.URL{{Scheme: "http", Host: a.addr}, {Scheme: "http", Host: b.addr}}

	// Sign in through the proxy: the requests of one sign-in alternate
	// between the instances, so the flow's state must be shared.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	signInVia(t, c, proxy.URL, "meti-staff")

	// The session is honoured by each instance directly, not only through
	// the proxy.
	pu, _ := url.Parse(proxy.URL)
	var session *http.Cookie
	for _, ck := range jar.Cookies(pu) {
		if strings.HasSuffix(ck.Name, "kijun_session") {
			session = ck
		}
	}
	if session == nil {
		t.Fatal("no session cookie after sign-in")
	}
	for _, in := range []*instance{a, b} {
		status, body := request(t, http.MethodGet, "http://"+in.addr+"/account", session, pu.Host, nil)
		if status != http.StatusOK || !strings.Contains(body, "経済産業省 担当 二郎") {
			t.Errorf("instance %s: /account with the session: %d\n%.500s", in.name, status, body)
		}
	}

	// Cross-site POSTs are refused by both, with a valid session.
	for _, in := range []*instance{a, b} {
		status, _ := request(t, http.MethodPost, "http://"+in.addr+"/logout", session, pu.Host,
			map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Content-Type": "application/x-www-form-urlencoded"})
		if status != http.StatusForbidden {
			t.Errorf("instance %s: cross-site POST /logout: %d, want 403", in.name, status)
		}
	}
	// …which left the session alive; a same-origin sign-out on one
	// instance ends it on the other.
	status, _ := request(t, http.MethodPost, "http://"+a.addr+"/logout", session, pu.Host,
		map[string]string{"Origin": proxy.URL, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/x-www-form-urlencoded"})
	if status != http.StatusSeeOther {
		t.Errorf("same-origin POST /logout on a: %d, want 303", status)
	}
	if status, _ := request(t, http.MethodGet, "http://"+b.addr+"/account", session, pu.Host, nil); status != http.StatusSeeOther {
		t.Errorf("instance b after sign-out on a: /account %d, want 303 to sign in", status)
	}
	servedMu.Lock()
	if served[a.addr] == 0 || served[b.addr] == 0 {
		t.Errorf("the proxy did not use both instances: %v", served)
	}
	servedMu.Unlock()

	// Scheduled work: both instances run river on a one-second period.
	// Once three periods have run, stop both, then check that each period
	// ran once.
	db.Await(t, "three periods of the audit anchor", `SELECT count(DISTINCT period) >= 3 FROM job_runs WHERE job = 'audit-anchor'`)
	a.stop()
	b.stop()
	var runs, anchors, anchoredPeriods, bad int
	err = db.Owner.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM job_runs WHERE job = 'audit-anchor'),
		(SELECT count(*) FROM audit_anchors),
		(SELECT count(DISTINCT period) FROM audit_anchors),
		(SELECT count(*) FROM audit_anchors WHERE NOT intact)`).Scan(&runs, &anchors, &anchoredPeriods, &bad)
	if err != nil {
		t.Fatal(err)
	}
	if anchors != runs || anchoredPeriods != anchors {
		t.Errorf("%d anchors over %d periods for %d runs", anchors, anchoredPeriods, runs)
	}
	// Every run the instances report is one row: none ran a period twice.
	const ranLine = `"msg":"scheduled job ran","job":"audit-anchor"`
	ranLogs := strings.Count(a.logs.String(), ranLine) + strings.Count(b.logs.String(), ranLine)
	if ranLogs != runs {
		t.Errorf("instances logged %d runs, job_runs has %d", ranLogs, runs)
	}
	if bad != 0 {
		t.Errorf("%d anchors found the audit log broken", bad)
	}
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	hiddenID   = regexp.MustCompile(`<input type="hidden" name="id" value="([^"]+)"`)
)

// signInVia signs in as subject through base (the proxy) with provider
// "corp", following every redirect by hand.
func signInVia(t *testing.T, c *http.Client, base, subject string) {
	t.Helper()
	u := base + "/login/corp"
	var resp *http.Response
	var err error
	for i := 0; i < 10; i++ {
		if resp, err = c.Get(u); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode < 300 || resp.StatusCode >= 400 {
			break
		}
		resp.Body.Close()
		next, _ := resp.Request.URL.Parse(resp.Header.Get("Location"))
		u = next.String()
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	act, id := formAction.FindSubmatch(body), hiddenID.FindSubmatch(body)
	if act == nil || id == nil {
		t.Fatalf("no user picker at %s (%d):\n%.1000s", resp.Request.URL, resp.StatusCode, body)
	}
	target, _ := resp.Request.URL.Parse(html.UnescapeString(string(act[1])))
	if resp, err = c.PostForm(target.String(), url.Values{"id": {html.UnescapeString(string(id[1]))}, "subject": {subject}}); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for i := 0; i < 10 && resp.StatusCode >= 300 && resp.StatusCode < 400; i++ {
		loc, _ := resp.Request.URL.Parse(resp.Header.Get("Location"))
		if strings.HasPrefix(loc.String(), base) && !strings.Contains(loc.Path, "/auth/callback/") {
			return // back at the portal, signed in
		}
		if resp, err = c.Get(loc.String()); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if strings.Contains(loc.Path, "/auth/callback/") && resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("callback answered %d", resp.StatusCode)
		}
	}
	if !strings.Contains(resp.Request.URL.Path, "/auth/callback/") {
		t.Fatalf("sign-in did not come back to the portal (last %s, %d)", resp.Request.URL, resp.StatusCode)
	}
}

// request sends one request straight to an instance with the session
// cookie and the public Host, as the proxy would.
func request(t *testing.T, method, u string, session *http.Cookie, host string, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	req.Host = host
	req.AddCookie(&http.Cookie{Name: session.Name, Value: session.Value})
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
