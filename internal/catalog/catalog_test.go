package catalog_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/oscal/oscaltest"
)

// testRef holds the reference codes of reference.yaml, as the database
// would give them.
var testRef = catalog.Reference{
	Sections: strings.Fields("BASE GV ID PR DE RR TT"),
	Themes:   strings.Fields("closed-network supply-chain resilience tech-trends communication"),
	Sectors:  strings.Fields("ict finance aviation airport railway electricity gas government medical water logistics chemical credit petroleum port"),
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// got is a problem reduced to what the tests compare.
type got struct {
	Level catalog.Level
	Line  int
	Path  string
	ID    string
}

func reduce(ps []catalog.Problem) []got {
	out := make([]got, len(ps))
	for i, p := range ps {
		out[i] = got{p.Level, p.Line, p.Path, p.ID}
	}
	return out
}

func assertProblems(t *testing.T, ps []catalog.Problem, want []got) {
	t.Helper()
	have := reduce(ps)
	sortGot := func(gs []got) {
		slices.SortFunc(gs, func(a, b got) int {
			if a.Line != b.Line {
				return a.Line - b.Line
			}
			return strings.Compare(a.Path+"|"+a.ID, b.Path+"|"+b.ID)
		})
	}
	sortGot(have)
	sortGot(want)
	if !reflect.DeepEqual(have, want) {
		t.Errorf("problems differ\nhave:")
		for _, p := range ps {
			t.Errorf("  %s", p)
		}
		t.Errorf("want:")
		for _, w := range want {
			t.Errorf("  %+v", w)
		}
	}
	// Every problem renders in both languages without a missing message.
	for _, p := range ps {
		for _, l := range []*i18n.Localizer{i18n.New(kijun.Ja), i18n.New(kijun.En)} {
			if m := p.Describe(l); strings.Contains(m, "[catalog.") || strings.Contains(m, "<no value>") {
				t.Errorf("%s renders as %q", p, m)
			}
		}
	}
}

func parseOK(t *testing.T, data []byte) *catalog.Catalog {
	t.Helper()
	c, ps := catalog.ParseYAML(data, testRef)
	if len(ps) > 0 {
		for _, p := range ps {
			t.Errorf("unexpected problem: %s", p)
		}
		t.FailNow()
	}
	return c
}

func writeYAML(t *testing.T, c *catalog.Catalog) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := catalog.WriteYAML(&buf, c); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseSample(t *testing.T) {
	c := parseOK(t, readFile(t, "sample.yaml"))
	if c.Code != "kijun-sample" || c.Version != "2026.1-test" || len(c.Controls) != 5 {
		t.Fatalf("catalog header or size wrong: %+v", c)
	}
	gv := c.Controls[1]
	want := catalog.Control{
		Ref: "GV-01", Section: "GV",
		Title:            kijun.Text{Ja: "組織の状況の把握", En: "Understanding the organisational context"},
		Statement:        kijun.Text{Ja: "事業者は、自らの重要インフラサービスとその依存関係を把握し、文書化する。", En: "The operator understands and documents its critical infrastructure services and their dependencies."},
		Guidance:         kijun.Text{Ja: "例:\n- サービス提供に必要な情報システムの一覧\n- 外部委託先の一覧", En: "Examples:\n- a list of the information systems the service needs\n- a list of outsourcing contractors"},
		Themes:           []string{"supply-chain"},
		CSF:              []string{"GV.OC", "GV.SC"},
		EvidenceExpected: true,
	}
	if !reflect.DeepEqual(gv, want) {
		t.Errorf("GV-01\nhave %#v\nwant %#v", gv, want)
	}
	if c.Note.En != "A small catalog for tests.\nIt has a second line." {
		t.Errorf("note %q", c.Note.En)
	}
}

func TestYAMLRoundTrip(t *testing.T) {
	c1 := parseOK(t, readFile(t, "sample.yaml"))
	out := writeYAML(t, c1)
	c2 := parseOK(t, out)
	if !reflect.DeepEqual(c1, c2) {
		t.Errorf("round trip changed the catalog\nwritten:\n%s", out)
	}
	if again := writeYAML(t, c2); !bytes.Equal(out, again) {
		t.Errorf("writing is not stable:\n%s\n---\n%s", out, again)
	}
}

func TestOSCALRoundTrip(t *testing.T) {
	c1 := parseOK(t, readFile(t, "sample.yaml"))
	doc, err := catalog.ExportOSCAL(c1)
	if err != nil {
		t.Fatal(err)
	}
	oscaltest.Validate(t, doc)
	c2, ps := catalog.ImportOSCAL(doc, testRef)
	if len(ps) > 0 {
		t.Fatalf("import of our own export reported %v", ps)
	}
	if !reflect.DeepEqual(c1, c2) {
		t.Errorf("OSCAL round trip changed the catalog\nhave %+v\nwant %+v", c2, c1)
	}
	doc2, err := catalog.ExportOSCAL(c2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, doc2) {
		t.Error("export is not byte-stable")
	}
}

func TestExportShape(t *testing.T) {
	c := parseOK(t, readFile(t, "sample.yaml"))
	doc, err := catalog.ExportOSCAL(c)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	for _, want := range []string{
		`"id": "GV"`, `"id": "gv-01"`, `"id": "tt-101"`,
		`"value": "GV-01"`,
		`"ns": "https://kijun.go.jp/ns/oscal"`,
		`"name": "csf-category"`, `"name": "translation"`,
		`"prose": "閉域網で運用する制御システムについても`,
		`"oscal-version": "1.1.3"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("export lacks %s", want)
		}
	}
	// Only the version changes the UUID.
	c.Version = "2026.2"
	doc2, _ := catalog.ExportOSCAL(c)
	uuid := regexp.MustCompile(`"uuid": "([^"]+)"`)
	if uuid.FindString(s) == uuid.FindString(string(doc2)) {
		t.Error("a new version kept the catalog UUID")
	}
}

func TestExportRefusesUnexportable(t *testing.T) {
	if _, err := catalog.ExportOSCAL(&catalog.Catalog{Code: "x"}); err == nil {
		t.Error("a catalog without version, title and controls was exported")
	}
}

func TestBadYAMLListsEveryProblem(t *testing.T) {
	_, ps := catalog.ParseYAML(readFile(t, "bad.yaml"), testRef)
	assertProblems(t, ps, []got{
		{catalog.Error, 2, "code", "catalog.problem.invalid_code"},
		{catalog.Error, 5, "titel", "catalog.problem.unknown_key"},
		{catalog.Error, 11, "controls[0] (GV-01) csf[1]", "catalog.problem.unknown_csf"},
		{catalog.Error, 13, "controls[1] (GV-01) ref", "catalog.problem.duplicate_ref"},
		{catalog.Error, 17, "controls[1] (GV-01) evidence_expected", "catalog.problem.expected_bool"},
		{catalog.Error, 19, "controls[2] (ZZ-01) section", "catalog.problem.unknown_section"},
		{catalog.Error, 22, "controls[2] (ZZ-01) themes[0]", "catalog.problem.unknown_theme"},
		{catalog.Error, 23, "controls[2] (ZZ-01) sectors[0]", "catalog.problem.unknown_sector"},
		{catalog.Error, 24, "controls[3] (ID-02) ref", "catalog.problem.ref_section_mismatch"},
		{catalog.Error, 27, "controls[3] (ID-02) statement.ja", "catalog.problem.missing_ja"},
		// Missing English does not stop a draft: one warning lists the controls.
		{catalog.Warning, 7, "controls", "catalog.problem.without_english"},
		{catalog.Error, 29, "controls[3] (ID-02) colour", "catalog.problem.unknown_key"},
	})
}

func TestBadYAMLSyntax(t *testing.T) {
	c, ps := catalog.ParseYAML(readFile(t, "bad_syntax.yaml"), testRef)
	if c != nil {
		t.Error("catalog returned for unreadable YAML")
	}
	assertProblems(t, ps, []got{{catalog.Error, 5, "", "catalog.problem.yaml_syntax"}})
}

func TestYAMLStructureProblems(t *testing.T) {
	src := "code: kijun-x\nversion: [1]\ntitle: just text\ncontrols:\n  - ref: GV-01\n    section: GV\n    title: {ja: あ, en: a, fr: b}\n    statement: {ja: い, en: i}\n    csf: GV.OC\n  - just a string\n"
	_, ps := catalog.ParseYAML([]byte(src), testRef)
	assertProblems(t, ps, []got{
		{catalog.Error, 1, "format", "catalog.problem.missing_format"},
		{catalog.Error, 2, "version", "catalog.problem.expected_string"},
		{catalog.Error, 3, "title", "catalog.problem.expected_mapping"},
		{catalog.Error, 7, "controls[0] (GV-01) title.fr", "catalog.problem.unknown_key"},
		{catalog.Error, 9, "controls[0] (GV-01) csf", "catalog.problem.expected_list"},
		{catalog.Error, 10, "controls[1]", "catalog.problem.expected_mapping"},
		// controls[1] is not a mapping, so its own fields are reported missing once each.
		{catalog.Error, 10, "controls[1] section", "catalog.problem.required"},
		{catalog.Error, 10, "controls[1] title", "catalog.problem.required"},
		{catalog.Error, 10, "controls[1] statement", "catalog.problem.required"},
	})
}

func TestProblemMessages(t *testing.T) {
	p := catalog.Problem{Level: catalog.Error, Line: 12, Path: "controls[1] (GV-01) ref", ID: "catalog.problem.duplicate_ref", Args: map[string]any{"Ref": "GV-01"}}
	if got := p.Message(i18n.New(kijun.Ja)); got != "対策項目番号 GV-01 が重複しています。" {
		t.Errorf("ja: %q", got)
	}
	if got := p.Describe(i18n.New(kijun.En)); got != "Error: line 12 controls[1] (GV-01) ref: The control reference GV-01 is used more than once." {
		t.Errorf("en: %q", got)
	}
}

// TestProblemIDsDefined checks every problem message ID used in this
// package exists in both languages (the i18n test only sees literal T calls).
func TestProblemIDsDefined(t *testing.T) {
	ja, _ := i18n.MessageIDs(kijun.Ja)
	en, _ := i18n.MessageIDs(kijun.En)
	files, _ := filepath.Glob("*.go")
	id := regexp.MustCompile(`"(catalog\.[a-z_.]+)"`)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, _ := os.ReadFile(f)
		for _, m := range id.FindAllStringSubmatch(string(src), -1) {
			n++
			if !ja[m[1]] || !en[m[1]] {
				t.Errorf("%s: message %s missing in ja or en", f, m[1])
			}
		}
	}
	if n < 20 {
		t.Errorf("found only %d message ids; did the pattern break?", n)
	}
}
