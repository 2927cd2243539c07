//go:build dev

package devmail_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/kijun-portal/kijun/internal/devmail"
	"github.com/kijun-portal/kijun/internal/mail"
)

// TestMailboxCatchesAndShows: mails sent through the portal's SMTP
// sender land in the box, the last ones only; the list and the mail pages
// show them, the text part's web links clickable and nothing else, the
// HTML part only inside a sandboxed frame, escaped.
func TestMailboxCatchesAndShows(t *testing.T) {
	box, err := devmail.Start(2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = box.Close() })
	sender := mail.SMTP{C: box.Relay("noreply@kijun.localhost", "http://localhost:8080")}
	for i := 1; i <= 3; i++ {
		m := mail.Message{To: fmt.Sprintf("user%d@example.jp", i), Subject: fmt.Sprintf("通知 %d 件目", i), ID: fmt.Sprintf("n.%d@localhost", i), Lang: "ja",
			Text: fmt.Sprintf("差し戻されました。\n  http://localhost:8080/assessments/%d\njavascript:alert(1)\n", i),
			HTML: `<p>差し戻されました。</p><script>alert("x")</script><a href="http://localhost:8080/assessments/1">開く</a>`}
		if err := sender.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	mails := box.Mails()
	if len(mails) != 2 || mails[0].Subject != "通知 3 件目" || mails[1].Subject != "通知 2 件目" {
		t.Fatalf("kept %d mails: %+v", len(mails), mails)
	}
	m := mails[0]
	if !slices.Contains(m.Headers, devmail.Header{Name: "Message-Id", Value: "<n.3@localhost>"}) || len(m.To) != 1 || m.To[0] != "user3@example.jp" || m.From != "noreply@kijun.localhost" ||
		!strings.Contains(m.Text, "/assessments/3") || !strings.Contains(m.HTML, "<p>差し戻されました。</p>") {
		t.Fatalf("mail: %+v", m)
	}

	srv := httptest.NewServer(box.Handler())
	t.Cleanup(srv.Close)
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, body := get("/dev/mail")
	if status != 200 || !strings.Contains(body, fmt.Sprintf(`href="/dev/mail/%d"`, m.ID)) || !strings.Contains(body, "通知 3 件目") ||
		strings.Contains(body, "通知 1 件目") {
		t.Fatalf("list: %d\n%s", status, body)
	}
	status, body = get(fmt.Sprintf("/dev/mail/%d", m.ID))
	if status != 200 {
		t.Fatalf("mail page: %d", status)
	}
	for _, want := range []string{
		`<a href="http://localhost:8080/assessments/3">http://localhost:8080/assessments/3</a>`, // the text part's link
		`sandbox=""`, `srcdoc="&lt;p&gt;`, // the HTML part, escaped into a sandboxed frame
		"Auto-Submitted", "auto-generated",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("mail page lacks %s:\n%s", want, body)
		}
	}
	for _, bad := range []string{"<script", `href="javascript:`} {
		if strings.Contains(body, bad) {
			t.Errorf("mail page carries %s:\n%s", bad, body)
		}
	}
	for _, path := range []string{"/dev/mail/1", "/dev/mail/x", "/dev/mail/99"} {
		if status, _ := get(path); status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, status)
		}
	}
}
