package incident

import (
	"slices"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// TestTemplateProblems: each rule of a template points at the place it
// is about (the field's index and part), with the message id the page
// shows there.
func TestTemplateProblems(t *testing.T) {
	if p := starter(t).Problems(); len(p) != 0 {
		t.Fatalf("starting template: %v", p)
	}
	titleAt := func(tpl Template) int {
		return slices.IndexFunc(tpl.Fields, func(f Field) bool { return f.Key == KeyTitle })
	}
	kindAt := func(tpl Template) int {
		return slices.IndexFunc(tpl.Fields, func(f Field) bool { return f.Key == KeyKind })
	}
	cases := []struct {
		name   string
		change func(*Template)
		at     func(Template) string
		want   string
	}{
		{"no title", func(t *Template) { t.Title.Ja = " " }, func(Template) string { return "title_ja" }, "incident.template.error.required"},
		{"due days negative", func(t *Template) { t.Due.FinalDays = -1 }, func(Template) string { return "due.final_days" }, "incident.template.error.days"},
		{"due days too many", func(t *Template) { t.Due.UpdateDays = 366 }, func(Template) string { return "due.update_days" }, "incident.template.error.days"},
		{"bad key", func(t *Template) { t.Fields[2].Key = "Noticed At" }, func(Template) string { return FieldAt(2, "key") }, "incident.template.error.key"},
		{"empty key", func(t *Template) { t.Fields[2].Key = "" }, func(Template) string { return FieldAt(2, "key") }, "incident.template.error.required"},
		{"repeated key", func(t *Template) { t.Fields[3].Key = t.Fields[2].Key }, func(Template) string { return FieldAt(3, "key") }, "incident.template.error.key_repeated"},
		{"unknown type", func(t *Template) { t.Fields[2].Type = "essay" }, func(Template) string { return FieldAt(2, "type") }, "incident.template.error.type"},
		{"no label", func(t *Template) { t.Fields[4].Label.Ja = "" }, func(Template) string { return FieldAt(4, "label_ja") }, "incident.template.error.required"},
		{"long help", func(t *Template) { t.Fields[4].Help.En = strings.Repeat("x", MaxHelp+1) }, func(Template) string { return FieldAt(4, "help_en") }, "incident.template.error.too_long"},
		{"label on two lines", func(t *Template) { t.Fields[4].Label.En = "a\nb" }, func(Template) string { return FieldAt(4, "label_en") }, "incident.error.one_line"},
		{"max too large", func(t *Template) { t.Fields[5].Max = MaxFieldMax + 1 }, func(Template) string { return FieldAt(5, "max") }, "incident.template.error.max"},
		{"unknown stage", func(t *Template) { t.Fields[5].Required = []Stage{"second"} }, func(Template) string { return FieldAt(5, "required") }, "incident.template.error.stage"},
		{"choice without choices", func(t *Template) { t.Fields[5].Type, t.Fields[5].Choices = TypeChoice, nil }, func(Template) string { return FieldAt(5, "choices") }, "incident.template.error.no_choices"},
		{"repeated choice", func(t *Template) {
			k := kindAt(*t)
			t.Fields[k].Choices = append(t.Fields[k].Choices, Choice{Value: "malware", Label: kijun.Text{Ja: "重複"}})
		}, func(t Template) string { return FieldAt(kindAt(t), "choices") }, "incident.template.error.choice_repeated"},
		{"choice value with space", func(t *Template) { t.Fields[kindAt(*t)].Choices[0].Value = "a b" }, func(t Template) string { return FieldAt(kindAt(t), "choices") }, "incident.template.error.choice_value"},
		{"choice without label", func(t *Template) { t.Fields[kindAt(*t)].Choices[1].Label.Ja = "" }, func(t Template) string { return FieldAt(kindAt(t), "choices") }, "incident.template.error.choice_label"},
		{"kind not a choice", func(t *Template) { t.Fields[kindAt(*t)].Type = TypeText }, func(t Template) string { return FieldAt(kindAt(t), "type") }, "incident.template.error.kind_type"},
		{"title not text", func(t *Template) { t.Fields[titleAt(*t)].Type = TypeTextarea }, func(t Template) string { return FieldAt(titleAt(t), "type") }, "incident.template.error.title_type"},
		{"title not always required", func(t *Template) { t.Fields[titleAt(*t)].Required = []Stage{First} }, func(t Template) string { return FieldAt(titleAt(t), "required") }, "incident.template.error.title_required"},
		{"title longer than the header", func(t *Template) { t.Fields[titleAt(*t)].Max = 0 }, func(t Template) string { return FieldAt(titleAt(t), "max") }, "incident.template.error.title_max"},
		{"no title field", func(t *Template) { t.Fields = t.Fields[1:] }, func(Template) string { return "fields" }, "incident.template.error.no_title"},
		{"too many fields", func(t *Template) {
			for i := len(t.Fields); i <= MaxFields; i++ {
				t.Fields = append(t.Fields, Field{Key: "extra_" + string(rune('a'+i%26)) + strings.Repeat("x", i/26), Type: TypeText, Label: kijun.Text{Ja: "追加"}})
			}
		}, func(Template) string { return "fields" }, "incident.template.error.too_many"},
	}
	for _, c := range cases {
		tpl := starter(t)
		tpl.Fields = slices.Clone(tpl.Fields)
		for i := range tpl.Fields {
			tpl.Fields[i].Choices = slices.Clone(tpl.Fields[i].Choices)
		}
		c.change(&tpl)
		p := tpl.Problems()
		if got := p[c.at(tpl)].ID; got != c.want {
			t.Errorf("%s: at %s %q, want %q (all: %v)", c.name, c.at(tpl), got, c.want, p)
		}
		if err := tpl.Validate(); err == nil {
			t.Errorf("%s: Validate passes", c.name)
		}
	}
}

// TestTemplateNext: the next version keeps each kept key's type, must
// differ from the current one, and the diff names what changed.
func TestTemplateNext(t *testing.T) {
	cur := starter(t)
	if p := cur.NextProblems(cur); p["fields"].ID != "incident.template.error.unchanged" {
		t.Errorf("unchanged version: %v", p)
	}
	next := starter(t)
	next.Fields = slices.Clone(next.Fields)
	i := slices.IndexFunc(next.Fields, func(f Field) bool { return f.Key == "noticed_at" })
	next.Fields[i].Type = TypeText // values of type datetime were sent under this key
	if p := next.NextProblems(cur); p[FieldAt(i, "type")].ID != "incident.template.error.type_changed" {
		t.Errorf("type changed: %v", p)
	}
	next.Fields[i].Type = TypeDateTime
	next.Fields[i].Label.Ja = "認知した日時"
	next.Fields[i].Required = nil
	next.Due.FinalDays = 14
	removed := next.Fields[len(next.Fields)-1].Key
	next.Fields = next.Fields[:len(next.Fields)-1]
	next.Fields = append(next.Fields, Field{Key: "reported_to", Type: TypeText, Label: kijun.Text{Ja: "報告先"}})
	next.Fields[1], next.Fields[2] = next.Fields[2], next.Fields[1]
	if p := next.NextProblems(cur); len(p) != 0 {
		t.Fatalf("valid next version: %v", p)
	}
	got := map[string]Change{}
	for _, c := range next.Diff(cur) {
		got[c.Kind+":"+c.Key] = c
	}
	want := []string{"due:", "changed:noticed_at", "added:reported_to", "removed:" + removed, "order:"}
	for _, k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("diff lacks %s: %v", k, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("diff: %v", got)
	}
	if parts := got["changed:noticed_at"].Parts; !slices.Equal(parts, []string{"label", "required"}) {
		t.Errorf("changed parts %v", parts)
	}
	if len(cur.Diff(cur)) != 0 {
		t.Error("a version differs from itself")
	}
}
