// Package plans renders the implementation plan pages (実施計画): the list
// and the NCO's review queue, a plan with its live progress, the general
// sections' form, the sector profile editor and its import preview, the
// version diff, the NCO's evaluations with the annual report, and the
// sector profile as operators read it.
package plans

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/plan"
	"github.com/kijun-portal/kijun/web/layout"
)

// sectionName names a baseline section code ("" is the whole assessment).
func sectionName(n kijun.ReferenceNames, code string) kijun.Text {
	if code == "" {
		return kijun.Text{Ja: "全体", En: "Overall"}
	}
	return kijun.Name(n.Sections, code)
}

// SectorList names a plan's sectors, joined.
func SectorList(ctx context.Context, n kijun.ReferenceNames, codes []string) string {
	s := ""
	for i, c := range codes {
		if i > 0 {
			s += i18n.T(ctx, "plans.list_sep")
		}
		s += i18n.From(ctx).Pick(kijun.Name(n.Sectors, c))
	}
	return s
}

// ID formats an id for a URL.
func ID(id int64) string { return strconv.FormatInt(id, 10) }

// Period shows a planning period in fiscal years.
func Period(ctx context.Context, from, to kijun.FiscalYear) string {
	l := i18n.From(ctx)
	return from.Label(l.Lang) + " – " + to.Label(l.Lang)
}

// Percent formats a share.
func Percent(p *float64) string {
	if p == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", *p)
}

// Score formats a 0–1 score as a percentage.
func Score(p *float64) string {
	if p == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", *p*100)
}

// IndexView is the plan list, or the NCO's review queue.
type IndexView struct {
	Plans     []plan.Plan
	Queue     bool
	CanCreate bool
	CanReview bool
	Names     kijun.ReferenceNames
	// Checks are the internal-check settings of the ministries the reader
	// administers (plan.CanSubmit asks them), each with its own form.
	Checks []PlanCheck
	// Ministry: the reader is a ministry's user, who sees where each
	// draft's internal check stands.
	Ministry bool
}

// PlanCheck is whether a ministry requires that only its admins submit
// its plans to the NCO.
type PlanCheck struct {
	Ministry string
	Required bool
}

// NewForm is the form that starts a plan, as typed.
type NewForm struct {
	Sectors     []string
	PeriodStart string
	PeriodEnd   string
	CatalogID   string
	TitleJa     string
	TitleEn     string
	Errors      map[string]i18n.Message // by field
}

// CatalogOption is a catalog version a plan may target.
type CatalogOption struct {
	ID    int64
	Label string
}

// NewView is the new-plan page.
type NewView struct {
	Form     NewForm
	Sectors  []kijun.Named // the sectors the ministry oversees
	Catalogs []CatalogOption
}

// ShowView is a plan with one version, its live progress and its review.
type ShowView struct {
	Plan      plan.Plan
	V         *plan.Version
	Progress  plan.Progress
	Operators []plan.ScopeOperator
	Comments  []plan.Comment
	Events    []plan.Event
	Names     kijun.ReferenceNames
	Scopes    []plan.ScopeChoice
	// What the viewer may do now.
	CanEdit   bool // the ministry, on a draft
	CanSubmit bool
	CanRevise bool
	CanReview bool              // the NCO admin: start review / return / accept
	CanNote   bool              // may read internal notes (the plan's own ministry and NCO)
	Error     i18n.Message      // why the action just asked for was refused
	Typed     map[string]string // a refused form's fields as typed, by name
	// The ministry's internal check of the draft (its own users only,
	// when the ministry requires it): where it stands, its steps (newest
	// first), what the viewer may do, and a refused decision (beside the
	// comment when it is the comment's, else above the form).
	CheckRequired   bool
	CheckState      plan.CheckState
	SignOffs        []plan.SignOff
	CanRequestCheck bool
	CanDecideCheck  bool
	CheckError      i18n.Message
	CommentError    i18n.Message
}

// ScopeName names a business scope by id.
func (v ShowView) ScopeName(id int64) kijun.Text {
	for _, s := range v.Scopes {
		if s.ID == id {
			return s.Name
		}
	}
	return kijun.Text{Ja: ID(id), En: ID(id)}
}

// EditForm is the general sections' form as typed.
type EditForm struct {
	Edits        int
	TitleJa      string
	TitleEn      string
	PeriodEnd    string
	ScopeMode    string
	Designation  string
	ScopeIDs     []string
	OperatorIDs  []string
	Method       string
	Cycles       string
	Coverage     string
	FollowUp     string
	InternalNote string
	KPIs         []KPIForm
	Milestones   []MilestoneForm
	Errors       map[string]i18n.Message
	Conflict     bool
}

// KPIForm is one KPI row of the form.
type KPIForm struct {
	Label, Metric, Key, Threshold, Target, Due string
}

// MilestoneForm is one milestone row of the form.
type MilestoneForm struct {
	Label, Due string
	Done       bool
}

// EditView is the general sections' page of a draft.
type EditView struct {
	Plan    plan.Plan
	Form    EditForm
	Choices plan.ScopeChoices
	Names   kijun.ReferenceNames
}

// Has reports whether list holds s.
func Has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ProfileView is the sector profile of one version: a form on a draft.
type ProfileView struct {
	Plan     plan.Plan
	V        *plan.Version
	Names    kijun.ReferenceNames
	Editable bool
	// Errors by ref, then field, from the last save (the rows come back
	// as typed in V.Profile).
	Errors      map[string]map[string]i18n.Message
	Saved       bool
	Supp        SuppForm
	SuppErrors  map[string]i18n.Message
	SuppAdded   bool
	ImportError string
	// SuppDeleteError says why deleting the supplementary control
	// SuppDeleteRef was refused.
	SuppDeleteRef   string
	SuppDeleteError *kijun.Error
}

// SuppForm is the supplementary-control form as typed.
type SuppForm struct {
	Ref, Section, TitleJa, TitleEn, StatementJa, StatementEn, GuidanceJa, Themes, CSF                     string
	TargetStatus, TargetMaturity, StandardDoc, StandardClause, Reflection, ReflectionOn, ReflectionReason string
	Sectors                                                                                               []string
}

// RowError returns the message of a field's error in a profile row.
func (v ProfileView) RowError(ref, field string) i18n.Message {
	return v.Errors[ref][field]
}

// DiffView compares two versions of a plan.
type DiffView struct {
	Plan     plan.Plan
	From, To int
	Changes  []plan.Change
	Names    kijun.ReferenceNames
}

// PreviewRow is one row of a profile upload as the preview shows it.
type PreviewRow struct {
	Line     int
	Ref      string
	Changes  []plan.Change
	Problems []plan.FieldProblem
}

// PreviewView is the preview of a profile upload: what would change and
// every bad cell. Nothing is applied until confirmed.
type PreviewView struct {
	Plan     plan.Plan
	FileName string
	Rows     []PreviewRow
	Problems int
	Changes  int
	Token    string
	Names    kijun.ReferenceNames
}

// EvaluationsView lists evaluations.
type EvaluationsView struct {
	Evaluations []plan.Evaluation
	CanEdit     bool
	IsNCO       bool
	Names       kijun.ReferenceNames
}

// EvaluationForm is the NCO's form as typed.
type EvaluationForm struct {
	Ministry, Sector, FiscalYear                  string
	Findings, GoodPractices, Improvements, Rating string
	Edits                                         int
	Errors                                        map[string]i18n.Message
}

// EvaluationNewView is the form that starts an evaluation.
type EvaluationNewView struct {
	Form      EvaluationForm
	Oversight []OversightPair
	Names     kijun.ReferenceNames
}

// OversightPair is a ministry with one sector it oversees.
type OversightPair struct {
	Ministry, Sector string
}

// EvaluationView is one evaluation: the NCO edits it, the ministry
// reads and answers it.
type EvaluationView struct {
	E          plan.Evaluation
	Form       EvaluationForm
	CanEdit    bool
	CanRespond bool
	Response   string
	RespError  *kijun.Error // why the response was refused
	// PublishError says why publishing was refused; Publish is the
	// publish form as typed (the date to answer by) and why it was refused.
	PublishError *kijun.Error
	Publish      PublishForm
	Names        kijun.ReferenceNames
}

// PublishForm is the publish form's date to answer by, as typed, and why
// it was refused.
type PublishForm struct {
	RespondBy string
	Error     i18n.Message
}

// SectorProfileView is the profile in force for an operator's sector.
type SectorProfileView struct {
	Sector  string
	Profile *plan.SectorProfile
	Names   kijun.ReferenceNames
}

// SortedFields returns the fields with errors: those named in order
// first, then the rest alphabetically.
func SortedFields(errs map[string]i18n.Message, order []string) []string {
	var out []string
	for _, f := range order {
		if _, ok := errs[f]; ok {
			out = append(out, f)
		}
	}
	var rest []string
	for f := range errs {
		if !Has(order, f) {
			rest = append(rest, f)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// FieldLabel names a form field ("kpi_0_target" → "KPI 1: 目標").
func FieldLabel(ctx context.Context, f string) string {
	for _, kind := range []string{"kpi", "milestone"} {
		if rest, ok := strings.CutPrefix(f, kind+"_"); ok {
			num, name, _ := strings.Cut(rest, "_")
			n, _ := strconv.Atoi(num)
			return i18n.T(ctx, "plans.field."+kind+"_n", map[string]any{"N": n + 1}) + " " + i18n.T(ctx, "plans.field."+kind+"_"+name)
		}
	}
	return i18n.T(ctx, "plans.field."+f)
}

func profileLinkLabel(ctx context.Context, editable bool) string {
	if editable {
		return i18n.T(ctx, "plans.profile.edit")
	}
	return i18n.T(ctx, "plans.profile.view")
}

func scopeText(ctx context.Context, v ShowView) string {
	s := v.V.Scope
	switch s.Mode {
	case plan.ScopeDesignation:
		return i18n.T(ctx, "plans.scope.text.designation", map[string]any{"Designation": i18n.T(ctx, "plans.designation."+s.Designation)})
	case plan.ScopeScopes:
		names := ""
		for i, id := range s.ScopeIDs {
			if i > 0 {
				names += i18n.T(ctx, "plans.list_sep")
			}
			names += i18n.From(ctx).Pick(v.ScopeName(id))
		}
		return i18n.T(ctx, "plans.scope.text.scopes", map[string]any{"Scopes": names})
	case plan.ScopeNamed:
		return i18n.T(ctx, "plans.scope.text.named", map[string]any{"Count": len(s.OperatorIDs)})
	}
	return i18n.T(ctx, "plans.scope.text.all")
}

func countApplies(v *plan.Version, applies bool) int {
	n := 0
	for _, c := range v.Profile {
		if c.Applies == applies {
			n++
		}
	}
	return n
}

func countReflection(v *plan.Version, r plan.Reflection) int {
	n := 0
	for _, c := range v.Profile {
		if c.Applies && c.Reflection == r {
			n++
		}
	}
	for _, c := range v.Supplementary {
		if c.Reflection == r {
			n++
		}
	}
	return n
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func yesNo(ctx context.Context, b bool) string {
	if b {
		return i18n.T(ctx, "plans.applies.yes")
	}
	return i18n.T(ctx, "plans.applies.no")
}

func commentsOf(list []plan.Comment, section string) []plan.Comment {
	var out []plan.Comment
	for _, c := range list {
		if c.Section == section {
			out = append(out, c)
		}
	}
	return out
}

func kpiCaption(ctx context.Context, p plan.Progress) string {
	if p.FiscalYear == 0 {
		return i18n.T(ctx, "plans.kpi.caption_none")
	}
	return i18n.T(ctx, "plans.kpi.caption", map[string]any{"Year": p.FiscalYear.Label(i18n.From(ctx).Lang), "Count": p.Operators})
}

func kpiMetricText(ctx context.Context, n kijun.ReferenceNames, k plan.KPI) string {
	args := map[string]any{"Section": i18n.From(ctx).Pick(sectionName(n, k.Key)), "Threshold": k.Threshold}
	return i18n.T(ctx, "plans.kpi.metric."+string(k.Metric), args)
}

// profileFields are the editable columns of a profile row, in order.
var profileFields = []string{"sectors", "applies", "na_reason", "target_status", "target_maturity", "tailoring_note",
	"standard_doc", "standard_clause", "reflection", "reflection_on", "reflection_reason"}

var suppFields = []string{"ref", "sectors", "section", "title_ja", "title_en", "statement_ja", "statement_en", "themes", "csf",
	"target_status", "target_maturity", "reflection", "reflection_on", "reflection_reason"}

// sectorNames joins the names of sectors in the user's language.
func sectorNames(ctx context.Context, n kijun.ReferenceNames, codes []string) string {
	names := make([]string, len(codes))
	for i, c := range codes {
		names[i] = i18n.From(ctx).Pick(kijun.Name(n.Sectors, c))
	}
	return strings.Join(names, "、")
}

func reflectionName(ctx context.Context, r plan.Reflection) string {
	if r == "" {
		return i18n.T(ctx, "plans.reflection.none")
	}
	return i18n.T(ctx, "plans.reflection."+string(r))
}

func reflectionText(ctx context.Context, t plan.ProfileTarget) string {
	s := reflectionName(ctx, t.Reflection)
	if t.ReflectionOn != "" {
		s += " " + string(t.ReflectionOn)
	}
	if t.ReflectionReason != "" {
		s += " " + t.ReflectionReason
	}
	return s
}

func maturityText(n int) string {
	if n == 0 {
		return "—"
	}
	return strconv.Itoa(n)
}

func indexTitle(ctx context.Context, queue bool) string {
	if queue {
		return i18n.T(ctx, "plans.queue.title")
	}
	return i18n.T(ctx, "plans.title")
}

func ratingText(ctx context.Context, r plan.EvaluationRating) string {
	if r == "" {
		return "—"
	}
	return i18n.T(ctx, "plans.rating."+string(r))
}

func publishedText(ctx context.Context, published bool) string {
	if published {
		return i18n.T(ctx, "plans.eval.published")
	}
	return i18n.T(ctx, "plans.eval.draft")
}

func evaluationTitle(ctx context.Context, v EvaluationView) string {
	l := i18n.From(ctx)
	return i18n.T(ctx, "plans.eval.heading", map[string]any{"Year": v.E.FiscalYear.Label(l.Lang),
		"Ministry": l.Pick(kijun.Name(v.Names.Ministries, v.E.MinistryCode)), "Sector": l.Pick(kijun.Name(v.Names.Sectors, v.E.SectorCode))})
}

// ChangeValue shows a changed field's value in words where it is a code.
func ChangeValue(ctx context.Context, field, value string) string {
	if value == "" {
		return ""
	}
	switch field {
	case "applies", "evidence_expected", "done":
		return yesNo(ctx, value == "true")
	case "target_status":
		return i18n.T(ctx, "plans.target."+value)
	case "reflection":
		return reflectionName(ctx, plan.Reflection(value))
	}
	return value
}

// DeadlinesView is the page of plan deadlines: by when the ministries
// submit their plans for each fiscal year, who is overdue, and (NCO
// admins) the form that sets a deadline.
type DeadlinesView struct {
	Deadlines []plan.PlanDeadline
	Overdue   []plan.PlanOverdue
	CanSet    bool
	Form      DeadlineForm
	Saved     bool
	Names     kijun.ReferenceNames
}

// DeadlineForm is the deadline form as typed, with each refusal by field
// (fiscal_year, due_on).
type DeadlineForm struct {
	FiscalYear, DueOn string
	Errors            map[string]string
	Args              map[string]map[string]any
}

// suppDeleteErrorIDs is the id of the message beside supplementary control
// ref's delete button, when deleting it was just refused.
func suppDeleteErrorIDs(v ProfileView, ref string) []string {
	if v.SuppDeleteError != nil && v.SuppDeleteRef == ref {
		return []string{"supp-delete-error-" + ref}
	}
	return nil
}

// publishErrorIDs is the id of the message beside the publish button when
// publishing was just refused.
func publishErrorIDs(v EvaluationView) []string {
	if v.PublishError != nil {
		return []string{"publish-error"}
	}
	return nil
}

// fieldAttrs are the accessibility attributes of field name's control:
// invalid, described by its error (fieldError's "err-"+name), when errs
// has one.
func fieldAttrs(errs map[string]i18n.Message, name string) templ.Attributes {
	return layout.Field(errs[name].MessageID != "", "err-"+name)
}

// groupAttrs describe a fieldset by its error, when errs has one.
func groupAttrs(errs map[string]i18n.Message, name string) templ.Attributes {
	if errs[name].MessageID == "" {
		return templ.Attributes{}
	}
	return templ.Attributes{"aria-describedby": "err-" + name}
}

// invalid marks a box of a group with an error as invalid.
func invalid(errs map[string]i18n.Message, name string) templ.Attributes {
	return layout.Field(errs[name].MessageID != "", "")
}

// cellAttrs are the accessibility attributes of a profile row's field.
func (v ProfileView) cellAttrs(ref, f string) templ.Attributes {
	return layout.Field(v.RowError(ref, f).MessageID != "", "err-"+f+"-"+ref)
}

// cellErrorIDs is the id of a profile row's field error, if it has one.
func (v ProfileView) cellErrorIDs(ref, f string) []string {
	if v.RowError(ref, f).MessageID != "" {
		return []string{"err-" + f + "-" + ref}
	}
	return nil
}
