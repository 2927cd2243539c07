// Package export writes one self-assessment for use outside the portal:
// as an XLSX report and as an OSCAL 1.1.3 assessment-results document
// (with the stub assessment plan it imports), the 4-level status and the
// maturity carried as props in Kijun's namespace. docs/dashboards.md
// describes the mapping.
package export

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/oscal"
)

// Control is one control of the assessment with its answer.
type Control struct {
	Control assessment.Control
	Answer  assessment.Answer // Version 0: not answered
}

// Assessment is what an export holds.
type Assessment struct {
	Assessment assessment.Assessment
	Catalog    catalog.Catalog // code, version and title (controls not needed)
	Controls   []Control
	Rollups    []assessment.Rollup
	Scale      []assessment.ScaleEntry
	// Now is the export time (metadata last-modified).
	Now time.Time
}

func (a Assessment) label(code assessment.AnswerStatus, lang kijun.Lang) string {
	for _, s := range a.Scale {
		if s.Code == code {
			return s.Label.In(lang)
		}
	}
	return string(code)
}

func (a Assessment) weight(code assessment.AnswerStatus) (*float64, bool) {
	for _, s := range a.Scale {
		if s.Code == code {
			return s.Weight, true
		}
	}
	return nil, false
}

// XLSXColumns are the report's columns in lang.
func XLSXColumns(lang kijun.Lang) []exchange.Column {
	ja := []string{"対策項目番号", "区分", "対策項目", "回答", "成熟度", "実施内容", "該当なしの理由", "改善策", "担当", "改善期限", "更新日時", "更新者"}
	en := []string{"Ref", "Section", "Control", "Answer", "Maturity", "How it is done", "Reason (N/A)", "Remediation action", "Owner", "Target date", "Updated at", "Updated by"}
	widths := []float64{10, 8, 40, 12, 8, 50, 30, 40, 16, 12, 18, 16}
	h := ja
	if lang == kijun.En {
		h = en
	}
	cols := make([]exchange.Column, len(h))
	for i := range h {
		cols[i] = exchange.Column{Header: h[i], Width: widths[i]}
	}
	return cols
}

// WriteXLSX writes the assessment as one sheet, a row per control, in lang.
func WriteXLSX(w io.Writer, a Assessment, lang kijun.Lang) error {
	x, err := exchange.NewXLSXWriter(w, "assessment", XLSXColumns(lang))
	if err != nil {
		return err
	}
	for _, c := range a.Controls {
		ans := c.Answer
		maturity, due, updated := "", "", ""
		if ans.Maturity > 0 {
			maturity = strconv.Itoa(ans.Maturity)
		}
		if ans.Remediation.Due != nil {
			due = kijun.ISODate(*ans.Remediation.Due)
		}
		if !ans.UpdatedAt.IsZero() {
			updated = kijun.FormatDateTime(lang, ans.UpdatedAt)
		}
		status := ""
		if ans.Status != "" {
			status = a.label(ans.Status, lang)
		}
		if err := x.Write([]string{c.Control.Ref, c.Control.Section, c.Control.Title.In(lang), status, maturity, ans.How,
			ans.NAReason, ans.Remediation.Action, ans.Remediation.Owner, due, updated, ans.UpdatedByName}); err != nil {
			x.Close()
			return err
		}
	}
	return x.Close()
}

// OSCAL assessment-results, the parts Kijun writes.

// Document is the root of the documents this package writes.
type Document struct {
	AssessmentResults *AssessmentResults `json:"assessment-results,omitempty"`
	AssessmentPlan    *AssessmentPlan    `json:"assessment-plan,omitempty"`
}

// AssessmentResults is an OSCAL assessment-results document.
type AssessmentResults struct {
	UUID       string            `json:"uuid"`
	Metadata   oscal.Metadata    `json:"metadata"`
	ImportAP   Import            `json:"import-ap"`
	Results    []Result          `json:"results"`
	BackMatter *oscal.BackMatter `json:"back-matter,omitempty"`
}

// AssessmentPlan is the stub plan an assessment-results document imports:
// the cycle's catalog as the controls reviewed, for a self-assessment that
// has no system security plan.
type AssessmentPlan struct {
	UUID             string            `json:"uuid"`
	Metadata         oscal.Metadata    `json:"metadata"`
	ImportSSP        Import            `json:"import-ssp"`
	ReviewedControls ReviewedControls  `json:"reviewed-controls"`
	BackMatter       *oscal.BackMatter `json:"back-matter,omitempty"`
}

// Import is an import-ap or import-ssp: a reference to another document.
type Import struct {
	Href    string `json:"href"`
	Remarks string `json:"remarks,omitempty"`
}

// Result is one assessment's result.
type Result struct {
	UUID             string           `json:"uuid"`
	Title            string           `json:"title"`
	Description      string           `json:"description"`
	Start            string           `json:"start"`
	End              string           `json:"end,omitempty"`
	Props            []oscal.Property `json:"props,omitempty"`
	ReviewedControls ReviewedControls `json:"reviewed-controls"`
	Findings         []Finding        `json:"findings,omitempty"`
	Remarks          string           `json:"remarks,omitempty"`
}

// ReviewedControls names the controls assessed.
type ReviewedControls struct {
	ControlSelections []ControlSelection `json:"control-selections"`
}

// ControlSelection selects controls by id (or all).
type ControlSelection struct {
	Description     string            `json:"description,omitempty"`
	IncludeAll      *struct{}         `json:"include-all,omitempty"`
	IncludeControls []SelectControlID `json:"include-controls,omitempty"`
}

// SelectControlID selects one control.
type SelectControlID struct {
	ControlID string `json:"control-id"`
}

// Finding is the answer to one control.
type Finding struct {
	UUID        string           `json:"uuid"`
	Title       string           `json:"title"`
	Description string           `json:"description"`
	Props       []oscal.Property `json:"props,omitempty"`
	Target      Target           `json:"target"`
	Remarks     string           `json:"remarks,omitempty"`
}

// Target is what a finding is about and its status.
type Target struct {
	Type                 string                `json:"type"`
	TargetID             string                `json:"target-id"`
	Props                []oscal.Property      `json:"props,omitempty"`
	Status               ObjectiveStatus       `json:"status"`
	ImplementationStatus *ImplementationStatus `json:"implementation-status,omitempty"`
}

// ObjectiveStatus is satisfied or not-satisfied, with a reason.
type ObjectiveStatus struct {
	State   string `json:"state"`
	Reason  string `json:"reason,omitempty"`
	Remarks string `json:"remarks,omitempty"`
}

// ImplementationStatus is OSCAL's implementation state.
type ImplementationStatus struct {
	State string `json:"state"`
}

// implementationState maps the answer scale onto OSCAL's states: a gap
// has a remediation plan, so it is "planned".
var implementationState = map[assessment.AnswerStatus]string{
	assessment.AnswerImplemented:    "implemented",
	assessment.AnswerPartial:        "partial",
	assessment.AnswerNotImplemented: "planned",
	assessment.AnswerNotApplicable:  "not-applicable",
}

func prop(name, value string) oscal.Property {
	return oscal.Property{Name: name, NS: oscal.Namespace, Value: value}
}

// oneLine makes free text fit a prop value (OSCAL's string: no
// surrounding or repeated whitespace).
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func fmtScore(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', 4, 64)
}

// PlanUUID is the UUID of the stub assessment plan of an assessment.
func PlanUUID(a assessment.Assessment) string {
	return oscal.UUID("assessment-plan/" + strconv.FormatInt(a.CycleID, 10) + "/" + a.SectorCode)
}

// StubPlan returns the stub assessment plan the results import: the
// cycle's controls for the sector, no system security plan.
func StubPlan(a Assessment) *AssessmentPlan {
	as := a.Assessment
	fy := as.FiscalYear.Label(kijun.Ja)
	sspUUID := oscal.UUID("ssp-none/" + strconv.FormatInt(as.OperatorID, 10))
	plan := &AssessmentPlan{
		UUID: PlanUUID(as),
		Metadata: oscal.Metadata{
			Title:        "自己評価計画 " + fy + " " + as.SectorCode + "(" + a.Catalog.Code + " " + a.Catalog.Version + ")",
			LastModified: oscal.FormatTime(a.Now),
			Version:      strconv.FormatInt(as.CycleID, 10),
			OSCALVersion: oscal.Version,
			Props:        []oscal.Property{prop("cycle-fiscal-year", strconv.Itoa(int(as.FiscalYear))), prop("sector", as.SectorCode)},
		},
		ImportSSP: Import{Href: "#" + sspUUID, Remarks: "Self-assessment against the Unified Standard: no system security plan is imported."},
		BackMatter: &oscal.BackMatter{Resources: []oscal.Resource{{UUID: sspUUID,
			Title:       "No system security plan",
			Description: "Kijun self-assessments describe the organisation's practice, not one system; there is no SSP."}}},
	}
	sel := ControlSelection{Description: "The controls of the sector's control set in this cycle."}
	for _, c := range a.Controls {
		sel.IncludeControls = append(sel.IncludeControls, SelectControlID{ControlID: strings.ToLower(c.Control.Ref)})
	}
	if len(sel.IncludeControls) == 0 {
		sel.IncludeAll = &struct{}{}
	}
	plan.ReviewedControls = ReviewedControls{ControlSelections: []ControlSelection{sel}}
	return plan
}

// AssessmentResultsJSON writes the assessment as OSCAL assessment-results
// JSON. The stub plan is embedded in back-matter (base64) and imported
// through import-ap "#<resource uuid>".
func AssessmentResultsJSON(a Assessment) ([]byte, error) {
	as := a.Assessment
	id := strconv.FormatInt(as.ID, 10)
	plan := StubPlan(a)
	planJSON, err := json.MarshalIndent(Document{AssessmentPlan: plan}, "", "  ")
	if err != nil {
		return nil, err
	}
	planRes := oscal.UUID("assessment-results/" + id + "/plan")
	catRes := oscal.UUID("assessment-results/" + id + "/catalog")
	start := as.CreatedAt
	res := Result{
		UUID:        oscal.UUID("assessment-results/" + id + "/result"),
		Title:       as.OperatorName.Ja + " 自己評価 " + as.FiscalYear.Label(kijun.Ja),
		Description: "重要インフラ統一基準に基づく自己評価の結果です。Self-assessment against the Unified Standard for Critical Infrastructure.",
		Start:       oscal.FormatTime(start),
		Props: []oscal.Property{
			prop("assessment-id", id),
			prop("assessment-status", string(as.Status)),
			prop("operator-id", strconv.FormatInt(as.OperatorID, 10)),
			prop("sector", as.SectorCode),
			prop("cycle-fiscal-year", strconv.Itoa(int(as.FiscalYear))),
		},
		ReviewedControls: plan.ReviewedControls,
	}
	if as.SubmittedAt != nil {
		res.End = oscal.FormatTime(*as.SubmittedAt)
	}
	if as.AcceptedAt != nil {
		res.End = oscal.FormatTime(*as.AcceptedAt)
	}
	for _, r := range a.Rollups {
		if r.Score == nil {
			continue
		}
		name := "score"
		if r.Kind != assessment.RollupOverall {
			name = "score-" + strings.ReplaceAll(r.Kind, "_", "-")
		}
		p := prop(name, fmtScore(r.Score))
		if r.Key != "" {
			p.Class = r.Key
		}
		res.Props = append(res.Props, p)
	}
	for _, c := range a.Controls {
		ref := strings.ToLower(c.Control.Ref)
		ans := c.Answer
		f := Finding{
			UUID:        oscal.UUID("assessment-results/" + id + "/finding/" + c.Control.Ref),
			Title:       c.Control.Ref + " " + c.Control.Title.Ja,
			Description: c.Control.Title.Ja,
			Target:      Target{Type: "statement-id", TargetID: ref + "_smt"},
		}
		if h := strings.TrimSpace(ans.How); h != "" {
			f.Description = h
		}
		if ans.Status == "" {
			f.Props = append(f.Props, prop("answer-status", "unanswered"))
			f.Target.Status = ObjectiveStatus{State: "not-satisfied", Reason: "other", Remarks: "Not answered."}
		} else {
			f.Props = append(f.Props, prop("answer-status", string(ans.Status)))
			f.Target.ImplementationStatus = &ImplementationStatus{State: implementationState[ans.Status]}
			w, _ := a.weight(ans.Status)
			switch {
			case w == nil:
				f.Target.Status = ObjectiveStatus{State: "satisfied", Reason: "other", Remarks: "Not applicable: " + oneLine(ans.NAReason)}
			case *w >= 1:
				f.Target.Status = ObjectiveStatus{State: "satisfied", Reason: "pass"}
			default:
				f.Target.Status = ObjectiveStatus{State: "not-satisfied", Reason: "fail"}
			}
		}
		if ans.Maturity > 0 {
			f.Props = append(f.Props, prop("maturity", strconv.Itoa(ans.Maturity)))
		}
		if ans.CarriedForward {
			f.Props = append(f.Props, prop("carried-forward", "true"))
		}
		if ans.Remediation.Due != nil {
			f.Props = append(f.Props, prop("remediation-due", kijun.ISODate(*ans.Remediation.Due)))
		}
		var remarks []string
		if a := strings.TrimSpace(ans.Remediation.Action); a != "" {
			remarks = append(remarks, "改善策: "+a)
		}
		if o := strings.TrimSpace(ans.Remediation.Owner); o != "" {
			remarks = append(remarks, "担当: "+o)
		}
		f.Remarks = strings.Join(remarks, "\n")
		res.Findings = append(res.Findings, f)
	}
	doc := Document{AssessmentResults: &AssessmentResults{
		UUID: oscal.UUID("assessment-results/" + id),
		Metadata: oscal.Metadata{
			Title:        res.Title,
			LastModified: oscal.FormatTime(a.Now),
			Version:      strconv.Itoa(as.Version),
			OSCALVersion: oscal.Version,
			Props:        []oscal.Property{prop("answer-scale", "implemented=1 partial=0.5 not_implemented=0 not_applicable=excluded")},
		},
		ImportAP: Import{Href: "#" + planRes, Remarks: "The stub assessment plan is embedded in back-matter."},
		Results:  []Result{res},
		BackMatter: &oscal.BackMatter{Resources: []oscal.Resource{
			{UUID: planRes, Title: plan.Metadata.Title, Description: "Stub OSCAL assessment plan (JSON) of the cycle and sector.",
				Base64: &oscal.Base64{Filename: "assessment-plan.json", MediaType: "application/json",
					Value: base64.StdEncoding.EncodeToString(planJSON)}},
			{UUID: catRes, Title: a.Catalog.Title.Ja + " " + a.Catalog.Version,
				Props: []oscal.Property{prop("catalog-code", a.Catalog.Code), prop("catalog-version", oneLine(a.Catalog.Version))}},
		}},
	}}
	return json.MarshalIndent(doc, "", "  ")
}
