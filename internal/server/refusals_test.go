//go:build dev

package server_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// Refused actions come back as their page with the reason beside the
// button or field they were about, never as a bare
// error page.

// wantPage fails unless body is a page (not the error page) holding every
// one of subs, once unescaped.
func wantPage(t *testing.T, what string, status, wantStatus int, body string, subs ...string) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("%s: status %d, want %d\n%.3000s", what, status, wantStatus, body)
	}
	body = html.UnescapeString(body)
	for _, s := range subs {
		if !strings.Contains(body, s) {
			t.Errorf("%s: the page lacks %q\n%.4000s", what, s, body)
		}
	}
}

func TestSupplementaryDeleteRefusedShowsWhyBesideTheControl(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	f := newPlanFix(t, env)
	id := f.plan("METI", "electricity", "draft")
	ref := f.supp(id)
	meti := env.SignIn(t, "meti-staff")
	// Submitted in another tab after this page was loaded.
	f.owner(func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), `UPDATE plan_versions SET status = 'submitted', submitted_at = now() WHERE plan_id = $1`, id)
		return err
	})
	status, _, body := postForm(t, env, meti, fmt.Sprintf("/plans/%d/supplementary/%s/delete", id, ref), nil)
	wantPage(t, "delete from a submitted plan", status, http.StatusConflict, body,
		`id="supp-`+ref+`"`, `id="supp-delete-error-`+ref+`"`, "提出済みの版は変更できません", `id="profile-form"`)
}

func TestEvaluationPublishRefusedShowsWhyBesideTheButton(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	f := newPlanFix(t, env)
	id := f.evaluation("METI", "electricity", false)
	f.owner(func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), `UPDATE plan_evaluations SET rating = '', findings = '所見(書きかけ)' WHERE id = $1`, id)
		return err
	})
	nco := env.SignIn(t, "nco-admin")
	status, _, body := postForm(t, env, nco, fmt.Sprintf("/evaluations/%d/publish", id), nil)
	wantPage(t, "publish without a rating", status, http.StatusUnprocessableEntity, body,
		`id="publish-error"`, `aria-describedby="publish-error"`, "評価(A〜D)を選んでください。", "所見(書きかけ)")
}

func TestProfileImportConfirmRefusedShowsTheProfile(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	f := newPlanFix(t, env)
	id := f.plan("METI", "electricity", "draft")
	meti := env.SignIn(t, "meti-staff")
	status, _, body := postForm(t, env, meti, fmt.Sprintf("/plans/%d/profile/import/confirm", id), url.Values{"token": {"stale"}})
	wantPage(t, "confirm without a preview", status, http.StatusConflict, body,
		`id="import-error"`, "確認画面の有効期限が切れたか、既に反映済みです。", `id="import-file"`,
		`aria-describedby="import-error"`, `id="profile-form"`)
}

// A preview whose rows another import registered in the meantime: the
// upload form again with the lines, not an error page.
func TestOperatorImportConfirmRefusedShowsTheForm(t *testing.T) {
	t.Parallel()
	e := regEnv{servertest.New(t), t}
	first, second := e.SignIn(t, "meti-staff"), e.SignIn(t, "meti-admin")
	text := []byte("法人番号,名称,分野,事業の範囲,指定区分,指定日\r\n" +
		corpNum(t, "900000000071") + ",競合電力株式会社,電力,一般送配電事業,重要インフラ事業者,2026-04-01\r\n")
	token := func(c *http.Client) string {
		status, body := regUpload(t, e.Env, c, "台帳.csv", text)
		wantStatus(t, "preview", status, 200, body)
		m := tokenField.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no confirm token:\n%.3000s", body)
		}
		return m[1]
	}
	a, b := token(first), token(second)
	status, _, body := regPost(t, e.Env, second, "/operators/import/confirm", url.Values{"token": {b}})
	wantStatus(t, "the other import", status, 303, body)
	status, _, body = regPost(t, e.Env, first, "/operators/import/confirm", url.Values{"token": {a}})
	wantPage(t, "a stale confirm", status, http.StatusConflict, body,
		`id="import-file-error"`, "確認画面を表示した後に登録簿が変更されたため、取り込みませんでした(2行目)", `id="import-file"`)
}

func TestGrantRestoreRefusedShowsWhyBesideTheGrant(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	env.SignIn(t, "toto-staff")
	staff := userOf(t, env, "toto-staff")
	var grantID int64
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT id FROM role_grants WHERE user_id = $1 AND revoked_at IS NULL`,
		staff).Scan(&grantID); err != nil {
		t.Fatal(err)
	}
	admin := env.SignIn(t, "toto-admin")
	if status, _, body := post(t, admin, fmt.Sprintf("%s/grants/%d/revoke", env.HTTP.URL, grantID), nil); status != http.StatusSeeOther {
		t.Fatalf("revoke: %d\n%.1000s", status, body)
	}
	// Another admin restores the same role at the same moment: the row it
	// wrote is older than the revoked one (a lower id), as when both
	// transactions read before either wrote.
	if _, err := env.DB.Owner.Exec(context.Background(), `INSERT INTO role_grants (id, user_id, role, operator_id, sector_code, source)
		OVERRIDING SYSTEM VALUE SELECT -id, user_id, role, operator_id, sector_code, 'directory' FROM role_grants WHERE id = $1`, grantID); err != nil {
		t.Fatal(err)
	}
	status, _, body := post(t, admin, fmt.Sprintf("%s/grants/%d/restore", env.HTTP.URL, grantID), nil)
	wantPage(t, "restore of a role held again", status, http.StatusConflict, body,
		`id="refused"`, "この利用者には、既に同じ権限が付与されています。", `aria-describedby="refused"`)
	if regexp.MustCompile(`class="notice notice--error"[^>]*id="refused"`).MatchString(body) {
		t.Error("the reason is at the top of the page, not beside the grant")
	}
}

func TestGrantRevokeRefusedShowsWhyBesideTheGrant(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	env.SignIn(t, "toto-staff")
	staff := userOf(t, env, "toto-staff")
	var grantID int64
	if err := env.DB.Owner.QueryRow(context.Background(), `SELECT id FROM role_grants WHERE user_id = $1 AND revoked_at IS NULL`,
		staff).Scan(&grantID); err != nil {
		t.Fatal(err)
	}
	admin := env.SignIn(t, "toto-admin")
	// Another admin revoked the grant while this one had the page open.
	if _, err := env.DB.Owner.Exec(context.Background(), `UPDATE role_grants SET revoked_at = now(), revoked_by = $2 WHERE id = $1`,
		grantID, userOf(t, env, "toto-admin")); err != nil {
		t.Fatal(err)
	}
	status, _, body := post(t, admin, fmt.Sprintf("%s/grants/%d/revoke", env.HTTP.URL, grantID), nil)
	wantPage(t, "revoke of a role revoked meanwhile", status, http.StatusConflict, body,
		`id="refused"`, "この権限は、既に取り消されています。", `aria-describedby="refused"`,
		fmt.Sprintf(`action="/grants/%d/restore"`, grantID))
	if regexp.MustCompile(`class="notice notice--error"[^>]*id="refused"`).MatchString(body) {
		t.Error("the reason is at the top of the page, not beside the grant")
	}
}
