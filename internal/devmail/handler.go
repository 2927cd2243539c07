//go:build dev

package devmail

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/kijun-portal/kijun/internal/kijun"
	pages "github.com/kijun-portal/kijun/web/pages/devmail"
)

// Handler serves the box: GET /dev/mail lists the mails, GET
// /dev/mail/{id} shows one.
func (b *Box) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest := strings.TrimPrefix(r.URL.Path, "/dev/mail")
		if rest == "" || rest == "/" {
			var v pages.ListView
			for _, m := range b.Mails() {
				v.Mails = append(v.Mails, item(m))
			}
			render(w, r, pages.List(v))
			return
		}
		id, err := strconv.Atoi(strings.TrimPrefix(rest, "/"))
		m, ok := b.Get(id)
		if err != nil || !ok {
			http.NotFound(w, r)
			return
		}
		v := pages.MailView{Item: item(m), From: m.From, HTML: m.HTML, Raw: m.Raw, Text: runs(m.Text)}
		for _, h := range m.Headers {
			v.Headers = append(v.Headers, [2]string{h.Name, h.Value})
		}
		render(w, r, pages.Show(v))
	})
}

func item(m Mail) pages.Item {
	return pages.Item{ID: m.ID, At: kijun.FormatDateTime(kijun.Ja, m.At), To: strings.Join(m.To, ", "), Subject: m.Subject}
}

func render(w http.ResponseWriter, r *http.Request, c templ.Component) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = c.Render(r.Context(), w)
}

// link finds the web addresses in a text part.
var link = regexp.MustCompile(`https?://[^\s<>"]+`)

// runs cuts text into plain runs and links, so that the page can make
// the links clickable (only http and https: the pattern admits no other).
func runs(text string) []pages.Run {
	var out []pages.Run
	last := 0
	for _, loc := range link.FindAllStringIndex(text, -1) {
		if loc[0] > last {
			out = append(out, pages.Run{Text: text[last:loc[0]]})
		}
		out = append(out, pages.Run{Text: text[loc[0]:loc[1]], Href: text[loc[0]:loc[1]]})
		last = loc[1]
	}
	if last < len(text) {
		out = append(out, pages.Run{Text: text[last:]})
	}
	return out
}
