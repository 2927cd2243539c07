// Package catalog is the baseline control catalog: its versions and their
// status, its controls, and the rules a catalog must meet. It reads and
// writes catalogs in Kijun's YAML format and as OSCAL catalogs, and checks
// them against the reference codes, so that a catalog enters the portal
// only after every problem in it has been shown to its editor at once.
package catalog

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// Reference lists the codes a catalog may use. The caller loads them from
// the database, so that a sector or theme added by the NCO is accepted
// without a code change.
type Reference struct {
	Sections []string // baseline section codes: BASE GV ID PR DE RR TT
	Themes   []string // theme codes: closed-network supply-chain …
	Sectors  []string // sector codes: ict finance aviation …
}

// Level says whether a problem stops the catalog from being saved.
type Level string

const (
	// Error problems must be fixed before the catalog can be used.
	Error Level = "error"
	// Warning problems are accepted but should be looked at, e.g. English
	// text copied into Japanese on import.
	Warning Level = "warning"
)

// Problem is one thing wrong with a catalog, kept as a message ID and its
// arguments so that it can be shown in Japanese or English.
type Problem struct {
	Level Level
	Line  int    // 1-based line in the source file; 0 when unknown
	Path  string // where in the catalog, e.g. "controls[3] (GV-03) title.en"
	ID    string // message ID in internal/i18n/locales/catalog.*.yaml
	Args  map[string]any
}

// Message renders the problem in l's language, without its location.
func (p Problem) Message(l *i18n.Localizer) string {
	return l.T(p.ID, p.Args)
}

// Describe renders the problem with its level and location, one line per
// problem as an editor wants them listed.
func (p Problem) Describe(l *i18n.Localizer) string {
	var b strings.Builder
	if p.Level == Warning {
		b.WriteString(l.T("catalog.level.warning"))
	} else {
		b.WriteString(l.T("catalog.level.error"))
	}
	b.WriteString(": ")
	if p.Line > 0 {
		b.WriteString(l.T("catalog.problem.line", map[string]any{"Line": p.Line}))
		b.WriteString(" ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message(l))
	return b.String()
}

// String is for logs and test failures: untranslated, but complete.
func (p Problem) String() string {
	return fmt.Sprintf("%s line %d %s: %s %v", p.Level, p.Line, p.Path, p.ID, p.Args)
}

// HasErrors reports whether any problem is an error (not only warnings).
func HasErrors(problems []Problem) bool {
	for _, p := range problems {
		if p.Level != Warning {
			return true
		}
	}
	return false
}

// Message IDs of problems. Each is defined in both catalog.ja.yaml and
// catalog.en.yaml; a test checks it.
const (
	msgYAMLSyntax        = "catalog.problem.yaml_syntax"
	msgJSONSyntax        = "catalog.problem.json_syntax"
	msgJSONType          = "catalog.problem.json_type"
	msgNotACatalog       = "catalog.problem.not_a_catalog"
	msgExpectedMapping   = "catalog.problem.expected_mapping"
	msgExpectedString    = "catalog.problem.expected_string"
	msgExpectedList      = "catalog.problem.expected_list"
	msgExpectedBool      = "catalog.problem.expected_bool"
	msgUnknownKey        = "catalog.problem.unknown_key"
	msgDuplicateKey      = "catalog.problem.duplicate_key"
	msgMissingFormat     = "catalog.problem.missing_format"
	msgUnsupportedFormat = "catalog.problem.unsupported_format"
	msgInvalidCode       = "catalog.problem.invalid_code"
	msgRequired          = "catalog.problem.required"
	msgMissingJa         = "catalog.problem.missing_ja"
	msgMissingEn         = "catalog.problem.missing_en"
	// MsgWithoutEnglish lists the controls whose English is still missing
	// (Count, Refs): a warning on a draft, the reason publishing is refused.
	MsgWithoutEnglish  = "catalog.problem.without_english"
	msgNoControls      = "catalog.problem.no_controls"
	msgInvalidRef      = "catalog.problem.invalid_ref"
	msgRefSection      = "catalog.problem.ref_section_mismatch"
	msgDuplicateRef    = "catalog.problem.duplicate_ref"
	msgUnknownSection  = "catalog.problem.unknown_section"
	msgUnknownTheme    = "catalog.problem.unknown_theme"
	msgUnknownCSF      = "catalog.problem.unknown_csf"
	msgUnknownSector   = "catalog.problem.unknown_sector"
	msgDuplicateValue  = "catalog.problem.duplicate_value"
	msgEnglishOnly     = "catalog.problem.english_only"
	msgCodeDerived     = "catalog.problem.code_derived"
	msgFallbackSection = "catalog.problem.fallback_section"
	msgTooManyControls = "catalog.problem.too_many_controls"
	msgFileTooLarge    = "catalog.problem.file_too_large"
	msgTooManyItems    = "catalog.problem.too_many_items"
	msgTooManyProblems = "catalog.problem.too_many_problems"
	msgReasonTooLong   = "catalog.problem.reason_too_long"
)

// sortProblems orders problems by source line, keeping the order they were
// found in for equal lines (and for problems without a line).
func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
}

// Status is where a catalog version is in its life.
type Status string

const (
	Draft      Status = "draft"      // 草案: the NCO edits it
	Published  Status = "published"  // 施行中: in force (governance.go); immutable
	Superseded Status = "superseded" // a newer version came into force
)

// Catalog is one version of a baseline control catalog (第3部 of the
// standard): the NCO's baseline, or one imported from elsewhere.
type Catalog struct {
	ID          int64
	Code        string // stable across versions, e.g. "kijun-baseline"
	Version     string // e.g. "2026.1-draft"
	Title       kijun.Text
	Note        kijun.Text // what the catalog is and where it comes from
	Status      Status
	PublishedAt *time.Time // when it came into force
	PublishedBy string
	Controls    []Control
	// Reasons are the 改定理由 of this version, by ref: why each control
	// was added, changed or removed (a removed control's ref is no longer
	// among Controls).
	Reasons map[string]string
	// Decision is the 決定 of a decided, in-force or superseded version.
	Decision *Decision
	// ConsultationOpenedAt is when 意見募集 began (nil: not yet).
	ConsultationOpenedAt *time.Time
	// PublicComments are the attached results of the public comment.
	PublicComments []PublicComment
}

// Control is one baseline control.
type Control struct {
	Ref       string // stable across versions, "<section>-NN", e.g. "GV-03"
	Section   string // a baseline section code: BASE GV ID PR DE RR TT
	Title     kijun.Text
	Statement kijun.Text // the checkable practice
	Guidance  kijun.Text // how to meet it, examples
	Themes    []string   // theme codes (closed-network, supply-chain, resilience, tech-trends, communication)
	CSF       []string   // NIST CSF 2.0 category ids, e.g. "GV.OC", "PR.DS"
	// EvidenceExpected says operators should attach evidence.
	EvidenceExpected bool
	// Sectors limits the control to these sector codes; empty means all.
	Sectors []string
	// Version counts edits, for optimistic locking in the editor.
	Version int
}

// CSFCategories are the 22 categories of NIST CSF 2.0, in its order.
var CSFCategories = []string{
	"GV.OC", "GV.RM", "GV.RR", "GV.PO", "GV.OV", "GV.SC",
	"ID.AM", "ID.RA", "ID.IM",
	"PR.AA", "PR.AT", "PR.DS", "PR.PS", "PR.IR",
	"DE.CM", "DE.AE",
	"RS.MA", "RS.AN", "RS.CO", "RS.MI",
	"RC.RP", "RC.CO",
}

// Summary is a row of the catalog list: a catalog without its
// controls, and what the list shows about it.
type Summary struct {
	Catalog
	BasedOn      int64 // the version this one was copied from; 0 if imported
	CreatedAt    time.Time
	ControlCount int
}

// ControlFilter narrows SearchControls. Empty fields do not filter.
type ControlFilter struct {
	Section string // baseline section code, e.g. "PR"
	Theme   string // theme code
	CSF     string // a CSF 2.0 category ("PR.DS") or function ("PR")
	Sector  string // controls that apply to this sector (including those for every sector)
}
