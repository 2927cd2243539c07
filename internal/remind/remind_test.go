package remind_test

import (
	"slices"
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/remind"
)

// TestFiresOn: the default rules (30, 7, 1 days before, every 7 days
// overdue) fire on exactly these days around a due date of 31 January,
// counted in Japan whatever the zone of the times given.
func TestFiresOn(t *testing.T) {
	due := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	var got []string
	for d := -40; d <= 30; d++ {
		// 23:30 UTC is the next day in Japan: the rule counts JST days.
		day := time.Date(2026, 1, 31, 23, 30, 0, 0, time.UTC).AddDate(0, 0, d-1)
		for _, r := range remind.Defaults {
			if r.FiresOn(due, day) {
				got = append(got, day.In(kijun.JST).Format("01-02")+" "+string(r.Kind))
			}
		}
	}
	want := []string{"01-01 before", "01-24 before", "01-30 before", "02-07 overdue", "02-14 overdue", "02-21 overdue", "02-28 overdue"}
	if len(got) != len(want) {
		t.Fatalf("fires on %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("fires on %v, want %v", got, want)
		}
	}
}

func TestOpenAndParse(t *testing.T) {
	if got := remind.OpenStatuses(); !slices.Equal(got, []string{"not_started", "in_progress", "returned"}) {
		t.Errorf("OpenStatuses() = %v", got)
	}
	for _, c := range []struct {
		kind, days string
		field      string
	}{
		{"before", "0", ""}, {"before", "180", ""}, {"before", "181", "days"}, {"before", "-1", "days"},
		{"overdue", "0", "days"}, {"overdue", "90", ""}, {"overdue", "七", "days"}, {"weekly", "7", "kind"},
	} {
		_, errs := remind.ParseRule(c.kind, c.days)
		if (c.field == "") != (len(errs) == 0) || c.field != "" && errs[c.field] == "" {
			t.Errorf("ParseRule(%q, %q) = %v", c.kind, c.days, errs)
		}
	}
}

// TestNotice: before and on the due date a reminder.due with the days
// left, after it a reminder.overdue with the days past, both about the
// operator's own assessment.
func TestNotice(t *testing.T) {
	c := remind.Candidate{AssessmentID: 9, OperatorID: 3, SectorCode: "gas", OperatorName: kijun.Text{Ja: "東都ガス", En: "Toto Gas"},
		Due: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)}
	e := remind.Notice(c, 2025, time.Date(2026, 1, 24, 9, 0, 0, 0, kijun.JST), 0)
	if e.Kind != notify.ReminderDue || e.Params["Days"].Ja != "7" || e.Params["Due"].Ja != "2026年1月31日" || e.Link != "/assessments/9" ||
		e.Scope.OperatorID != 3 {
		t.Errorf("before: %+v", e)
	}
	e = remind.Notice(c, 2025, time.Date(2026, 2, 3, 9, 0, 0, 0, kijun.JST), 0)
	if e.Kind != notify.ReminderOverdue || e.Params["Days"].En != "3" {
		t.Errorf("after: %+v", e)
	}
	if n := c.DaysOverdue(time.Date(2026, 2, 3, 9, 0, 0, 0, kijun.JST)); n != 3 {
		t.Errorf("DaysOverdue %d", n)
	}
}
