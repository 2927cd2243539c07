//go:build dev

// Package devmail catches the mail `make dev` sends, so that a newcomer
// sees it: an SMTP server on the loopback interface (emersion/go-smtp)
// keeps the last mails in the dev process's memory, and Handler shows them
// at /dev/mail, linked from the development banner. Mail reaches it
// through the real path (the queue, go-mail, SMTP), so what it shows is
// what a relay would get. Only builds with the dev tag have it; a release
// binary has neither the catcher nor its pages (docs/dependencies.md).
package devmail

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/kijun-portal/kijun/internal/config"
)

// Keep is how many mails a Box keeps by default; older ones are dropped.
const Keep = 200

// maxBytes bounds one mail: notices are a few kilobytes.
const maxBytes = 1 << 20

// Mail is one caught mail, decoded for display.
type Mail struct {
	ID      int
	At      time.Time
	From    string
	To      []string
	Subject string
	// Headers are the mail's header fields, decoded, in a stable order.
	Headers []Header
	// Text and HTML are its parts (either may be empty).
	Text, HTML string
	// Raw is the mail as received.
	Raw string
}

// Header is one header field.
type Header struct{ Name, Value string }

// Box is a running catcher.
type Box struct {
	keep  int
	srv   *smtp.Server
	port  int
	mu    sync.Mutex
	mails []Mail // oldest first
	next  int
}

// Start listens on a free loopback port and catches mail until Close,
// keeping the last keep mails (Keep if keep ≤ 0).
func Start(keep int) (*Box, error) {
	if keep <= 0 {
		keep = Keep
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("devmail: %w", err)
	}
	b := &Box{keep: keep, port: l.Addr().(*net.TCPAddr).Port}
	b.srv = smtp.NewServer(backend{b})
	b.srv.Domain = "localhost"
	b.srv.MaxMessageBytes = maxBytes
	b.srv.ReadTimeout, b.srv.WriteTimeout = time.Minute, time.Minute
	go func() { _ = b.srv.Serve(l) }()
	return b, nil
}

// Close stops the server.
func (b *Box) Close() error { return b.srv.Close() }

// Relay is the mail configuration that sends to this box: plain SMTP on
// the loopback interface, no authentication.
func (b *Box) Relay(from, baseURL string) config.Mail {
	return config.Mail{Host: "127.0.0.1", Port: b.port, TLS: "none", From: from, BaseURL: baseURL}
}

// Mails returns the mails kept, newest first.
func (b *Box) Mails() []Mail {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Mail, len(b.mails))
	for i, m := range b.mails {
		out[len(out)-1-i] = m
	}
	return out
}

// Get returns mail id, if it is still kept.
func (b *Box) Get(id int) (Mail, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.mails {
		if m.ID == id {
			return m, true
		}
	}
	return Mail{}, false
}

func (b *Box) add(m Mail) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.next++
	m.ID = b.next
	b.mails = append(b.mails, m)
	if len(b.mails) > b.keep {
		b.mails = append([]Mail(nil), b.mails[len(b.mails)-b.keep:]...)
	}
}

type backend struct{ b *Box }

func (be backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{b: be.b}, nil }

type session struct {
	b    *Box
	from string
	to   []string
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

// Data keeps the mail; one that cannot be read as a mail is kept raw.
func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return err
	}
	if len(raw) > maxBytes {
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "message too big"}
	}
	m := Parse(raw)
	m.At, m.From, m.To = time.Now(), s.from, append([]string(nil), s.to...)
	s.b.add(m)
	return nil
}

// Parse decodes a raw mail: its header fields (encoded words decoded)
// and its plain-text and HTML parts (transfer encodings undone). What it
// cannot read it leaves in Raw only.
func Parse(raw []byte) Mail {
	m := Mail{Raw: string(raw)}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return m
	}
	dec := new(mime.WordDecoder)
	for _, name := range slices.Sorted(maps.Keys(msg.Header)) {
		for _, v := range msg.Header[name] {
			if d, err := dec.DecodeHeader(v); err == nil {
				v = d
			}
			m.Headers = append(m.Headers, Header{Name: name, Value: v})
		}
	}
	m.Subject, _ = dec.DecodeHeader(msg.Header.Get("Subject"))
	_ = m.readPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0)
	return m
}

// readPart fills Text or HTML from one part, walking into multiparts.
func (m *Mail) readPart(contentType, encoding string, body io.Reader, depth int) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = "text/plain" // RFC 2045's default
	}
	if strings.HasPrefix(mt, "multipart/") {
		if depth > 3 {
			return errors.New("devmail: multiparts nested too deep")
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart() // undoes quoted-printable itself
			if err != nil {
				if err == io.EOF {
					return nil
				}
				return err
			}
			if err := m.readPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, depth+1); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(encoding) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch mt {
	case "text/plain":
		if m.Text == "" {
			m.Text = string(b)
		}
	case "text/html":
		if m.HTML == "" {
			m.HTML = string(b)
		}
	}
	return nil
}
