package bulletin_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/bulletin"
)

// TestInquiryCloseRule: the answering side closes — the ministry always,
// the NCO once escalated, the operator never; any message reopens a
// closed thread; only open threads the operator wrote last wait.
func TestInquiryCloseRule(t *testing.T) {
	for _, c := range []struct {
		side      bulletin.Side
		escalated bool
		want      bool
	}{
		{bulletin.SideOperator, false, false}, {bulletin.SideOperator, true, false},
		{bulletin.SideMinistry, false, true}, {bulletin.SideMinistry, true, true},
		{bulletin.SideNCO, false, false}, {bulletin.SideNCO, true, true},
	} {
		if got := bulletin.CanClose(c.side, c.escalated); got != c.want {
			t.Errorf("CanClose(%s, escalated %v) = %v", c.side, c.escalated, got)
		}
	}
	now := time.Now()
	open := bulletin.Inquiry{LastSide: bulletin.SideOperator}
	closed := bulletin.Inquiry{LastSide: bulletin.SideOperator, ClosedAt: &now, ClosedSide: bulletin.SideMinistry}
	answered := bulletin.Inquiry{LastSide: bulletin.SideMinistry}
	if !open.WaitingForAnswer() || closed.WaitingForAnswer() || answered.WaitingForAnswer() {
		t.Error("WaitingForAnswer: only an open thread the operator wrote last waits")
	}
	if open.Reopens() || !closed.Reopens() || closed.Status() != bulletin.InquiryClosed || open.Status() != bulletin.InquiryOpen {
		t.Error("a message reopens a closed thread only; Status follows ClosedAt")
	}
	for in, want := range map[string]bulletin.InquiryStatus{"": bulletin.InquiryOpen, "open": bulletin.InquiryOpen,
		"closed": bulletin.InquiryClosed, "all": ""} {
		if got, ok := bulletin.ParseInquiryStatus(in); !ok || got != want {
			t.Errorf("ParseInquiryStatus(%q) = %q, %v", in, got, ok)
		}
	}
	if _, ok := bulletin.ParseInquiryStatus("done"); ok {
		t.Error("ParseInquiryStatus accepted an unknown status")
	}
}

// TestFAQWithdrawalChecks: a withdrawal needs a reason within its limit;
// an entry withdrawn or corrected is no longer current.
func TestFAQWithdrawalChecks(t *testing.T) {
	if bulletin.CheckWithdrawal("  ") != "faq.error.reason_required" || bulletin.CheckWithdrawal(strings.Repeat("あ", 2001)) != "faq.error.reason_long" ||
		bulletin.CheckWithdrawal("回答に誤りがありました。") != "" {
		t.Error("CheckWithdrawal")
	}
	now := time.Now()
	if !(bulletin.FAQ{}).Current() || (bulletin.FAQ{WithdrawnAt: &now}).Current() || (bulletin.FAQ{CorrectedBy: 2}).Current() {
		t.Error("Current")
	}
}

// TestReachesLater: a bulletin reaches an operator that enters its
// audience later only while it asks for an acknowledgement due today or
// later, in Japan.
func TestReachesLater(t *testing.T) {
	now := time.Date(2026, 12, 7, 15, 30, 0, 0, time.UTC) // 8 Dec 00:30 in Japan
	day := func(s string) *time.Time {
		d, _ := time.ParseInLocation(time.DateOnly, s, time.FixedZone("JST", 9*3600))
		return &d
	}
	for ack, want := range map[string]bool{"2026-12-07": false, "2026-12-08": true, "2026-12-20": true} {
		if got := (bulletin.Bulletin{AckBy: day(ack)}).ReachesLater(now); got != want {
			t.Errorf("ack by %s: ReachesLater %v, want %v", ack, got, want)
		}
	}
	if (bulletin.Bulletin{}).ReachesLater(now) {
		t.Error("a bulletin asking no acknowledgement reaches later operators")
	}
}
