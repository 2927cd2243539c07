package markup

import (
	"html"
	"testing"
)

func TestAppendTextEscapesAsHTML(t *testing.T) {
	for _, s := range []string{"", "plain", `a&b<c>d"e'f`, "情報通信 × 基本: 96.6% (n=1709)", "&amp;", `"<日本>&'`} {
		if got := string(AppendText([]byte("x"), s)); got != "x"+html.EscapeString(s) {
			t.Errorf("AppendText(%q) = %q, want %q", s, got, "x"+html.EscapeString(s))
		}
	}
}

func TestAppendURLSanitises(t *testing.T) {
	if got := string(AppendURL(nil, "/dashboards/sectors/ict?cycle=5&kind=section")); got != "/dashboards/sectors/ict?cycle=5&amp;kind=section" {
		t.Errorf("relative link: %q", got)
	}
	if got := string(AppendURL(nil, "javascript:alert(1)")); got == "javascript:alert(1)" {
		t.Error("a javascript: URL went through")
	}
}
