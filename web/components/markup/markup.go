// Package markup writes HTML by hand for the few places where a page
// repeats one small element hundreds of times (heatmap cells, data table
// rows) and templ's per-attribute work would dominate the page's cost.
package markup

import (
	"github.com/a-h/templ"
)

// AppendText appends s to b escaped for HTML text and quoted attribute
// values, as html.EscapeString and templ escape it, without allocating.
func AppendText(b []byte, s string) []byte {
	// One pass over the bytes: the five are ASCII, so they never occur
	// inside a multi-byte character.
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		default:
			continue
		}
		b = append(append(b, s[last:i]...), esc...)
		last = i + 1
	}
	return append(b, s[last:]...)
}

// AppendURL appends href as an attribute value, sanitised as templ
// sanitises a URL (an unsafe scheme becomes a harmless placeholder).
func AppendURL(b []byte, href string) []byte {
	return AppendText(b, string(templ.URL(href)))
}
