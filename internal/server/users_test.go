//go:build dev

package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// userOf is the account of the demo user subject (who has signed in).
func userOf(t *testing.T, env *servertest.Env, subject string) int64 {
	t.Helper()
	var id int64
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT user_id FROM identities WHERE subject = $1`, subject).Scan(&id); err != nil {
		t.Fatalf("account of %s: %v", subject, err)
	}
	return id
}

func operatorOf(t *testing.T, env *servertest.Env, corp string) int64 {
	t.Helper()
	var id int64
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT id FROM operators WHERE corporate_number = $1`, corp).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// activeGrants lists a user's active grants as role@scope.
func activeGrants(t *testing.T, env *servertest.Env, user int64) []string {
	t.Helper()
	rows, err := env.DB.Owner.Query(context.Background(), `SELECT role || '@' || coalesce(ministry_code, operator_id::text, '')
		FROM role_grants WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id`, user)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// invite has meti-admin invite invitee@example.jp as METI staff.
func invite(t *testing.T, env *servertest.Env) {
	t.Helper()
	admin := env.SignIn(t, "meti-admin")
	status, loc, body := post(t, admin, env.HTTP.URL+"/grants",
		url.Values{"email": {"Invitee@Example.jp"}, "role": {"ministry_staff"}, "ministry": {"METI"}})
	if status != http.StatusSeeOther {
		t.Fatalf("invitation: %d %q\n%.1500s", status, loc, body)
	}
}

func TestInvitationNeedsAVerifiedAddress(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	invite(t, env)
	// The provider gives this user the invited address but does not
	// vouch for it: no role, and the invitation stays open.
	c := env.SignIn(t, "invitee-unverified")
	if g := activeGrants(t, env, userOf(t, env, "invitee-unverified")); len(g) != 0 {
		t.Fatalf("a sign-in with an unverified address took the invitation's role: %v", g)
	}
	if s, _ := env.Get(t, c, "/audit"); s != http.StatusSeeOther {
		t.Fatalf("unverified user on /audit: %d, want 303 to the pending page", s)
	}
	// The verified one accepts it.
	env.SignIn(t, "invitee")
	if g := activeGrants(t, env, userOf(t, env, "invitee")); len(g) != 1 || g[0] != "ministry_staff@METI" {
		t.Fatalf("verified invitee's grants: %v, want [ministry_staff@METI]", g)
	}
	if n := auditCount(t, env, "invitation.accept", ""); n != 1 {
		t.Errorf("%d invitation.accept events, want 1", n)
	}
}

func TestInvitationNeverAttachesToAnEarlierAccount(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	// Someone else holds an account with the address before the
	// invitation exists: the oldest account with it.
	env.SignIn(t, "invitee-unverified")
	earlier := userOf(t, env, "invitee-unverified")
	invite(t, env)
	if g := activeGrants(t, env, earlier); len(g) != 0 {
		t.Fatalf("the invitation went to the earlier account with the address: %v", g)
	}
	env.SignIn(t, "invitee")
	if g := activeGrants(t, env, earlier); len(g) != 0 {
		t.Fatalf("the invitation went to the earlier account with the address: %v", g)
	}
	if g := activeGrants(t, env, userOf(t, env, "invitee")); len(g) != 1 {
		t.Fatalf("the account signing in with the verified address got %v", g)
	}
	// Accepted once: signing in again changes nothing.
	env.SignIn(t, "invitee-unverified")
	if g := activeGrants(t, env, earlier); len(g) != 0 {
		t.Fatalf("the earlier account took the accepted invitation: %v", g)
	}
}

func TestGrantFormSaysNothingAboutAddressesOutsideScope(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	env.SignIn(t, "kakehashi-admin") // exists, in another operator
	admin := env.SignIn(t, "toto-admin")
	toto := fmt.Sprint(operatorOf(t, env, "2010401000001"))
	answer := func(email string) string {
		status, loc, body := post(t, admin, env.HTTP.URL+"/grants",
			url.Values{"email": {email}, "role": {"operator_staff"}, "operator": {toto}})
		return fmt.Sprintf("%d %s\n%s", status, loc, body)
	}
	known, unknown := answer("admin@kakehashi-bank.example.jp"), answer("nobody@example.jp")
	if known != unknown {
		t.Fatalf("the form answers an existing address outside the admin's scope differently from an unknown one:\n%s\n---\n%s", known, unknown)
	}
	for _, g := range activeGrants(t, env, userOf(t, env, "kakehashi-admin")) {
		if strings.HasSuffix(g, "@"+toto) {
			t.Fatalf("the other operator's admin now holds %s", g)
		}
	}
}

func TestGrantFormRefusesAUserAndAnAddressTogether(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	env.SignIn(t, "toto-staff")
	admin := env.SignIn(t, "toto-admin")
	toto := fmt.Sprint(operatorOf(t, env, "2010401000001"))
	uid := fmt.Sprint(userOf(t, env, "toto-staff"))
	status, _, body := post(t, admin, env.HTTP.URL+"/grants",
		url.Values{"user": {uid}, "email": {"someone@example.jp"}, "role": {"operator_admin"}, "operator": {toto}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="grant-email-error"`) ||
		!strings.Contains(body, "どちらか一方にしてください") || !strings.Contains(body, `value="someone@example.jp"`) ||
		!strings.Contains(body, `<option value="`+uid+`" selected>`) {
		t.Fatalf("a user and an address together: %d, want 422 with the message at the fields and the input kept\n%.3000s", status, body)
	}
}

func TestRevokedClaimGrantStaysRevokedUntilRestored(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	env.SignIn(t, "toto-staff") // operator_staff from the asserted 法人番号
	staff := userOf(t, env, "toto-staff")
	toto := operatorOf(t, env, "2010401000001")
	var grantID int64
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT id FROM role_grants WHERE user_id = $1 AND revoked_at IS NULL`,
		staff).Scan(&grantID); err != nil {
		t.Fatal(err)
	}
	admin := env.SignIn(t, "toto-admin")
	if status, _, body := post(t, admin, fmt.Sprintf("%s/grants/%d/revoke", env.HTTP.URL, grantID), nil); status != http.StatusSeeOther {
		t.Fatalf("revoke: %d\n%.1000s", status, body)
	}
	for range 2 {
		c := env.SignIn(t, "toto-staff")
		if g := activeGrants(t, env, staff); len(g) != 0 {
			t.Fatalf("the revoked grant came back at sign-in: %v", g)
		}
		if s, _ := env.Get(t, c, "/account"); s != http.StatusSeeOther {
			t.Fatalf("revoked user on /account: %d, want 303 to the pending page", s)
		}
	}
	// Another operator's admin can neither see nor restore it.
	other := env.SignIn(t, "kitahama-admin")
	if status, _, _ := post(t, other, fmt.Sprintf("%s/grants/%d/restore", env.HTTP.URL, grantID), nil); status != http.StatusNotFound {
		t.Fatalf("another operator's admin restoring: %d, want 404", status)
	}
	s, page := env.Get(t, admin, fmt.Sprintf("/users/%d", staff))
	if s != http.StatusOK || !strings.Contains(page, fmt.Sprintf(`action="/grants/%d/restore"`, grantID)) {
		t.Fatalf("the user's page offers no restore: %d\n%.3000s", s, page)
	}
	status, loc, _ := post(t, admin, fmt.Sprintf("%s/grants/%d/restore", env.HTTP.URL, grantID), nil)
	if status != http.StatusSeeOther || loc != fmt.Sprintf("/users/%d", staff) {
		t.Fatalf("restore: %d %q", status, loc)
	}
	want := fmt.Sprintf("operator_staff@%d", toto)
	for range 2 {
		if g := activeGrants(t, env, staff); len(g) != 1 || g[0] != want {
			t.Fatalf("after the restore: %v, want [%s]", g, want)
		}
		env.SignIn(t, "toto-staff")
	}
	for _, action := range []string{"grant.revoke", "grant.restore"} {
		if n := auditCount(t, env, action, ""); n != 1 {
			t.Errorf("%d %s events, want 1", n, action)
		}
	}
}

func TestInvitationsAreListedAndRevoked(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	invite(t, env)
	if n := auditCount(t, env, "invitation.create", ""); n != 1 {
		t.Fatalf("%d invitation.create events, want 1", n)
	}
	admin := env.SignIn(t, "meti-admin")
	var id int64
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT id FROM invitations`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	s, page := env.Get(t, admin, "/users")
	if s != http.StatusOK || !strings.Contains(page, "invitee@example.jp") {
		t.Fatalf("/users does not list the invitation: %d", s)
	}
	// The same invitation twice is refused at the address.
	status, _, body := post(t, admin, env.HTTP.URL+"/grants",
		url.Values{"email": {"invitee@example.jp"}, "role": {"ministry_staff"}, "ministry": {"METI"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "有効な招待が既にあります") {
		t.Fatalf("a second identical invitation: %d", status)
	}
	fsa := env.SignIn(t, "fsa-staff")
	if status, _, _ := post(t, fsa, fmt.Sprintf("%s/invitations/%d/revoke", env.HTTP.URL, id), nil); status != http.StatusNotFound {
		t.Fatalf("FSA staff revoking a METI invitation: %d, want 404", status)
	}
	if status, loc, _ := post(t, admin, fmt.Sprintf("%s/invitations/%d/revoke", env.HTTP.URL, id), nil); status != http.StatusSeeOther || loc != "/users#invitations" {
		t.Fatalf("revoke invitation: %d %q", status, loc)
	}
	env.SignIn(t, "invitee")
	if g := activeGrants(t, env, userOf(t, env, "invitee")); len(g) != 0 {
		t.Fatalf("a revoked invitation was accepted: %v", g)
	}
	if n := auditCount(t, env, "invitation.revoke", ""); n != 1 {
		t.Errorf("%d invitation.revoke events, want 1", n)
	}
}

// The grant form offers exactly the roles the policy lets this admin give:
// an operator admin only operator roles, a ministry admin ministry and
// operator roles, the NCO admin every role.
func TestGrantFormOffersOnlyGrantableRoles(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	roleOptions := regexp.MustCompile(`<select id="grant-role" name="role">(.*?)</select>`)
	for who, want := range map[string][]string{
		"toto-admin": {"operator_admin", "operator_reviewer", "operator_staff"},
		"meti-admin": {"ministry_admin", "ministry_staff", "operator_admin", "operator_reviewer", "operator_staff"},
		"nco-admin":  {"nco_admin", "nco_analyst", "ministry_admin", "ministry_staff", "operator_admin", "operator_reviewer", "operator_staff"},
	} {
		status, body := env.Get(t, env.SignIn(t, who), "/users")
		m := roleOptions.FindStringSubmatch(body)
		if status != http.StatusOK || m == nil {
			t.Errorf("%s: status %d, no role choice", who, status)
			continue
		}
		var got []string
		for _, o := range regexp.MustCompile(`<option value="([a-z_]+)"`).FindAllStringSubmatch(m[1], -1) {
			got = append(got, o[1])
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s is offered roles %v, want %v", who, got, want)
		}
		if who == "toto-admin" && strings.Contains(body, `id="grant-ministry"`) {
			t.Errorf("toto-admin is offered a ministry to grant in")
		}
	}
}
