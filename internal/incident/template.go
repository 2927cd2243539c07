package incident

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// Limits of a template (docs/incidents.md, "The report template is data").
const (
	MaxFields      = 100   // fields of one version
	MaxLabel       = 200   // characters of a title or a label
	MaxHelp        = 2000  // characters of a help text
	MaxChoices     = 100   // choices of one field
	MaxChoiceValue = 100   // characters of a choice's value (the header's kind holds 100)
	MaxDueDays     = 365   // days of a due period
	MaxFieldMax    = 20000 // the largest maximum length of a field
	MaxTitleMax    = 200   // the title field's maximum (the header's title holds 200)
)

// Problem is one thing wrong with a template: a message id and its
// arguments.
type Problem struct {
	ID   string
	Args map[string]any
}

// Problems are what is wrong with a template, by where it is:
// "title_ja", "title_en", "due.final_days", "due.update_days", "fields"
// (the fields as a whole) and FieldAt(i, part) for part key, type,
// label_ja, label_en, help_ja, help_en, max, required, choices.
type Problems map[string]Problem

// FieldAt is where part of the i-th field (0-based) is.
func FieldAt(i int, part string) string { return "fields." + strconv.Itoa(i) + "." + part }

func (p Problems) add(at, id string, args map[string]any) {
	if _, ok := p[at]; !ok { // the first problem of a place is the one shown
		p[at] = Problem{ID: id, Args: args}
	}
}

// Error lists the problems (for logs; pages show each next to its place).
func (p Problems) Error() string {
	keys := slices.Sorted(maps.Keys(p))
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+p[k].ID)
	}
	return "incident template: " + strings.Join(parts, "; ")
}

var choiceValueRE = regexp.MustCompile(`^[^\s|｜]+$`)

// textProblem checks a label or help text: its length and its characters.
func textProblem(p Problems, at, s string, max int, required bool) {
	switch {
	case strings.TrimSpace(s) == "":
		if required {
			p.add(at, "incident.template.error.required", nil)
		}
	case strings.ContainsAny(s, "\r\n") && max <= MaxLabel:
		p.add(at, "incident.error.one_line", nil)
	case utf8.RuneCountInString(s) > max:
		p.add(at, "incident.template.error.too_long", map[string]any{"Max": max})
	case kijun.TextProblem(s) != "":
		p.add(at, kijun.TextProblem(s), nil)
	}
}

// Problems checks a template and says where each problem is: a title in
// Japanese; due days in 0..MaxDueDays; at most MaxFields fields, each
// with a key of lower-case letters, digits and _ (starting with a
// letter, up to 40) used once, a known type, a label in Japanese, labels
// and help texts within their lengths, a maximum length in
// 0..MaxFieldMax, known stages, and for a choice field one or more
// choices with distinct values; the reserved fields: title a text field
// required in every stage with a maximum of at most MaxTitleMax, kind (if
// any) a choice field.
func (t Template) Problems() Problems {
	p := Problems{}
	textProblem(p, "title_ja", t.Title.Ja, MaxLabel, true)
	textProblem(p, "title_en", t.Title.En, MaxLabel, false)
	for at, d := range map[string]int{"due.final_days": t.Due.FinalDays, "due.update_days": t.Due.UpdateDays} {
		if d < 0 || d > MaxDueDays {
			p.add(at, "incident.template.error.days", map[string]any{"Max": MaxDueDays})
		}
	}
	if len(t.Fields) > MaxFields {
		p.add("fields", "incident.template.error.too_many", map[string]any{"Max": MaxFields})
	}
	seen := map[string]bool{}
	for i, f := range t.Fields {
		switch {
		case f.Key == "":
			p.add(FieldAt(i, "key"), "incident.template.error.required", nil)
		case !keyRE.MatchString(f.Key):
			p.add(FieldAt(i, "key"), "incident.template.error.key", nil)
		case seen[f.Key]:
			p.add(FieldAt(i, "key"), "incident.template.error.key_repeated", map[string]any{"Key": f.Key})
		}
		seen[f.Key] = true
		if !slices.Contains(fieldTypes, f.Type) {
			p.add(FieldAt(i, "type"), "incident.template.error.type", nil)
		}
		textProblem(p, FieldAt(i, "label_ja"), f.Label.Ja, MaxLabel, true)
		textProblem(p, FieldAt(i, "label_en"), f.Label.En, MaxLabel, false)
		textProblem(p, FieldAt(i, "help_ja"), f.Help.Ja, MaxHelp, false)
		textProblem(p, FieldAt(i, "help_en"), f.Help.En, MaxHelp, false)
		if f.Max < 0 || f.Max > MaxFieldMax {
			p.add(FieldAt(i, "max"), "incident.template.error.max", map[string]any{"Max": MaxFieldMax})
		}
		for j, s := range f.Required {
			if !s.Valid() || slices.Index(f.Required, s) != j {
				p.add(FieldAt(i, "required"), "incident.template.error.stage", nil)
			}
		}
		if f.Type == TypeChoice {
			choiceProblems(p, i, f.Choices)
		}
		switch f.Key {
		case KeyTitle:
			if f.Type != TypeText {
				p.add(FieldAt(i, "type"), "incident.template.error.title_type", nil)
			}
			if len(f.Required) != len(Stages) {
				p.add(FieldAt(i, "required"), "incident.template.error.title_required", nil)
			}
			if f.Max == 0 || f.Max > MaxTitleMax {
				p.add(FieldAt(i, "max"), "incident.template.error.title_max", map[string]any{"Max": MaxTitleMax})
			}
		case KeyKind:
			if f.Type != TypeChoice {
				p.add(FieldAt(i, "type"), "incident.template.error.kind_type", nil)
			}
		}
	}
	if !seen[KeyTitle] {
		p.add("fields", "incident.template.error.no_title", nil)
	}
	return p
}

// choiceProblems checks the choices of the i-th field.
func choiceProblems(p Problems, i int, choices []Choice) {
	at := FieldAt(i, "choices")
	if len(choices) == 0 {
		p.add(at, "incident.template.error.no_choices", nil)
		return
	}
	if len(choices) > MaxChoices {
		p.add(at, "incident.template.error.too_many_choices", map[string]any{"Max": MaxChoices})
	}
	values := map[string]bool{}
	for n, c := range choices {
		line := map[string]any{"Line": n + 1}
		switch {
		case !choiceValueRE.MatchString(c.Value) || utf8.RuneCountInString(c.Value) > MaxChoiceValue || kijun.TextProblem(c.Value) != "":
			p.add(at, "incident.template.error.choice_value", line)
		case values[c.Value]:
			p.add(at, "incident.template.error.choice_repeated", map[string]any{"Line": n + 1, "Value": c.Value})
		case strings.TrimSpace(c.Label.Ja) == "":
			p.add(at, "incident.template.error.choice_label", line)
		case utf8.RuneCountInString(c.Label.Ja) > MaxLabel || utf8.RuneCountInString(c.Label.En) > MaxLabel ||
			strings.ContainsAny(c.Label.Ja+c.Label.En, "\r\n") || kijun.TextProblem(c.Label.Ja, c.Label.En) != "":
			p.add(at, "incident.template.error.choice_label_text", map[string]any{"Line": n + 1, "Max": MaxLabel})
		}
		values[c.Value] = true
	}
}

// NextProblems checks t as the version after prev: its own problems; a
// field keeping a key of prev keeps its type (the stages already sent
// hold values of that type under that key: use a new key for a new
// meaning); and it differs from prev.
func (t Template) NextProblems(prev Template) Problems {
	p := t.Problems()
	for i, f := range t.Fields {
		if old, ok := prev.Field(f.Key); ok && old.Type != f.Type && slices.Contains(fieldTypes, f.Type) {
			p.add(FieldAt(i, "type"), "incident.template.error.type_changed", map[string]any{"Key": f.Key, "Type": old.Type})
		}
	}
	if len(p) == 0 && t.Same(prev) {
		p.add("fields", "incident.template.error.unchanged", nil)
	}
	return p
}

// Same reports whether t and u define the same form.
func (t Template) Same(u Template) bool {
	a, errA := json.Marshal(t)
	b, errB := json.Marshal(u)
	return errA == nil && errB == nil && string(a) == string(b)
}

// Change is one difference between two versions of the template, for
// the NCO to read before publishing: Kind is "title", "due", "added",
// "removed", "changed" (Parts: which of label, help, type, required,
// choices, max) or "order".
type Change struct {
	Kind  string
	Key   string
	Label kijun.Text
	Parts []string
}

// Diff lists the changes from old to t.
func (t Template) Diff(old Template) []Change {
	var out []Change
	if t.Title != old.Title {
		out = append(out, Change{Kind: "title"})
	}
	if t.Due != old.Due {
		out = append(out, Change{Kind: "due"})
	}
	for _, f := range t.Fields {
		o, ok := old.Field(f.Key)
		if !ok {
			out = append(out, Change{Kind: "added", Key: f.Key, Label: f.Label})
			continue
		}
		var parts []string
		if f.Label != o.Label {
			parts = append(parts, "label")
		}
		if f.Help != o.Help {
			parts = append(parts, "help")
		}
		if f.Type != o.Type {
			parts = append(parts, "type")
		}
		if !slices.Equal(f.Required, o.Required) {
			parts = append(parts, "required")
		}
		if !slices.Equal(f.Choices, o.Choices) {
			parts = append(parts, "choices")
		}
		if f.Max != o.Max {
			parts = append(parts, "max")
		}
		if len(parts) > 0 {
			out = append(out, Change{Kind: "changed", Key: f.Key, Label: f.Label, Parts: parts})
		}
	}
	for _, o := range old.Fields {
		if _, ok := t.Field(o.Key); !ok {
			out = append(out, Change{Kind: "removed", Key: o.Key, Label: o.Label})
		}
	}
	if !slices.Equal(commonOrder(t, old), commonOrder(old, t)) {
		out = append(out, Change{Kind: "order"})
	}
	return out
}

// commonOrder lists the keys of a that b has too, in a's order.
func commonOrder(a, b Template) []string {
	var keys []string
	for _, f := range a.Fields {
		if _, ok := b.Field(f.Key); ok {
			keys = append(keys, f.Key)
		}
	}
	return keys
}

// MaxReason bounds the reason given for publishing a version.
const MaxReason = 2000

// ReasonProblem checks the reason for publishing a version (required: the
// audit log keeps it with the version): the message id, or "".
func ReasonProblem(reason string) string {
	switch {
	case strings.TrimSpace(reason) == "":
		return "incident.template.error.required"
	case utf8.RuneCountInString(reason) > MaxReason:
		return "incident.error.too_long"
	}
	return kijun.TextProblem(reason)
}
