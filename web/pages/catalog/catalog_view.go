// Package catalog renders the baseline catalog pages: the list of
// versions, one version's controls with filters and search, one control,
// the version diff, and the NCO's authoring forms (new version, control
// editor, publish, import).
package catalog

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	kcat "github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/web/layout"
)

// Summary is a row of the version list.
type Summary struct {
	kcat.Catalog
	BasedOn      int64
	CreatedAt    time.Time
	ControlCount int
}

// IndexView lists the versions the reader may see.
type IndexView struct {
	Catalogs []Summary
	CanEdit  bool // NCO admin: start versions, import
}

// Filter is the browser's GET form.
type Filter struct {
	Q       string
	Section string
	Theme   string
	CSF     string // a category ("PR.DS") or function ("PR")
	Sector  string
}

// Active reports whether anything narrows the list.
func (f Filter) Active() bool { return f != Filter{} }

// ShowView is one catalog version with its (filtered) controls.
type ShowView struct {
	Catalog  kcat.Catalog // Controls: the matching ones, in display order
	Total    int          // controls in the version
	Filter   Filter
	Names    kijun.ReferenceNames
	Versions []kcat.Catalog // other versions of the same code, for the diff
	BasedOn  int64
	CanEdit  bool // a draft, and the reader is an NCO admin
	CanStart bool // published, and the reader is an NCO admin
	// CanGovernance: the reader may open the version's governance page
	// (consultation, decision, 改定理由).
	CanGovernance bool
	Notice        string
}

// Groups splits controls into runs of one section, keeping their order.
func Groups(cs []kcat.Control) [][]kcat.Control {
	var out [][]kcat.Control
	for _, c := range cs {
		if n := len(out); n > 0 && out[n-1][0].Section == c.Section {
			out[n-1] = append(out[n-1], c)
			continue
		}
		out = append(out, []kcat.Control{c})
	}
	return out
}

// CSFFunctions are NIST CSF 2.0's six functions, in its order.
var CSFFunctions = []string{"GV", "ID", "PR", "DE", "RS", "RC"}

// CSFOptionsOf lists a function's categories.
func CSFOptionsOf(fn string) []string {
	var out []string
	for _, c := range kcat.CSFCategories {
		if strings.HasPrefix(c, fn+".") {
			out = append(out, c)
		}
	}
	return out
}

// ControlView is one control.
type ControlView struct {
	Catalog kcat.Catalog
	Control kcat.Control
	Names   kijun.ReferenceNames
	CanEdit bool
}

// Both returns the text in the reader's language first, then the other,
// each with its language code.
func Both(ctx context.Context, t kijun.Text) []LangText {
	ja, en := LangText{Lang: "ja", Text: t.Ja}, LangText{Lang: "en", Text: t.En}
	if i18n.From(ctx).Lang == kijun.En {
		return []LangText{en, ja}
	}
	return []LangText{ja, en}
}

// LangText is a text in one language.
type LangText struct {
	Lang string
	Text string
}

// DiffView compares two versions.
type DiffView struct {
	Old, New kcat.Catalog // without controls
	Changes  kcat.Changes
	Versions []kcat.Catalog // candidates for "from"
	Names    kijun.ReferenceNames
}

// NewVersionView is the form that starts a draft from a published version.
type NewVersionView struct {
	From    kcat.Catalog
	Version string
	Error   string // rendered message
}

// ControlForm is the control editor: what was typed, its errors, and on
// an edit conflict the stored control.
type ControlForm struct {
	Catalog kcat.Catalog
	New     bool
	Control kcat.Control // as typed; Version is the version the editor loaded
	Names   kijun.ReferenceNames
	Errors  map[string][]FieldError // by field: ref section title.ja … sectors
	Message string                  // a rendered message about the whole form
	// Current is the stored control when someone else saved first.
	Current *kcat.Control
}

// FieldError is a message id with its arguments.
type FieldError struct {
	ID   string
	Args map[string]any
}

// FormFields are the editor's fields in display order, for the error list.
var FormFields = []string{"ref", "section", "title.ja", "title.en", "statement.ja", "statement.en",
	"guidance.ja", "guidance.en", "themes", "csf", "evidence_expected", "sectors"}

// FieldValue renders one field of a control for the side-by-side views.
func FieldValue(c kcat.Control, field string) string {
	switch field {
	case "ref":
		return c.Ref
	case "section":
		return c.Section
	case "title.ja":
		return c.Title.Ja
	case "title.en":
		return c.Title.En
	case "statement.ja":
		return c.Statement.Ja
	case "statement.en":
		return c.Statement.En
	case "guidance.ja":
		return c.Guidance.Ja
	case "guidance.en":
		return c.Guidance.En
	case "themes":
		return strings.Join(c.Themes, ", ")
	case "csf":
		return strings.Join(c.CSF, ", ")
	case "evidence_expected":
		return strconv.FormatBool(c.EvidenceExpected)
	case "sectors":
		return strings.Join(c.Sectors, ", ")
	}
	return ""
}

// FieldID is the id of a field's input in the editor.
func FieldID(field string) string {
	return "control-" + strings.NewReplacer(".", "-", "_", "-").Replace(field)
}

// PublishView is the confirmation before publishing a draft.
type PublishView struct {
	Catalog    kcat.Catalog // with controls
	Superseded *kcat.Catalog
	Problems   []kcat.Problem
	Changes    *kcat.Changes // against the version it supersedes
	// WithoutEnglish are the refs of the controls whose English is still
	// missing: publishing waits for them.
	WithoutEnglish []string
	// MissingReasons are the revised refs without a 改定理由: the
	// consultation waits for them.
	MissingReasons []string
	Message        string
}

// ImportView is the import form, and after a refused file every problem.
type ImportView struct {
	FileName string
	Problems []kcat.Problem
	Message  string
	// Imported is set when the file was stored, with warnings to read.
	Imported *kcat.Catalog
}

// StatusLabel names a catalog status.
func StatusLabel(ctx context.Context, s kcat.Status) string {
	return i18n.T(ctx, "catalogui.status."+string(s))
}

// FieldLabel names a field of a control or catalog.
func FieldLabel(ctx context.Context, field string) string {
	return i18n.T(ctx, "catalogui.field."+field)
}

// ID formats an id for URLs.
func ID(id int64) string { return strconv.FormatInt(id, 10) }

// Has reports whether list holds s.
func Has(list []string, s string) bool { return slices.Contains(list, s) }

// CSFLabel names a filter value: a function by name, a category by code.
func CSFLabel(ctx context.Context, v string) string {
	if slices.Contains(CSFFunctions, v) {
		return i18n.T(ctx, "catalogui.csf."+v)
	}
	return v
}

// Attrs are the accessibility attributes of field name's input: invalid
// with its error first in aria-describedby when it has one, then hints.
func (f ControlForm) Attrs(name string, hints ...string) templ.Attributes {
	return layout.Field(len(f.Errors[name]) > 0, FieldID(name)+"-error", hints...)
}

// ErrorIDs is the id of field name's error message, if it has one.
func (f ControlForm) ErrorIDs(name string) []string {
	if len(f.Errors[name]) > 0 {
		return []string{FieldID(name) + "-error"}
	}
	return nil
}

// importErrorID is the id of what says why the upload was refused.
func importErrorID(v ImportView) string {
	if v.Message != "" {
		return "form-message"
	}
	return "import-problems"
}
