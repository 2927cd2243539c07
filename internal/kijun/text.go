package kijun

import (
	"strings"
	"unicode/utf8"
)

// Message ids for text that may not be stored.
const (
	MsgTextEncoding = "text.bad_encoding"  // invalid UTF-8 or a NUL byte
	MsgTextControl  = "text.control_chars" // control or bidi-override characters
)

// ValidText reports whether s is UTF-8 without NUL bytes: what every
// request's path, query and form values must be before any handler reads
// them.
func ValidText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// TextProblem returns the message id of what is wrong with a text a user
// typed, or "" when it may be stored. Text is refused when it is not
// UTF-8, or when it holds control characters other than tab, line feed
// and carriage return (browsers send a textarea's line breaks as CR LF),
// or the bidirectional overrides and isolates (U+202A–U+202E,
// U+2066–U+2069) that make a name read differently from what it is.
// Domain validators call it for each free-text field, next to its length;
// given several texts, it answers for the first that has a problem.
func TextProblem(texts ...string) string {
	for _, s := range texts {
		if !ValidText(s) {
			return MsgTextEncoding
		}
		for _, r := range s {
			if refusedRune(r) {
				return MsgTextControl
			}
		}
	}
	return ""
}

func refusedRune(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return false
	case r < 0x20 || (r >= 0x7f && r <= 0x9f): // C0, DEL, C1
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// CheckText returns the message id of what is wrong with a typed text of
// at most max characters: its characters (TextProblem), else tooLong when
// it is longer; "" when it may be stored.
func CheckText(s string, max int, tooLong string) string {
	if p := TextProblem(s); p != "" {
		return p
	}
	if utf8.RuneCountInString(s) > max {
		return tooLong
	}
	return ""
}
