package catalog_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/oscal/oscaltest"
)

// TestTransitionsEveryPair walks every pair of statuses: only the moves
// of the governance are allowed, and only with what each needs.
func TestTransitionsEveryPair(t *testing.T) {
	allowed := map[[2]catalog.Status]bool{
		{catalog.Draft, catalog.Consultation}:   true,
		{catalog.Consultation, catalog.Draft}:   true,
		{catalog.Consultation, catalog.Decided}: true,
		{catalog.Decided, catalog.Published}:    true,
		{catalog.Published, catalog.Superseded}: true,
	}
	now := time.Date(2027, 4, 1, 9, 0, 0, 0, kijun.JST)
	effective := &catalog.Decision{DecidedBy: "推進専門家会議", Reference: "決定第1号",
		DecidedOn: catalog.DateJST(now), EffectiveOn: catalog.DateJST(now)}
	for _, from := range catalog.Statuses {
		for _, to := range catalog.Statuses {
			want := allowed[[2]catalog.Status{from, to}]
			if got := catalog.CanMove(from, to); got != want {
				t.Errorf("CanMove(%s, %s) = %v, want %v", from, to, got, want)
			}
			err := catalog.Transition(from, to, effective, now)
			if (err == nil) != want {
				t.Errorf("Transition(%s, %s) with a decision: %v, want allowed %v", from, to, err, want)
			}
			if want && (to == catalog.Decided || to == catalog.Published || to == catalog.Superseded) {
				if err := catalog.Transition(from, to, nil, now); kijun.ErrorCode(err) != kijun.EConflict {
					t.Errorf("Transition(%s, %s) without a decision: %v, want refused", from, to, err)
				}
			}
		}
	}
}

// A decided version comes into force on its 施行日 in Japan, not before.
func TestInForceFromEffectiveDateJST(t *testing.T) {
	d := &catalog.Decision{EffectiveOn: time.Date(2027, 4, 1, 0, 0, 0, 0, kijun.JST)}
	before := time.Date(2027, 3, 31, 14, 59, 0, 0, time.UTC) // 23:59 JST on 31 March
	on := time.Date(2027, 3, 31, 15, 0, 0, 0, time.UTC)      // 00:00 JST on 1 April
	if d.InForceOn(before) || !d.InForceOn(on) {
		t.Errorf("in force at 23:59 JST %v, at 00:00 JST %v", d.InForceOn(before), d.InForceOn(on))
	}
	err := catalog.Transition(catalog.Decided, catalog.Published, d, before)
	var ke *kijun.Error
	if !errors.As(err, &ke) || ke.MessageID != catalog.MsgNotYetEffective {
		t.Errorf("into force before the 施行日: %v", err)
	}
	if catalog.Published.Bindable() != true || catalog.Decided.Bindable() || catalog.Consultation.Bindable() ||
		catalog.Draft.Bindable() || catalog.Superseded.Bindable() {
		t.Error("only a version in force binds a cycle")
	}
	if catalog.CheckBindable(catalog.Decided) == nil {
		t.Error("CheckBindable(decided)")
	}
}

func TestDecisionValidate(t *testing.T) {
	day := time.Date(2027, 3, 1, 0, 0, 0, 0, kijun.JST)
	fields := func(d catalog.Decision) string {
		var fs []string
		for _, p := range d.Validate() {
			fs = append(fs, p.Field+":"+p.MessageID)
		}
		return strings.Join(fs, " ")
	}
	if got := fields(catalog.Decision{DecidedBy: "会議", Reference: "第1号", DecidedOn: day, EffectiveOn: day}); got != "" {
		t.Errorf("a good decision: %s", got)
	}
	got := fields(catalog.Decision{DecidedBy: " ", Reference: strings.Repeat("あ", 201), DecidedOn: day, EffectiveOn: day.AddDate(0, 0, -1)})
	want := "decided_by:catalog.governance.required reference:catalog.governance.too_long effective_on:catalog.governance.effective_before_decision"
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if got := fields(catalog.Decision{DecidedBy: "x", Reference: "y"}); got != "decided_on:catalog.governance.date effective_on:catalog.governance.date" {
		t.Errorf("no dates: %s", got)
	}
}

func TestMissingReasons(t *testing.T) {
	old := &catalog.Catalog{Controls: []catalog.Control{{Ref: "GV-01", Title: kijun.Text{Ja: "a"}}, {Ref: "GV-02"}, {Ref: "GV-03"}}}
	neu := &catalog.Catalog{Controls: []catalog.Control{{Ref: "GV-01", Title: kijun.Text{Ja: "b"}}, {Ref: "GV-02"}, {Ref: "GV-04"}}}
	ch := catalog.Diff(old, neu)
	if got := ch.Revised(); !reflect.DeepEqual(got, []string{"GV-04", "GV-01", "GV-03"}) {
		t.Errorf("revised %v", got)
	}
	got := catalog.MissingReasons(ch, map[string]string{"GV-01": "明確化", "GV-03": " "})
	if !reflect.DeepEqual(got, []string{"GV-04", "GV-03"}) {
		t.Errorf("missing %v", got)
	}
	if catalog.CheckReasons(ch, map[string]string{"GV-01": "a", "GV-03": "b", "GV-04": "c"}) != nil {
		t.Error("every reason given, still refused")
	}
}

// withReasons is the sample catalog with reasons for a changed control
// and a removed one (whose ref is no longer among the controls).
func withReasons(t *testing.T) *catalog.Catalog {
	c := parseOK(t, readFile(t, "sample.yaml"))
	c.Reasons = map[string]string{
		c.Controls[0].Ref: "第3部の改定に合わせて表現を明確にした。\n2行目の説明。",
		"PR-99":           "他の対策項目に統合したため削除。",
	}
	return c
}

// Reasons survive the YAML export and import.
func TestReasonsYAMLRoundTrip(t *testing.T) {
	c1 := withReasons(t)
	out := writeYAML(t, c1)
	if !bytes.Contains(out, []byte("revision_reasons:")) {
		t.Fatalf("no revision_reasons written:\n%s", out)
	}
	c2 := parseOK(t, out)
	if !reflect.DeepEqual(c1.Reasons, c2.Reasons) {
		t.Errorf("reasons after the round trip: %v, want %v", c2.Reasons, c1.Reasons)
	}
	_, ps := catalog.ParseYAML(append(out, []byte("\n")...), testRef)
	if catalog.HasErrors(ps) {
		t.Errorf("problems: %v", ps)
	}
	bad := strings.Replace(string(out), "PR-99:", "not-a-ref:", 1)
	if _, ps := catalog.ParseYAML([]byte(bad), testRef); !catalog.HasErrors(ps) {
		t.Error("a reason under a malformed ref was accepted")
	}
}

// Reasons and the decision survive the OSCAL export (metadata.revisions,
// valid against the OSCAL schema) and come back on import.
func TestReasonsOSCALRoundTrip(t *testing.T) {
	c1 := withReasons(t)
	day := time.Date(2027, 4, 1, 0, 0, 0, 0, kijun.JST)
	c1.Decision = &catalog.Decision{DecidedBy: "推進専門家会議", Reference: "第40回 決定第1号", DecidedOn: day.AddDate(0, 0, -14), EffectiveOn: day,
		Note: "意見募集の結果を反映。"}
	c1.PublicComments = []catalog.PublicComment{{FileName: "結果.pdf", Summary: "12件の意見", SHA256: bytes.Repeat([]byte{1}, 32)}}
	doc, err := catalog.ExportOSCAL(c1)
	if err != nil {
		t.Fatal(err)
	}
	oscaltest.Validate(t, doc)
	for _, want := range []string{`"revisions"`, `"revision-reason"`, `"effective-on"`, `"2027-04-01"`, `"back-matter"`, `"12件の意見"`} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("export lacks %s", want)
		}
	}
	c2, ps := catalog.ImportOSCAL(doc, testRef)
	if catalog.HasErrors(ps) {
		t.Fatalf("import: %v", ps)
	}
	if !reflect.DeepEqual(c1.Reasons, c2.Reasons) {
		t.Errorf("reasons after the round trip: %v, want %v", c2.Reasons, c1.Reasons)
	}
	// And on into YAML and back.
	c3 := parseOK(t, writeYAML(t, c2))
	if !reflect.DeepEqual(c1.Reasons, c3.Reasons) {
		t.Errorf("reasons after OSCAL → YAML: %v", c3.Reasons)
	}
}
