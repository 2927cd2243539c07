//go:build dev

package server_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// TestCycleDatesCheckedOnTheForm: inverted dates and a due date after the
// fiscal year are refused next to the field; a due date already passed is
// warned about and opens only once confirmed; the form keeps the input.
func TestCycleDatesCheckedOnTheForm(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	env.SmallCycle(t, "cycle-form", 2019) // a published catalog
	var catalog string
	if err := env.DB.Owner.QueryRow(t.Context(), `SELECT id::text FROM catalogs WHERE code = 'cycle-form'`).Scan(&catalog); err != nil {
		t.Fatal(err)
	}
	nco := env.SignIn(t, "nco-admin")
	today := env.DB.Today(t)
	fy := kijun.FiscalYearOf(today)
	day := func(d time.Time) string { return d.Format(time.DateOnly) }
	form := func(opens, due time.Time, extra ...string) url.Values {
		v := url.Values{"fiscal_year": {itoa64(int64(fy))}, "catalog": {catalog}, "opens_on": {day(opens)}, "due_on": {day(due)}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return v
	}
	status, _, body := postForm(t, env, nco, "/cycles", form(today.AddDate(0, 0, 5), today.AddDate(0, 0, 4)))
	if status != 422 || !strings.Contains(body, `id="cycle-due_on-error"`) || !strings.Contains(body, "提出期限は開始日より後の日付") {
		t.Errorf("inverted dates: %d\n%.3000s", status, body)
	}
	status, _, body = postForm(t, env, nco, "/cycles", form(fy.Start(), (fy+1).Start().AddDate(0, 1, 0)))
	if status != 422 || !strings.Contains(body, "年度の末日") {
		t.Errorf("due after the fiscal year: %d\n%.3000s", status, body)
	}
	passed := form(today.AddDate(0, 0, -2), today.AddDate(0, 0, -1))
	status, _, body = postForm(t, env, nco, "/cycles", passed)
	if status != 422 || !strings.Contains(body, `id="cycle-due_on-warning"`) || !strings.Contains(body, `id="cycle-confirm_dates"`) ||
		!strings.Contains(body, `value="`+day(today.AddDate(0, 0, -1))+`"`) {
		t.Errorf("a due date passed is not warned about with the input kept: %d\n%.3000s", status, body)
	}
	passed.Set("confirm_dates", "yes")
	status, _, body = postForm(t, env, nco, "/cycles", passed)
	mustStatus(t, "confirmed", status, 303, body)
}
