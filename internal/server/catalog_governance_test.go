//go:build dev

package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/xuri/excelize/v2"

	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// govConsultation stores a small draft under code and opens it for
// consultation as an NCO admin.
func govConsultation(t testing.TB, env *servertest.Env, code string) int64 {
	t.Helper()
	id := catImportSmallDraft(t, env, code)
	nco := catNCOPrincipal(t, env)
	ctx := context.Background()
	if err := postgres.InTx(ctx, env.DB.App, nco, func(tx pgx.Tx) error {
		return postgres.OpenConsultation(ctx, tx, id, postgres.ActorOf(nco, "test"))
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

func init() {
	matrixCaseSets = append(matrixCaseSets, func(fx *tenantFixture) map[string]routeCase {
		pub, draft := catalogFixture(fx.t, fx.env)
		consult := govConsultation(fx.t, fx.env, "matrix-gov")
		ctx := context.Background()
		nco := catNCOPrincipal(fx.t, fx.env)
		var pc catalog.PublicComment
		if err := postgres.InTx(ctx, fx.env.DB.App, nco, func(tx pgx.Tx) (err error) {
			pc, err = postgres.AddPublicComment(ctx, tx, consult, "result.txt", []byte("結果の文書"), 1<<20, "概要", postgres.ActorOf(nco, "test"))
			return err
		}); err != nil {
			fx.t.Fatal(err)
		}
		n := 0
		freshConsultation := func(string, bool) string {
			n++
			return fmt.Sprintf("/catalogs/%d/consultation/withdraw", govConsultation(fx.t, fx.env, fmt.Sprintf("matrix-gov-%d", n)))
		}
		// Own: the version under consultation; foreign: the draft.
		consultOrDraft := func(suffix string) func(string, bool) string {
			return func(_ string, own bool) string {
				if own {
					return fmt.Sprintf("/catalogs/%d%s", consult, suffix)
				}
				return fmt.Sprintf("/catalogs/%d%s", draft, suffix)
			}
		}
		pubOrDraft := func(suffix string) func(string, bool) string {
			return func(_ string, own bool) string {
				if own {
					return fmt.Sprintf("/catalogs/%d%s", pub, suffix)
				}
				return fmt.Sprintf("/catalogs/%d%s", draft, suffix)
			}
		}
		ministries := []string{"meti-admin", "meti-staff", "fsa-staff"}
		readers := append([]string{"nco-admin", "nco-analyst"}, ministries...)
		govern := func(method string, ok int) func(string, bool) int {
			return allow(method, ok, []string{"nco-admin"}, []string{"nco-admin"})
		}
		return map[string]routeCase{
			"GET /catalogs/{id}/governance":               {consultOrDraft("/governance"), allow(http.MethodGet, 200, readers, []string{"nco-admin"})},
			"POST /catalogs/{id}/reasons":                 {fixed(fmt.Sprintf("/catalogs/%d/reasons", draft)), govern(http.MethodPost, 303)},
			"POST /catalogs/{id}/consultation/withdraw":   {freshConsultation, govern(http.MethodPost, 303)},
			"POST /catalogs/{id}/comments":                {consultOrDraft("/comments"), allow(http.MethodPost, 422, ministries, nil)},                 // empty comment
			"POST /catalogs/{id}/public-comments":         {fixed(fmt.Sprintf("/catalogs/%d/public-comments", consult)), govern(http.MethodPost, 422)}, // no file
			"GET /catalogs/public-comments/{pc}/download": {fixed(fmt.Sprintf("/catalogs/public-comments/%d/download", pc.ID)), allow(http.MethodGet, 200, readers, readers)},
			"POST /catalogs/{id}/decide":                  {fixed(fmt.Sprintf("/catalogs/%d/decide", consult)), govern(http.MethodPost, 422)}, // empty decision
			"GET /catalogs/{id}/diff.xlsx":                {pubOrDraft("/diff.xlsx"), allow(http.MethodGet, 200, withGrant, ncos)},
		}
	})
}

// TestCatalogGovernanceFlow: a revised control needs its 改定理由 before
// consultation; a ministry comments (and sees only its own ministry's
// comments), bad input comes back next to its field; the decision with a
// later 施行日 leaves the version decided, not in force; the diff
// exports as XLSX with the reasons.
func TestCatalogGovernanceFlow(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	pub, draft := catalogFixture(t, env)
	nco := env.SignIn(t, "nco-admin")
	ctl := catOwnerControl(t, env, draft, "GV-01")
	v := catControlValues(ctl)
	v.Set("statement_ja", ctl.Statement.Ja+"(毎年見直すこと。)")
	if status, _, body := catPostForm(t, env, nco, fmt.Sprintf("/catalogs/%d/controls/GV-01", draft), v); status != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%.2000s", status, body)
	}
	status, page := env.Get(t, nco, fmt.Sprintf("/catalogs/%d/consult", draft))
	if status != 200 || !strings.Contains(page, `id="publish-needs-reasons"`) || strings.Contains(page, `id="publish-form"`) {
		t.Errorf("consult page without reasons: %d\n%.3000s", status, page)
	}
	if status, _, body := catPostForm(t, env, nco, fmt.Sprintf("/catalogs/%d/consult", draft), nil); status != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "改定理由のない対策項目が1件あります") {
		t.Errorf("consult without reasons: %d\n%.3000s", status, body)
	}
	long := strings.Repeat("長", catalog.MaxReason+1)
	status, _, body := catPostForm(t, env, nco, fmt.Sprintf("/catalogs/%d/reasons", draft), url.Values{"reason-GV-01": {long}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="reason-GV-01-error"`) || !strings.Contains(body, long) ||
		!strings.Contains(body, `aria-invalid="true"`) {
		t.Errorf("too long a reason: %d\n%.3000s", status, body)
	}
	if status, loc, _ := catPostForm(t, env, nco, fmt.Sprintf("/catalogs/%d/reasons", draft), url.Values{"reason-GV-01": {"毎年の見直しを明記した。"}}); status != http.StatusSeeOther {
		t.Fatalf("reasons: %d %s", status, loc)
	}
	if status, _, body := catPostForm(t, env, nco, fmt.Sprintf("/catalogs/%d/consult", draft), nil); status != http.StatusSeeOther {
		t.Fatalf("consult: %d\n%.3000s", status, body)
	}

	// Ministries comment; each sees its own, the NCO all; operators nothing.
	meti, fsa := env.SignIn(t, "meti-staff"), env.SignIn(t, "fsa-staff")
	gov := fmt.Sprintf("/catalogs/%d/governance", draft)
	if status, page := env.Get(t, meti, gov); status != 200 || !strings.Contains(page, `id="comment-form"`) || !strings.Contains(page, "毎年の見直しを明記した。") {
		t.Fatalf("ministry's governance page: %d", status)
	}
	status, _, body = catPostForm(t, env, meti, fmt.Sprintf("/catalogs/%d/comments", draft), url.Values{"ref": {"GV-01"}, "body": {" "}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="comment-body-error"`) || !strings.Contains(body, `<option value="GV-01" selected`) {
		t.Errorf("empty comment: %d\n%.3000s", status, body)
	}
	status, _, body = catPostForm(t, env, meti, fmt.Sprintf("/catalogs/%d/comments", draft), url.Values{"ref": {"<script>"}, "body": {"x"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="comment-ref-error"`) {
		t.Errorf("hostile ref: %d\n%.3000s", status, body)
	}
	if status, _, _ := catPostForm(t, env, meti, fmt.Sprintf("/catalogs/%d/comments", draft), url.Values{"ref": {"GV-01"}, "body": {"経産省の意見です。"}}); status != http.StatusSeeOther {
		t.Fatalf("comment: %d", status)
	}
	if _, page := env.Get(t, fsa, gov); strings.Contains(page, "経産省の意見です。") {
		t.Error("FSA reads METI's comment")
	}
	if _, page := env.Get(t, nco, gov); !strings.Contains(page, "経産省の意見です。") {
		t.Error("the NCO does not read METI's comment")
	}
	if status, _ := env.Get(t, env.SignIn(t, "toto-staff"), gov); status != http.StatusNotFound {
		t.Errorf("operator reads a version under consultation: %d", status)
	}

	// The decision: bad dates back next to their field, then effective tomorrow.
	today := time.Now().In(kijun.JST)
	status, _, body = catPostForm(t, env, nco, fmt.Sprintf("/catalogs/%d/decide", draft), url.Values{"decided_by": {"推進専門家会議"},
		"reference": {"第40回"}, "decided_on": {today.Format("2006-01-02")}, "effective_on": {today.AddDate(0, 0, -1).Format("2006-01-02")}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="decide-effective_on-error"`) || !strings.Contains(body, `value="第40回"`) {
		t.Errorf("effective before decision: %d\n%.3000s", status, body)
	}
	status, loc, _ := catPostForm(t, env, nco, fmt.Sprintf("/catalogs/%d/decide", draft), url.Values{"decided_by": {"推進専門家会議"},
		"reference": {"第40回 決定第1号"}, "decided_on": {today.Format("2006-01-02")}, "effective_on": {today.AddDate(0, 0, 1).Format("2006-01-02")}})
	if status != http.StatusSeeOther || !strings.Contains(loc, "done=decided") {
		t.Fatalf("decide: %d %s", status, loc)
	}
	if a, b := catOwnerCatalog(t, env, pub).Status, catOwnerCatalog(t, env, draft).Status; a != catalog.Published || b != catalog.Decided {
		t.Errorf("decided with a later 施行日: old %s, new %s", a, b)
	}

	// The diff with its reasons, as XLSX.
	resp, err := meti.Get(env.HTTP.URL + fmt.Sprintf("/catalogs/%d/diff.xlsx", draft))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("diff.xlsx: %d", resp.StatusCode)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil || len(rows) != 2 || rows[1][0] != "GV-01" || rows[1][2] != "statement.ja" || rows[1][5] != "毎年の見直しを明記した。" {
		t.Errorf("diff rows %q (%v)", rows, err)
	}
}
