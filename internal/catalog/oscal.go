package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/oscal"
)

// Names of the props and parts Kijun adds in oscal.Namespace. The mapping
// is described in docs/catalog-format.md; keep the two in step.
const (
	propCode        = "catalog-code"
	propStatus      = "status"
	propSection     = "section"
	propTheme       = "theme"
	propCSF         = "csf-category"
	propEvidence    = "evidence-expected"
	propSector      = "sector"
	propTranslation = "translation" // value: language; class: field; remarks: text
	partTranslation = "translation" // a control's English title, statement and guidance
)

// unknownTime stands in for last-modified when a draft has no publication
// time: OSCAL requires the field, and export must be byte-stable.
var unknownTime = time.Unix(0, 0).UTC()

// ExportOSCAL writes c as an OSCAL 1.1.3 catalog: one group per section
// (in order of first use), Japanese as the main text and English in props
// and parts in Kijun's namespace, UUIDs derived from code and version so
// the same catalog always exports to the same bytes. Fields OSCAL has no
// place for and that only matter inside the portal (database IDs, control
// edit versions, who published) are not written.
func ExportOSCAL(c *Catalog) ([]byte, error) {
	if err := exportable(c); err != nil {
		return nil, err
	}
	modified := unknownTime
	md := oscal.Metadata{
		Title:        c.Title.Ja,
		Version:      c.Version,
		OSCALVersion: oscal.Version,
		Remarks:      c.Note.Ja,
		Props:        []oscal.Property{kprop(propCode, c.Code)},
	}
	if c.PublishedAt != nil {
		modified = *c.PublishedAt
		md.Published = oscal.FormatTime(*c.PublishedAt)
	}
	md.LastModified = oscal.FormatTime(modified)
	if c.Status != "" {
		md.Props = append(md.Props, kprop(propStatus, string(c.Status)))
	}
	if c.Title.En != "" {
		md.Props = append(md.Props, translation("title", c.Title.En))
	}
	if c.Note.En != "" {
		md.Props = append(md.Props, translation("note", c.Note.En))
	}

	var groups []oscal.Group
	index := map[string]int{}
	for _, ctl := range c.Controls {
		gi, ok := index[ctl.Section]
		if !ok {
			gi = len(groups)
			index[ctl.Section] = gi
			groups = append(groups, oscal.Group{
				ID:    ctl.Section,
				Class: "section",
				Title: ctl.Section,
				Props: []oscal.Property{{Name: "label", Value: ctl.Section}, kprop(propSection, ctl.Section)},
			})
		}
		groups[gi].Controls = append(groups[gi].Controls, exportControl(ctl))
	}

	md.Revisions = exportRevisions(c)
	doc := oscal.Document{Catalog: &oscal.Catalog{
		UUID:       oscal.UUID("catalog/" + c.Code + "/" + c.Version),
		Metadata:   md,
		Groups:     groups,
		BackMatter: exportBackMatter(c),
	}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // prose is Markdown; keep < and & readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// exportable refuses catalogs that would make invalid OSCAL (not every
// validation rule: a draft with a missing translation can still be
// exported for review).
func exportable(c *Catalog) error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(oscal.IsString(c.Code), "catalog code %q", c.Code)
	check(oscal.IsString(c.Version), "catalog version %q", c.Version)
	check(c.Title.Ja != "", "catalog has no Japanese title")
	check(len(c.Controls) > 0, "catalog has no controls")
	for _, ctl := range c.Controls {
		check(oscal.IsToken(ctl.Section), "control %s: section %q", ctl.Ref, ctl.Section)
		check(oscal.IsToken(strings.ToLower(ctl.Ref)) && oscal.IsString(ctl.Ref), "control ref %q", ctl.Ref)
		for _, v := range slices.Concat(ctl.Themes, ctl.CSF, ctl.Sectors) {
			check(oscal.IsString(v), "control %s: code %q", ctl.Ref, v)
		}
	}
	return errors.Join(errs...)
}

func kprop(name, value string) oscal.Property {
	return oscal.Property{Name: name, NS: oscal.Namespace, Value: value}
}

// translation carries an English text of any length: a prop value must be
// one line, remarks may be Markdown of any length.
func translation(field, en string) oscal.Property {
	return oscal.Property{Name: propTranslation, NS: oscal.Namespace, Class: field, Value: "en", Remarks: en}
}

func exportControl(c Control) oscal.Control {
	id := strings.ToLower(c.Ref)
	props := []oscal.Property{{Name: "label", Value: c.Ref}}
	for _, t := range c.Themes {
		props = append(props, kprop(propTheme, t))
	}
	for _, t := range c.CSF {
		props = append(props, kprop(propCSF, t))
	}
	props = append(props, kprop(propEvidence, strconv.FormatBool(c.EvidenceExpected)))
	for _, s := range c.Sectors {
		props = append(props, kprop(propSector, s))
	}
	ctl := oscal.Control{ID: id, Class: "baseline", Title: c.Title.Ja, Props: props}
	if c.Statement.Ja != "" {
		ctl.Parts = append(ctl.Parts, oscal.Part{ID: id + "_smt", Name: "statement", Prose: c.Statement.Ja})
	}
	if c.Guidance.Ja != "" {
		ctl.Parts = append(ctl.Parts, oscal.Part{ID: id + "_gdn", Name: "guidance", Prose: c.Guidance.Ja})
	}
	en := oscal.Part{ID: id + "_en", Name: partTranslation, NS: oscal.Namespace, Class: "en", Title: c.Title.En}
	if c.Statement.En != "" {
		en.Parts = append(en.Parts, oscal.Part{ID: id + "_en_smt", Name: "statement", NS: oscal.Namespace, Prose: c.Statement.En})
	}
	if c.Guidance.En != "" {
		en.Parts = append(en.Parts, oscal.Part{ID: id + "_en_gdn", Name: "guidance", NS: oscal.Namespace, Prose: c.Guidance.En})
	}
	if en.Title != "" || len(en.Parts) > 0 {
		ctl.Parts = append(ctl.Parts, en)
	}
	return ctl
}

// ImportOSCAL reads an OSCAL catalog: one Kijun exported (losslessly) or
// one published by others, such as NIST's CSF 2.0 or SP 800-53 catalogs.
// Foreign catalogs are mapped as docs/catalog-format.md describes; what
// the mapping had to guess is reported as warnings, and the result is then
// validated like a YAML catalog. The catalog is nil only when the JSON is
// unreadable or not a catalog.
func ImportOSCAL(data []byte, ref Reference) (*Catalog, []Problem) {
	if ps := checkImportSize(data); ps != nil {
		return nil, ps
	}
	var doc oscal.Document
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, []Problem{jsonProblem(data, err)}
	}
	if doc.Catalog == nil {
		return nil, []Problem{{Level: Error, Line: 1, ID: msgNotACatalog}}
	}
	im := &importer{ref: ref, params: map[string]oscal.Parameter{}, used: map[string]bool{}, next: map[string]int{}}
	c := im.catalog(doc.Catalog)
	problems := append(im.problems, Validate(c, ref)...)
	return c, problems
}

func jsonProblem(data []byte, err error) Problem {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return Problem{Level: Error, Line: lineAt(data, syn.Offset), ID: msgJSONSyntax, Args: map[string]any{"Detail": syn.Error()}}
	case errors.As(err, &typ):
		return Problem{Level: Error, Line: lineAt(data, typ.Offset), Path: typ.Field, ID: msgJSONType, Args: map[string]any{"Detail": typ.Error()}}
	}
	return Problem{Level: Error, ID: msgJSONSyntax, Args: map[string]any{"Detail": err.Error()}}
}

func lineAt(data []byte, offset int64) int {
	offset = min(max(offset, 0), int64(len(data)))
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

// importer maps one OSCAL catalog onto the Kijun model.
type importer struct {
	ref      Reference
	params   map[string]oscal.Parameter // every param in the document, by id
	problems []Problem
	foreign  int             // controls whose text had to be copied from English
	used     map[string]bool // refs taken
	next     map[string]int  // next free ref number per section
	pending  []pendingControl
}

// pendingControl is a control whose ref is assigned after the walk, once
// every ref the document states itself is known.
type pendingControl struct {
	c     Control
	label string // the control's own label or id, to keep when no ref fits
}

func (im *importer) warn(id string, args map[string]any) {
	im.problems = addProblem(im.problems, Problem{Level: Warning, ID: id, Args: args})
}

func (im *importer) catalog(oc *oscal.Catalog) *Catalog {
	collectParams(oc, im.params)
	md := oc.Metadata
	c := &Catalog{
		Version: md.Version,
		Title:   kijun.Text{Ja: md.Title},
		Note:    kijun.Text{Ja: md.Remarks},
	}
	code, ok := oscal.Prop(md.Props, oscal.Namespace, propCode)
	own := ok
	if !ok {
		code = slug(md.Title)
		im.warn(msgCodeDerived, map[string]any{"Code": code})
	}
	c.Code = code
	if s, ok := oscal.Prop(md.Props, oscal.Namespace, propStatus); ok {
		c.Status = Status(s)
	}
	if t, err := oscal.ParseTime(md.Published); err == nil && md.Published != "" {
		t = t.UTC()
		c.PublishedAt = &t
	}
	if own {
		c.Title.En = translationOf(md.Props, "title")
		c.Note.En = translationOf(md.Props, "note")
	} else {
		c.Title.En, c.Note.En = c.Title.Ja, c.Note.Ja
	}

	c.Reasons = importReasons(md.Revisions, c.Version)
	for _, ctl := range oc.Controls {
		section := sectionOfControl(ctl, im.ref)
		if section == "" {
			section = im.fallback("catalog")
		}
		im.control(ctl, section, nil)
	}
	for _, g := range oc.Groups {
		im.group(g, "")
	}
	c.Controls = im.assignRefs()
	if im.foreign > 0 {
		im.warn(msgEnglishOnly, map[string]any{"Count": im.foreign})
	}
	return c
}

func translationOf(props []oscal.Property, field string) string {
	for _, p := range props {
		if p.Name == propTranslation && p.NS == oscal.Namespace && p.Class == field && p.Value == "en" {
			return p.Remarks
		}
	}
	return ""
}

func collectParams(oc *oscal.Catalog, into map[string]oscal.Parameter) {
	add := func(ps []oscal.Parameter) {
		for _, p := range ps {
			into[p.ID] = p
		}
	}
	var ctl func(cs []oscal.Control)
	ctl = func(cs []oscal.Control) {
		for _, c := range cs {
			add(c.Params)
			ctl(c.Controls)
		}
	}
	var grp func(gs []oscal.Group)
	grp = func(gs []oscal.Group) {
		for _, g := range gs {
			add(g.Params)
			ctl(g.Controls)
			grp(g.Groups)
		}
	}
	add(oc.Params)
	ctl(oc.Controls)
	grp(oc.Groups)
}

// csfFunctions maps NIST CSF 2.0 function codes onto Kijun sections: the
// baseline merges Respond and Recover into one section.
var csfFunctions = map[string]string{"GV": "GV", "ID": "ID", "PR": "PR", "DE": "DE", "RS": "RR", "RC": "RR"}

// sectionOfGroup finds a group's section: our own prop, else its id when
// that is a section code, else a CSF function code.
func sectionOfGroup(g oscal.Group, ref Reference) string {
	if s, ok := oscal.Prop(g.Props, oscal.Namespace, propSection); ok {
		return s
	}
	id := strings.ToUpper(g.ID)
	if slices.Contains(ref.Sections, id) {
		return id
	}
	return csfFunctions[id]
}

var csfPrefixRE = regexp.MustCompile(`^(GV|ID|PR|DE|RS|RC)\.[A-Z]{2}`)

// sectionOfControl places a control found outside any group, by our prop
// or its CSF id prefix.
func sectionOfControl(c oscal.Control, ref Reference) string {
	if s, ok := oscal.Prop(c.Props, oscal.Namespace, propSection); ok {
		return s
	}
	if m := csfPrefixRE.FindStringSubmatch(strings.ToUpper(c.ID)); m != nil {
		return csfFunctions[m[1]]
	}
	return ""
}

// fallback is the section for controls nothing else places: the first
// reference section (BASE), with a warning so an editor reassigns them.
func (im *importer) fallback(where string) string {
	section := "BASE"
	if len(im.ref.Sections) > 0 {
		section = im.ref.Sections[0]
	}
	im.warn(msgFallbackSection, map[string]any{"Group": where, "Section": section})
	return section
}

func (im *importer) group(g oscal.Group, parent string) {
	section := sectionOfGroup(g, im.ref)
	if section == "" {
		section = parent
	}
	if section == "" && len(g.Controls) > 0 {
		name := g.ID
		if name == "" {
			name = g.Title
		}
		section = im.fallback(name)
	}
	for _, c := range g.Controls {
		im.control(c, section, nil)
	}
	for _, sub := range g.Groups {
		im.group(sub, section)
	}
}

// isWithdrawn tells NIST's withdrawn controls, kept in its catalogs only
// as pointers to where their content went.
func isWithdrawn(c oscal.Control) bool {
	for _, p := range c.Props {
		if p.Name == "status" && (p.Value == "withdrawn" || p.Value == "Withdrawn") && p.NS != oscal.Namespace {
			return true
		}
	}
	return false
}

func isOwn(c oscal.Control) bool {
	for _, p := range c.Props {
		if p.NS == oscal.Namespace {
			return true
		}
	}
	return false
}

// label is the control's label as printed by its publisher ("AC-2(1)",
// "GV.OC-01"), preferring the one without a class.
func label(c oscal.Control) string {
	first := ""
	for _, p := range c.Props {
		if p.Name != "label" || p.NS != "" && p.NS != oscal.Namespace {
			continue
		}
		if p.Class == "" {
			return p.Value
		}
		if first == "" {
			first = p.Value
		}
	}
	return first
}

// control maps c and, after it, its nested controls (enhancements,
// subcategories), which inherit its section.
func (im *importer) control(c oscal.Control, section string, parent *oscal.Control) {
	if isWithdrawn(c) {
		return
	}
	if s, ok := oscal.Prop(c.Props, oscal.Namespace, propSection); ok {
		section = s
	}
	var k Control
	lbl := label(c)
	if isOwn(c) {
		k = im.ownControl(c, section)
	} else {
		k = im.foreignControl(c, section, parent, lbl)
	}
	if lbl == "" {
		lbl = c.ID
	}
	im.pending = append(im.pending, pendingControl{c: k, label: lbl})
	for _, sub := range c.Controls {
		im.control(sub, section, &c)
	}
}

func (im *importer) ownControl(c oscal.Control, section string) Control {
	k := Control{
		Section:   section,
		Title:     kijun.Text{Ja: c.Title},
		Statement: kijun.Text{Ja: im.prose(c.Parts, "statement", "")},
		Guidance:  kijun.Text{Ja: im.prose(c.Parts, "guidance", "")},
		Themes:    oscal.Props(c.Props, oscal.Namespace, propTheme),
		CSF:       oscal.Props(c.Props, oscal.Namespace, propCSF),
		Sectors:   oscal.Props(c.Props, oscal.Namespace, propSector),
	}
	if v, ok := oscal.Prop(c.Props, oscal.Namespace, propEvidence); ok {
		k.EvidenceExpected, _ = strconv.ParseBool(v)
	}
	for _, p := range c.Parts {
		if p.Name == partTranslation && p.NS == oscal.Namespace && p.Class == "en" {
			k.Title.En = p.Title
			k.Statement.En = im.prose(p.Parts, "statement", oscal.Namespace)
			k.Guidance.En = im.prose(p.Parts, "guidance", oscal.Namespace)
		}
	}
	return k
}

// foreignControl maps a control from someone else's catalog. Its text is
// taken to be English and copied into Japanese (counted for one warning);
// the publisher's label is kept at the start of the title, since our ref
// is assigned fresh.
func (im *importer) foreignControl(c oscal.Control, section string, parent *oscal.Control, lbl string) Control {
	title := c.Title
	if parent != nil {
		if title == lbl || title == "" {
			title = parent.Title
		} else {
			title = parent.Title + " | " + title
		}
	}
	switch {
	case lbl == "":
	case strings.Contains(lbl, title):
		title = lbl
	case !strings.Contains(title, lbl):
		title = lbl + " " + title
	}
	statement := im.prose(c.Parts, "statement", "")
	guidance := im.prose(c.Parts, "guidance", "")
	if guidance == "" {
		// CSF 2.0 has implementation examples instead of guidance.
		var ex []string
		for _, p := range c.Parts {
			if p.Name == "example" {
				ex = append(ex, "- "+im.render(p, 0))
			}
		}
		guidance = strings.Join(ex, "\n")
	}
	var csf []string
	for _, id := range []string{lbl, c.ID} {
		if m := csfPrefixRE.FindString(strings.ToUpper(id)); m != "" && slices.Contains(CSFCategories, m) {
			csf = []string{m}
			break
		}
	}
	im.foreign++
	return Control{
		Section:   section,
		Title:     kijun.Text{Ja: title, En: title},
		Statement: kijun.Text{Ja: statement, En: statement},
		Guidance:  kijun.Text{Ja: guidance, En: guidance},
		CSF:       csf,
	}
}

// prose joins the text of every part called name (in namespace ns),
// items included, with parameters filled in.
func (im *importer) prose(parts []oscal.Part, name, ns string) string {
	var out []string
	for _, p := range parts {
		if p.Name == name && p.NS == ns {
			if s := im.render(p, 0); s != "" {
				out = append(out, s)
			}
		}
	}
	return strings.Join(out, "\n\n")
}

// render writes a part and its sub-parts (statement items "a.", "1.", …)
// as indented lines, the way NIST prints them.
func (im *importer) render(p oscal.Part, depth int) string {
	var lines []string
	indent := strings.Repeat("  ", max(depth-1, 0))
	prose := oscal.ResolveParams(p.Prose, im.params)
	if l, ok := oscal.Prop(p.Props, "", "label"); ok && depth > 0 {
		prose = l + " " + prose
	}
	if prose != "" {
		lines = append(lines, indent+prose)
	}
	for _, sub := range p.Parts {
		if s := im.render(sub, depth+1); s != "" {
			lines = append(lines, s)
		}
	}
	return strings.Join(lines, "\n")
}

// assignRefs gives each control its ref: the label when it already is a
// valid, unused ref of its section (always so for Kijun's own exports),
// else the next free <SECTION>-NN.
func (im *importer) assignRefs() []Control {
	for _, p := range im.pending {
		if m := refRE.FindStringSubmatch(p.label); m != nil && m[1] == p.c.Section && !im.used[p.label] {
			im.used[p.label] = true
		}
	}
	var out []Control
	full := map[string]bool{}
	kept := map[string]bool{}
	for _, p := range im.pending {
		c := p.c
		if m := refRE.FindStringSubmatch(p.label); m != nil && m[1] == c.Section && !kept[p.label] {
			c.Ref = p.label
			kept[p.label] = true
		} else {
			c.Ref = im.nextRef(c.Section)
			if c.Ref == "" {
				if !full[c.Section] {
					full[c.Section] = true
					im.problems = addProblem(im.problems, Problem{Level: Error, ID: msgTooManyControls, Args: map[string]any{"Section": c.Section}})
				}
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

func (im *importer) nextRef(section string) string {
	for n := im.next[section] + 1; n <= 999; n++ {
		ref := fmt.Sprintf("%s-%02d", section, n)
		if !im.used[ref] {
			im.used[ref] = true
			im.next[section] = n
			return ref
		}
	}
	return ""
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slug makes a catalog code from a foreign catalog's title.
func slug(title string) string {
	s := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(title), "-"), "-")
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		s = "imported-" + s
	}
	if len(s) > 64 {
		s = strings.TrimRight(s[:64], "-")
	}
	return strings.TrimRight(s, "-")
}
