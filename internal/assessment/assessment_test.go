package assessment

import (
	"maps"
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/kijun"
)

func TestDecideSave(t *testing.T) {
	draft := Answer{Status: AnswerImplemented, How: "手順書"}
	same := draft
	same.Version = 3
	other := Answer{Status: AnswerPartial, Version: 3}
	carried := same
	carried.CarriedForward = true
	for _, c := range []struct {
		name          string
		stored, draft Answer
		expected      int
		want          SaveVerdict
	}{
		{"none stored, none expected", Answer{}, draft, 0, SaveWrite},
		{"at the expected version", other, draft, 3, SaveWrite},
		{"carried forward at the expected version (confirms it)", carried, draft, 3, SaveWrite},
		{"moved on", other, draft, 2, SaveConflict},
		{"moved on to what the draft says", same, draft, 2, SaveAlreadyStored},
		{"moved on to the same, carried forward", carried, draft, 2, SaveConflict},
		{"none stored, a version expected", Answer{}, draft, 1, SaveConflict},
		{"none stored, an empty draft expecting one", Answer{}, Answer{}, 1, SaveAlreadyStored},
	} {
		if got := DecideSave(c.stored, c.draft, c.expected); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestCheckCycleDates(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, kijun.JST) }
	now := day(2027, 5, 10)
	for _, c := range []struct {
		name            string
		opens, due      time.Time
		refused, warned map[string]string
	}{
		{"fine", day(2027, 4, 1), day(2028, 1, 31), map[string]string{}, map[string]string{}},
		{"inverted", day(2027, 6, 1), day(2027, 5, 31), map[string]string{"due_on": CycleDueBeforeOpen}, map[string]string{}},
		{"same day", day(2027, 6, 1), day(2027, 6, 1), map[string]string{"due_on": CycleDueBeforeOpen}, map[string]string{}},
		{"due after the year", day(2027, 4, 1), day(2028, 4, 1), map[string]string{"due_on": CycleDueAfterYear}, map[string]string{}},
		{"opens after the year", day(2028, 4, 1), day(2028, 5, 1), map[string]string{"due_on": CycleDueAfterYear, "opens_on": CycleOpenAfterYear}, map[string]string{}},
		{"due passed", day(2027, 4, 1), day(2027, 5, 9), map[string]string{}, map[string]string{"due_on": CycleDuePassed}},
		{"due today", day(2027, 4, 1), day(2027, 5, 10), map[string]string{}, map[string]string{}},
		{"opens early", day(2027, 3, 1), day(2028, 1, 31), map[string]string{}, map[string]string{"opens_on": CycleOpenBeforeYear}},
	} {
		refused, warned := CheckCycleDates(2027, c.opens, c.due, now)
		if !maps.Equal(refused, c.refused) || !maps.Equal(warned, c.warned) {
			t.Errorf("%s: refused %v warned %v, want %v %v", c.name, refused, warned, c.refused, c.warned)
		}
	}
	cy := Cycle{OpensOn: time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)} // a date column reads as UTC midnight
	if cy.OpenBy(time.Date(2027, 3, 31, 14, 59, 0, 0, time.UTC)) || !cy.OpenBy(time.Date(2027, 3, 31, 15, 0, 0, 0, time.UTC)) {
		t.Error("OpenBy does not turn at midnight in Japan")
	}
}
