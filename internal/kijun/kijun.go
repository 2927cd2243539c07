// Package kijun is the small kernel the domain packages share: languages
// and bilingual texts, the errors shown to users, the character rule for
// typed text, fiscal years and dates,
// and the reference data (ministries, sectors, sections, themes) with
// their names. Each area of work has its own package that owns its rules:
// assessment, plan, register, identity, catalog, dashboard and audit.
// None of them imports a framework, database or web package
// (layers_test.go), so every adapter can depend on them.
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
