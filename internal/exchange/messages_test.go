package exchange_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
)

// TestMessagesDefined: every exchange.* id written in this package's code
// (or in the identifier checks of package register) exists in both languages.
// The i18n test only sees ids written as MessageID: "…"; this one also sees
// those passed to fileError.
func TestMessagesDefined(t *testing.T) {
	ids := regexp.MustCompile(`"(exchange\.[a-z0-9_.]+)"`)
	files, _ := filepath.Glob("*.go")
	files = append(files, "../register/corpnum.go")
	locs := []*i18n.Localizer{i18n.New(kijun.Ja), i18n.New(kijun.En)}
	seen := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ids.FindAllStringSubmatch(string(src), -1) {
			seen++
			for _, l := range locs {
				if got := l.T(m[1]); strings.HasPrefix(got, "[") {
					t.Errorf("%s: %s has no %s message", f, m[1], l.Lang)
				}
			}
		}
	}
	if seen < 20 {
		t.Errorf("found only %d message ids; is the pattern still right?", seen)
	}
}

// TestProblemsRender: the problems of the mixed file render in both
// languages with the arguments they carry, leaving no placeholder empty.
func TestProblemsRender(t *testing.T) {
	table, err := exchange.Read(bytes.NewReader(mixedUTF8(t)), exchange.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	probs := exchange.CheckOperatorHeader([]string{"備考", "法人番号", "corporate_number"})
	for _, r := range exchange.ParseOperators(table.Rows, newResolver()) {
		probs = append(probs, r.Problems...)
	}
	for _, p := range probs {
		for _, lang := range []kijun.Lang{kijun.Ja, kijun.En} {
			got := i18n.New(lang).T(p.MessageID, p.Args)
			if strings.HasPrefix(got, "[") || strings.Contains(got, "<no value>") {
				t.Errorf("%s %s renders as %q", lang, p.MessageID, got)
			}
		}
	}
	if got := i18n.New(kijun.En).T("exchange.row.extra_cells", map[string]any{"Count": 2}); !strings.HasPrefix(got, "2 values are") {
		t.Errorf("en plural %q", got)
	}
	ja := i18n.New(kijun.Ja)
	if got := ja.T("exchange.operator.duplicate_in_file", map[string]any{"Lines": "7"}); got != "同じ法人番号が7行目にもあります。" {
		t.Errorf("ja duplicate message %q", got)
	}
}

// TestFileErrorsRender: file-level errors render with their arguments.
func TestFileErrorsRender(t *testing.T) {
	for _, c := range []struct {
		data string
		opts exchange.ReadOptions
		want string
	}{
		{strings.Repeat("x", 2048), exchange.ReadOptions{Limits: exchange.Limits{MaxBytes: 1 << 10}}, "ファイルが大きすぎます。1 KB以下のファイルにしてください。"},
		{"a\n1\n2\n", exchange.ReadOptions{Limits: exchange.Limits{MaxRows: 1}}, "行数が多すぎます。1回に取り込めるのは1行までです。ファイルを分けてください。"},
		{"a\n\"1\n", exchange.ReadOptions{}, "2行目のCSVの形式が正しくありません(引用符「\"」の対応を確認してください。)。"},
	} {
		_, err := exchange.Read(strings.NewReader(c.data), c.opts)
		e, ok := err.(*kijun.Error)
		if !ok {
			t.Fatalf("%v is not a *kijun.Error", err)
		}
		if got := i18n.New(kijun.Ja).T(e.MessageID, e.Args); got != c.want {
			t.Errorf("got %q\nwant %q", got, c.want)
		}
	}
}
