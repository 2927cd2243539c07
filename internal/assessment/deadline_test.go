package assessment

import (
	"strings"
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/kijun"
)

func TestDueIsTheExtensionElseTheCycles(t *testing.T) {
	cycle := time.Date(2027, 9, 30, 0, 0, 0, 0, time.UTC) // a date as the database gives it
	if got := Due(nil, cycle); !got.Equal(time.Date(2027, 9, 30, 0, 0, 0, 0, kijun.JST)) {
		t.Errorf("no extension: %v", got)
	}
	own := time.Date(2027, 10, 31, 0, 0, 0, 0, time.UTC)
	if got := Due(&own, cycle); !got.Equal(time.Date(2027, 10, 31, 0, 0, 0, 0, kijun.JST)) {
		t.Errorf("extended: %v", got)
	}
}

// TestOverdueFromTheNextDayInJapan: due on D is overdue from D+1 00:00 JST
// (15:00 UTC on D), only while owed.
func TestOverdueFromTheNextDayInJapan(t *testing.T) {
	due := time.Date(2027, 9, 30, 0, 0, 0, 0, time.UTC)
	lastMinute := time.Date(2027, 9, 30, 14, 59, 59, 0, time.UTC) // 23:59:59 JST on D
	nextDay := time.Date(2027, 9, 30, 15, 0, 0, 0, time.UTC)      // 00:00 JST on D+1
	for _, s := range Statuses {
		owed := s == NotStarted || s == InProgress || s == Returned
		if s.Owed() != owed {
			t.Errorf("%s: owed %v", s, s.Owed())
		}
		if Overdue(s, due, lastMinute) {
			t.Errorf("%s: overdue on its due date", s)
		}
		if Overdue(s, due, nextDay) != owed {
			t.Errorf("%s: overdue the next day = %v, want %v", s, !owed, owed)
		}
		want := 0
		if owed {
			want = 8
		}
		if got := DaysOverdue(s, due, nextDay.AddDate(0, 0, 7)); got != want {
			t.Errorf("%s: %d days overdue a week later, want %d", s, got, want)
		}
	}
	if got := DaysOverdue(InProgress, due, nextDay); got != 1 {
		t.Errorf("the day after: %d days, want 1", got)
	}
	if got := DaysOverdue(InProgress, due, lastMinute); got != 0 {
		t.Errorf("on the day: %d days, want 0", got)
	}
}

func TestCheckExtension(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, kijun.JST) }
	now := time.Date(2027, 10, 5, 10, 0, 0, 0, kijun.JST)
	current := day(2027, 9, 30)
	fields := func(ps []Problem) map[string]string {
		m := map[string]string{}
		for _, p := range ps {
			m[p.Field] = p.MessageID
		}
		return m
	}
	for _, c := range []struct {
		name     string
		s        Status
		proposed time.Time
		reason   string
		want     map[string]string
	}{
		{"fine", InProgress, day(2027, 10, 31), "システム更改のため", map[string]string{}},
		{"today is fine", Returned, day(2027, 10, 5), "再提出の準備", map[string]string{}},
		{"last day of the year", NotStarted, day(2028, 3, 31), "理由", map[string]string{}},
		{"same date", InProgress, current, "理由", map[string]string{"due_on": ExtendNotLater}},
		{"earlier", InProgress, day(2027, 9, 1), "理由", map[string]string{"due_on": ExtendNotLater}},
		{"later but already passed", InProgress, day(2027, 10, 4), "理由", map[string]string{"due_on": ExtendPast}},
		{"after the fiscal year", InProgress, day(2028, 4, 1), "理由", map[string]string{"due_on": ExtendAfterYear}},
		{"no reason", InProgress, day(2027, 10, 31), "  \r\n ", map[string]string{"reason": ExtendNoReason}},
		{"reason too long", InProgress, day(2027, 10, 31), strings.Repeat("理", MaxExtensionReasonLen+1), map[string]string{"reason": ExtendReasonLong}},
		{"reason at the limit", InProgress, day(2027, 10, 31), strings.Repeat("理", MaxExtensionReasonLen), map[string]string{}},
		{"control character", InProgress, day(2027, 10, 31), "理由\x07", map[string]string{"reason": kijun.MsgTextControl}},
		{"bidi override", InProgress, day(2027, 10, 31), "理由\u202e", map[string]string{"reason": kijun.MsgTextControl}},
		{"submitted", Submitted, day(2027, 10, 31), "理由", map[string]string{"": ExtendNotOwed}},
		{"accepted", Accepted, day(2027, 10, 31), "理由", map[string]string{"": ExtendNotOwed}},
	} {
		got := fields(CheckExtension(2027, c.s, current, c.proposed, c.reason, now))
		if len(got) != len(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
			continue
		}
		for f, id := range c.want {
			if got[f] != id {
				t.Errorf("%s: %s = %q, want %q", c.name, f, got[f], id)
			}
		}
	}
	ps := CheckExtension(2027, InProgress, current, day(2027, 10, 31), strings.Repeat("理", MaxExtensionReasonLen+1), now)
	if len(ps) != 1 || ps[0].Args["Max"] != MaxExtensionReasonLen {
		t.Errorf("too long carries its limit: %+v", ps)
	}
}
