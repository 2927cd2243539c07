package assessment

import (
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// CanSubmit, walked over every status and every state of the internal
// check: only a move to submitted resting on a current confirmation.
func TestCanSubmitEveryPair(t *testing.T) {
	now := time.Now()
	checks := map[string]*SignOff{
		"none":      nil,
		"current":   {Decision: SignOffConfirmed},
		"voided":    {Decision: SignOffConfirmed, VoidedAt: &now, VoidedWhy: VoidAnswerChanged},
		"returned":  {Decision: SignOffConfirmed, VoidedAt: &now, VoidedWhy: VoidReturned},
		"sent back": {Decision: SignOffSentBack, Comment: "直してください"},
	}
	for _, s := range Statuses {
		for name, c := range checks {
			got := CanSubmit(s, c)
			want := ""
			switch {
			case !s.CanMoveTo(Submitted):
				want = "assessment.transition"
			case name != "current":
				want = MsgNotConfirmed
			}
			if got != want {
				t.Errorf("%s with %s: %q, want %q", s, name, got, want)
			}
		}
	}
}

func TestCanSignOff(t *testing.T) {
	ready, open := Assignment{ReadyAt: new(time.Time)}, Assignment{}
	for _, s := range Statuses {
		for _, c := range []struct {
			d       SignOffDecision
			comment string
			list    []Assignment
			want    string
		}{
			{SignOffConfirmed, "", nil, ""},
			{SignOffConfirmed, "", []Assignment{ready, ready}, ""},
			{SignOffConfirmed, "", []Assignment{ready, open}, MsgNotAllReady},
			{SignOffSentBack, " \n", []Assignment{ready}, MsgSendBackComment},
			{SignOffSentBack, "見直し", []Assignment{open}, ""},
		} {
			want := c.want
			if !s.Editable() {
				want = MsgNotEditableCheck
			}
			if got := CanSignOff(s, c.d, c.comment, c.list); got != want {
				t.Errorf("%s %s %q: %q, want %q", s, c.d, c.comment, got, want)
			}
		}
	}
}

func TestCheckAssignmentDue(t *testing.T) {
	day := func(m time.Month, d int) time.Time { return time.Date(2027, m, d, 0, 0, 0, 0, kijun.JST) }
	asmDue, now := day(9, 30), day(6, 1)
	for _, c := range []struct {
		due  time.Time
		want string
	}{
		{day(9, 30), ""}, {day(6, 1), ""}, {day(10, 1), MsgAssignDueAfter}, {day(5, 31), MsgAssignDuePassed},
		// 23:30 UTC on 30 September is 1 October in Japan.
		{time.Date(2027, 9, 30, 23, 30, 0, 0, time.UTC), MsgAssignDueAfter},
	} {
		if got := CheckAssignmentDue(c.due, asmDue, now); got != c.want {
			t.Errorf("%v: %q, want %q", c.due, got, c.want)
		}
	}
}
