package export_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/export"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/oscal"
	"github.com/kijun-portal/kijun/internal/oscal/oscaltest"
)

func sample() export.Assessment {
	one, half, zero := 1.0, 0.5, 0.0
	due := time.Date(2027, 9, 30, 0, 0, 0, 0, time.UTC)
	sub := time.Date(2026, 10, 1, 9, 0, 0, 0, kijun.JST)
	score := 0.5
	ctl := func(ref, sec string) assessment.Control {
		return assessment.Control{Ref: ref, Section: sec, Title: kijun.Text{Ja: ref + " の表題", En: ref + " title"}}
	}
	return export.Assessment{
		Assessment: assessment.Assessment{ID: 42, CycleID: 3, FiscalYear: 2026, OperatorID: 7, OperatorName: kijun.Text{Ja: "東都送配電(デモ)"},
			SectorCode: "electricity", Status: assessment.Submitted, Version: 4, CreatedAt: sub.AddDate(0, -3, 0), SubmittedAt: &sub},
		Catalog: catalog.Catalog{Code: "kijun-baseline", Version: "2026.1", Title: kijun.Text{Ja: "統一基準"}},
		Controls: []export.Control{
			{Control: ctl("GV-01", "GV"), Answer: assessment.Answer{Status: assessment.AnswerImplemented, Maturity: 3, How: "規程で\n定めています", Version: 1}},
			{Control: ctl("GV-02", "GV"), Answer: assessment.Answer{Status: assessment.AnswerPartial, Remediation: assessment.Remediation{Action: "整備", Owner: "情シス", Due: &due}, Version: 1}},
			{Control: ctl("PR-01", "PR"), Answer: assessment.Answer{Status: assessment.AnswerNotApplicable, NAReason: "閉域網なし  のため", Version: 1}},
			{Control: ctl("PR-02", "PR"), Answer: assessment.Answer{Status: assessment.AnswerNotImplemented, Version: 1}},
			{Control: ctl("DE-01", "DE")},
		},
		Rollups: []assessment.Rollup{{Kind: assessment.RollupOverall, Score: &score}, {Kind: assessment.RollupSection, Key: "GV", Score: &score}},
		Scale: []assessment.ScaleEntry{
			{Code: assessment.AnswerImplemented, Label: kijun.Text{Ja: "実施済", En: "Implemented"}, Weight: &one},
			{Code: assessment.AnswerPartial, Label: kijun.Text{Ja: "一部実施", En: "Partially implemented"}, Weight: &half},
			{Code: assessment.AnswerNotImplemented, Label: kijun.Text{Ja: "未実施", En: "Not implemented"}, Weight: &zero},
			{Code: assessment.AnswerNotApplicable, Label: kijun.Text{Ja: "該当なし", En: "Not applicable"}},
		},
		Now: time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC),
	}
}

// The export and the stub plan it embeds are valid OSCAL 1.1.3, and carry
// the 4-level status and maturity in Kijun's namespace.
func TestAssessmentResultsValidOSCAL(t *testing.T) {
	doc, err := export.AssessmentResultsJSON(sample())
	if err != nil {
		t.Fatal(err)
	}
	oscaltest.Validate(t, doc)

	var d struct {
		AR struct {
			ImportAP struct{ Href string } `json:"import-ap"`
			Results  []struct {
				Findings []struct {
					Props  []oscal.Property
					Target struct {
						TargetID string `json:"target-id"`
						Status   struct{ State string }
						Impl     *struct{ State string } `json:"implementation-status"`
					}
				}
			}
			BackMatter struct {
				Resources []struct {
					UUID   string
					Base64 *struct{ Value string }
				}
			} `json:"back-matter"`
		} `json:"assessment-results"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	fs := d.AR.Results[0].Findings
	want := []struct{ status, state, impl, maturity string }{
		{"implemented", "satisfied", "implemented", "3"},
		{"partial", "not-satisfied", "partial", ""},
		{"not_applicable", "satisfied", "not-applicable", ""},
		{"not_implemented", "not-satisfied", "planned", ""},
		{"unanswered", "not-satisfied", "", ""},
	}
	for i, w := range want {
		f := fs[i]
		st, _ := oscal.Prop(f.Props, oscal.Namespace, "answer-status")
		mat, _ := oscal.Prop(f.Props, oscal.Namespace, "maturity")
		impl := ""
		if f.Target.Impl != nil {
			impl = f.Target.Impl.State
		}
		if st != w.status || f.Target.Status.State != w.state || impl != w.impl || mat != w.maturity {
			t.Errorf("finding %d: status %q state %q impl %q maturity %q; want %+v", i, st, f.Target.Status.State, impl, mat, w)
		}
	}
	if fs[0].Target.TargetID != "gv-01_smt" {
		t.Errorf("target id %q", fs[0].Target.TargetID)
	}
	// import-ap points at the back-matter resource holding the plan.
	var plan []byte
	for _, r := range d.AR.BackMatter.Resources {
		if "#"+r.UUID == d.AR.ImportAP.Href && r.Base64 != nil {
			plan, _ = base64.StdEncoding.DecodeString(r.Base64.Value)
		}
	}
	if plan == nil {
		t.Fatalf("import-ap %q does not resolve to an embedded plan", d.AR.ImportAP.Href)
	}
	oscaltest.Validate(t, plan)
	if !strings.Contains(string(plan), `"assessment-plan"`) || !strings.Contains(string(plan), `"control-id": "de-01"`) {
		t.Errorf("stub plan: %s", plan)
	}

	// The check itself bites: a finding without its target is refused.
	broken := strings.Replace(string(doc), `"target-id"`, `"target-idx"`, 1)
	if oscaltest.Check([]byte(broken)) == nil {
		t.Error("the schema check accepted a broken document")
	}
}

func TestAssessmentXLSX(t *testing.T) {
	var b bytes.Buffer
	if err := export.WriteXLSX(&b, sample(), kijun.Ja); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("assessment")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 || rows[0][0] != "対策項目番号" || rows[2][3] != "一部実施" || rows[2][9] != "2027-09-30" || rows[1][4] != "3" {
		t.Errorf("rows %q", rows)
	}
}
