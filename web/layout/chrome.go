// Package layout holds the page frame every page shares: header, language
// switch, skip link, main and footer.
package layout

import "context"

// Chrome is what the frame needs to know about the request; the server sets
// it once per request so that pages need not pass it around.
type Chrome struct {
	// Path is the current path with its query, where the language switch
	// returns to.
	Path string
	// UserName is the signed-in user's name; empty when anonymous.
	UserName string
	// Nav lists the areas the user may open, in order.
	Nav []NavLink
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
