//go:build dev

package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// The audit log speaks the reader's language: actions by name, the actor
// and the object by name with links to them, and what changed as fields
// with their old and new values — never raw keys, ids or JSON.
func TestAuditLogIsReadable(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	nco := env.SignIn(t, "nco-admin")
	uid := userOf(t, env, "nco-admin")
	toto := operatorOf(t, env, "2010401000001")
	ctx := context.Background()
	err := postgres.SystemTx(ctx, env.DB.App, func(tx pgx.Tx) error {
		return postgres.Audit(ctx, tx, audit.Event{
			ActorUserID: uid, ActorLabel: "国家サイバー統括室 管理者", Action: "operator.update",
			ObjectType: "operator", ObjectID: fmt.Sprint(toto), OperatorID: toto, SectorCode: "electricity",
		}, map[string]any{"name_ja": "旧い名称", "status": "active"}, map[string]any{"name_ja": "東都送配電(デモ)", "status": "active"})
	})
	if err != nil {
		t.Fatal(err)
	}
	row := func(body string) string {
		i := strings.Index(body, `data-action="operator.update"`)
		if i < 0 {
			t.Fatalf("the event is not listed")
		}
		rest := body[i:]
		if k := strings.Index(rest, `class="audit-row"`); k > 0 {
			rest = rest[:k]
		}
		return rest
	}
	for lang, want := range map[string][]string{
		"ja": {"事業者情報の更新", fmt.Sprintf(`href="/users/%d"`, uid), "国家サイバー統括室 管理者",
			fmt.Sprintf(`href="/operators/%d"`, toto), "事業者: 東都送配電", "名称(日本語)", "<del>旧い名称</del>", "<ins>東都送配電(デモ)</ins>"},
		"en": {"Operator details updated", fmt.Sprintf(`href="/operators/%d"`, toto), "Operator: ", "Name (Japanese)", "<del>旧い名称</del>"},
	} {
		status, body := env.Get(t, nco, "/audit?action=operator.", "Cookie", "kijun_lang="+lang)
		if status != http.StatusOK {
			t.Fatalf("%s: status %d", lang, status)
		}
		r := row(body)
		for _, w := range want {
			if !strings.Contains(r, w) {
				t.Errorf("%s: the event lacks %q:\n%s", lang, w, r)
			}
		}
		for _, raw := range []string{">operator.update<", `{"`, "operator " + fmt.Sprint(toto), "status"} {
			if strings.Contains(r, raw) {
				t.Errorf("%s: the event shows %q raw:\n%s", lang, raw, r)
			}
		}
	}
	// Sign-ins of the test are listed by name too.
	_, body := env.Get(t, nco, "/audit?action=auth.")
	if strings.Contains(body, ">auth.signin<") || !strings.Contains(body, "サインイン") {
		t.Error("sign-in events are not named")
	}
}
