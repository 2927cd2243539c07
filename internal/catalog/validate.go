package catalog

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kijun-portal/kijun/internal/kijun"
)

var (
	codeRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,63}$`)
	// refRE is the ref shape; which prefixes exist comes from the Reference,
	// so a section added to the standard needs no code change.
	refRE = regexp.MustCompile(`^([A-Z]+)-([0-9]{2,3})$`)
)

// Validate checks a catalog against the format's rules and the reference
// codes, returning every problem found (nil when there are none).
func Validate(c *Catalog, ref Reference) []Problem {
	v := &validator{ref: ref}
	v.catalog(c)
	return v.problems
}

// validator collects problems; lines and bad come from the YAML parser so
// that problems point at source lines and a field already reported as
// malformed is not reported again as missing.
type validator struct {
	ref      Reference
	lines    map[string]int
	bad      map[string]bool
	problems []Problem
}

// locKey names a place in a catalog: control index (-1 for the catalog
// itself) and a field path such as "title.en" or "themes[2]".
func locKey(i int, field string) string {
	return strconv.Itoa(i) + ":" + field
}

// parentField strips the last segment: "title.en" → "title", "csf[1]" → "csf".
func parentField(f string) string {
	if i := strings.LastIndexAny(f, ".["); i >= 0 {
		return f[:i]
	}
	return ""
}

// pathOf renders a place for people: "controls[3] (GV-03) title.en".
func pathOf(i int, ref, field string) string {
	if i < 0 {
		return field
	}
	p := "controls[" + strconv.Itoa(i) + "]"
	if ref != "" {
		p += " (" + ref + ")"
	}
	if field != "" {
		p += " " + field
	}
	return p
}

// line finds the closest known source line for a place.
func (v *validator) line(i int, field string) int {
	for f := field; ; f = parentField(f) {
		if n, ok := v.lines[locKey(i, f)]; ok {
			return n
		}
		if f == "" {
			break
		}
	}
	if i >= 0 {
		return v.lines[locKey(-1, "controls")]
	}
	return 0
}

func (v *validator) isBad(i int, field string) bool {
	for f := field; f != ""; f = parentField(f) {
		if v.bad[locKey(i, f)] {
			return true
		}
	}
	return false
}

func (v *validator) add(i int, ref, field, id string, args map[string]any) {
	v.addLevel(Error, i, ref, field, id, args)
}

func (v *validator) warn(i int, ref, field, id string, args map[string]any) {
	v.addLevel(Warning, i, ref, field, id, args)
}

func (v *validator) addLevel(level Level, i int, ref, field, id string, args map[string]any) {
	if v.isBad(i, field) {
		return
	}
	v.problems = addProblem(v.problems, Problem{
		Level: level, Line: v.line(i, field), Path: pathOf(i, ref, field), ID: id, Args: args,
	})
}

// WithoutEnglish returns the refs of the controls that have Japanese text
// without its English (title, statement or guidance), in catalog order. A
// draft may have them; a catalog is published only without any.
func WithoutEnglish(c *Catalog) []string {
	var refs []string
	for _, ctl := range c.Controls {
		for _, t := range []kijun.Text{ctl.Title, ctl.Statement, ctl.Guidance} {
			if strings.TrimSpace(t.Ja) != "" && strings.TrimSpace(t.En) == "" {
				refs = append(refs, ctl.Ref)
				break
			}
		}
	}
	return refs
}

func (v *validator) catalog(c *Catalog) {
	if c.Code == "" {
		v.add(-1, "", "code", msgRequired, nil)
	} else if !codeRE.MatchString(c.Code) {
		v.add(-1, "", "code", msgInvalidCode, map[string]any{"Code": c.Code})
	}
	if strings.TrimSpace(c.Version) == "" {
		v.add(-1, "", "version", msgRequired, nil)
	}
	v.text(-1, "", "title", c.Title, true)
	v.text(-1, "", "note", c.Note, false)
	if len(c.Controls) == 0 {
		v.add(-1, "", "controls", msgNoControls, nil)
	}
	v.reasons(c.Reasons)
	seen := map[string]bool{}
	for i := range c.Controls {
		v.control(i, &c.Controls[i], seen)
	}
	if refs := WithoutEnglish(c); len(refs) > 0 {
		v.warn(-1, "", "controls", MsgWithoutEnglish, map[string]any{"Count": len(refs), "Refs": strings.Join(refs, ", ")})
	}
}

// text checks a bilingual field: Japanese when required, English beside
// any Japanese, and characters that may be stored (kijun.TextProblem).
// Catalogs are written Japanese first: a control's missing English does
// not stop a draft; one warning lists the controls without it, and
// publishing requires it (WithoutEnglish). The catalog's own title and
// note need both languages.
func (v *validator) text(i int, ref, field string, t kijun.Text, required bool) {
	ja, en := strings.TrimSpace(t.Ja) != "", strings.TrimSpace(t.En) != ""
	switch {
	case !ja && !en && required:
		v.add(i, ref, field, msgRequired, nil)
	case ja && !en && i >= 0:
		// reported once for the catalog (catalog)
	case ja && !en:
		v.add(i, ref, field+".en", msgMissingEn, nil)
	case en && !ja:
		v.add(i, ref, field+".ja", msgMissingJa, nil)
	}
	if p := kijun.TextProblem(t.Ja); p != "" {
		v.add(i, ref, field+".ja", p, nil)
	}
	if p := kijun.TextProblem(t.En); p != "" {
		v.add(i, ref, field+".en", p, nil)
	}
}

func (v *validator) control(i int, c *Control, seen map[string]bool) {
	ref := c.Ref
	switch m := refRE.FindStringSubmatch(c.Ref); {
	case c.Ref == "":
		v.add(i, ref, "ref", msgRequired, nil)
	case m == nil:
		v.add(i, ref, "ref", msgInvalidRef, map[string]any{"Ref": c.Ref})
	case seen[c.Ref]:
		v.add(i, ref, "ref", msgDuplicateRef, map[string]any{"Ref": c.Ref})
	case c.Section != "" && m[1] != c.Section:
		v.add(i, ref, "ref", msgRefSection, map[string]any{"Ref": c.Ref, "Section": c.Section})
	}
	seen[c.Ref] = true

	if c.Section == "" {
		v.add(i, ref, "section", msgRequired, nil)
	} else if !slices.Contains(v.ref.Sections, c.Section) {
		v.add(i, ref, "section", msgUnknownSection, map[string]any{"Section": c.Section})
	}
	v.text(i, ref, "title", c.Title, true)
	v.text(i, ref, "statement", c.Statement, true)
	v.text(i, ref, "guidance", c.Guidance, false)
	v.codes(i, ref, "themes", c.Themes, v.ref.Themes, msgUnknownTheme, "Theme")
	v.codes(i, ref, "csf", c.CSF, CSFCategories, msgUnknownCSF, "Category")
	v.codes(i, ref, "sectors", c.Sectors, v.ref.Sectors, msgUnknownSector, "Sector")
}

func (v *validator) codes(i int, ref, field string, got, known []string, id, arg string) {
	seen := map[string]bool{}
	for j, code := range got {
		f := field + "[" + strconv.Itoa(j) + "]"
		switch {
		case !slices.Contains(known, code):
			v.add(i, ref, f, id, map[string]any{arg: code})
		case seen[code]:
			v.add(i, ref, f, msgDuplicateValue, map[string]any{"Value": code})
		}
		seen[code] = true
	}
}

// reasons checks the 改定理由: each under a ref of the ref shape (a
// removed control's ref need not be among the controls), not too long.
func (v *validator) reasons(reasons map[string]string) {
	for _, ref := range sortedKeys(reasons) {
		field := "revision_reasons." + ref
		if !refRE.MatchString(ref) {
			v.add(-1, "", field, msgInvalidRef, map[string]any{"Ref": ref})
		}
		if len([]rune(reasons[ref])) > MaxReason {
			v.add(-1, "", field, msgReasonTooLong, map[string]any{"Max": MaxReason})
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
