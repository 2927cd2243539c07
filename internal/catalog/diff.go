package catalog

import (
	"slices"
	"strconv"
	"strings"

	"github.com/kijun-portal/kijun/internal/kijun"
)

// Changes is what differs between two versions of a catalog, as the
// version-diff page shows it: controls added and removed, and for each
// control kept under the same ref the fields whose content changed, old
// and new side by side.
type Changes struct {
	Catalog []FieldChange   // title and note of the catalog itself
	Added   []Control       // in the new version's order
	Removed []Control       // in the old version's order
	Changed []ControlChange // in the new version's order
}

// Empty reports whether the two versions have the same content.
func (c Changes) Empty() bool {
	return len(c.Catalog) == 0 && len(c.Added) == 0 && len(c.Removed) == 0 && len(c.Changed) == 0
}

// ControlChange is one control present in both versions with different
// content.
type ControlChange struct {
	Ref      string
	Old, New Control
	Fields   []FieldChange // in the order of DiffFields
}

// FieldChange is one changed field. Old and New are the texts to show
// side by side: the text itself, a list joined by ", ", or "true"/"false".
// For lists, Added and Removed name the codes that came and went (the
// order of a list's codes does not count as a change); for texts, Words is
// the word-level diff of Old and New (WordDiff).
type FieldChange struct {
	Field   string
	Old     string
	New     string
	Added   []string
	Removed []string
	Words   []Segment
}

// DiffFields are the control fields Diff compares, in the order it
// reports them. Control.Version (the edit counter) is not content.
var DiffFields = []string{
	"section",
	"title.ja", "title.en",
	"statement.ja", "statement.en",
	"guidance.ja", "guidance.en",
	"themes", "csf", "evidence_expected", "sectors",
}

// Diff compares two versions of a catalog, matching controls by ref. A nil
// catalog counts as one without controls.
func Diff(old, new *Catalog) Changes {
	if old == nil {
		old = &Catalog{}
	}
	if new == nil {
		new = &Catalog{}
	}
	var ch Changes
	ch.Catalog = appendText(ch.Catalog, "title", old.Title, new.Title)
	ch.Catalog = appendText(ch.Catalog, "note", old.Note, new.Note)

	oldByRef := make(map[string]*Control, len(old.Controls))
	for i := range old.Controls {
		oldByRef[old.Controls[i].Ref] = &old.Controls[i]
	}
	inNew := make(map[string]bool, len(new.Controls))
	for _, n := range new.Controls {
		inNew[n.Ref] = true
		o, ok := oldByRef[n.Ref]
		if !ok {
			ch.Added = append(ch.Added, n)
			continue
		}
		if fields := diffControl(*o, n); len(fields) > 0 {
			ch.Changed = append(ch.Changed, ControlChange{Ref: n.Ref, Old: *o, New: n, Fields: fields})
		}
	}
	for _, o := range old.Controls {
		if !inNew[o.Ref] {
			ch.Removed = append(ch.Removed, o)
		}
	}
	return ch
}

func diffControl(o, n Control) []FieldChange {
	var fs []FieldChange
	if o.Section != n.Section {
		fs = append(fs, FieldChange{Field: "section", Old: o.Section, New: n.Section})
	}
	fs = appendText(fs, "title", o.Title, n.Title)
	fs = appendText(fs, "statement", o.Statement, n.Statement)
	fs = appendText(fs, "guidance", o.Guidance, n.Guidance)
	fs = appendList(fs, "themes", o.Themes, n.Themes)
	fs = appendList(fs, "csf", o.CSF, n.CSF)
	if o.EvidenceExpected != n.EvidenceExpected {
		fs = append(fs, FieldChange{Field: "evidence_expected",
			Old: strconv.FormatBool(o.EvidenceExpected), New: strconv.FormatBool(n.EvidenceExpected)})
	}
	fs = appendList(fs, "sectors", o.Sectors, n.Sectors)
	return fs
}

func appendText(fs []FieldChange, field string, o, n kijun.Text) []FieldChange {
	if o.Ja != n.Ja {
		fs = append(fs, FieldChange{Field: field + ".ja", Old: o.Ja, New: n.Ja, Words: WordDiff(o.Ja, n.Ja)})
	}
	if o.En != n.En {
		fs = append(fs, FieldChange{Field: field + ".en", Old: o.En, New: n.En, Words: WordDiff(o.En, n.En)})
	}
	return fs
}

func appendList(fs []FieldChange, field string, o, n []string) []FieldChange {
	var added, removed []string
	for _, s := range n {
		if !slices.Contains(o, s) && !slices.Contains(added, s) {
			added = append(added, s)
		}
	}
	for _, s := range o {
		if !slices.Contains(n, s) && !slices.Contains(removed, s) {
			removed = append(removed, s)
		}
	}
	if len(added) == 0 && len(removed) == 0 {
		return fs
	}
	return append(fs, FieldChange{Field: field, Old: strings.Join(o, ", "), New: strings.Join(n, ", "),
		Added: added, Removed: removed})
}
