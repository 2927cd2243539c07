// Package markup writes HTML by hand for the few places where a page
// repeats one small element hundreds of times (heatmap cells, data table
// rows) and templ's per-attribute work would dominate the page's cost.
package markup

import (
	"strings"

	"github.com/a-h/templ"
)

// AppendText appends s to b escaped for HTML text and quoted attribute
// values, as html.EscapeString and templ escape it, without allocating.
func AppendText(b []byte, s string) []byte {
	for {
		i := strings.IndexAny(s, `&<>"'`)
		if i < 0 {
			return append(b, s...)
		}
		b = append(b, s[:i]...)
		switch s[i] {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '"':
			b = append(b, "&#34;"...)
		case '\'':
			b = append(b, "&#39;"...)
		}
		s = s[i+1:]
	}
}

// AppendURL appends href as an attribute value, sanitised as templ
// sanitises a URL (an unsafe scheme becomes a harmless placeholder).
func AppendURL(b []byte, href string) []byte {
	return AppendText(b, string(templ.URL(href)))
}
