package exchange_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/kijun"
)

func weight(f float64) *float64 { return &f }

var testScale = []assessment.ScaleEntry{
	{Code: assessment.AnswerImplemented, Label: kijun.Text{Ja: "実施済", En: "Implemented"}, Weight: weight(1), SortOrder: 1},
	{Code: assessment.AnswerPartial, Label: kijun.Text{Ja: "一部実施", En: "Partially implemented"}, Weight: weight(0.5), SortOrder: 2},
	{Code: assessment.AnswerNotImplemented, Label: kijun.Text{Ja: "未実施", En: "Not implemented"}, Weight: weight(0), SortOrder: 3},
	{Code: assessment.AnswerNotApplicable, Label: kijun.Text{Ja: "該当なし", En: "Not applicable"}, SortOrder: 4},
}

func testWorkbook(t *testing.T, lang kijun.Lang) []byte {
	t.Helper()
	due := time.Date(2028, 3, 31, 0, 0, 0, 0, time.UTC)
	ctl := func(ref string) assessment.Control {
		return assessment.Control{Ref: ref, Section: ref[:2], Title: kijun.Text{Ja: ref + " 表題", En: ref + " title"},
			Statement: kijun.Text{Ja: ref + " 要求事項", En: ref + " statement"}}
	}
	wb := exchange.AssessmentWorkbook{
		Assessment:      assessment.Assessment{ID: 42, CycleID: 7, FiscalYear: 2027, OperatorName: kijun.Text{Ja: "東都電力", En: "Toto"}},
		CorporateNumber: "2010401000001", Lang: lang, Scale: testScale,
		Rows: []exchange.AssessmentRow{
			{Control: ctl("GV-01"), Answer: assessment.Answer{Ref: "GV-01", Status: assessment.AnswerImplemented, Maturity: 3, How: "規程で定めています", Version: 2}},
			{Control: ctl("GV-02"), Answer: assessment.Answer{Ref: "GV-02", Status: assessment.AnswerPartial, Version: 1,
				Remediation: assessment.Remediation{Action: "整備する", Owner: "情報システム部", Due: &due}}},
			{Control: ctl("PR-01"), Answer: assessment.Answer{Ref: "PR-01"}},
			{Control: ctl("DE-01"), Answer: assessment.Answer{Ref: "DE-01"}},
		},
	}
	var buf bytes.Buffer
	if err := exchange.WriteAssessment(&buf, wb); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A workbook read back unchanged changes nothing, in either language:
// every row parses, none is edited, and the metadata comes back.
func TestAssessmentWorkbookRoundTrip(t *testing.T) {
	for _, lang := range []kijun.Lang{kijun.Ja, kijun.En} {
		f, err := exchange.ReadAssessment(bytes.NewReader(testWorkbook(t, lang)), exchange.Limits{}, testScale)
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		m := f.Meta
		if m.AssessmentID != 42 || m.CycleID != 7 || m.FiscalYear != 2027 || m.CorporateNumber != "2010401000001" || m.Lang != lang {
			t.Errorf("%s: meta %+v", lang, m)
		}
		if len(f.Rows) != 4 || len(f.HeaderProblems) > 0 {
			t.Fatalf("%s: %d rows, header problems %v", lang, len(f.Rows), f.HeaderProblems)
		}
		for _, r := range f.Rows {
			if r.Edited || len(r.Problems) > 0 || len(r.Warnings) > 0 {
				t.Errorf("%s: row %s edited %v problems %v warnings %v", lang, r.Ref, r.Edited, r.Problems, r.Warnings)
			}
		}
		gv2 := f.Rows[1].Answer
		if gv2.Status != assessment.AnswerPartial || gv2.Remediation.Due == nil || gv2.Remediation.Due.Format(time.DateOnly) != "2028-03-31" ||
			f.Rows[1].Stamp.Version != 1 || f.Rows[0].Answer.Maturity != 3 {
			t.Errorf("%s: GV-02 read as %+v, stamp %+v", lang, gv2, f.Rows[1].Stamp)
		}
	}
}

// The workbook's layout: locked text columns, unlocked answer columns,
// a protected sheet, drop-downs, and hidden lists and metadata sheets.
func TestAssessmentWorkbookLayout(t *testing.T) {
	x, err := excelize.OpenReader(bytes.NewReader(testWorkbook(t, kijun.Ja)))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if got := x.GetSheetList(); strings.Join(got, ",") != "回答,lists,説明,kijun" && len(got) != 4 {
		t.Errorf("sheets %v", got)
	}
	for sheet, visible := range map[string]bool{"回答": true, "lists": false, "kijun": false} {
		if v, _ := x.GetSheetVisible(sheet); v != visible {
			t.Errorf("sheet %s visible %v", sheet, v)
		}
	}
	locked := func(cell string) bool {
		id, err := x.GetCellStyle("回答", cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := x.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		return st.Protection == nil || st.Protection.Locked
	}
	for _, c := range []string{"A2", "B3", "C4", "D5"} {
		if !locked(c) {
			t.Errorf("%s is not locked", c)
		}
	}
	for _, c := range []string{"E2", "F3", "G4", "K5"} {
		if locked(c) {
			t.Errorf("%s is locked", c)
		}
	}
	dvs, err := x.GetDataValidations("回答")
	if err != nil || len(dvs) != 3 {
		t.Fatalf("data validations %d, %v", len(dvs), err)
	}
	if v, _ := x.GetCellValue("回答", "E2"); v != "実施済" {
		t.Errorf("E2 = %q", v)
	}
	if v, _ := x.GetCellValue("回答", "F2"); v != "3 反復可能" {
		t.Errorf("F2 = %q", v)
	}
	if v, _ := x.GetCellValue("lists", "A4"); v != "該当なし" {
		t.Errorf("lists A4 = %q", v)
	}
}

func editWorkbook(t *testing.T, data []byte, sheet string, cells map[string]any) []byte {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for c, v := range cells {
		if err := x.SetCellValue(sheet, c, v); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Edited cells: labels in the other language are accepted; bad cells are
// reported with their column; N/A without a reason is a warning only.
func TestAssessmentWorkbookEdits(t *testing.T) {
	data := editWorkbook(t, testWorkbook(t, kijun.Ja), "回答", map[string]any{
		"E2": "Partially implemented", "F2": "2 Risk Informed", // GV-01: English labels in a Japanese workbook
		"F3": "5",                        // GV-02: maturity out of range
		"E4": "該当なし",                     // PR-01: N/A without a reason
		"E5": "たぶん実施", "K5": "2028/2/30", // DE-01: unknown status, bad date
	})
	f, err := exchange.ReadAssessment(bytes.NewReader(data), exchange.Limits{}, testScale)
	if err != nil {
		t.Fatal(err)
	}
	byRef := map[string]exchange.AssessmentFileRow{}
	for _, r := range f.Rows {
		byRef[r.Ref] = r
	}
	gv1 := byRef["GV-01"]
	if !gv1.Edited || len(gv1.Problems) > 0 || gv1.Answer.Status != assessment.AnswerPartial || gv1.Answer.Maturity != 2 {
		t.Errorf("GV-01: %+v", gv1)
	}
	if p := byRef["GV-02"].Problems; len(p) != 1 || p[0].Column != exchange.AColMaturity || p[0].MessageID != "assessmentexcel.row.maturity_range" {
		t.Errorf("GV-02 problems %v", p)
	}
	pr1 := byRef["PR-01"]
	if len(pr1.Problems) > 0 || len(pr1.Warnings) != 1 || pr1.Warnings[0].MessageID != "assessmentexcel.row.na_without_reason" || !pr1.Edited {
		t.Errorf("PR-01: %+v", pr1)
	}
	var cols []string
	for _, p := range byRef["DE-01"].Problems {
		cols = append(cols, p.Column+":"+p.MessageID)
	}
	if strings.Join(cols, ",") != "status:assessmentexcel.row.status_unknown,remediation_due:assessmentexcel.row.bad_date" {
		t.Errorf("DE-01 problems %v", cols)
	}
}

// Files that are not an assessment workbook are refused as a whole.
func TestAssessmentWorkbookRefused(t *testing.T) {
	want := func(name string, data []byte, id string) {
		t.Helper()
		_, err := exchange.ReadAssessment(bytes.NewReader(data), exchange.Limits{}, testScale)
		var ke *kijun.Error
		if !errors.As(err, &ke) || ke.MessageID != id {
			t.Errorf("%s: %v, want %s", name, err, id)
		}
	}
	want("csv", []byte("管理策番号,回答\nGV-01,実施済\n"), "assessmentexcel.file.not_workbook")
	plain := excelize.NewFile()
	_ = plain.SetCellStr("Sheet1", "A1", "管理策番号")
	var buf bytes.Buffer
	_, _ = plain.WriteTo(&buf)
	want("plain xlsx", buf.Bytes(), "assessmentexcel.file.not_workbook")
	want("tampered meta", editWorkbook(t, testWorkbook(t, kijun.En), "kijun", map[string]any{"B3": "x"}), "assessmentexcel.file.meta_invalid")
	// A deleted answer column would clear every answer's field.
	x, _ := excelize.OpenReader(bytes.NewReader(testWorkbook(t, kijun.En)))
	_ = x.UnprotectSheet("Answers")
	_ = x.RemoveCol("Answers", "G")
	buf.Reset()
	_, _ = x.WriteTo(&buf)
	want("missing column", buf.Bytes(), "assessmentexcel.file.missing_column")

	f, err := exchange.ReadAssessment(bytes.NewReader(testWorkbook(t, kijun.Ja)), exchange.Limits{}, testScale)
	if err != nil {
		t.Fatal(err)
	}
	a := assessment.Assessment{ID: 42, CycleID: 7, FiscalYear: 2027}
	if err := f.CheckFor(a, "2010401000001"); err != nil {
		t.Errorf("own file refused: %v", err)
	}
	if err := f.CheckFor(a, "1010401000002"); kijun.ErrorCode(err) != kijun.EInvalid {
		t.Errorf("another operator's file: %v", err)
	}
	a.ID, a.CycleID = 43, 8
	if err := f.CheckFor(a, "2010401000001"); kijun.ErrorCode(err) != kijun.EInvalid {
		t.Errorf("another cycle's file: %v", err)
	}
}

func TestParseMaturity(t *testing.T) {
	for in, want := range map[string]int{"1": 1, "４": 4, "2 Risk Informed": 2, "3 反復可能": 3, "Adaptive": 4, "適応": 4, "3.0": 3,
		"0": 0, "5": 0, "2 Adaptive": 0, "x": 0, "1.5": 0} {
		got, ok := exchange.ParseMaturity(in)
		if got != want || ok != (want != 0) {
			t.Errorf("ParseMaturity(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
}
