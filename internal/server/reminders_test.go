//go:build dev

package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kijun-portal/kijun/internal/server/servertest"
)

var remindersWho = []string{"nco-admin", "nco-analyst", "meti-admin", "meti-staff", "fsa-staff"}

func init() {
	matrixCaseSets = append(matrixCaseSets, func(fx *tenantFixture) map[string]routeCase {
		cycle := fx.q(`SELECT coalesce(max(id), 0) FROM cycles WHERE status = 'open'`)
		if cycle == 0 {
			fx.env.SmallCycle(fx.t, "remind-matrix", 2040)
			cycle = fx.q(`SELECT max(id) FROM cycles WHERE status = 'open'`)
		}
		var n atomic.Int64
		managers := []string{"nco-admin", "meti-admin", "meti-staff", "fsa-staff"}
		return map[string]routeCase{
			"GET /reminders":                   {fixed("/reminders"), allow("GET", 200, remindersWho, remindersWho)},
			"POST /reminders/rules":            {fixed("/reminders/rules"), allow("POST", 422, managers, managers)}, // empty form: refused with messages
			"GET /reminders/escalation":        {fixed("/reminders/escalation"), allow("GET", 200, remindersWho, remindersWho)},
			"POST /reminders/escalation":       {fixed("/reminders/escalation"), allow("POST", 303, remindersWho, remindersWho)},
			"GET /reminders/escalation/export": {fixed("/reminders/escalation/export?format=csv"), allow("GET", 200, remindersWho, remindersWho)},
			"POST /reminders/rules/{id}/delete": {
				// A fresh rule of the role's own sector (a default for the
				// NCO), or of another ministry's sector.
				path: func(role string, own bool) string {
					sector := map[bool]string{true: "electricity", false: "finance"}[own]
					if role == "fsa-staff" {
						sector = map[bool]string{true: "finance", false: "electricity"}[own]
					}
					if role == "nco-admin" && own {
						sector = ""
					}
					return fmt.Sprintf("/reminders/rules/%d/delete", fx.q(`INSERT INTO reminder_rules (cycle_id, sector_code, kind, days)
						VALUES ($1, nullif($2, ''), 'before', $3) RETURNING id`, cycle, sector, 100+n.Add(1)))
				},
				want: allow("POST", 303, managers, []string{"nco-admin"}),
			},
		}
	})
}

// TestReminderPages: the NCO adds a default rule and a ministry one for
// its sector; refused input comes back in its field with what was typed;
// the escalation list reminds an operator once a day and says so, and
// exports as CSV with a BOM and as XLSX.
func TestReminderPages(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ids := env.SmallCycle(t, "remind-test", 2030)
	var cycle int64
	for _, id := range ids {
		if err := env.DB.Owner.QueryRow(t.Context(), `SELECT cycle_id FROM assessments WHERE id = $1`, id).Scan(&cycle); err != nil {
			t.Fatal(err)
		}
	}
	c := fmt.Sprint(cycle)
	nco, meti := env.SignIn(t, "nco-admin"), env.SignIn(t, "meti-staff")

	status, loc, body := postForm(t, env, nco, "/reminders/rules", url.Values{"cycle": {c}, "sector": {""}, "kind": {"before"}, "days": {"30"}})
	mustStatus(t, "NCO adds a default", status, http.StatusSeeOther, body)
	if _, page := env.Get(t, nco, loc); !strings.Contains(page, "全分野（既定）") || !strings.Contains(page, "提出期限の 30 日前") {
		t.Errorf("rules page after adding:\n%.3000s", page)
	}
	// A ministry: no default, days out of range kept as typed.
	status, _, body = postForm(t, env, meti, "/reminders/rules", url.Values{"cycle": {c}, "sector": {""}, "kind": {"overdue"}, "days": {"365"}})
	mustStatus(t, "METI adds a default", status, http.StatusUnprocessableEntity, body)
	for _, want := range []string{`id="rule-sector-error"`, `id="rule-days-error"`, "期限の後の日数は 1〜90 日", `value="365"`} {
		if !strings.Contains(body, want) {
			t.Errorf("refused form lacks %s:\n%.4000s", want, body)
		}
	}
	status, _, body = postForm(t, env, meti, "/reminders/rules", url.Values{"cycle": {c}, "sector": {"electricity"}, "kind": {"overdue"}, "days": {"7"}})
	mustStatus(t, "METI adds for electricity", status, http.StatusSeeOther, body)
	status, _, body = postForm(t, env, meti, "/reminders/rules", url.Values{"cycle": {c}, "sector": {"electricity"}, "kind": {"overdue"}, "days": {"7"}})
	mustStatus(t, "the same rule twice", status, http.StatusUnprocessableEntity, body)
	if !strings.Contains(body, "同じ督促がすでにあります") {
		t.Errorf("duplicate not said:\n%.3000s", body)
	}

	// The escalation list: METI's operators that have not submitted.
	status, page := env.Get(t, meti, "/reminders/escalation?cycle="+c)
	mustStatus(t, "METI's list", status, http.StatusOK, page)
	if !strings.Contains(page, "1 日 1 回まで") || strings.Contains(page, "かけはし") {
		t.Errorf("METI's list:\n%.5000s", page)
	}
	rows := strings.Count(page, `class="esc-row"`)
	if rows == 0 {
		t.Fatalf("no operator listed:\n%.5000s", page)
	}
	status, loc, body = postForm(t, env, meti, "/reminders/escalation", url.Values{"cycle": {c}})
	mustStatus(t, "remind all", status, http.StatusSeeOther, body)
	if _, page := env.Get(t, meti, loc); !strings.Contains(page, fmt.Sprintf("%d 事業者に督促を送りました", rows)) ||
		strings.Count(page, "本日送信済み") != rows {
		t.Errorf("after reminding all (%d):\n%.5000s", rows, page)
	}
	status, loc, body = postForm(t, env, meti, "/reminders/escalation", url.Values{"cycle": {c}})
	mustStatus(t, "remind all again", status, http.StatusSeeOther, body)
	if !strings.Contains(loc, "sent=0") {
		t.Errorf("a second click the same day sent: %s", loc)
	}

	status, csv := env.Get(t, meti, "/reminders/escalation/export?format=csv&cycle="+c)
	mustStatus(t, "CSV", status, http.StatusOK, csv)
	if !strings.HasPrefix(csv, "\uFEFF分野,重要インフラ事業者,状況,提出期限,超過日数") || strings.Count(csv, "\r\n") != rows+1 {
		t.Errorf("CSV:\n%s", csv)
	}
	status, xb := env.Get(t, meti, "/reminders/escalation/export?format=xlsx&cycle="+c)
	mustStatus(t, "XLSX", status, http.StatusOK, "")
	f, err := excelize.OpenReader(bytes.NewReader([]byte(xb)))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := f.GetRows("not-submitted")
	if len(got) != rows+1 || got[0][1] != "重要インフラ事業者" {
		t.Errorf("XLSX rows %v", got)
	}
	// Another ministry's sector is not found.
	if status, _ := env.Get(t, env.SignIn(t, "fsa-staff"), "/reminders/escalation?sector=electricity"); status != http.StatusNotFound {
		t.Errorf("FSA on electricity: %d", status)
	}
}
