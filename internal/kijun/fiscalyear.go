package kijun

import (
	"strconv"
	"time"
)

// FiscalYear is a Japanese fiscal year (年度), April to March, named by the
// calendar year it starts in: FY2027 is 令和9年度, 2027-04-01 – 2028-03-31.
type FiscalYear int

// FiscalYearOf returns the fiscal year t falls in, in Japan's time zone.
func FiscalYearOf(t time.Time) FiscalYear {
	t = t.In(JST)
	if t.Month() < time.April {
		return FiscalYear(t.Year() - 1)
	}
	return FiscalYear(t.Year())
}

// JST is Japan Standard Time (no daylight saving).
var JST = time.FixedZone("JST", 9*60*60)

// Reiwa returns the year of the Reiwa era (令和N年度 = FY(2018+N)).
func (fy FiscalYear) Reiwa() int { return int(fy) - 2018 }

// Start returns 1 April of the fiscal year.
func (fy FiscalYear) Start() time.Time { return time.Date(int(fy), time.April, 1, 0, 0, 0, 0, JST) }

// Label returns 「令和9年度 (FY2027)」 in Japanese, "FY2027 (Reiwa 9)" in English.
func (fy FiscalYear) Label(lang Lang) string {
	y, r := strconv.Itoa(int(fy)), strconv.Itoa(fy.Reiwa())
	if lang == En {
		return "FY" + y + " (Reiwa " + r + ")"
	}
	return "令和" + r + "年度 (FY" + y + ")"
}
