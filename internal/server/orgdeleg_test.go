//go:build dev

package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// delegWorld is toto's assessment with every control answered, its admin
// and staff signed in, and their user ids.
type delegWorld struct {
	*xlWorld
	admin, staff     *http.Client
	adminID, staffID int64
	base, work       string
}

func newDelegWorld(t *testing.T) *delegWorld {
	t.Helper()
	w := &delegWorld{xlWorld: newXLWorld(t)}
	ctx := context.Background()
	w.admin, w.staff = xlSignIn(t, w.env, "toto-admin", kijun.Ja), xlSignIn(t, w.env, "toto-staff", kijun.Ja)
	for email, id := range map[string]*int64{"admin@toto-grid.example.jp": &w.adminID, "staff@toto-grid.example.jp": &w.staffID} {
		if err := w.env.DB.Owner.QueryRow(ctx, `SELECT id FROM users WHERE email = $1`, email).Scan(id); err != nil {
			t.Fatal(err)
		}
	}
	w.base = fmt.Sprintf("%s/assessments/%d", w.env.HTTP.URL, w.asm)
	w.work = fmt.Sprintf("/assessments/%d/work", w.asm)
	rows, err := w.env.DB.Owner.Query(ctx, `SELECT ref FROM assessment_controls WHERE assessment_id = $1`, w.asm)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range refs {
		w.saveInPortal(t, assessment.Answer{Ref: ref, Status: assessment.AnswerImplemented, How: "実施"})
	}
	return w
}

func (w *delegWorld) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := w.env.DB.Owner.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// TestOrgDeputySignsOffDuringTheAbsence: toto's admin records an absence
// and names its staff deputy; the deputy is told. Before the absence and
// after it the deputy cannot do the internal check; during it the
// admin's assignment shows on the deputy's list marked 代理, the deputy
// confirms, the check and the submission record the deputy and on whose
// behalf. Setting and cancelling are audited.
func TestOrgDeputySignsOffDuringTheAbsence(t *testing.T) {
	t.Parallel()
	w := newDelegWorld(t)
	ctx := context.Background()
	today := time.Now().In(kijun.JST)
	dayStr := func(d int) string { return today.AddDate(0, 0, d).Format(time.DateOnly) }

	// An assignment of the admin's own, ready.
	if status, _, body := post(t, w.admin, w.base+"/assignments", url.Values{"section": {"GV"}, "assignee": {itoa64(w.adminID)}, "due_on": {dayStr(3)}}); status != http.StatusSeeOther {
		t.Fatalf("assign: %d\n%.2000s", status, body)
	}
	var aid int64
	if err := w.env.DB.Owner.QueryRow(ctx, `SELECT id FROM assessment_assignments WHERE assessment_id = $1`, w.asm).Scan(&aid); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := post(t, w.admin, fmt.Sprintf("%s/assignments/%d/ready", w.base, aid), url.Values{"ready": {"1"}}); status != http.StatusSeeOther {
		t.Fatalf("ready: %d", status)
	}

	// Staff without a delegation: no check.
	if status, _, _ := post(t, w.staff, w.base+"/signoff", url.Values{"decision": {"confirmed"}}); status != http.StatusNotFound {
		t.Fatalf("staff confirming: %d, want 404", status)
	}
	// Staff record no absence (no internal check to hand over).
	if status, _, _ := post(t, w.staff, w.env.HTTP.URL+"/delegations", url.Values{"deputy": {itoa64(w.adminID)}}); status != http.StatusNotFound {
		t.Errorf("staff recording an absence: %d, want 404", status)
	}

	// The admin's page offers the form; the absence starts tomorrow.
	_, body := w.env.Get(t, w.admin, "/assignments")
	if !strings.Contains(body, `id="deleg-form"`) {
		t.Fatalf("no delegation form on the admin's list:\n%.3000s", body)
	}
	status, loc, body := post(t, w.admin, w.env.HTTP.URL+"/delegations", url.Values{"operator": {itoa64(w.toto)}, "deputy": {itoa64(w.staffID)},
		"from": {dayStr(1)}, "to": {dayStr(4)}})
	if status != http.StatusSeeOther || !strings.Contains(loc, "done=delegated") {
		t.Fatalf("delegate: %d %q\n%.2000s", status, loc, body)
	}
	var did int64
	if err := w.env.DB.Owner.QueryRow(ctx, `SELECT id FROM operator_delegations WHERE user_id = $1 AND deputy_id = $2`, w.adminID, w.staffID).Scan(&did); err != nil {
		t.Fatal(err)
	}
	var told, others, audited int
	w.env.DB.Owner.QueryRow(ctx, `SELECT count(*) FILTER (WHERE user_id = $1), count(*) FILTER (WHERE user_id <> $1)
		FROM notifications WHERE kind = 'delegation.set'`, w.staffID).Scan(&told, &others)
	if told != 1 || others != 0 {
		t.Errorf("the delegation told the deputy %d times and %d others", told, others)
	}
	w.env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'delegation.set' AND object_id = $1
		AND chain = 'operator:' || $2 AND (after->>'deputy')::bigint = $3`, itoa64(did), itoa64(w.toto), w.staffID).Scan(&audited)
	if audited != 1 {
		t.Errorf("delegation.set audited %d times", audited)
	}
	_, body = w.env.Get(t, w.staff, "/notifications")
	if !strings.Contains(body, "東都送配電 管理 五郎 さんの不在中") {
		t.Errorf("the deputy's inbox does not tell of it:\n%.3000s", body)
	}

	// Before the absence: refused, and the list has no 代理.
	if status, _, _ := post(t, w.staff, w.base+"/signoff", url.Values{"decision": {"confirmed"}}); status != http.StatusNotFound {
		t.Errorf("the deputy before the absence: %d, want 404", status)
	}
	if _, body := w.env.Get(t, w.staff, "/assignments"); strings.Contains(body, fmt.Sprintf(`id="deputy-%d"`, aid)) {
		t.Error("the absent user's assignment shows before the absence")
	}
	// After it: refused.
	w.exec(t, `UPDATE operator_delegations SET starts_on = $2, ends_on = $3 WHERE id = $1`, did, dayStr(-4), dayStr(-1))
	if status, _, _ := post(t, w.staff, w.base+"/signoff", url.Values{"decision": {"confirmed"}}); status != http.StatusNotFound {
		t.Errorf("the deputy after the absence: %d, want 404", status)
	}
	// The database refuses a deputy's check outside the period too, even
	// from a principal that believes the delegation holds (row-level
	// security, kijun_deputy_of).
	stale := identity.NewPrincipal(w.staffID, "東都送配電 担当 六子", "", []identity.Grant{{UserID: w.staffID,
		Role: identity.RoleOperatorStaff, OperatorID: w.toto, SectorCode: "electricity"}}, nil)
	stale.Deputyships = []identity.Deputyship{{ID: did, OperatorID: w.toto, ForUserID: w.adminID, ForName: "東都送配電 管理 五郎",
		From: today, To: today}}
	err := postgres.InTx(ctx, w.env.DB.App, stale, func(tx pgx.Tx) error {
		_, err := postgres.SignOff(ctx, tx, stale, w.asm, assessment.SignOffConfirmed, "", "test")
		return err
	})
	if kijun.ErrorCode(err) != kijun.EForbidden {
		t.Errorf("the database took a deputy's check after the absence: %v", err)
	}
	// During it: the work page offers the check as deputy; the list marks
	// the admin's assignment 代理.
	w.exec(t, `UPDATE operator_delegations SET starts_on = $2, ends_on = $3 WHERE id = $1`, did, dayStr(0), dayStr(2))
	_, body = w.env.Get(t, w.staff, w.work)
	if !strings.Contains(body, `id="signoff-form"`) || !strings.Contains(body, `id="signoff-deputy"`) {
		t.Fatalf("the deputy's work page:\n%.3000s", body)
	}
	_, body = w.env.Get(t, w.staff, "/assignments")
	if !strings.Contains(body, fmt.Sprintf(`id="deputy-%d"`, aid)) || !strings.Contains(body, "東都送配電 管理 五郎 さんの代理") {
		t.Errorf("the deputy's list does not mark the absent user's assignment:\n%.3000s", body)
	}
	if status, loc, body := post(t, w.staff, w.base+"/signoff", url.Values{"decision": {"confirmed"}}); status != http.StatusSeeOther || !strings.Contains(loc, "done=confirmed") {
		t.Fatalf("the deputy confirming during the absence: %d %q\n%.2000s", status, loc, body)
	}
	var byUser, onBehalf, delegation int64
	if err := w.env.DB.Owner.QueryRow(ctx, `SELECT by_user, on_behalf_of, delegation_id FROM assessment_signoffs
		WHERE assessment_id = $1 AND decision = 'confirmed' AND voided_at IS NULL`, w.asm).Scan(&byUser, &onBehalf, &delegation); err != nil {
		t.Fatal(err)
	}
	if byUser != w.staffID || onBehalf != w.adminID || delegation != did {
		t.Errorf("the check by %d for %d under %d", byUser, onBehalf, delegation)
	}
	_, body = w.env.Get(t, w.admin, fmt.Sprintf("/assessments/%d", w.asm))
	if !strings.Contains(body, "東都送配電 担当 六子 さんが 東都送配電 管理 五郎 さんの代理として社内確認済みにしました") {
		t.Errorf("the overview does not say the deputy confirmed:\n%.3000s", body)
	}
	if status, _, _ := post(t, w.staff, w.base+"/submit", nil); status != http.StatusSeeOther {
		t.Fatalf("submit: %d", status)
	}
	w.env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'assessment.submit'
		AND after->>'confirmed_by_name' = '東都送配電 担当 六子' AND after->>'on_behalf_of_name' = '東都送配電 管理 五郎'`).Scan(&audited)
	if audited != 1 {
		t.Errorf("%d submissions audited with the deputy and on whose behalf", audited)
	}

	// Cancelled by the admin: audited, and the deputy no longer checks.
	if status, loc, _ := post(t, w.admin, fmt.Sprintf("%s/delegations/%d/cancel", w.env.HTTP.URL, did), nil); status != http.StatusSeeOther || !strings.Contains(loc, "done=delegation_cancelled") {
		t.Fatalf("cancel: %d %q", status, loc)
	}
	w.env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'delegation.cancel' AND object_id = $1`, itoa64(did)).Scan(&audited)
	if audited != 1 {
		t.Errorf("delegation.cancel audited %d times", audited)
	}
	if _, body := w.env.Get(t, w.staff, "/assignments"); strings.Contains(body, fmt.Sprintf(`id="deputy-%d"`, aid)) {
		t.Error("a cancelled delegation still shows on the deputy's list")
	}
}

// TestOrgDeputyOfAnotherOperatorRefused: the page refuses a deputy of
// another operator, or oneself, next to the field with what was typed;
// the database refuses them whatever the writer.
func TestOrgDeputyOfAnotherOperatorRefused(t *testing.T) {
	t.Parallel()
	w := newXLWorld(t)
	ctx := context.Background()
	admin := xlSignIn(t, w.env, "toto-admin", kijun.Ja)
	var adminID, kitaUser int64
	if err := w.env.DB.Owner.QueryRow(ctx, `SELECT id FROM users WHERE email = 'admin@toto-grid.example.jp'`).Scan(&adminID); err != nil {
		t.Fatal(err)
	}
	if err := w.env.DB.Owner.QueryRow(ctx, `WITH u AS (INSERT INTO users (display_name) VALUES ('北浜 担当') RETURNING id)
		INSERT INTO role_grants (user_id, role, operator_id, sector_code, source)
		SELECT u.id, 'operator_staff', o.id, o.sector_code, 'directory' FROM u, operators o WHERE o.id = $1 RETURNING user_id`,
		w.kitaOperator(t)).Scan(&kitaUser); err != nil {
		t.Fatal(err)
	}
	from, to := time.Now().In(kijun.JST).Format(time.DateOnly), time.Now().In(kijun.JST).AddDate(0, 0, 2).Format(time.DateOnly)
	for _, c := range []struct {
		deputy int64
		msg    string
	}{
		{kitaUser, "代理は、同じ事業者の利用者から選んでください。"},
		{adminID, "ご自身を代理にすることはできません。"},
	} {
		status, _, body := post(t, admin, w.env.HTTP.URL+"/delegations", url.Values{"operator": {itoa64(w.toto)}, "deputy": {itoa64(c.deputy)},
			"from": {from}, "to": {to}})
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="deleg-deputy-error">`+c.msg) ||
			!strings.Contains(body, `value="`+to+`"`) || !strings.Contains(body, `aria-invalid="true"`) {
			t.Errorf("deputy %d: %d\n%.3000s", c.deputy, status, body)
		}
	}
	// A period that ended, next to its field.
	status, _, body := post(t, admin, w.env.HTTP.URL+"/delegations", url.Values{"operator": {itoa64(w.toto)}, "deputy": {"0"},
		"from": {"2020-01-01"}, "to": {"2020-01-02"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="deleg-to-error"`) || !strings.Contains(body, `value="2020-01-01"`) {
		t.Errorf("an ended period: %d\n%.3000s", status, body)
	}
	var n int
	w.env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM operator_delegations`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d delegations recorded", n)
	}
	// The database: another operator's user, or oneself, refused for the
	// owner too (the trigger and the table's check).
	for _, deputy := range []int64{kitaUser, adminID} {
		_, err := w.env.DB.Owner.Exec(ctx, `INSERT INTO operator_delegations (operator_id, sector_code, user_id, deputy_id, starts_on, ends_on)
			VALUES ($1, 'electricity', $2, $3, current_date, current_date)`, w.toto, adminID, deputy)
		if err == nil {
			t.Errorf("the database took deputy %d", deputy)
		}
	}
}

// kitaOperator is the other electricity operator of the world.
func (w *xlWorld) kitaOperator(t *testing.T) int64 {
	t.Helper()
	var id int64
	if err := w.env.DB.Owner.QueryRow(context.Background(), `SELECT operator_id FROM assessments WHERE id = $1`, w.kitaAsm).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestOrgReviewerSignsOffButAdministersNoUser: a reviewer (社内確認者),
// granted by the operator's admin through the grant form, does the
// internal check and records an absence, and reaches neither the user
// directory nor the grants.
func TestOrgReviewerSignsOffButAdministersNoUser(t *testing.T) {
	t.Parallel()
	w := newDelegWorld(t)
	ctx := context.Background()
	// The admin's grant form offers the role; the admin grants it.
	_, body := w.env.Get(t, w.admin, "/users")
	if !strings.Contains(body, `value="operator_reviewer"`) || !strings.Contains(body, "事業者 社内確認者") {
		t.Fatalf("the grant form does not offer the reviewer:\n%.3000s", body)
	}
	status, _, body := post(t, w.admin, w.env.HTTP.URL+"/grants", url.Values{"user": {itoa64(w.staffID)},
		"role": {"operator_reviewer"}, "operator": {itoa64(w.toto)}})
	if status != http.StatusSeeOther {
		t.Fatalf("grant the reviewer: %d\n%.2000s", status, body)
	}
	var n int
	w.env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM role_grants WHERE user_id = $1 AND role = 'operator_reviewer' AND revoked_at IS NULL`, w.staffID).Scan(&n)
	if n != 1 {
		t.Fatalf("%d reviewer grants", n)
	}
	reviewer := w.staff
	for _, page := range []string{"/users", fmt.Sprintf("/users/%d", w.adminID), "/audit"} {
		if status, _ := w.env.Get(t, reviewer, page); status != http.StatusNotFound {
			t.Errorf("the reviewer on %s: %d, want 404", page, status)
		}
	}
	if status, _, _ := post(t, reviewer, w.env.HTTP.URL+"/grants", url.Values{"user": {itoa64(w.adminID)},
		"role": {"operator_staff"}, "operator": {itoa64(w.toto)}}); status != http.StatusNotFound {
		t.Errorf("the reviewer granting: %d, want 404", status)
	}
	if status, _, _ := post(t, reviewer, w.base+"/assignments", url.Values{"section": {"GV"}}); status != http.StatusNotFound {
		t.Errorf("the reviewer assigning: %d, want 404", status)
	}
	// The internal check: sent back needs a comment; confirmed.
	_, body = w.env.Get(t, reviewer, w.work)
	if !strings.Contains(body, `id="signoff-form"`) || strings.Contains(body, `id="signoff-deputy"`) {
		t.Fatalf("the reviewer's work page:\n%.3000s", body)
	}
	if status, _, _ := post(t, reviewer, w.base+"/signoff", url.Values{"decision": {"sent_back"}, "comment": {"GV を見直してください"}}); status != http.StatusSeeOther {
		t.Errorf("the reviewer sending back: %d", status)
	}
	if status, _, body := post(t, reviewer, w.base+"/signoff", url.Values{"decision": {"confirmed"}}); status != http.StatusSeeOther {
		t.Fatalf("the reviewer confirming: %d\n%.2000s", status, body)
	}
	var by int64
	var delegated bool
	if err := w.env.DB.Owner.QueryRow(ctx, `SELECT by_user, delegation_id IS NOT NULL FROM assessment_signoffs
		WHERE assessment_id = $1 AND decision = 'confirmed'`, w.asm).Scan(&by, &delegated); err != nil || by != w.staffID || delegated {
		t.Errorf("the confirmation by %d, delegated %v (%v)", by, delegated, err)
	}
	// The reviewer records an absence too.
	_, body = w.env.Get(t, reviewer, "/assignments")
	if !strings.Contains(body, `id="deleg-form"`) {
		t.Errorf("no delegation form for the reviewer")
	}
	// The submission rests on the reviewer's confirmation.
	if status, _, _ := post(t, w.staff, w.base+"/submit", nil); status != http.StatusSeeOther {
		t.Fatalf("submit: %d", status)
	}
	w.env.DB.Owner.QueryRow(ctx, `SELECT count(*) FROM assessments a JOIN assessment_signoffs s ON s.id = a.signoff_id
		WHERE a.id = $1 AND s.by_user = $2`, w.asm, w.staffID).Scan(&n)
	if n != 1 {
		t.Error("the submission does not name the reviewer's confirmation")
	}
}

func init() {
	matrixCaseSets = append(matrixCaseSets, func(fx *tenantFixture) map[string]routeCase {
		q := fx.q
		toto, kita := fx.operator["toto-admin"][0], fx.operator["toto-admin"][1]
		// A fresh delegation per request (cancelling consumes it): of a
		// reviewer of toto's, or of kitahama's, to a user of the same
		// operator.
		delegation := func(op, deputy int64) int64 {
			u := q(`WITH u AS (INSERT INTO users (display_name) VALUES ('reviewer') RETURNING id)
				INSERT INTO role_grants (user_id, role, operator_id, sector_code, source)
				SELECT u.id, 'operator_reviewer', o.id, o.sector_code, 'directory' FROM u, operators o WHERE o.id = $1 RETURNING user_id`, op)
			return q(`INSERT INTO operator_delegations (operator_id, sector_code, user_id, deputy_id, starts_on, ends_on)
				SELECT o.id, o.sector_code, $2, $3, current_date, current_date + 1 FROM operators o WHERE o.id = $1 RETURNING id`, op, u, deputy)
		}
		return map[string]routeCase{
			// An empty form: refused next to its fields.
			"POST /delegations": {fixed("/delegations"), allow("POST", 422, []string{"toto-admin", "toto-reviewer"}, []string{"toto-admin", "toto-reviewer"})},
			"POST /delegations/{id}/cancel": {func(role string, own bool) string {
				if own {
					return fmt.Sprintf("/delegations/%d/cancel", delegation(toto, fx.user["toto-staff"][0]))
				}
				return fmt.Sprintf("/delegations/%d/cancel", delegation(kita, fx.user["toto-staff"][1]))
			}, allow("POST", 303, []string{"toto-admin"}, nil)}, // another reviewer's: its admins only
		}
	})
}
