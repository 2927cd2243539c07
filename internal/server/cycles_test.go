//go:build dev

package server_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
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

// TestSaveBeforeTheCycleOpens: an operator's section save before its
// cycle opens comes back with the reason and the date, in its language,
// and the answer is not stored.
func TestSaveBeforeTheCycleOpens(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	env.SmallCycle(t, "not-open", 2019) // a published catalog
	var catalog int64
	if err := env.DB.Owner.QueryRow(t.Context(), `SELECT id FROM catalogs WHERE code = 'not-open'`).Scan(&catalog); err != nil {
		t.Fatal(err)
	}
	tomorrow := env.DB.Today(t).AddDate(0, 0, 1)
	fy := kijun.FiscalYearOf(tomorrow)
	nco := env.NCO(t)
	if err := postgres.InTx(t.Context(), env.DB.App, nco, func(tx pgx.Tx) error {
		_, _, err := postgres.OpenCycle(t.Context(), tx, nco, postgres.CycleInput{FiscalYear: fy, CatalogID: catalog,
			OpensOn: tomorrow, DueOn: tomorrow.AddDate(0, 0, 1)}, nil, "test")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := env.DB.Owner.QueryRow(t.Context(), `SELECT a.id FROM assessments a JOIN cycles c ON c.id = a.cycle_id
		JOIN operators o ON o.id = a.operator_id WHERE c.fiscal_year = $1 AND o.corporate_number = '2010401000001'`, int(fy)).Scan(&id); err != nil {
		t.Fatal(err)
	}
	op := env.SignIn(t, "toto-staff")
	status, _, body := postForm(t, env, op, "/assessments/"+itoa64(id)+"/sections/GV", implemented("GV-01", 0))
	if status < 400 || !strings.Contains(body, "この評価サイクルは"+tomorrow.Format(time.DateOnly)+"に開始します") {
		t.Errorf("save before the cycle opens: %d\n%.3000s", status, body)
	}
	var n int
	if err := env.DB.Owner.QueryRow(t.Context(), `SELECT count(*) FROM answers WHERE assessment_id = $1`, id).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d answers stored (%v)", n, err)
	}
}
