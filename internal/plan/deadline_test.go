package plan

import (
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/kijun"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, kijun.JST) }

func problemOf(ps []FieldProblem) string {
	if len(ps) == 0 {
		return ""
	}
	return ps[0].Field + ":" + ps[0].MessageID
}

func TestCheckPlanDeadline(t *testing.T) {
	now := time.Date(2027, 5, 10, 23, 30, 0, 0, kijun.JST)
	for _, c := range []struct {
		fy   kijun.FiscalYear
		due  time.Time
		want string
	}{
		{2027, day(2027, 7, 31), ""},
		{2027, day(2027, 5, 10), ""}, // today
		{2027, day(2028, 3, 31), ""}, // the year's last day
		{2027, day(2027, 5, 9), "due_on:" + DeadlinePast},
		{2027, day(2028, 4, 1), "due_on:" + DeadlineAfterYear},
		{2018, day(2027, 7, 31), "fiscal_year:" + DeadlineYear},
		{2201, day(2027, 7, 31), "fiscal_year:" + DeadlineYear},
	} {
		if got := problemOf(CheckPlanDeadline(c.fy, c.due, now)); got != c.want {
			t.Errorf("FY%d due %s: %q, want %q", c.fy, c.due.Format(time.DateOnly), got, c.want)
		}
	}
	if ps := CheckPlanDeadline(2027, day(2028, 4, 1), now); ps[0].Args["Date"] != "2028-03-31" {
		t.Errorf("the refusal names the year's last day: %v", ps[0].Args)
	}
}

func TestCheckRespondBy(t *testing.T) {
	now := time.Date(2028, 5, 10, 9, 0, 0, 0, kijun.JST)
	for _, c := range []struct {
		due  time.Time
		want string
	}{
		{day(2028, 6, 30), ""},
		{day(2029, 3, 31), ""}, // end of the year after FY2027
		{day(2028, 5, 9), "respond_by:" + DeadlinePast},
		{day(2029, 4, 1), "respond_by:" + DeadlineAfterYear},
	} {
		if got := problemOf(CheckRespondBy(2027, c.due, now)); got != c.want {
			t.Errorf("respond by %s: %q, want %q", c.due.Format(time.DateOnly), got, c.want)
		}
	}
}

func TestResponseOverdue(t *testing.T) {
	by := time.Date(2028, 6, 30, 0, 0, 0, 0, time.UTC) // a date as the database gives it
	onTheDay := time.Date(2028, 6, 30, 23, 59, 0, 0, kijun.JST)
	nextDay := time.Date(2028, 7, 1, 0, 0, 0, 0, kijun.JST)
	e := Evaluation{Published: true, RespondBy: &by}
	if e.ResponseOverdue(onTheDay) || !e.ResponseOverdue(nextDay) {
		t.Errorf("overdue on the day %v, the next day %v", e.ResponseOverdue(onTheDay), e.ResponseOverdue(nextDay))
	}
	answered := e
	answered.Response = "対応します。"
	draft := e
	draft.Published = false
	undated := e
	undated.RespondBy = nil
	for name, x := range map[string]Evaluation{"answered": answered, "draft": draft, "undated": undated} {
		if x.ResponseOverdue(nextDay) {
			t.Errorf("%s evaluation is overdue", name)
		}
	}
}
