// Package kijun holds Kijun's domain types and errors. It imports no
// framework, database or web package, so every adapter can depend on it.
package kijun

// Lang is a user-interface language. Japanese is the default everywhere.
type Lang string

const (
	Ja Lang = "ja"
	En Lang = "en"
)

// ParseLang returns the language named by s, or Japanese.
func ParseLang(s string) Lang {
	if s == string(En) {
		return En
	}
	return Ja
}

// Text is a name or sentence kept in both languages. Japanese is the
// authoritative one; English falls back to it when missing.
type Text struct {
	Ja string `json:"ja" yaml:"ja"`
	En string `json:"en" yaml:"en"`
}

// In returns the text in lang.
func (t Text) In(lang Lang) string {
	if lang == En && t.En != "" {
		return t.En
	}
	return t.Ja
}
