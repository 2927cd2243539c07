package catalog

import (
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// A control's text with a bidi override or a control character is a
// problem on that field.
func TestValidateRefusesControlCharacters(t *testing.T) {
	c := &Catalog{Code: "x-test", Version: "1", Title: kijun.Text{Ja: "試験", En: "Test"}, Controls: []Control{{
		Ref: "GV-01", Section: "GV", Title: kijun.Text{Ja: "方針\u202E", En: "Policy"},
		Statement: kijun.Text{Ja: "定める。", En: "Define\x07."},
	}}}
	var got []string
	for _, p := range Validate(c, Reference{Sections: []string{"GV"}}) {
		got = append(got, p.Path+" "+p.ID)
	}
	want := []string{"controls[0] (GV-01) title.ja " + kijun.MsgTextControl, "controls[0] (GV-01) statement.en " + kijun.MsgTextControl}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
