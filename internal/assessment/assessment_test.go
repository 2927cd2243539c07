package assessment

import (
	"testing"
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
