package i18n_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
)

func TestEveryMessageInBothLanguages(t *testing.T) {
	ja, err := i18n.MessageIDs(kijun.Ja)
	if err != nil {
		t.Fatal(err)
	}
	en, err := i18n.MessageIDs(kijun.En)
	if err != nil {
		t.Fatal(err)
	}
	for id := range ja {
		if !en[id] {
			t.Errorf("%s is in ja.yaml but not in en.yaml", id)
		}
	}
	for id := range en {
		if !ja[id] {
			t.Errorf("%s is in en.yaml but not in ja.yaml", id)
		}
	}
}

// messageUse finds literal message ids passed to T: T(ctx, "id"), .T("id"),
// and MessageID: "id".
var messageUse = regexp.MustCompile(`(?:\bT\(ctx, |\.T\(|MessageID:\s*)"([a-z0-9_.]+)"\s*[,)}]`)

// TestEveryUsedMessageExists reads the Go and templ sources and checks that
// each literal message id they use is defined.
func TestEveryUsedMessageExists(t *testing.T) {
	ja, _ := i18n.MessageIDs(kijun.Ja)
	root := filepath.Join("..", "..")
	var missing []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && p != root {
			return filepath.SkipDir
		}
		if d.IsDir() || strings.HasSuffix(p, "_templ.go") || strings.HasSuffix(p, "_test.go") || !(strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".templ")) {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range messageUse.FindAllStringSubmatch(string(src), -1) {
			if !ja[m[1]] {
				missing = append(missing, p+": "+m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("undefined message %s", m)
	}
}

func TestNegotiate(t *testing.T) {
	cases := []struct {
		cookie, accept string
		want           kijun.Lang
	}{
		{"", "", kijun.Ja},
		{"", "en-US,en;q=0.9", kijun.En},
		{"", "ja,en;q=0.5", kijun.Ja},
		{"", "fr-FR", kijun.Ja},
		{"ja", "en", kijun.Ja},
		{"en", "ja", kijun.En},
		{"xx", "en-GB", kijun.En},
	}
	for _, c := range cases {
		if got := i18n.Negotiate(c.cookie, c.accept); got != c.want {
			t.Errorf("Negotiate(%q, %q) = %s, want %s", c.cookie, c.accept, got, c.want)
		}
	}
}

func TestTranslateAndDates(t *testing.T) {
	ja, en := i18n.New(kijun.Ja), i18n.New(kijun.En)
	if got := ja.T("home.registry_text", map[string]any{"Count": 15}); !strings.Contains(got, "15分野") {
		t.Errorf("ja template data not applied: %q", got)
	}
	if got := en.T("users.caption", map[string]any{"Count": 1}); got != "Users (1)" {
		t.Errorf("a message without plural forms must work for a count of one: %q", got)
	}
	if got := en.T("no.such.message"); got != "[no.such.message]" {
		t.Errorf("missing message shows as %q", got)
	}
	d := time.Date(2025, 9, 30, 0, 0, 0, 0, time.UTC)
	if got := ja.Date(d); got != "2025年9月30日" {
		t.Errorf("ja date %q", got)
	}
	if got := en.Date(d); got != "30 September 2025" {
		t.Errorf("en date %q", got)
	}
	// 15:30 UTC is 00:30 the next day in Tokyo.
	if got := ja.DateTime(time.Date(2026, 3, 31, 15, 30, 0, 0, time.UTC)); got != "2026年4月1日 00:30" {
		t.Errorf("ja datetime in JST %q", got)
	}
}
