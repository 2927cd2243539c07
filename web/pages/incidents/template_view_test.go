package incidents

import (
	"testing"

	"github.com/kijun-portal/kijun/internal/incident"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// TestTemplateDraft: the editor's text reads as a template (full-width
// digits, the full-width bar, stages in their order, choices only for a
// choice field) and back; what cannot be read is a problem at its place.
func TestTemplateDraft(t *testing.T) {
	d := TemplateDraft{TitleJa: " 様式 ", FinalDays: "３０", UpdateDays: "7", Rows: []TemplateRow{
		{Key: "title", Type: incident.TypeText, LabelJa: "件名", Max: "２００", Required: []string{"final", "first", "update"}},
		{Key: "kind", Type: incident.TypeChoice, LabelJa: "種類", Choices: "malware｜マルウェア｜Malware\n\nother | その他"},
		{Key: "note", Type: incident.TypeText, LabelJa: "備考", Choices: "ignored | 無視"},
	}}
	tpl, p := d.Template()
	if len(p) != 0 || len(tpl.Problems()) != 0 {
		t.Fatalf("problems %v %v", p, tpl.Problems())
	}
	want := []incident.Choice{{Value: "malware", Label: kijun.Text{Ja: "マルウェア", En: "Malware"}}, {Value: "other", Label: kijun.Text{Ja: "その他"}}}
	if tpl.Due.FinalDays != 30 || tpl.Fields[0].Max != 200 || tpl.Title.Ja != "様式" || len(tpl.Fields[1].Choices) != 2 ||
		tpl.Fields[1].Choices[0] != want[0] || tpl.Fields[1].Choices[1] != want[1] || tpl.Fields[2].Choices != nil {
		t.Errorf("read %+v", tpl)
	}
	if got := tpl.Fields[0].Required; len(got) != 3 || got[0] != incident.First || got[2] != incident.Final {
		t.Errorf("stages %v", got)
	}
	back, _ := DraftOf(tpl).Template()
	if !back.Same(tpl) {
		t.Errorf("round trip %+v", back)
	}
	d.FinalDays, d.UpdateDays, d.Rows[0].Max, d.Rows[1].Choices = "三十", "", "x", "malware"
	_, p = d.Template()
	for at, id := range map[string]string{"due.final_days": "incident.template.error.number", "due.update_days": "incident.template.error.required",
		incident.FieldAt(0, "max"): "incident.template.error.number", incident.FieldAt(1, "choices"): "incident.template.error.choice_line"} {
		if p[at].ID != id {
			t.Errorf("%s: %q, want %q", at, p[at].ID, id)
		}
	}
	if placeID(incident.FieldAt(1, "label_ja")) != "row-1-label-ja" || placeID("due.final_days") != "tpl-final-days" {
		t.Error("place ids")
	}
}
