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

	"github.com/kijun-portal/kijun/internal/config"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestAssessmentExtension: the ministry overseeing an operator extends
// its due date on the assessment's page; refused input comes back with
// what was typed and the message next to the field (the server's clock
// decides what "today" is); the operator, another ministry and the NCO
// cannot; the extension is audited, shown to the operator, its ministry
// and the NCO, and told to the operator's users only.
func TestAssessmentExtension(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	clock := servertest.NewClock(time.Date(2028, 1, 20, 10, 0, 0, 0, kijun.JST))
	env := servertest.NewWith(t, db, db.App, func(c *config.Config) { c.Now = clock.Now })
	published, _ := catalogFixture(t, env)
	asms := xlOpenCycle(t, env, published, 2027) // due 2028-01-31
	ctx := context.Background()
	opID := func(corp string) int64 {
		var id int64
		if err := db.Owner.QueryRow(ctx, `SELECT id FROM operators WHERE corporate_number = $1`, corp).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	toto := asms[opID("2010401000001")]
	clients := map[string]*http.Client{}
	for _, who := range []string{"toto-staff", "toto-admin", "kitahama-admin", "meti-staff", "meti-admin", "fsa-staff", "nco-admin", "nco-analyst"} {
		clients[who] = env.SignIn(t, who)
	}
	page := fmt.Sprintf("/assessments/%d", toto)
	extend := env.HTTP.URL + page + "/extend"
	due := func() string {
		var d *time.Time
		if err := db.Owner.QueryRow(ctx, `SELECT due_on FROM assessments WHERE id = $1`, toto).Scan(&d); err != nil {
			t.Fatal(err)
		}
		if d == nil {
			return ""
		}
		return d.Format(time.DateOnly)
	}

	if status, body := env.Get(t, clients["meti-staff"], page); status != 200 || !strings.Contains(body, `id="extend-form"`) {
		t.Fatalf("ministry's page %d lacks the extension form", status)
	}
	for _, who := range []string{"toto-admin", "nco-admin"} {
		if _, body := env.Get(t, clients[who], page); strings.Contains(body, `id="extend-form"`) {
			t.Errorf("%s is offered the extension form", who)
		}
	}
	good := url.Values{"due_on": {"2028-02-29"}, "reason": {"基幹システム更改のため"}}
	for _, who := range []string{"toto-admin", "fsa-staff", "nco-admin"} {
		if status, _, _ := post(t, clients[who], extend, good); status != http.StatusNotFound {
			t.Errorf("%s extends: %d, want 404", who, status)
		}
	}
	if due() != "" {
		t.Fatalf("due date moved by someone else: %s", due())
	}

	meti := clients["meti-staff"]
	for _, c := range []struct {
		name     string
		form     url.Values
		field    string
		message  string
		typedVal string
	}{
		{"not later", url.Values{"due_on": {"2028-01-31"}, "reason": {"理由あり"}}, "due_on", "現在の提出期限(2028-01-31)より後", `value="2028-01-31"`},
		{"no reason", url.Values{"due_on": {"2028-02-29"}, "reason": {"  "}}, "reason", "延長の理由を入力してください", `value="2028-02-29"`},
		{"after the year", url.Values{"due_on": {"2028-04-01"}, "reason": {"年度をまたぐ"}}, "due_on", "年度の末日(2028-03-31)まで", ">年度をまたぐ</textarea>"},
		{"not a date", url.Values{"due_on": {"来月"}, "reason": {"理由"}}, "due_on", "日付は 2026-04-01 の形式", `value="来月"`},
		{"too long", url.Values{"due_on": {"2028-02-29"}, "reason": {strings.Repeat("あ", 2001)}}, "reason", "2000文字以内", `value="2028-02-29"`},
	} {
		status, _, body := post(t, meti, extend, c.form)
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="extend-`+c.field+`-error"`) ||
			!strings.Contains(body, c.message) || !strings.Contains(body, c.typedVal) || !strings.Contains(body, `aria-describedby="extend-`+c.field+`-error"`) {
			t.Errorf("%s: %d\n%.4000s", c.name, status, body)
		}
	}
	if due() != "" {
		t.Fatalf("a refused extension moved the due date: %s", due())
	}

	// Past due (the server's clock moved on): a date before today is refused.
	clock.Advance(20 * 24 * time.Hour) // 2028-02-09; sessions idle that long end
	for who := range clients {
		clients[who] = env.SignIn(t, who)
	}
	meti = clients["meti-staff"]
	if status, _, body := post(t, meti, extend, url.Values{"due_on": {"2028-02-05"}, "reason": {"理由"}}); status != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "今日以降の日付") {
		t.Errorf("a date already passed: %d", status)
	}
	if status, loc, _ := post(t, meti, extend, good); status != http.StatusSeeOther || !strings.Contains(loc, "done=extended") {
		t.Fatalf("extension: %d %s", status, loc)
	}
	if due() != "2028-02-29" {
		t.Fatalf("due date %q after the extension", due())
	}
	var audited int
	if err := db.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'assessment.extend' AND object_id = $1
		AND after->>'reason' = '基幹システム更改のため'`, fmt.Sprint(toto)).Scan(&audited); err != nil || audited != 1 {
		t.Errorf("audit events %d, %v", audited, err)
	}
	for _, who := range []string{"toto-staff", "meti-admin", "nco-analyst"} {
		status, body := env.Get(t, clients[who], page)
		if status != 200 || !strings.Contains(body, `id="extension-table"`) || !strings.Contains(body, "基幹システム更改のため") ||
			!strings.Contains(body, "2028年1月31日 → 2028年2月29日") || !strings.Contains(body, "延長前の提出期限: 2028年1月31日") {
			t.Errorf("%s does not see the extension: %d", who, status)
		}
	}
	if status, _ := env.Get(t, clients["fsa-staff"], page); status != http.StatusNotFound {
		t.Errorf("another ministry reads the page: %d", status)
	}

	// Told to the operator's users, and no one else.
	var got []string
	for _, n := range noticesOf(t, env) {
		if strings.Contains(n, ":assessment.extended:") {
			got = append(got, strings.SplitN(n, ":", 2)[0])
			if !strings.Contains(n, "2028年2月29日") || !strings.Contains(n, "29 February 2028") {
				t.Errorf("notice without the new date: %s", n)
			}
		}
	}
	if strings.Join(got, ",") != "toto-admin,toto-staff" {
		t.Errorf("extension told to %v, want toto-admin and toto-staff", got)
	}
}
