package catalog_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/catalog/baseline"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/oscal/oscaltest"
)

func TestImportNISTCSFShaped(t *testing.T) {
	c, ps := catalog.ImportOSCAL(readFile(t, "nist-csf2-shaped.json"), testRef)
	assertProblems(t, ps, []got{
		{catalog.Warning, 0, "", "catalog.problem.code_derived"},
		{catalog.Warning, 0, "", "catalog.problem.english_only"},
	})
	if c.Code != "electronic-version-of-a-csf-2-0-shaped-test-catalog" || c.Version != "1.2.0" {
		t.Errorf("code %q version %q", c.Code, c.Version)
	}
	if c.PublishedAt == nil || c.PublishedAt.Format("2006-01-02T15:04") != "2026-05-13T12:30" {
		t.Errorf("published %v", c.PublishedAt)
	}
	type row struct{ Ref, Section, Title, CSF string }
	var rows []row
	for _, k := range c.Controls {
		rows = append(rows, row{k.Ref, k.Section, k.Title.En, strings.Join(k.CSF, ",")})
		if k.Title.Ja != k.Title.En || k.Statement.Ja != k.Statement.En {
			t.Errorf("%s: English not copied into Japanese", k.Ref)
		}
	}
	// Categories and their subcategories become controls in document
	// order; GV.OC-02 is withdrawn; RS and RC both land in RR.
	want := []row{
		{"GV-01", "GV", "Organizational Context (GV.OC)", "GV.OC"},
		{"GV-02", "GV", "GV.OC-01 Organizational Context", "GV.OC"},
		{"PR-01", "PR", "Identity Management, Authentication, and Access Control (PR.AA)", "PR.AA"},
		{"PR-02", "PR", "PR.AA-01 Identity Management, Authentication, and Access Control", "PR.AA"},
		{"RR-01", "RR", "Incident Management (RS.MA)", "RS.MA"},
		{"RR-02", "RR", "Incident Recovery Plan Execution (RC.RP)", "RC.RP"},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("controls\nhave %v\nwant %v", rows, want)
	}
	sub := c.Controls[1]
	if sub.Statement.En != "The mission is understood and informs risk management" ||
		sub.Guidance.En != "- Share the mission statement\n- Identify risks that may impede the mission" {
		t.Errorf("GV.OC-01 text: %q / %q", sub.Statement.En, sub.Guidance.En)
	}

	// What we imported exports as valid OSCAL again.
	doc, err := catalog.ExportOSCAL(c)
	if err != nil {
		t.Fatal(err)
	}
	oscaltest.Validate(t, doc)
}

func TestImportSP80053Shaped(t *testing.T) {
	c, ps := catalog.ImportOSCAL(readFile(t, "nist-800-53-shaped.json"), testRef)
	assertProblems(t, ps, []got{
		{catalog.Warning, 0, "", "catalog.problem.code_derived"},
		{catalog.Warning, 0, "", "catalog.problem.fallback_section"},
		{catalog.Warning, 0, "", "catalog.problem.english_only"},
	})
	if len(c.Controls) != 2 {
		t.Fatalf("want AC-2 and AC-2(1) (AC-2(10) is withdrawn), got %d controls", len(c.Controls))
	}
	ac2, ac21 := c.Controls[0], c.Controls[1]
	if ac2.Ref != "BASE-01" || ac2.Section != "BASE" || ac2.Title.En != "AC-2 Account Management" {
		t.Errorf("AC-2 mapped to %s %s %q", ac2.Ref, ac2.Section, ac2.Title.En)
	}
	wantStmt := "a. Define the account types allowed;\n" +
		"b. Require [Assignment: prerequisites and criteria] for group membership; and\n" +
		"  1. Review accounts [Selection (one or more): daily; weekly; [Assignment: frequency]]."
	if ac2.Statement.En != wantStmt {
		t.Errorf("statement\nhave %q\nwant %q", ac2.Statement.En, wantStmt)
	}
	if ac2.Guidance.En != "Account types include individual, shared and system accounts." {
		t.Errorf("guidance %q", ac2.Guidance.En)
	}
	if ac21.Ref != "BASE-02" || ac21.Title.En != "AC-2(1) Account Management | Automated System Account Management" {
		t.Errorf("AC-2(1) mapped to %s %q", ac21.Ref, ac21.Title.En)
	}
}

func TestImportBadJSON(t *testing.T) {
	cases := []struct {
		file string
		want []got
	}{
		{"bad_syntax.json", []got{{catalog.Error, 1, "", "catalog.problem.json_syntax"}}},
		{"bad_type.json", []got{{catalog.Error, 5, "catalog.groups.controls", "catalog.problem.json_type"}}},
		{"not_catalog.json", []got{{catalog.Error, 1, "", "catalog.problem.not_a_catalog"}}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			c, ps := catalog.ImportOSCAL(readFile(t, tc.file), testRef)
			if c != nil {
				t.Error("catalog returned for unusable JSON")
			}
			assertProblems(t, ps, tc.want)
		})
	}
}

// TestImportInvalidOwnCatalog checks that an OSCAL catalog in our own
// dialect is validated like YAML: every problem, none hidden by the mapping.
func TestImportInvalidOwnCatalog(t *testing.T) {
	c := parseOK(t, readFile(t, "sample.yaml"))
	c.Controls[0].Section = "BASE"
	c.Controls[1].CSF = []string{"GV.ZZ"}
	c.Controls[2].Title.En = ""
	c.Controls[3].Sectors = []string{"space"}
	c.Controls[4].Themes = []string{"ai"}
	doc, err := catalog.ExportOSCAL(c)
	if err != nil {
		t.Fatal(err)
	}
	_, ps := catalog.ImportOSCAL(doc, testRef)
	assertProblems(t, ps, []got{
		{catalog.Error, 0, "controls[1] (GV-01) csf[0]", "catalog.problem.unknown_csf"},
		{catalog.Warning, 0, "controls", "catalog.problem.without_english"},
		{catalog.Error, 0, "controls[3] (RR-01) sectors[0]", "catalog.problem.unknown_sector"},
		{catalog.Error, 0, "controls[4] (TT-101) themes[0]", "catalog.problem.unknown_theme"},
	})
	// An unknown section survives the mapping and is reported, not guessed.
	c.Controls[1].CSF = nil
	c.Controls[2].Title.En = "x"
	c.Controls[3].Sectors = nil
	c.Controls[4].Themes = nil
	c.Controls[0].Section = "XX"
	c.Controls[0].Ref = "XX-01"
	doc, _ = catalog.ExportOSCAL(c)
	_, ps = catalog.ImportOSCAL(doc, testRef)
	assertProblems(t, ps, []got{
		{catalog.Error, 0, "controls[0] (XX-01) section", "catalog.problem.unknown_section"},
	})
}

func TestValidateDuplicateAndMissing(t *testing.T) {
	c := &catalog.Catalog{Code: "x", Controls: []catalog.Control{
		{Ref: "GV-01", Section: "GV", Title: kijun.Text{Ja: "a", En: "a"}, Statement: kijun.Text{Ja: "s", En: "s"}},
		{Ref: "GV-01", Section: "GV", Title: kijun.Text{Ja: "b", En: "b"}, Statement: kijun.Text{Ja: "s"}},
	}}
	assertProblems(t, catalog.Validate(c, testRef), []got{
		{catalog.Error, 0, "code", "catalog.problem.invalid_code"},
		{catalog.Error, 0, "version", "catalog.problem.required"},
		{catalog.Error, 0, "title", "catalog.problem.required"},
		{catalog.Error, 0, "controls[1] (GV-01) ref", "catalog.problem.duplicate_ref"},
		{catalog.Warning, 0, "controls", "catalog.problem.without_english"},
	})
}

// TestDraftBaseline keeps the shipped draft baseline loadable: it must
// parse with no problems and survive both round trips.
func TestDraftBaseline(t *testing.T) {
	c := parseOK(t, baseline.DraftYAML)
	if c2 := parseOK(t, writeYAML(t, c)); !reflect.DeepEqual(c, c2) {
		t.Error("YAML round trip changed the draft baseline")
	}
	doc, err := catalog.ExportOSCAL(c)
	if err != nil {
		t.Fatal(err)
	}
	oscaltest.Validate(t, doc)
	c3, ps := catalog.ImportOSCAL(doc, testRef)
	if len(ps) > 0 {
		t.Fatalf("import of exported baseline: %v", ps)
	}
	if !reflect.DeepEqual(c, c3) {
		t.Error("OSCAL round trip changed the draft baseline")
	}
}
