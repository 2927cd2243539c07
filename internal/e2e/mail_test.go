//go:build dev

package e2e

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/riverqueue/river"

	"github.com/kijun-portal/kijun/internal/jobs"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/mail"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/server/servertest"
)

// startMail works env's job queue until the test ends, mailing notices
// through SMTP to env's development mailbox, as `make dev` does.
func startMail(t *testing.T, env *servertest.Env) {
	t.Helper()
	relay := env.Mail.Relay("noreply@kijun.localhost", env.HTTP.URL)
	d := &mail.Delivery{DB: env.DB.App, Sender: mail.New(relay, slog.New(slog.DiscardHandler)), BaseURL: relay.BaseURL}
	s := &jobs.Scheduler{DB: env.DB.App, Workers: []func(*river.Workers){d.Register}, Poll: 100 * time.Millisecond}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
}

// TestDevMailboxAccessible runs axe-core on the development mailbox's
// list and on one mail (the accessibility walk skips the mail: its id is
// not known before a mail arrives), and on a portal page whose banner
// links to the mailbox.
func TestDevMailboxAccessible(t *testing.T) {
	t.Parallel()
	axe := axeSource(t)
	env := servertest.New(t)
	relay := env.Mail.Relay("noreply@kijun.localhost", env.HTTP.URL)
	note := notify.Note{ID: 1, Kind: notify.AssessmentReturned, Link: "/assessments/1",
		Params: notify.Params(kijun.Text{Ja: "東都送配電株式会社", En: "Toto Grid"}, 2027)}
	if err := mail.New(relay, nil).Send(context.Background(), mail.Compose("staff@toto-grid.example.jp", "東都送配電 担当 六子", kijun.Ja,
		[]notify.Note{note}, relay.BaseURL)); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(env.HTTP.URL+"/sectors"), chromedp.WaitVisible(chromedp.CSS("#dev-mail-link")))
	if v := runAxe(t, ctx, axe); v != "" {
		t.Errorf("/sectors with the mailbox link:\n%s", v)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#dev-mail-link")), chromedp.WaitVisible(chromedp.CSS("#mail-list")))
	if v := runAxe(t, ctx, axe); v != "" {
		t.Errorf("/dev/mail:\n%s", v)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#mail-list a")), chromedp.WaitVisible(chromedp.CSS("#mail-html")))
	if v := runAxe(t, ctx, axe); v != "" {
		t.Errorf("a mail:\n%s", v)
	}
}
