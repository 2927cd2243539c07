//go:build dev

package server_test

import (
	"bytes"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// hostileValues are what a hostile client puts in URL parameters, queries
// and form fields: NUL bytes, invalid UTF-8, numbers out of every range,
// path traversal, control and bidi-override characters.
var hostileValues = []string{
	"\x00", "a\x00b", "\xff", "\xc3\x28", "\xed\xa0\x80", "99999999999999999999", "9223372036854775808",
	"-9223372036854775809", "-1", "0", "2147483648", "1e9", "0x10", "../../etc/passwd", "..", "%00",
	"evil\u202etxt.exe", "\u2066x\u2069", "bell\a\x1b[31m", "\u0085", strings.Repeat("長", 1000), "", " ", "1",
	"'; SELECT 1; --", "<script>alert(1)</script>",
}

// hostileFields are the form and query fields the handlers read.
var hostileFields = []string{
	"id", "cycle", "page", "v", "from", "to", "fy", "before", "operator", "ministry", "sector", "status", "format",
	"figure", "next", "q", "kind", "key", "action", "actor", "saved", "imported", "done", "section",
	"version", "name_ja", "name_en", "reason", "corporate_number", "local_gov_code", "designation",
	"designated_since", "scopes", "body", "note", "decision", "comment", "confirm", "upload", "token",
	"fiscal_year", "catalog", "catalog_id", "opens_on", "due_on", "title_ja", "title_en", "period_start",
	"period_end", "sectors", "edits", "response", "rating", "target", "lang", "role", "email", "user",
	"ref", "how", "maturity-GV.1", "version-GV.1", "status-GV.1", "how-GV.1", "lines", "name_0", "kind_0", "respond_by",
}

// leak matches Go and database error text and stack traces: what a page
// must never show.
var leak = regexp.MustCompile(`goroutine \d|panic:|runtime error|SQLSTATE|ERROR: |strconv\.|pgx|invalid byte sequence|kijun (invalid|internal|not_found):|\.go:\d`)

// hostileRequest builds a request of method on route (a chi pattern) with
// every URL parameter, query and form value drawn from hostileValues.
func hostileRequest(t testing.TB, base, method, route string, rng *rand.Rand, multipartBody bool) *http.Request {
	pick := func() string { return hostileValues[rng.IntN(len(hostileValues))] }
	segs := strings.Split(route, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") || s == "*" {
			segs[i] = url.PathEscape(pick())
		}
	}
	q := url.Values{}
	form := url.Values{}
	for range 1 + rng.IntN(6) {
		q.Add(hostileFields[rng.IntN(len(hostileFields))], pick())
	}
	for range 1 + rng.IntN(12) {
		form.Add(hostileFields[rng.IntN(len(hostileFields))], pick())
	}
	var body bytes.Buffer
	ctype := "application/x-www-form-urlencoded"
	if method != http.MethodGet {
		if multipartBody {
			mw := multipart.NewWriter(&body)
			for k, vs := range form {
				for _, v := range vs {
					_ = mw.WriteField(k, v)
				}
			}
			fw, _ := mw.CreateFormFile("file", pick()+".csv")
			_, _ = fw.Write([]byte("法人番号,名称\n" + pick() + "," + pick() + "\n"))
			_ = mw.Close()
			ctype = mw.FormDataContentType()
		} else {
			body.WriteString(form.Encode())
		}
	}
	req, err := http.NewRequest(method, base+strings.Join(segs, "/")+"?"+q.Encode(), &body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, route, err)
	}
	if method != http.MethodGet {
		req.Header.Set("Content-Type", ctype)
	}
	return req
}

// checkHostile sends req and fails on a 5xx or a body that shows Go or
// database error text.
func checkHostile(t testing.TB, c *http.Client, req *http.Request, who string) {
	t.Helper()
	what := req.Method + " " + req.URL.String() + " as " + who
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	if resp.StatusCode >= 500 {
		t.Errorf("%s: %d", what, resp.StatusCode)
	}
	if m := leak.FindString(b.String()); m != "" {
		t.Errorf("%s: the page shows %q", what, m)
	}
}

// hostileRoutes lists the router's routes, but not sign-out, which would
// end the session the other requests use.
func hostileRoutes(t testing.TB, env *servertest.Env) [][2]string {
	var routes [][2]string
	err := chi.Walk(env.Server.Router(), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if route != "/logout" {
			routes = append(routes, [2]string{method, route})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return routes
}

// TestHostileInput requests every route of the router with hostile URL
// parameters, queries and forms (URL-encoded and multipart), anonymously
// and as a few demo roles, and checks that none answers 5xx or shows error
// text. The seed is fixed, so a failure repeats.
func TestHostileInput(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	rng := rand.New(rand.NewPCG(16, 3))
	clients := map[string]*http.Client{"anonymous": env.Client(t)}
	for _, role := range []string{"nco-admin", "meti-admin", "toto-staff"} {
		clients[role] = env.SignIn(t, role)
	}
	routes := hostileRoutes(t, env)
	for _, who := range []string{"anonymous", "nco-admin", "meti-admin", "toto-staff"} {
		for _, rt := range routes {
			for i := range 4 {
				checkHostile(t, clients[who], hostileRequest(t, env.HTTP.URL, rt[0], rt[1], rng, i%2 == 1), who)
			}
		}
	}
}

// FuzzHostileInput is TestHostileInput driven by the fuzzer: it picks the
// route, the role and the random stream that fills the request.
func FuzzHostileInput(f *testing.F) {
	env := servertest.New(f)
	clients := []*http.Client{env.Client(f), env.SignIn(f, "nco-admin"), env.SignIn(f, "toto-staff")}
	routes := hostileRoutes(f, env)
	f.Add(uint(0), uint(0), uint64(1), false)
	f.Add(uint(7), uint(1), uint64(2), true)
	f.Add(uint(30), uint(2), uint64(3), false)
	f.Fuzz(func(t *testing.T, route, who uint, seed uint64, multipartBody bool) {
		rt := routes[route%uint(len(routes))]
		rng := rand.New(rand.NewPCG(seed, seed>>1))
		checkHostile(t, clients[who%uint(len(clients))], hostileRequest(t, env.HTTP.URL, rt[0], rt[1], rng, multipartBody), "fuzz")
	})
}
