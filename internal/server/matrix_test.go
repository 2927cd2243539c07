//go:build dev

package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// The roles of the matrix: demo users of the development provider, plus
// an anonymous visitor and a signed-in user without any role.
var matrixRoles = []string{"anonymous", "newcomer", "nco-admin", "nco-analyst", "meti-admin", "meti-staff", "fsa-staff", "toto-admin", "toto-staff", "toto-reviewer"}

// tenantFixture names, per role, an object of its own tenant and one of
// another tenant, for routes with an id in the path.
type tenantFixture struct {
	env      *servertest.Env
	t        *testing.T
	operator map[string][2]int64 // role → {own, foreign} operator id
	user     map[string][2]int64 // role → {own, foreign} user id
	grant    func(own bool, role string) int64
	ids      map[string]int64 // demo operators by corporate number
	// q runs SQL as the owner and returns the first column (an id).
	q func(sql string, args ...any) int64
	// apiToken is the API token of each role (api_test.go): a token with
	// the role and scope of the demo user, an expired one for the
	// role-less newcomer, none for anonymous.
	apiToken map[string]string
	// extra holds, by route, what its request carries besides the path.
	extra map[string]requestExtra
}

// routeCase says how to request a route as a role on its own or a foreign
// tenant, and what status the policy gives.
type routeCase struct {
	path func(role string, own bool) string
	want func(role string, own bool) int
}

// requestExtra is a body and headers that go with a route's request.
type requestExtra struct {
	body   string
	header map[string]string
}

// matrixCaseSets lets each area's test file add the cases of its routes
// (in an init function), so that areas do not edit one shared table.
var matrixCaseSets []func(fx *tenantFixture) map[string]routeCase

// The role groups the matrix uses.
var (
	admins    = []string{"nco-admin", "meti-admin", "toto-admin"}
	withGrant = []string{"nco-admin", "nco-analyst", "meti-admin", "meti-staff", "fsa-staff", "toto-admin", "toto-staff", "toto-reviewer"}
	ncos      = []string{"nco-admin", "nco-analyst"}
)

// allow returns the expected status of a policy-guarded route: ok for the
// roles in who (on their own tenant; on a foreign one only those in
// foreign), a redirect to sign in for anonymous GETs (401 for POSTs), to
// the pending page for the role-less user, else 404.
func allow(method string, ok int, who []string, foreign []string) func(role string, own bool) int {
	return func(role string, own bool) int {
		switch {
		case role == "anonymous" && method == http.MethodGet:
			return http.StatusSeeOther
		case role == "anonymous":
			return http.StatusUnauthorized
		case role == "newcomer":
			return http.StatusSeeOther
		case slices.Contains(who, role) && (own || slices.Contains(foreign, role)):
			return ok
		}
		return http.StatusNotFound
	}
}

func always(status int) func(string, bool) int { return func(string, bool) int { return status } }

func fixed(p string) func(string, bool) string { return func(string, bool) string { return p } }

// byID builds paths with the role's own or foreign object id.
func byID(prefix string, ids map[string][2]int64, suffix string) func(string, bool) string {
	return func(role string, own bool) string {
		pair, ok := ids[role]
		if !ok { // roles without a tenant of this kind: any object
			pair = ids["meti-admin"]
		}
		id := pair[1]
		if own {
			id = pair[0]
		}
		return fmt.Sprintf("%s%d%s", prefix, id, suffix)
	}
}

// TestAuthorizationMatrix requests every route of the router as every role,
// on its own tenant's object and on another's, and checks the status. A
// route the matrix does not know fails the test, so a new route cannot
// skip the policy.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	q := func(sql string, args ...any) int64 {
		var id int64
		if err := env.DB.Owner.QueryRow(ctx, sql, args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	op := func(corp string) int64 { return q(`SELECT id FROM operators WHERE corporate_number = $1`, corp) }
	toto, kitahama, kakehashi := op("2010401000001"), op("1010401000002"), op("4010001000003")
	// Users in different tenants, each with one grant.
	user := func(name, role, ministry string, operator int64) int64 {
		id := q(`INSERT INTO users (display_name, email) VALUES ($1, $1 || '@example.jp') RETURNING id`, name)
		q(`INSERT INTO role_grants (user_id, role, ministry_code, operator_id, sector_code, source)
			VALUES ($1, $2, nullif($3, ''), nullif($4, 0), (SELECT sector_code FROM operators WHERE id = $4), 'directory') RETURNING id`,
			id, role, ministry, operator)
		return id
	}
	uMETI, uFSA := user("m-meti", "ministry_staff", "METI", 0), user("m-fsa", "ministry_staff", "FSA", 0)
	uToto, uKita := user("o-toto", "operator_staff", "", toto), user("o-kita", "operator_staff", "", kitahama)
	fx := &tenantFixture{
		env: env, t: t, q: q,
		ids: map[string]int64{"2010401000001": toto, "1010401000002": kitahama, "4010001000003": kakehashi},
		operator: map[string][2]int64{
			"meti-admin": {toto, kakehashi}, "meti-staff": {toto, kakehashi}, "fsa-staff": {kakehashi, toto},
			"toto-admin": {toto, kitahama}, "toto-staff": {toto, kitahama}, "toto-reviewer": {toto, kitahama},
		},
		user: map[string][2]int64{
			"meti-admin": {uMETI, uFSA}, "toto-admin": {uToto, uKita}, "fsa-staff": {uFSA, uMETI}, "meti-staff": {uMETI, uFSA},
			"toto-staff": {uToto, uKita}, "toto-reviewer": {uToto, uKita},
		},
	}
	// A fresh grant per revoke request, so that one request's success
	// does not change the next one's answer.
	fx.grant = func(own bool, role string) int64 {
		target := map[bool]int64{true: toto, false: kakehashi}
		if strings.HasPrefix(role, "toto") {
			target[false] = kitahama
		}
		u := q(`INSERT INTO users (display_name) VALUES ('grantee') RETURNING id`)
		return q(`INSERT INTO role_grants (user_id, role, operator_id, sector_code, source)
			SELECT $1, 'operator_staff', id, sector_code, 'directory' FROM operators WHERE id = $2 RETURNING id`, u, target[own])
	}

	cases := map[string]routeCase{
		"GET /healthz":                  {fixed("/healthz"), always(200)},
		"GET /readyz":                   {fixed("/readyz"), always(200)},
		"GET /static/*":                 {fixed("/static/kijun.css"), always(200)},
		"GET /dev-idp/*":                {fixed("/dev-idp/.well-known/openid-configuration"), always(200)},
		"GET /dev/mail":                 {fixed("/dev/mail"), always(200)},
		"GET /dev/mail/{id}":            {fixed("/dev/mail/1"), always(404)},    // nothing caught yet
		"POST /dev-idp/*":               {fixed("/dev-idp/login"), always(404)}, // no such sign-in in progress
		"GET /":                         {fixed("/"), func(role string, _ bool) int { return map[bool]int{true: 303, false: 200}[role == "newcomer"] }},
		"POST /lang":                    {fixed("/lang"), always(303)},
		"GET /sectors":                  {fixed("/sectors"), always(200)},
		"GET /sectors/{code}":           {fixed("/sectors/gas"), always(200)},
		"GET /login":                    {fixed("/login"), func(role string, _ bool) int { return map[bool]int{true: 200, false: 303}[role == "anonymous"] }},
		"GET /login/{provider}":         {fixed("/login/dev"), always(302)},
		"GET /auth/callback/{provider}": {fixed("/auth/callback/dev?state=x&code=y"), always(400)},
		"GET /account":                  {fixed("/account"), allow("GET", 200, withGrant, withGrant)},
		"GET /pending":                  {fixed("/pending"), func(role string, own bool) int { return map[bool]int{true: 200, false: 303}[role == "newcomer"] }},
		"POST /logout":                  {fixed("/logout"), func(role string, own bool) int { return map[bool]int{true: 401, false: 303}[role == "anonymous"] }},
		"GET /admin":                    {fixed("/admin"), allow("GET", 200, adminHubWho, adminHubWho)}, // whoever may open one of its tools (admin_test.go)
		"GET /users":                    {fixed("/users"), allow("GET", 200, admins, admins)},
		"GET /users/{id}":               {byID("/users/", fx.user, ""), allow("GET", 200, admins, []string{"nco-admin"})},
		"POST /grants":                  {fixed("/grants"), allow("POST", 422, admins, admins)}, // empty form: refused with messages
		"POST /grants/{id}/revoke":      {nil, allow("POST", 303, admins, []string{"nco-admin"})},
		"GET /audit":                    {fixed("/audit"), allow("GET", 200, []string{"nco-admin", "nco-analyst", "meti-admin", "meti-staff", "fsa-staff", "toto-admin"}, []string{"nco-admin", "nco-analyst", "meti-admin", "meti-staff", "fsa-staff", "toto-admin"})},
		"GET /operators":                {fixed("/operators"), allow("GET", 200, append([]string{"meti-admin", "meti-staff", "fsa-staff"}, ncos...), append([]string{"meti-admin", "meti-staff", "fsa-staff"}, ncos...))},
		"GET /operators/{id}":           {byID("/operators/", fx.operator, ""), allow("GET", 200, withGrant, ncos)},
	}
	cases["POST /grants/{id}/revoke"] = routeCase{
		path: func(role string, own bool) string { return fmt.Sprintf("/grants/%d/revoke", fx.grant(own, role)) },
		want: cases["POST /grants/{id}/revoke"].want,
	}
	// A fresh grant revoked by an admin, and a fresh invitation, per
	// request, like the revocations above.
	cases["POST /grants/{id}/restore"] = routeCase{
		path: func(role string, own bool) string {
			id := fx.grant(own, role)
			q(`UPDATE role_grants SET revoked_at = now(), revoked_by = user_id WHERE id = $1 RETURNING id`, id)
			return fmt.Sprintf("/grants/%d/restore", id)
		},
		want: allow("POST", 303, admins, []string{"nco-admin"}),
	}
	cases["POST /invitations/{id}/revoke"] = routeCase{
		path: func(role string, own bool) string {
			target := map[bool]int64{true: toto, false: kakehashi}
			if strings.HasPrefix(role, "toto") {
				target[false] = kitahama
			}
			by := q(`INSERT INTO users (display_name) VALUES ('inviter') RETURNING id`)
			return fmt.Sprintf("/invitations/%d/revoke", q(`INSERT INTO invitations (email, role, operator_id, sector_code, invited_by, expires_at)
				SELECT 'invitee@example.jp', 'operator_staff', id, sector_code, $1, now() + interval '1 day' FROM operators WHERE id = $2
				RETURNING id`, by, target[own]))
		},
		want: allow("POST", 303, admins, []string{"nco-admin"}),
	}
	for _, set := range matrixCaseSets {
		for route, c := range set(fx) {
			if _, dup := cases[route]; dup {
				t.Fatalf("route %s has two matrix cases", route)
			}
			cases[route] = c
		}
	}

	var routes []string
	if err := chi.Walk(env.Server.Router(), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routes = append(routes, method+" "+route)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, rt := range routes {
		if _, ok := cases[rt]; !ok {
			t.Errorf("route %s is not in the authorization matrix: add it with the statuses its policy gives", rt)
		}
	}

	clients := map[string]*http.Client{}
	apiClient := env.Client(t)
	client := func(role string) *http.Client {
		if role == "anonymous" {
			return env.Client(t)
		}
		if role == "newcomer" || clients[role] == nil {
			clients[role] = env.SignIn(t, role)
		}
		return clients[role]
	}
	// Sign-out last, so the other rows keep their sessions.
	slices.SortFunc(routes, func(a, b string) int {
		return map[bool]int{true: 1, false: 0}[a == "POST /logout"] - map[bool]int{true: 1, false: 0}[b == "POST /logout"]
	})
	for _, rt := range routes {
		c, ok := cases[rt]
		if !ok {
			continue
		}
		method, _, _ := strings.Cut(rt, " ")
		for _, role := range matrixRoles {
			for _, own := range []bool{true, false} {
				path := c.path(role, own)
				if rt == "POST /logout" {
					delete(clients, role) // each sign-out needs a session to end
				}
				var body io.Reader
				if b := fx.extra[rt].body; b != "" {
					body = strings.NewReader(b)
				}
				req, _ := http.NewRequest(method, env.HTTP.URL+path, body)
				if method == http.MethodPost {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				for k, v := range fx.extra[rt].header {
					req.Header.Set(k, v)
				}
				do := client(role).Do
				if strings.HasPrefix(path, "/api/v1/") { // bearer tokens, never the session
					req.Header.Set("Content-Type", "application/json")
					if tok := fx.apiToken[role]; tok != "" {
						req.Header.Set("Authorization", "Bearer "+tok)
					}
					do = apiClient.Do
				}
				resp, err := do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if want := c.want(role, own); resp.StatusCode != want {
					t.Errorf("%s %s as %s (own tenant %v): %d, want %d", method, path, role, own, resp.StatusCode, want)
				}
			}
		}
	}
}
