package mail

import (
	"bytes"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/postgres"
)

// item is one notice in a mail: its sentence and the page it leads to.
type item struct{ Text, Link string }

type body struct {
	Greeting, Lead, Footer, SettingsLabel, Settings string
	Items                                           []item
}

var textBody = texttemplate.Must(texttemplate.New("text").Parse(`{{.Greeting}}

{{.Lead}}
{{range .Items}}
- {{.Text}}
  {{.Link}}
{{end}}
--
{{.Footer}}
{{.SettingsLabel}}: {{.Settings}}
`))

var htmlBody = htmltemplate.Must(htmltemplate.New("html").Parse(`<!doctype html>
<html><head><meta charset="utf-8"></head><body>
<p>{{.Greeting}}</p>
<p>{{.Lead}}</p>
<ul>{{range .Items}}
<li><a href="{{.Link}}">{{.Text}}</a></li>{{end}}
</ul>
<hr>
<p>{{.Footer}}<br><a href="{{.Settings}}">{{.SettingsLabel}}</a></p>
</body></html>
`))

// Compose writes the mail of notices for one recipient in their language:
// one notice alone, or several as a digest. Every text in it comes from
// the notices themselves (their kind's message and parameters) and the
// recipient's own name.
func Compose(to, name string, lang kijun.Lang, notices []notify.Note, baseURL string) Message {
	l := i18n.New(lang)
	base := strings.TrimRight(baseURL, "/")
	b := body{Greeting: l.T("notify.mail.greeting", map[string]any{"Name": name}),
		Footer: l.T("notify.mail.footer"), SettingsLabel: l.T("notify.mail.settings"), Settings: base + "/notifications/settings"}
	for _, n := range notices {
		args := map[string]any{}
		for k, v := range n.Params {
			args[k] = l.Pick(v)
		}
		b.Items = append(b.Items, item{Text: l.T("notify.kind."+string(n.Kind), args), Link: base + n.Link})
	}
	var subject, id string
	if len(notices) == 1 {
		subject = l.T("notify.mail.subject", map[string]any{"Text": b.Items[0].Text})
		b.Lead = l.T("notify.mail.lead_one")
		id = messageID(string(notices[0].Kind), notices[0].ID, baseURL)
	} else {
		subject = l.T("notify.mail.digest_subject", map[string]any{"Count": len(notices)})
		b.Lead = l.T("notify.mail.lead_digest")
		id = messageID("digest", notices[0].ID, baseURL)
	}
	var text, html bytes.Buffer
	_ = textBody.Execute(&text, b)
	_ = htmlBody.Execute(&html, b)
	return Message{To: to, Subject: subject, Text: text.String(), HTML: html.String(), ID: id, Lang: string(lang)}
}

// notes turns mail targets into their notices.
func notes(ts []postgres.MailTarget) []notify.Note {
	out := make([]notify.Note, len(ts))
	for i, t := range ts {
		out[i] = t.Note
	}
	return out
}
