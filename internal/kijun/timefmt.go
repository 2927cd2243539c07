package kijun

import (
	"fmt"
	"time"
)

// Every date and time shown to people, in pages, exports and files, is in
// Japan Standard Time and goes through the functions below, so that a page
// never shows another zone's date. Calendar dates read from the database
// arrive as midnight UTC or midnight JST; both stay the same day in JST.

// FormatDate writes the JST calendar date of t: 「2025年9月30日」 or
// "30 September 2025".
func FormatDate(lang Lang, t time.Time) string {
	t = t.In(JST)
	if lang == En {
		return t.Format("2 January 2006")
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
}

// FormatDateTime writes t to the minute in JST: 「2025年9月30日 14:05」 or
// "30 Sep 2025 14:05 JST".
func FormatDateTime(lang Lang, t time.Time) string {
	t = t.In(JST)
	if lang == En {
		return t.Format("2 Jan 2006 15:04 JST")
	}
	return fmt.Sprintf("%d年%d月%d日 %s", t.Year(), t.Month(), t.Day(), t.Format("15:04"))
}

// ISODate writes the JST calendar date of t as 2006-01-02, for files,
// form values and <time datetime>.
func ISODate(t time.Time) string { return t.In(JST).Format(time.DateOnly) }

// ISODateTime writes t in JST with its offset (2006-01-02T15:04:05+09:00),
// for files and <time datetime>.
func ISODateTime(t time.Time) string { return t.In(JST).Format(time.RFC3339) }
