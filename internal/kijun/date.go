package kijun

import (
	"strings"
	"time"
)

// Date is a calendar date without time, written as 2006-01-02 in JSON.
type Date string

// ParseDate accepts 2006-01-02 (and 2006/01/02, as spreadsheets write it).
func ParseDate(s string) (Date, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), "/", "-")
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return "", false
	}
	return Date(t.Format("2006-01-02")), true
}

// Time returns the date at midnight JST, or the zero time.
func (d Date) Time() time.Time {
	t, err := time.ParseInLocation("2006-01-02", string(d), JST)
	if err != nil {
		return time.Time{}
	}
	return t
}
