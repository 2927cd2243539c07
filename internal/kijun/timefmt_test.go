package kijun

import (
	"testing"
	"time"
)

// TestFormatsInJST: an instant late in the UTC day is already the next
// day in Japan, and every formatter says so.
func TestFormatsInJST(t *testing.T) {
	at := time.Date(2026, time.March, 31, 15, 30, 0, 0, time.UTC) // 1 April 00:30 JST
	for _, c := range [][2]string{
		{FormatDate(Ja, at), "2026年4月1日"},
		{FormatDate(En, at), "1 April 2026"},
		{FormatDateTime(Ja, at), "2026年4月1日 00:30"},
		{FormatDateTime(En, at), "1 Apr 2026 00:30 JST"},
		{ISODate(at), "2026-04-01"},
		{ISODateTime(at), "2026-04-01T00:30:00+09:00"},
	} {
		if got, want := c[0], c[1]; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	// A calendar date read from the database (midnight UTC) keeps its day.
	if got := FormatDate(Ja, time.Date(2027, time.January, 31, 0, 0, 0, 0, time.UTC)); got != "2027年1月31日" {
		t.Errorf("a DATE value became %q", got)
	}
}
