// Package mail delivers notifications by e-mail: it composes a notice (or
// a day's digest) in the recipient's language, as plain text and HTML,
// and sends it through SMTP (wneessen/go-mail) from river workers that
// record what they sent in the transaction that finishes the job
// (docs/notifications.md).
package mail

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/kijun-portal/kijun/internal/config"
)

// Config is the relay configuration (internal/config).
type Config = config.Mail

// Message is one mail, composed.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
	ID      string // the Message-ID header, without angle brackets
	Lang    string
}

// Sender sends a composed mail.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// New returns the sender for c: SMTP, or with no host the log.
func New(c Config, log *slog.Logger) Sender {
	if c.Host == "" {
		return LogSender{Log: log}
	}
	return SMTP{c}
}

// LogSender writes each mail's envelope to the log at info level, without
// its body: what `make dev` and a server without a relay do.
type LogSender struct{ Log *slog.Logger }

// Send logs m.
func (l LogSender) Send(_ context.Context, m Message) error {
	l.Log.Info("mail not sent: no SMTP relay configured", "to", m.To, "subject", m.Subject, "message_id", m.ID, "lang", m.Lang)
	return nil
}

// SMTP sends through the configured relay.
type SMTP struct{ C Config }

// Send delivers m: multipart/alternative (text, then HTML), UTF-8, with
// the given Message-ID and Auto-Submitted: auto-generated (RFC 3834), so
// that vacation responders stay silent.
func (s SMTP) Send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.C.From); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("mail to: %w", err)
	}
	msg.SetCharset(gomail.CharsetUTF8)
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.ID)
	msg.SetDate()
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetGenHeader("Content-Language", m.Lang)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	port := s.C.Port
	if port == 0 {
		port = 587
	}
	opts := []gomail.Option{gomail.WithPort(port), gomail.WithTimeout(30 * time.Second)}
	switch s.C.TLS {
	case "none":
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.NoTLS))
	case "tls":
		opts = append(opts, gomail.WithSSL())
	default:
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.TLSMandatory))
	}
	if s.C.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.C.User), gomail.WithPassword(s.C.Password))
	}
	c, err := gomail.NewClient(s.C.Host, opts...)
	if err != nil {
		return err
	}
	return c.DialAndSendWithContext(ctx, msg)
}

// messageID is the notice's stable Message-ID: a retry of the same notice
// carries the same one, so a receiving system can drop a duplicate.
func messageID(kind string, id int64, base string) string {
	host := "kijun.invalid"
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return fmt.Sprintf("%s.%d@%s", strings.ReplaceAll(kind, ".", "-"), id, host)
}
