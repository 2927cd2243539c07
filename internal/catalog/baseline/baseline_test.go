package baseline

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The test decodes into its own small structs rather than the catalog
// package's, so that the content is checked independently of the parser.

type text struct {
	Ja string `yaml:"ja"`
	En string `yaml:"en"`
}

type control struct {
	Ref              string   `yaml:"ref"`
	Section          string   `yaml:"section"`
	Title            text     `yaml:"title"`
	Statement        text     `yaml:"statement"`
	Guidance         text     `yaml:"guidance"`
	Themes           []string `yaml:"themes"`
	CSF              []string `yaml:"csf"`
	EvidenceExpected *bool    `yaml:"evidence_expected"`
	Sectors          []string `yaml:"sectors"`
}

type catalog struct {
	Format   string    `yaml:"format"`
	Code     string    `yaml:"code"`
	Version  string    `yaml:"version"`
	Title    text      `yaml:"title"`
	Note     text      `yaml:"note"`
	Controls []control `yaml:"controls"`
}

var (
	sections = []string{"BASE", "GV", "ID", "PR", "DE", "RR", "TT"}
	themes   = []string{"closed-network", "supply-chain", "resilience", "tech-trends", "communication"}
	csf      = []string{
		"GV.OC", "GV.RM", "GV.RR", "GV.PO", "GV.OV", "GV.SC",
		"ID.AM", "ID.RA", "ID.IM",
		"PR.AA", "PR.AT", "PR.DS", "PR.PS", "PR.IR",
		"DE.CM", "DE.AE",
		"RS.MA", "RS.AN", "RS.CO", "RS.MI",
		"RC.RP", "RC.CO",
	}
	sectors = []string{
		"ict", "finance", "aviation", "airport", "railway", "electricity", "gas",
		"government", "medical", "water", "logistics", "chemical", "credit",
		"petroleum", "port",
	}
	refPattern = regexp.MustCompile(`^(BASE|GV|ID|PR|DE|RR|TT)-[0-9]{2}$`)
)

const (
	minControls      = 80
	minPerTheme      = 4 // "several" controls per theme
	minPerSection    = 3
	minSectorTailors = 3 // a few controls limited to particular sectors
)

func load(t *testing.T) catalog {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(DraftYAML))
	dec.KnownFields(true) // a misspelt key would otherwise vanish silently
	var c catalog
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("decode draft.yaml: %v", err)
	}
	return c
}

func TestHeader(t *testing.T) {
	c := load(t)
	if c.Format != "kijun-catalog/v1" {
		t.Errorf("format = %q, want kijun-catalog/v1", c.Format)
	}
	if c.Code != "kijun-baseline" {
		t.Errorf("code = %q, want kijun-baseline", c.Code)
	}
	if !strings.HasSuffix(c.Version, "-draft") {
		t.Errorf("version = %q, want a -draft version", c.Version)
	}
	// The catalog must say plainly that it is the project's draft, to be
	// replaced by the official guideline items.
	if !strings.Contains(c.Title.Ja, "草案") || !strings.Contains(strings.ToLower(c.Title.En), "draft") {
		t.Errorf("title does not mark the catalog as a draft: %+v", c.Title)
	}
	for _, want := range []string{"草案", "安全基準等策定ガイドライン", "置き換え"} {
		if !strings.Contains(c.Note.Ja, want) {
			t.Errorf("note.ja does not mention %q", want)
		}
	}
	for _, want := range []string{"draft", "Guidelines", "replaced"} {
		if !strings.Contains(c.Note.En, want) {
			t.Errorf("note.en does not mention %q", want)
		}
	}
}

func TestControls(t *testing.T) {
	c := load(t)
	if len(c.Controls) < minControls {
		t.Errorf("%d controls, want at least %d", len(c.Controls), minControls)
	}

	refs := map[string]bool{}
	seenText := map[string]string{} // statement/title text -> ref, to catch filler
	perSection := map[string]int{}
	perTheme := map[string]int{}
	perCSF := map[string]int{}
	tailored := 0

	for i, ctl := range c.Controls {
		where := fmt.Sprintf("controls[%d] %s", i, ctl.Ref)
		if !refPattern.MatchString(ctl.Ref) {
			t.Errorf("%s: ref does not match %s", where, refPattern)
		}
		if refs[ctl.Ref] {
			t.Errorf("%s: duplicate ref", where)
		}
		refs[ctl.Ref] = true
		if prefix, _, _ := strings.Cut(ctl.Ref, "-"); prefix != ctl.Section {
			t.Errorf("%s: section %q does not match ref prefix %q", where, ctl.Section, prefix)
		}
		if !slices.Contains(sections, ctl.Section) {
			t.Errorf("%s: unknown section %q", where, ctl.Section)
		}
		perSection[ctl.Section]++

		for name, tx := range map[string]text{"title": ctl.Title, "statement": ctl.Statement, "guidance": ctl.Guidance} {
			if strings.TrimSpace(tx.Ja) == "" {
				t.Errorf("%s: %s.ja missing", where, name)
			}
			if strings.TrimSpace(tx.En) == "" {
				t.Errorf("%s: %s.en missing", where, name)
			}
			if name == "guidance" {
				continue
			}
			for _, s := range []string{tx.Ja, tx.En} {
				if s == "" {
					continue
				}
				if other, dup := seenText[s]; dup {
					t.Errorf("%s: %s repeats the text of %s: %q", where, name, other, s)
				}
				seenText[s] = ctl.Ref
			}
		}
		// Statements are checkable practices in the style of 安全基準等.
		if !strings.HasSuffix(ctl.Statement.Ja, "こと。") {
			t.Errorf("%s: statement.ja should end with 「こと。」: %q", where, ctl.Statement.Ja)
		}
		if ctl.EvidenceExpected == nil {
			t.Errorf("%s: evidence_expected not set", where)
		}

		for _, th := range ctl.Themes {
			if !slices.Contains(themes, th) {
				t.Errorf("%s: unknown theme %q", where, th)
			}
			perTheme[th]++
		}
		if len(ctl.CSF) == 0 {
			t.Errorf("%s: no CSF 2.0 category", where)
		}
		for _, id := range ctl.CSF {
			if !slices.Contains(csf, id) {
				t.Errorf("%s: unknown CSF 2.0 category %q", where, id)
			}
			perCSF[id]++
		}
		if len(ctl.Sectors) > 0 {
			tailored++
		}
		for _, s := range ctl.Sectors {
			if !slices.Contains(sectors, s) {
				t.Errorf("%s: unknown sector code %q", where, s)
			}
		}
		if hasDup(ctl.Themes) || hasDup(ctl.CSF) || hasDup(ctl.Sectors) {
			t.Errorf("%s: duplicate entry in themes, csf or sectors", where)
		}
	}

	if missing := below(sections, perSection, minPerSection); len(missing) > 0 {
		t.Errorf("%d section(s) with fewer than %d controls: %s", len(missing), minPerSection, strings.Join(missing, ", "))
	}
	if missing := below(themes, perTheme, minPerTheme); len(missing) > 0 {
		t.Errorf("%d theme(s) with fewer than %d controls: %s", len(missing), minPerTheme, strings.Join(missing, ", "))
	}
	if missing := below(csf, perCSF, 1); len(missing) > 0 {
		t.Errorf("%d of %d CSF 2.0 categories not mapped by any control: %s", len(missing), len(csf), strings.Join(missing, ", "))
	}
	if tailored < minSectorTailors {
		t.Errorf("%d sector-specific controls, want at least %d", tailored, minSectorTailors)
	}
	if tailored*2 > len(c.Controls) {
		t.Errorf("%d of %d controls are sector-specific; most should apply to all sectors", tailored, len(c.Controls))
	}

	t.Logf("%d controls; per section %v; per theme %v", len(c.Controls), ordered(sections, perSection), ordered(themes, perTheme))
}

// below lists, in order, the keys whose count is under floor.
func below(keys []string, counts map[string]int, floor int) []string {
	var out []string
	for _, k := range keys {
		if counts[k] < floor {
			out = append(out, fmt.Sprintf("%s (%d)", k, counts[k]))
		}
	}
	return out
}

func ordered(keys []string, counts map[string]int) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, counts[k])
	}
	return strings.Join(parts, " ")
}

func hasDup(xs []string) bool {
	seen := map[string]bool{}
	for _, x := range xs {
		if seen[x] {
			return true
		}
		seen[x] = true
	}
	return false
}
