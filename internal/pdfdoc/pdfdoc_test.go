package pdfdoc

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func f(v float64) *float64 { return &v }

func sample() Doc {
	d := Doc{Title: "重要インフラ年次評価報告書", Subtitle: "2027年度", Lang: "ja", TOCTitle: "目次",
		Date: time.Date(2028, 3, 31, 0, 0, 0, 0, time.UTC), Footer: "SHA-256 0123abcd", Lines: []string{"国家サイバー統括室"}}
	d.Blocks = append(d.Blocks, Heading{Text: "1. 提出率と受理率", Level: 1},
		Para{Text: strings.Repeat("分野ごとの提出率を示します。", 20)},
		Table{Header: []string{"分野", "対象", "提出", "受理", "提出率"}, Right: []bool{false, true, true, true, true},
			Rows: [][]string{{"電力", "10", "8", "6", "80.0%"}, {"ガス", "3", "—", "—", "—"}}},
		BarChart{Title: "提出率", Labels: []string{"電力", "ガス"}, Values: []*float64{f(0.8), nil}, Missing: "5者未満のため非表示"},
		Heading{Text: "1.1 推移", Level: 2},
		LineChart{Title: "総合スコアの推移", X: []string{"2025年度", "2026年度", "2027年度"},
			Series: []Series{{Name: "全国", Values: []*float64{f(0.5), nil, f(0.7)}}, {Name: "電力", Values: []*float64{f(0.4), f(0.6), f(0.65)}}}},
		Heading{Text: "2. 良好事例", Level: 1})
	for i := 0; i < 60; i++ {
		d.Blocks = append(d.Blocks, Para{Text: "良好事例の記述。Good practice in English words that wrap at spaces."})
	}
	return d
}

// PDFText extracts the text of a PDF with pdftotext (poppler-utils).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext not found: install poppler-utils (make test installs it)")
	}
	p := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(p, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", p, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func TestRenderIsReproducibleAndReadable(t *testing.T) {
	a, err := Render(sample())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Render(sample())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two renders of the same document differ")
	}
	if len(a) > 400_000 {
		t.Errorf("PDF is %d bytes: the font is not subset", len(a))
	}
	text := pdfText(t, a)
	for _, want := range []string{"重要インフラ年次評価報告書", "目次", "提出率と受理率", "80.0%", "5者未満のため非表示", "総合スコアの推移", "2026年度", "SHA-256 0123abcd", "Good practice in English"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	// the table of contents names the page of section 2 (the last page)
	if !strings.Contains(text, "2. 良好事例") {
		t.Error("toc lacks section 2")
	}
	if !regexp.MustCompile(`4\s*/\s*4`).MatchString(text) || !regexp.MustCompile(`1\s*/\s*4`).MatchString(text) {
		t.Errorf("page numbers n / 4 missing:\n%s", text)
	}
	if n := strings.Count(text, "\f"); n != 4 {
		t.Errorf("%d pages, want 4", n)
	}
}
