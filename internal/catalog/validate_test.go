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

// A Japanese-first draft is valid: English may follow. WithoutEnglish
// names the controls still waiting for it, which publishing refuses.
func TestJapaneseFirstDraft(t *testing.T) {
	c := &Catalog{Code: "x-test", Version: "1", Title: kijun.Text{Ja: "試験", En: "Test"}, Controls: []Control{
		{Ref: "GV-01", Section: "GV", Title: kijun.Text{Ja: "方針", En: "Policy"}, Statement: kijun.Text{Ja: "定める。", En: "Define."}},
		{Ref: "GV-02", Section: "GV", Title: kijun.Text{Ja: "体制"}, Statement: kijun.Text{Ja: "整える。"}},
		{Ref: "GV-03", Section: "GV", Title: kijun.Text{Ja: "役割", En: "Roles"}, Statement: kijun.Text{Ja: "決める。", En: "Decide."},
			Guidance: kijun.Text{Ja: "解説"}},
	}}
	for _, p := range Validate(c, Reference{Sections: []string{"GV"}}) {
		if p.Level != Warning {
			t.Errorf("a Japanese-only control stops the draft: %s", p)
		} else if p.ID != MsgWithoutEnglish || p.Args["Refs"] != "GV-02, GV-03" || p.Args["Count"] != 2 {
			t.Errorf("warning %s", p)
		}
	}
	if got := WithoutEnglish(c); strings.Join(got, ",") != "GV-02,GV-03" {
		t.Errorf("WithoutEnglish = %v", got)
	}
	// English without Japanese is still an error.
	c.Controls[1].Title = kijun.Text{En: "Structure"}
	if ps := Validate(c, Reference{Sections: []string{"GV"}}); len(ps) == 0 || ps[0].Level != Error || ps[0].ID != msgMissingJa {
		t.Errorf("English-only title: %v", ps)
	}
}
