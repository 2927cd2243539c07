package mail_test

import (
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/kijun-portal/kijun/internal/config"
	"github.com/kijun-portal/kijun/internal/jobs"
	kmail "github.com/kijun-portal/kijun/internal/mail"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
)

// sink is an SMTP server in the test: it keeps every message it accepts
// and refuses the first failFirst DATA commands with a temporary error.
type sink struct {
	mu        sync.Mutex
	got       []received
	failFirst int
	tries     int
	// seen, if set, is called with each message accepted (the benchmark
	// times them).
	seen func(raw []byte)
}

type received struct {
	to  []string
	raw string
}

func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }

type session struct {
	s  *sink
	to []string
}

func (x *session) Reset()                                    { x.to = nil }
func (x *session) Logout() error                             { return nil }
func (x *session) Mail(string, *smtp.MailOptions) error      { return nil }
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error { x.to = append(x.to, to); return nil }
func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	x.s.tries++
	if x.s.tries <= x.s.failFirst {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	x.s.got = append(x.s.got, received{to: x.to, raw: string(b)})
	if x.s.seen != nil {
		x.s.seen(b)
	}
	return nil
}

func (s *sink) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

func startSink(t testing.TB, failFirst int) (*sink, config.Mail) {
	t.Helper()
	s := &sink{failFirst: failFirst}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	port := l.Addr().(*net.TCPAddr).Port
	return s, config.Mail{Host: "127.0.0.1", Port: port, TLS: "none", From: "noreply@kijun.example.go.jp", BaseURL: "https://kijun.example.go.jp"}
}

type quickRetry struct{}

func (quickRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now() }

// world: two users in two tenants, each with one notice about their own
// operator; the English-speaking one has chosen English.
func world(t *testing.T) (*pgtest.DB, [2]int64) {
	t.Helper()
	db := pgtest.New(t)
	ctx := context.Background()
	var ids [2]int64
	err := pgx.BeginFunc(ctx, db.Owner, func(tx pgx.Tx) error {
		for i, u := range []struct{ name, email, lang, opJa, opEn string }{
			{"東都 担当", "staff@toto.example.jp", "ja", "東都送配電株式会社", "Toto Grid"},
			{"Kakehashi Staff", "staff@kakehashi.example.jp", "en", "かけはし銀行", "Kakehashi Bank"},
		} {
			var uid int64
			if err := tx.QueryRow(ctx, `INSERT INTO users (display_name, email) VALUES ($1, $2) RETURNING id`, u.name, u.email).Scan(&uid); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO notification_settings (user_id, lang) VALUES ($1, $2)`, uid, u.lang); err != nil {
				return err
			}
			params := fmt.Sprintf(`{"Operator": {"ja": %q, "en": %q}, "Year": {"ja": "2026", "en": "2026"}}`, u.opJa, u.opEn)
			if err := tx.QueryRow(ctx, `INSERT INTO notifications (user_id, kind, params, link) VALUES ($1, 'assessment.returned', $2, $3) RETURNING id`,
				uid, params, fmt.Sprintf("/assessments/%d", 100+i)).Scan(&ids[i]); err != nil {
				return err
			}
			if err := postgres.Enqueue(ctx, tx, notify.MailArgs{NotificationID: ids[i]}); err != nil {
				return err
			}
		}
		// The same job again: unique by its notice, not queued twice.
		return postgres.Enqueue(ctx, tx, notify.MailArgs{NotificationID: ids[0]})
	})
	if err != nil {
		t.Fatal(err)
	}
	return db, ids
}

func startQueue(t *testing.T, db *pgtest.DB, mc config.Mail) *jobs.Scheduler {
	t.Helper()
	d := &kmail.Delivery{DB: db.App, Sender: kmail.New(mc, nil), BaseURL: mc.BaseURL}
	s := &jobs.Scheduler{DB: db.App, Workers: []func(*river.Workers){d.Register}, Poll: 100 * time.Millisecond, Retry: quickRetry{}}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	return s
}

// parts splits a received mail into its headers and its text and HTML
// parts, decoded.
func parts(t *testing.T, raw string) (mail.Header, string, string) {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q: want multipart/alternative", m.Header.Get("Content-Type"))
	}
	var text, html string
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(decoder(p))
		if err != nil {
			t.Fatal(err)
		}
		switch ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct {
		case "text/plain":
			text = string(b)
		case "text/html":
			html = string(b)
		}
	}
	return m.Header, text, html
}

// TestMailDelivery: each notice reaches its own recipient once, through a
// real SMTP server that refuses the first attempts, in the recipient's
// language, as text and HTML with a link back, a Message-ID and
// Auto-Submitted; no mail carries the other tenant's operator.
func TestMailDelivery(t *testing.T) {
	sk, mc := startSink(t, 2)
	db, ids := world(t)
	startQueue(t, db, mc)
	db.Await(t, "both notices mailed", `SELECT count(*) = 2 FROM notifications WHERE mailed_at IS NOT NULL`)
	got := sk.messages()
	if len(got) != 2 {
		t.Fatalf("%d mails, want 2", len(got))
	}
	var jobsN, attempts int
	if err := db.Owner.QueryRow(context.Background(), `SELECT count(*), sum(attempt) FROM river_job WHERE kind = 'notify.mail'`).Scan(&jobsN, &attempts); err != nil {
		t.Fatal(err)
	}
	if jobsN != 2 || attempts < 4 {
		t.Errorf("%d mail jobs with %d attempts: want 2 jobs, and retries after the refusals", jobsN, attempts)
	}
	want := map[string]struct {
		id                  int64
		subject, text, link string
		foreign             []string
	}{
		"staff@toto.example.jp":      {ids[0], "差し戻されました", "東都送配電株式会社", "https://kijun.example.go.jp/assessments/100", []string{"かけはし", "Kakehashi"}},
		"staff@kakehashi.example.jp": {ids[1], "was returned", "Kakehashi Bank", "https://kijun.example.go.jp/assessments/101", []string{"東都", "Toto"}},
	}
	for _, m := range got {
		if len(m.to) != 1 {
			t.Fatalf("recipients %v", m.to)
		}
		w, ok := want[m.to[0]]
		if !ok {
			t.Fatalf("mail to %s", m.to[0])
		}
		delete(want, m.to[0])
		h, text, html := parts(t, m.raw)
		subject, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
		if !strings.Contains(subject, w.subject) {
			t.Errorf("%s: subject %q lacks %q", m.to[0], subject, w.subject)
		}
		if h.Get("Auto-Submitted") != "auto-generated" {
			t.Errorf("%s: Auto-Submitted %q", m.to[0], h.Get("Auto-Submitted"))
		}
		if mid := h.Get("Message-ID"); mid != fmt.Sprintf("<assessment-returned.%d@kijun.example.go.jp>", w.id) {
			t.Errorf("%s: Message-ID %q", m.to[0], mid)
		}
		for name, body := range map[string]string{"text": text, "html": html} {
			if !strings.Contains(body, w.text) || !strings.Contains(body, w.link) {
				t.Errorf("%s: %s part lacks %q or the link %s:\n%s", m.to[0], name, w.text, w.link, body)
			}
			for _, f := range w.foreign {
				if strings.Contains(body, f) || strings.Contains(subject, f) {
					t.Errorf("%s: %s part carries another tenant's %q", m.to[0], name, f)
				}
			}
		}
		if !strings.Contains(html, `<a href="https://kijun.example.go.jp/assessments/`) {
			t.Errorf("%s: the HTML part has no link", m.to[0])
		}
	}
}

// TestPreferences: a notice whose kind the user turned off is settled
// without a mail; one in the daily digest waits for the digest job, which
// sends one mail with every waiting notice; a mandatory kind cannot be
// turned off.
func TestPreferences(t *testing.T) {
	sk, mc := startSink(t, 0)
	db, ids := world(t)
	ctx := context.Background()
	var users [2]int64
	if err := db.Owner.QueryRow(ctx, `SELECT (SELECT user_id FROM notifications WHERE id = $1), (SELECT user_id FROM notifications WHERE id = $2)`, ids[0], ids[1]).Scan(&users[0], &users[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Owner.Exec(ctx, `INSERT INTO notification_prefs (user_id, kind, delivery) VALUES ($1, 'assessment.returned', 'off'), ($2, 'assessment.returned', 'digest')`, users[0], users[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Owner.Exec(ctx, `INSERT INTO notification_prefs (user_id, kind, delivery) VALUES ($1, 'grant.revoked', 'off')`, users[0]); err == nil {
		t.Fatal("a mandatory kind was turned off")
	}
	s := startQueue(t, db, mc)
	db.Await(t, "the turned-off notice settled and the digest one left alone",
		`SELECT (SELECT mailed_at IS NOT NULL FROM notifications WHERE id = $1) AND (SELECT count(*) = 2 FROM river_job WHERE kind = 'notify.mail' AND state = 'completed')`, ids[0])
	if n := len(sk.messages()); n != 0 {
		t.Fatalf("%d mails before the digest", n)
	}
	// A second notice for the digest user, then the digest of the day.
	if _, err := db.Owner.Exec(ctx, `INSERT INTO notifications (user_id, kind, params, link) VALUES ($1, 'assessment.returned', '{"Operator": {"ja": "かけはし銀行", "en": "Kakehashi Bank"}, "Year": {"ja": "2027", "en": "2027"}}', '/assessments/102')`, users[1]); err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return time.Now().Add(48 * time.Hour) }
	if ok, err := s.RunDue(ctx, kmail.DigestJob()); err != nil || !ok {
		t.Fatalf("digest job: %v %v", ok, err)
	}
	db.Await(t, "the digest mailed", `SELECT count(*) = 0 FROM notifications WHERE mailed_at IS NULL`)
	got := sk.messages()
	if len(got) != 1 || got[0].to[0] != "staff@kakehashi.example.jp" {
		t.Fatalf("digest mails: %v", got)
	}
	h, text, _ := parts(t, got[0].raw)
	subject, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if !strings.Contains(subject, "2 notices") || !strings.Contains(text, "/assessments/101") || !strings.Contains(text, "/assessments/102") {
		t.Fatalf("digest: %q\n%s", subject, text)
	}
}
