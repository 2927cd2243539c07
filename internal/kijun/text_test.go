package kijun

import "testing"

func TestTextProblem(t *testing.T) {
	for _, c := range []struct {
		in, want string
	}{
		{"東京電力パワーグリッド株式会社", ""},
		{"line one\r\nline two\tcolumn", ""},
		{"ＡＢＣ①", ""},
		{"evil\u202Etxt.exe", MsgTextControl},
		{"a\u2066b", MsgTextControl},
		{"bell\a", MsgTextControl},
		{"esc\x1b[31m", MsgTextControl},
		{"c1\u0085", MsgTextControl},
		{"del\x7f", MsgTextControl},
		{"nul\x00", MsgTextEncoding},
		{"bad\xff", MsgTextEncoding},
	} {
		if got := TextProblem(c.in); got != c.want {
			t.Errorf("TextProblem(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
