package assessment

import (
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// TestCheckDelegationPeriod: the period's refusals, by field, in days in
// Japan.
func TestCheckDelegationPeriod(t *testing.T) {
	d := func(s string) time.Time {
		x, _ := time.ParseInLocation(time.DateOnly, s, kijun.JST)
		return x
	}
	now := time.Date(2027, 4, 10, 23, 30, 0, 0, kijun.JST) // late in the day in Japan
	for _, c := range []struct {
		from, to      time.Time
		wantF, wantTo string
	}{
		{d("2027-04-10"), d("2027-04-10"), "", ""},
		{d("2027-04-01"), d("2027-04-10"), "", ""}, // began earlier, still lasts today
		{time.Time{}, d("2027-04-12"), MsgDelegFromRequired, ""},
		{d("2027-04-12"), time.Time{}, "", MsgDelegToRequired},
		{d("2027-04-12"), d("2027-04-11"), "", MsgDelegToBeforeFrom},
		{d("2027-04-01"), d("2027-04-09"), "", MsgDelegEnded},
		{d("2027-04-10"), d("2028-04-10"), "", MsgDelegTooLong},
	} {
		got := CheckDelegationPeriod(c.from, c.to, now)
		if got["from"] != c.wantF || got["to"] != c.wantTo {
			t.Errorf("%v–%v: %v", c.from, c.to, got)
		}
	}
	del := Delegation{From: d("2027-04-10"), To: d("2027-04-11")}
	if !del.Active(now) || del.Active(now.AddDate(0, 0, 2)) || del.Active(now.AddDate(0, 0, -1)) {
		t.Error("Active")
	}
}
