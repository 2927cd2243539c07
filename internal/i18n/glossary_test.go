package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGlossaryVariants fails when a message file or a page uses a variant
// that docs/glossary.md lists as "not: …" for one of its terms. A variant
// that is part of the term itself (受理済 in 受理済み) is allowed there.
func TestGlossaryVariants(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "glossary.md"))
	if err != nil {
		t.Fatal(err)
	}
	type term struct{ forms, not []string }
	var terms []term
	for _, line := range strings.Split(string(doc), "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) < 4 {
			continue
		}
		last := strings.TrimSpace(cells[len(cells)-1])
		if !strings.HasPrefix(last, "not: ") {
			continue
		}
		var tm term
		for _, c := range cells[:2] {
			for _, f := range strings.Split(c, " / ") {
				if f = strings.TrimSpace(f); f != "" {
					tm.forms = append(tm.forms, f)
				}
			}
		}
		for _, v := range strings.Split(strings.TrimPrefix(last, "not: "), ",") {
			if v = strings.TrimSpace(v); v != "" {
				tm.not = append(tm.not, v)
			}
		}
		terms = append(terms, tm)
	}
	if len(terms) < 10 {
		t.Fatalf("docs/glossary.md: %d terms with \"not: …\" found; the table is not readable", len(terms))
	}

	texts := map[string]string{}
	files, _ := fs.Glob(localeFS, "locales/*.yaml")
	for _, f := range files {
		b, _ := fs.ReadFile(localeFS, f)
		texts[f] = string(b)
	}
	web := filepath.Join("..", "..", "web")
	err = filepath.WalkDir(web, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".templ") {
			return err
		}
		b, err := os.ReadFile(p)
		texts[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(texts) < 20 {
		t.Fatalf("only %d message files and pages found", len(texts))
	}

	for name, text := range texts {
		for _, tm := range terms {
			for _, v := range tm.not {
				s := text
				for _, f := range tm.forms {
					if strings.Contains(f, v) {
						s = strings.ReplaceAll(s, f, "")
					}
				}
				for i, line := range strings.Split(s, "\n") {
					if strings.Contains(line, v) {
						t.Errorf("%s:%d uses %q; the glossary's term is %q", name, i+1, v, strings.Join(tm.forms, " / "))
					}
				}
			}
		}
	}
}
