package incidents

import (
	"context"
	"strconv"
	"strings"

	"golang.org/x/text/width"

	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/incident"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// TemplateView is the NCO's editor of the report template
// (docs/incidents.md): the current version, the next one as typed, its
// problems by place, and when it checks a preview of the first report's
// form and the changes from the current version.
type TemplateView struct {
	Current    incident.Template
	Draft      TemplateDraft
	Problems   incident.Problems
	Preview    *incident.Template // the draft, when it checks
	Changes    []incident.Change
	Notice     string // message id
	NoticeArgs map[string]any
}

// TemplateDraft is the editor's form as typed, kept as text so that a
// refused form comes back exactly as it was sent.
type TemplateDraft struct {
	Base       int // the version the draft was started from
	TitleJa    string
	TitleEn    string
	FinalDays  string
	UpdateDays string
	Rows       []TemplateRow
	Reason     string
}

// TemplateRow is one field of the draft. Choices are one a line:
// 値 | 日本語 | English.
type TemplateRow struct {
	Key      string
	Type     string
	LabelJa  string
	LabelEn  string
	HelpJa   string
	HelpEn   string
	Max      string
	Required []string
	Choices  string
}

// DraftOf is the form of template t.
func DraftOf(t incident.Template) TemplateDraft {
	d := TemplateDraft{Base: t.Version, TitleJa: t.Title.Ja, TitleEn: t.Title.En,
		FinalDays: strconv.Itoa(t.Due.FinalDays), UpdateDays: strconv.Itoa(t.Due.UpdateDays)}
	for _, f := range t.Fields {
		row := TemplateRow{Key: f.Key, Type: f.Type, LabelJa: f.Label.Ja, LabelEn: f.Label.En, HelpJa: f.Help.Ja, HelpEn: f.Help.En}
		if f.Max > 0 {
			row.Max = strconv.Itoa(f.Max)
		}
		for _, s := range f.Required {
			row.Required = append(row.Required, string(s))
		}
		var lines []string
		for _, c := range f.Choices {
			lines = append(lines, c.Value+" | "+c.Label.Ja+" | "+c.Label.En)
		}
		row.Choices = strings.Join(lines, "\n")
		d.Rows = append(d.Rows, row)
	}
	return d
}

// number reads a whole number typed in half- or full-width digits.
func number(s string) (int, bool) {
	s = strings.TrimSpace(width.Narrow.String(s))
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// Template reads the draft as a template, with the problems of reading
// it (a number that is not one, a choice line without a label) at the
// places incident.Template.Problems uses; the template's own checks are
// its Problems.
func (d TemplateDraft) Template() (incident.Template, incident.Problems) {
	p := incident.Problems{}
	t := incident.Template{Title: kijun.Text{Ja: strings.TrimSpace(d.TitleJa), En: strings.TrimSpace(d.TitleEn)}}
	days := func(at, s string) int {
		if strings.TrimSpace(s) == "" {
			p[at] = incident.Problem{ID: "incident.template.error.required"}
			return 0
		}
		n, ok := number(s)
		if !ok {
			p[at] = incident.Problem{ID: "incident.template.error.number"}
		}
		return n
	}
	t.Due.FinalDays = days("due.final_days", d.FinalDays)
	t.Due.UpdateDays = days("due.update_days", d.UpdateDays)
	for i, r := range d.Rows {
		f := incident.Field{Key: strings.TrimSpace(r.Key), Type: r.Type,
			Label: kijun.Text{Ja: strings.TrimSpace(r.LabelJa), En: strings.TrimSpace(r.LabelEn)},
			Help:  kijun.Text{Ja: strings.TrimSpace(r.HelpJa), En: strings.TrimSpace(r.HelpEn)}}
		if strings.TrimSpace(r.Max) != "" {
			n, ok := number(r.Max)
			if !ok {
				p[incident.FieldAt(i, "max")] = incident.Problem{ID: "incident.template.error.number"}
			}
			f.Max = n
		}
		for _, s := range incident.Stages { // in the stages' order, whatever the form's
			if contains(r.Required, string(s)) {
				f.Required = append(f.Required, s)
			}
		}
		for _, s := range r.Required {
			if !incident.Stage(s).Valid() {
				f.Required = append(f.Required, incident.Stage(s))
			}
		}
		if f.Type == incident.TypeChoice {
			for n, line := range lines(r.Choices) {
				parts := strings.Split(strings.ReplaceAll(line, "｜", "|"), "|")
				if len(parts) < 2 || len(parts) > 3 {
					if _, ok := p[incident.FieldAt(i, "choices")]; !ok {
						p[incident.FieldAt(i, "choices")] = incident.Problem{ID: "incident.template.error.choice_line", Args: map[string]any{"Line": n + 1}}
					}
					continue
				}
				c := incident.Choice{Value: strings.TrimSpace(parts[0]), Label: kijun.Text{Ja: strings.TrimSpace(parts[1])}}
				if len(parts) == 3 {
					c.Label.En = strings.TrimSpace(parts[2])
				}
				f.Choices = append(f.Choices, c)
			}
		}
		t.Fields = append(t.Fields, f)
	}
	return t, p
}

// lines are the non-blank lines of s.
func lines(s string) []string {
	var out []string
	for l := range strings.SplitSeq(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// placeID is the id of the control of a problem's place.
func placeID(at string) string {
	switch at {
	case "title_ja", "title_en", "reason", "file":
		return "tpl-" + strings.ReplaceAll(at, "_", "-")
	case "due.final_days":
		return "tpl-final-days"
	case "due.update_days":
		return "tpl-update-days"
	case "fields", "base":
		return "tpl-rows"
	}
	if rest, ok := strings.CutPrefix(at, "fields."); ok {
		i, part, _ := strings.Cut(rest, ".")
		return rowID(i, part)
	}
	return "tpl-rows"
}

// rowID is the id of a part of the i-th row's controls.
func rowID(i, part string) string { return "row-" + i + "-" + strings.ReplaceAll(part, "_", "-") }

// problemOrder lists the places of problems in the page's order.
func problemOrder(v TemplateView) []string {
	out := []string{"base", "title_ja", "title_en", "due.final_days", "due.update_days", "fields"}
	for i := range v.Draft.Rows {
		for _, part := range []string{"key", "type", "label_ja", "label_en", "help_ja", "help_en", "max", "required", "choices"} {
			out = append(out, incident.FieldAt(i, part))
		}
	}
	return append(out, "reason", "file")
}

// FieldTypes are the types a field may have, in the editor's order.
var FieldTypes = []string{incident.TypeText, incident.TypeTextarea, incident.TypeDateTime, incident.TypeChoice, incident.TypeSystems, incident.TypeControls}

func hasProblem(v TemplateView, at string) bool {
	_, ok := v.Problems[at]
	return ok
}

// inputName is the form name of a part of the i-th row.
func inputName(i int, part string) string { return "row." + strconv.Itoa(i) + "." + part }

// rowName names the i-th row for people: 項目 3（title）.
func rowName(ctx context.Context, i int, r TemplateRow) string {
	if k := strings.TrimSpace(r.Key); k != "" {
		return i18n.T(ctx, "incident.template.row_key", map[string]any{"N": i + 1, "Key": k})
	}
	return i18n.T(ctx, "incident.template.row", map[string]any{"N": i + 1})
}

// partNames are the message ids naming the parts of a row.
var partNames = map[string]string{"key": "incident.template.key", "type": "incident.template.type",
	"label_ja": "incident.template.label_ja", "label_en": "incident.template.label_en", "help_ja": "incident.template.help_ja",
	"help_en": "incident.template.help_en", "max": "incident.template.max", "required": "incident.template.required",
	"choices": "incident.template.choices", "label": "incident.template.label", "help": "incident.template.help"}

// placeNames are the message ids naming the form's places outside rows.
var placeNames = map[string]string{"title_ja": "incident.template.form_title_ja", "title_en": "incident.template.form_title_en",
	"due.final_days": "incident.template.final_days", "due.update_days": "incident.template.update_days",
	"reason": "incident.template.reason", "file": "incident.template.file"}

// placeName names a problem's place for the list of problems.
func placeName(ctx context.Context, v TemplateView, at string) string {
	if id, ok := placeNames[at]; ok {
		return i18n.T(ctx, id)
	}
	if rest, ok := strings.CutPrefix(at, "fields."); ok {
		n, part, _ := strings.Cut(rest, ".")
		if i, err := strconv.Atoi(n); err == nil && i >= 0 && i < len(v.Draft.Rows) {
			return rowName(ctx, i, v.Draft.Rows[i]) + " " + i18n.T(ctx, partNames[part])
		}
	}
	return i18n.T(ctx, "incident.template.fields")
}

// changeText says one change for people.
func changeText(ctx context.Context, c incident.Change) string {
	l := i18n.From(ctx)
	args := map[string]any{"Key": c.Key, "Label": l.Pick(c.Label)}
	if len(c.Parts) > 0 {
		names := make([]string, len(c.Parts))
		for i, p := range c.Parts {
			names[i] = l.T(partNames[p])
		}
		args["Parts"] = strings.Join(names, l.T("incident.template.list_sep"))
	}
	return l.T("incident.template.change."+c.Kind, args)
}
