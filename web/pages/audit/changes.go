package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/i18n"
)

// Change is one field of an event's before/after, ready to read.
type Change struct {
	Field         string // translated field name
	Before, After string // rendered values; empty when absent
}

// Changes turns an event's before and after JSON into the fields that
// differ, named in the reader's language, with their values as text.
func Changes(ctx context.Context, e audit.Event) []Change {
	before, after := decode(e.Before), decode(e.After)
	bo, bok := before.(map[string]any)
	ao, aok := after.(map[string]any)
	if !bok && !aok {
		if e.Before == nil && e.After == nil {
			return nil
		}
		return []Change{{Before: value(ctx, before), After: value(ctx, after)}}
	}
	keys := map[string]bool{}
	for k := range bo {
		keys[k] = true
	}
	for k := range ao {
		keys[k] = true
	}
	var names []string
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []Change
	for _, k := range names {
		b, a := value(ctx, bo[k]), value(ctx, ao[k])
		if b == a {
			continue
		}
		if k == "status" || k == "Status" {
			b, a = statusLabel(ctx, b), statusLabel(ctx, a)
		}
		out = append(out, Change{Field: FieldLabel(ctx, k), Before: b, After: a})
	}
	return out
}

func decode(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return string(raw)
	}
	return v
}

// value renders one JSON value: texts as they are, lists joined, yes/no,
// a bilingual text ({"Ja", "En"} or {"ja", "en"}) in both languages.
func value(ctx context.Context, v any) string {
	l := i18n.From(ctx)
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return l.T("audit.change.yes")
		}
		return l.T("audit.change.no")
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, value(ctx, e))
		}
		return strings.Join(parts, "、")
	case map[string]any:
		ja, jok := pickKey(x, "Ja", "ja")
		en, eok := pickKey(x, "En", "en")
		if jok && eok && len(x) == 2 {
			if en == "" || en == ja {
				return ja
			}
			return ja + " / " + en
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			if s := value(ctx, x[k]); s != "" {
				parts = append(parts, FieldLabel(ctx, k)+": "+s)
			}
		}
		return strings.Join(parts, "; ")
	}
	return ""
}

func pickKey(m map[string]any, keys ...string) (string, bool) {
	for _, k := range keys {
		if s, ok := m[k].(string); ok {
			return s, true
		}
	}
	return "", false
}

// FieldLabel names a recorded field; unknown ones show as recorded.
func FieldLabel(ctx context.Context, key string) string {
	return labelOr(ctx, "audit.field."+key, key)
}

func labelOr(ctx context.Context, id, fallback string) string {
	if s := i18n.From(ctx).T(id); s != "["+id+"]" {
		return s
	}
	return fallback
}

// ObjectLabel names an event's object: its kind, its name when known,
// and the part inside it (a control's ref) when the id has one.
func ObjectLabel(ctx context.Context, e audit.Event) string {
	kind := labelOr(ctx, "audit.object."+e.ObjectType, e.ObjectType)
	_, inner, _ := strings.Cut(e.ObjectID, "/")
	name := i18n.From(ctx).Pick(e.ObjectName)
	switch {
	case name != "" && inner != "":
		return kind + ": " + name + " " + inner
	case name != "":
		return kind + ": " + name
	case e.ObjectID != "":
		return kind + " " + e.ObjectID
	}
	return kind
}

// ObjectHref links an event's object to its page, or is empty.
func ObjectHref(e audit.Event) string {
	head, inner, _ := strings.Cut(e.ObjectID, "/")
	if _, err := strconv.ParseInt(head, 10, 64); err != nil && e.OperatorID == 0 {
		return ""
	}
	switch e.ObjectType {
	case "user":
		return "/users/" + head
	case "catalog":
		return "/catalogs/" + head
	case "control":
		return "/catalogs/" + head + "/controls/" + inner
	case "assessment", "answer", "comment", "evidence":
		return "/assessments/" + head
	case "plan", "plan_profile_control", "plan_supplementary_control":
		return "/plans/" + head
	}
	if strings.HasPrefix(e.ObjectType, "operator") && e.OperatorID != 0 {
		return "/operators/" + strconv.FormatInt(e.OperatorID, 10)
	}
	return ""
}

// ActorHref links the acting user's page, or is empty for the system.
func ActorHref(e audit.Event) string {
	if e.ActorUserID == 0 {
		return ""
	}
	return "/users/" + strconv.FormatInt(e.ActorUserID, 10)
}

// statusLabel names a recorded status (submitted, accepted …).
func statusLabel(ctx context.Context, s string) string {
	if s == "" {
		return s
	}
	return labelOr(ctx, "audit.status."+s, s)
}
