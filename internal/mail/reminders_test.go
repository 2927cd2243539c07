package mail_test

import (
	"context"
	"fmt"
	"mime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/jobs"
	"github.com/kijun-portal/kijun/internal/kijun"
	kmail "github.com/kijun-portal/kijun/internal/mail"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/remind"
)

// remindWorld is a cycle of fiscal year 2030 due on 2031-01-31 with three
// operators: 東都 (electricity; two users and one whose grant was
// revoked), 北浜 (electricity; submitted already) and かけはし (finance;
// one user reading English); a METI staff member and an NCO admin, who
// must never be reminded; the NCO's default rules (30 and 7 days before,
// every 7 days overdue) and METI's for electricity (3 days before).
type remindWorld struct {
	db    *pgtest.DB
	cycle int64
}

var remindDue = time.Date(2031, 1, 31, 0, 0, 0, 0, time.UTC)

func newRemindWorld(t *testing.T, rules bool) remindWorld {
	t.Helper()
	db := pgtest.New(t)
	ctx := context.Background()
	q := func(sql string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := db.Owner.QueryRow(ctx, sql, args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	cat := &catalog.Catalog{Code: "remind", Version: "1", Title: kijun.Text{Ja: "督促試験", En: "Reminder test"},
		Controls: []catalog.Control{{Ref: "GV-01", Section: "GV", CSF: []string{"GV.OC"}, Themes: []string{"resilience"},
			Title: kijun.Text{Ja: "対策", En: "Measure"}, Statement: kijun.Text{Ja: "実施すること。", En: "Do it."}}}}
	var catID int64
	if err := pgx.BeginFunc(ctx, db.Owner, func(tx pgx.Tx) (err error) {
		if catID, _, err = postgres.ImportCatalog(ctx, tx, cat, audit.Event{}); err != nil {
			return err
		}
		return postgres.Publish(ctx, tx, catID, audit.Event{})
	}); err != nil {
		t.Fatal(err)
	}
	op := func(cn, ja, en, sector string) int64 {
		return q(`INSERT INTO operators (corporate_number, name_ja, name_en, sector_code, designation) VALUES ($1, $2, $3, $4, 'ci') RETURNING id`, cn, ja, en, sector)
	}
	toto, kita, kake := op("2010401000001", "東都送配電株式会社", "Toto Grid", "electricity"),
		op("1010401000002", "北浜発電株式会社", "Kitahama Generation", "electricity"), op("4010001000003", "かけはし銀行", "Kakehashi Bank", "finance")
	user := func(email, lang, role, ministry string, operator int64, revoked bool) {
		id := q(`INSERT INTO users (display_name, email) VALUES ($1, $1) RETURNING id`, email)
		q(`INSERT INTO notification_settings (user_id, lang) VALUES ($1, $2) RETURNING user_id`, id, lang)
		q(`INSERT INTO role_grants (user_id, role, ministry_code, operator_id, sector_code, source, revoked_at)
			VALUES ($1, $2, nullif($3, ''), nullif($4, 0), (SELECT sector_code FROM operators WHERE id = $4), 'directory',
			CASE WHEN $5 THEN now() END) RETURNING id`, id, role, ministry, operator, revoked)
	}
	user("admin@toto.example.jp", "ja", "operator_admin", "", toto, false)
	user("staff@toto.example.jp", "ja", "operator_staff", "", toto, false)
	user("gone@toto.example.jp", "ja", "operator_staff", "", toto, true)
	user("staff@kitahama.example.jp", "ja", "operator_staff", "", kita, false)
	user("staff@kakehashi.example.jp", "en", "operator_admin", "", kake, false)
	user("staff@meti.example.go.jp", "ja", "ministry_staff", "METI", 0, false)
	user("admin@nco.example.go.jp", "ja", "nco_admin", "", 0, false)
	oversight, err := postgres.Oversight(ctx, db.Owner)
	if err != nil {
		t.Fatal(err)
	}
	ncoID := q(`SELECT id FROM users WHERE email = 'admin@nco.example.go.jp'`)
	nco := identity.NewPrincipal(ncoID, "NCO", "", []identity.Grant{{UserID: ncoID, Role: identity.RoleNCOAdmin}}, oversight)
	metiID := q(`SELECT id FROM users WHERE email = 'staff@meti.example.go.jp'`)
	meti := identity.NewPrincipal(metiID, "METI", "", []identity.Grant{{UserID: metiID, Role: identity.RoleMinistryStaff, MinistryCode: "METI"}}, oversight)
	w := remindWorld{db: db}
	opens := time.Date(2030, 4, 1, 0, 0, 0, 0, time.UTC)
	if today := db.Today(t); today.Before(opens) {
		opens = today
	}
	if err := postgres.InTx(ctx, db.App, nco, func(tx pgx.Tx) error {
		cy, _, err := postgres.OpenCycle(ctx, tx, nco, postgres.CycleInput{FiscalYear: 2030, CatalogID: catID, OpensOn: opens, DueOn: remindDue}, nil, "test")
		w.cycle = cy.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := postgres.SystemTx(ctx, db.App, func(tx pgx.Tx) error {
		// A submission rests on the operator's internal check (社内確認).
		if _, err := tx.Exec(ctx, `INSERT INTO assessment_signoffs (assessment_id, operator_id, sector_code, decision, by_user)
			SELECT id, operator_id, sector_code, 'confirmed', (SELECT id FROM users WHERE email = 'staff@kitahama.example.jp')
			FROM assessments WHERE operator_id = $1`, kita); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE assessments a SET status = 'submitted', submitted_at = now(),
			signoff_id = (SELECT s.id FROM assessment_signoffs s WHERE s.assessment_id = a.id) WHERE operator_id = $1`, kita)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !rules {
		return w
	}
	for _, r := range []struct {
		p      *identity.Principal
		sector string
		rule   remind.Rule
	}{{nco, "", remind.Rule{Kind: remind.Before, Days: 30}}, {nco, "", remind.Rule{Kind: remind.Before, Days: 7}},
		{nco, "", remind.Rule{Kind: remind.Overdue, Days: 7}}, {meti, "electricity", remind.Rule{Kind: remind.Before, Days: 3}}} {
		r.rule.CycleID, r.rule.SectorCode = w.cycle, r.sector
		if err := postgres.InTx(ctx, db.App, r.p, func(tx pgx.Tx) error {
			_, err := postgres.AddReminderRule(ctx, tx, r.p, r.rule, "test")
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// at is 10:00 JST on the day off days from the due date.
func at(off int) time.Time {
	return time.Date(2031, 1, 31, 10, 0, 0, 0, kijun.JST).AddDate(0, 0, off)
}

// mailsOf sums up received mails as "recipient: operator days".
func mailsOf(t *testing.T, got []received) []string {
	t.Helper()
	var out []string
	for _, m := range got {
		h, text, html := parts(t, m.raw)
		subject, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
		var op string
		for _, name := range []string{"東都送配電株式会社", "北浜発電株式会社", "かけはし銀行", "Toto Grid", "Kitahama Generation", "Kakehashi Bank"} {
			if strings.Contains(text, name) {
				if op != "" {
					t.Errorf("mail to %v names two operators:\n%s", m.to, text)
				}
				op = name
			}
		}
		if !strings.Contains(html, op) || !strings.Contains(subject, op) {
			t.Errorf("mail to %v: the HTML part or the subject lacks %q", m.to, op)
		}
		out = append(out, fmt.Sprintf("%s: %s %s", strings.Join(m.to, ","), op, h.Get("Message-ID")[:len("<reminder-")]))
	}
	sort.Strings(out)
	return out
}

// TestReminderMailsScriptedYear runs the reminder job of a cycle day by
// day on two instances at once, each also working the queue, against an
// SMTP server in the test: exactly one mail per recipient per reminder,
// to the reminded operator's own users only (none to the revoked grant,
// the ministry, the NCO or another operator), each sent once although
// both instances enqueue and run every day.
func TestReminderMailsScriptedYear(t *testing.T) {
	sk, mc := startSink(t, 0)
	w := newRemindWorld(t, true)
	ctx := context.Background()
	var now atomic.Int64
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	now.Store(at(-60).UnixNano())
	var ss [2]*jobs.Scheduler
	for i := range ss {
		d := &kmail.Delivery{DB: w.db.App, Sender: kmail.New(mc, nil), BaseURL: mc.BaseURL}
		ss[i] = &jobs.Scheduler{DB: w.db.App, Instance: fmt.Sprintf("i%d", i), Now: clock, Jobs: []jobs.Job{jobs.Reminders()},
			Workers: []func(*river.Workers){d.Register}, Poll: 100 * time.Millisecond, Retry: quickRetry{}}
		if err := ss[i].Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ss[i].Stop(context.Background()) })
	}
	// Days from the due date, and the reminders each sends: 東都 has two
	// users, かけはし one; 北浜 submitted.
	days := []struct{ off, mails int }{{-31, 0}, {-30, 3}, {-7, 3}, {-3, 2}, {0, 0}, {1, 0}, {7, 3}, {14, 3}, {15, 0}}
	// On failure, what the queue and the runs hold.
	t.Cleanup(func() {
		if t.Failed() {
			rows, _ := w.db.Owner.Query(ctx, `SELECT kind || ' ' || state || ' ' || args::text || ' ' || coalesce(errors::text, '') FROM river_job ORDER BY id`)
			ss, _ := pgx.CollectRows(rows, pgx.RowTo[string])
			rows, _ = w.db.Owner.Query(ctx, `SELECT job || ' ' || period::text FROM job_runs`)
			rs, _ := pgx.CollectRows(rows, pgx.RowTo[string])
			t.Logf("jobs:\n%s\nruns:\n%s", strings.Join(ss, "\n"), strings.Join(rs, "\n"))
		}
	})
	total := 0
	for _, d := range days {
		now.Store(at(d.off).UnixNano())
		period := jobs.Reminders().Period(at(d.off))
		var wg sync.WaitGroup
		for _, s := range ss {
			wg.Add(2)
			go func() { defer wg.Done(); _, _ = s.Enqueue(ctx, jobs.Reminders()) }()
			go func() { defer wg.Done(); _, _ = s.RunDue(ctx, jobs.Reminders()) }()
		}
		wg.Wait()
		total += d.mails
		w.db.Await(t, fmt.Sprintf("day %+d run and its %d mails sent", d.off, total),
			`SELECT EXISTS (SELECT 1 FROM job_runs WHERE job = 'reminders' AND period = $1)
				AND (SELECT count(*) FROM notifications WHERE mailed_at IS NOT NULL) = $2
				AND NOT EXISTS (SELECT 1 FROM river_job WHERE kind = 'notify.mail' AND state <> 'completed')`, period, total)
	}
	got := mailsOf(t, sk.messages())
	var want []string
	for range 5 {
		want = append(want, "admin@toto.example.jp: 東都送配電株式会社 <reminder-", "staff@toto.example.jp: 東都送配電株式会社 <reminder-")
	}
	for range 4 {
		want = append(want, "staff@kakehashi.example.jp: Kakehashi Bank <reminder-")
	}
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("mails\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

// blocked is a relay that never answers: the instance using it crashes
// (is stopped) while sending.
type blocked struct{ started chan struct{} }

func (b blocked) Send(ctx context.Context, _ kmail.Message) error {
	select {
	case b.started <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return ctx.Err()
}

// TestReminderMailSurvivesCrash: the day's reminders are written and
// their mail jobs queued while no instance runs; the first instance to
// start takes them and dies in the middle of sending; a second instance
// sends every one of them, once.
func TestReminderMailSurvivesCrash(t *testing.T) {
	sk, mc := startSink(t, 0)
	w := newRemindWorld(t, true)
	ctx := context.Background()
	if err := postgres.SystemTx(ctx, w.db.App, func(tx pgx.Tx) error {
		_, err := postgres.SendDueReminders(ctx, tx, at(-30))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	b := blocked{started: make(chan struct{}, 1)}
	first := &jobs.Scheduler{DB: w.db.App, Instance: "first", Poll: 100 * time.Millisecond, Retry: quickRetry{},
		Workers: []func(*river.Workers){(&kmail.Delivery{DB: w.db.App, Sender: b, BaseURL: mc.BaseURL}).Register}}
	if err := first.Start(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.started:
	case <-time.After(30 * time.Second):
		t.Fatal("the first instance never started sending")
	}
	if err := first.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(sk.messages()); n != 0 {
		t.Fatalf("%d mails before the second instance", n)
	}
	startQueue(t, w.db, mc)
	w.db.Await(t, "every reminder mailed", `SELECT count(*) = 3 FROM notifications WHERE kind LIKE 'reminder.%' AND mailed_at IS NOT NULL`)
	got := mailsOf(t, sk.messages())
	want := []string{"admin@toto.example.jp: 東都送配電株式会社 <reminder-", "staff@kakehashi.example.jp: Kakehashi Bank <reminder-",
		"staff@toto.example.jp: 東都送配電株式会社 <reminder-"}
	if !slices.Equal(got, want) {
		t.Errorf("mails %q, want %q", got, want)
	}
}
