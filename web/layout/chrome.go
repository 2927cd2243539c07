// Package layout holds the page frame every page shares: header, language
// switch, skip link, main and footer.
package layout

import (
	"context"

	"github.com/a-h/templ"
)

// Chrome is what the frame needs to know about the request; the server sets
// it once per request so that pages need not pass it around.
type Chrome struct {
	// Path is the current path with its query, where the language switch
	// returns to.
	Path string
	// UserName is the signed-in user's name; empty when anonymous.
	UserName string
	// Nav lists the areas of daily work the user may open, in order, and
	// last the 管理 hub when the user may open one of its tools.
	Nav []NavLink
	// Section is the Href of the Nav entry the page belongs to ("" for
	// none); PagePath is the page's path without its query.
	Section, PagePath string
	// Unread is how many notifications the signed-in user has not read.
	Unread int
	// DevIDP is set while the development identity provider is on.
	DevIDP bool
	// DevMail is set while outgoing mail is caught locally (/dev/mail).
	DevMail bool
}

// NavLink is an entry of the main menu; Label is a message id.
type NavLink struct {
	Label string
	Href  string
}

// Current returns the aria-current attribute of the menu entry href:
// "page" on the entry's own page, "true" on a page inside its section
// (such as a tool the 管理 hub lists), none elsewhere.
func (c Chrome) Current(href string) templ.Attributes {
	switch {
	case href == "" || href != c.Section:
		return nil
	case href == c.PagePath:
		return templ.Attributes{"aria-current": "page"}
	}
	return templ.Attributes{"aria-current": "true"}
}

type chromeKey struct{}

// WithChrome returns ctx carrying c.
func WithChrome(ctx context.Context, c Chrome) context.Context {
	return context.WithValue(ctx, chromeKey{}, c)
}

// ChromeFrom returns the request's Chrome.
func ChromeFrom(ctx context.Context) Chrome {
	c, _ := ctx.Value(chromeKey{}).(Chrome)
	if c.Path == "" {
		c.Path = "/"
	}
	return c
}
