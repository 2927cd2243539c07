package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/internal/postgres/pgtest"
	"github.com/kijun-portal/kijun/internal/remind"
)

// TestReminderFiresInSQL: kijun_reminder_fires, which the daily run
// evaluates set-based, answers as remind.Rule.FiresOn does for every
// allowed rule around a due date, and the table's check allows exactly
// the days remind.ParseRule allows.
func TestReminderFiresInSQL(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	due := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	for _, k := range remind.Kinds {
		for _, d := range []int{0, 1, 2, 3, 7, 14, 30} {
			r, errs := remind.ParseRule(string(k), fmt.Sprint(d))
			if len(errs) > 0 {
				continue
			}
			rows, _ := db.Owner.Query(ctx, `SELECT day::date, kijun_reminder_fires($1, $2, $3, day::date)
				FROM generate_series($3::date - 60, $3::date + 60, interval '1 day') AS day`, string(k), d, due)
			var day time.Time
			var fires bool
			if _, err := pgx.ForEachRow(rows, []any{&day, &fires}, func() error {
				if want := r.FiresOn(due, day); fires != want {
					t.Errorf("%s %d on %s: SQL %v, Go %v", k, d, day.Format(time.DateOnly), fires, want)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var cycle int64
	if err := db.Owner.QueryRow(ctx, `INSERT INTO cycles (fiscal_year, catalog_id, opens_on, due_on)
		VALUES (2026, $1, '2026-04-01', '2026-12-31') RETURNING id`, importPublished(t, db, smallCatalog("fires"))).Scan(&cycle); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"before", "overdue", "weekly"} {
		for d := -2; d <= 200; d++ {
			_, errs := remind.ParseRule(k, fmt.Sprint(d))
			_, err := db.Owner.Exec(ctx, `INSERT INTO reminder_rules (cycle_id, kind, days) VALUES ($1, $2, $3)`, cycle, k, d)
			if ok := err == nil; ok != (len(errs) == 0) {
				t.Errorf("%s %d: database allows %v, Go %v (%v)", k, d, ok, len(errs) == 0, err)
			}
		}
	}
}

func day(s string) time.Time {
	d, err := time.ParseInLocation(time.DateOnly, s, kijun.JST)
	if err != nil {
		panic(err)
	}
	return d.Add(9 * time.Hour) // 09:00 JST, when the job runs
}

// TestReminders runs a scripted cycle: the NCO's defaults and a
// ministry's rule for its sector, who may set which, the days the daily
// evaluation reminds whom (an extended due date counted from; a submitted
// assessment never), at most once a day and never twice on a rerun, the
// notices going to the operator's own users only; then the escalation
// list against a hand-computed fixture and reminding by hand once a day.
func TestReminders(t *testing.T) {
	t.Parallel()
	w := newAsmWorld(t)
	ctx := w.ctx
	var cy assessment.Cycle
	w.must(t, w.nco, func(tx pgx.Tx) (err error) {
		cy, _, err = postgres.OpenCycle(ctx, tx, w.nco, postgres.CycleInput{FiscalYear: 2025, CatalogID: w.catalogID,
			OpensOn: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), DueOn: time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)}, nil, "test")
		return err
	})
	aA, aB, aFin := w.assessmentOf(t, cy.ID, w.opA), w.assessmentOf(t, cy.ID, w.opB), w.assessmentOf(t, cy.ID, w.opFin)
	w.answerAll(t, w.userA, aA)
	w.must(t, w.userA, func(tx pgx.Tx) error { return signOffSubmit(ctx, tx, w.userA, aA, "test") })
	w.save(t, w.userB, assessment.Answer{AssessmentID: aB, Ref: "GV-01", Status: assessment.AnswerImplemented})
	// The finance operator's due date extended by a month.
	if err := postgres.SystemTx(ctx, w.db.App, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE assessments SET due_on = '2026-01-31' WHERE id = $1`, aFin)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.Owner.Exec(ctx, `INSERT INTO operator_contacts (operator_id, sector_code, role, name, email, phone)
		VALUES ($1, 'electricity', '情報セキュリティ担当', '電力B 連絡先', 'sec@b.example.jp', '03-0000-0000')`, w.opB); err != nil {
		t.Fatal(err)
	}

	add := func(p *identity.Principal, sector string, k remind.Kind, days int) error {
		return w.as(p, func(tx pgx.Tx) error {
			_, err := postgres.AddReminderRule(ctx, tx, p, remind.Rule{CycleID: cy.ID, SectorCode: sector, Kind: k, Days: days}, "test")
			return err
		})
	}
	for _, r := range []remind.Rule{{Kind: remind.Before, Days: 30}, {Kind: remind.Before, Days: 7}, {Kind: remind.Overdue, Days: 7}} {
		if err := add(w.nco, "", r.Kind, r.Days); err != nil {
			t.Fatal(err)
		}
	}
	if err := add(w.meti, "electricity", remind.Before, 3); err != nil {
		t.Fatal(err)
	}
	// A ministry adds no default and nothing for a sector it does not
	// oversee; the same rule twice is refused.
	if err := add(w.meti, "", remind.Before, 2); err == nil {
		t.Error("a ministry added a default rule")
	}
	if err := add(w.fsa, "electricity", remind.Before, 2); err == nil {
		t.Error("FSA added a rule for electricity")
	}
	wantKijunError(t, add(w.nco, "", remind.Before, 7), kijun.EConflict, "remind.error.duplicate")
	// A ministry cannot remove the NCO's defaults; it sees them and its own.
	w.must(t, w.meti, func(tx pgx.Tx) error {
		rules, err := postgres.ListReminderRules(ctx, tx, cy.ID)
		if err != nil {
			return err
		}
		if len(rules) != 4 {
			t.Errorf("METI sees %d rules, want 4", len(rules))
		}
		if tag, err := tx.Exec(ctx, `DELETE FROM reminder_rules WHERE sector_code IS NULL`); err != nil || tag.RowsAffected() != 0 {
			t.Errorf("METI removed %d defaults (%v)", tag.RowsAffected(), err)
		}
		return nil
	})
	w.must(t, w.fsa, func(tx pgx.Tx) error {
		rules, err := postgres.ListReminderRules(ctx, tx, cy.ID)
		if len(rules) != 3 {
			t.Errorf("FSA sees %d rules, want the 3 defaults", len(rules))
		}
		return err
	})

	run := func(d string) int {
		t.Helper()
		var n int
		if err := postgres.SystemTx(ctx, w.db.App, func(tx pgx.Tx) (err error) {
			n, err = postgres.SendDueReminders(ctx, tx, day(d))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Day by day: who is reminded (B in progress, due 12-31; Fin not
	// started, due 01-31; A submitted, never).
	script := []struct {
		day  string
		want []int64
	}{
		{"2025-11-30", nil},           // 31 days before
		{"2025-12-01", []int64{aB}},   // 30 before
		{"2025-12-24", []int64{aB}},   // 7 before
		{"2025-12-28", []int64{aB}},   // 3 before: METI's rule
		{"2025-12-31", nil},           // the due date: no rule
		{"2026-01-01", []int64{aFin}}, // 30 before the extended date
		{"2026-01-07", []int64{aB}},   // 7 overdue
		{"2026-01-24", []int64{aFin}}, // 7 before the extended date
		{"2026-01-14", []int64{aB}},   // 14 overdue (late run of an earlier day)
		{"2026-02-07", []int64{aFin}}, // 7 overdue of the extended date
		{"2026-02-11", []int64{aB}},   // 42 overdue
		{"2026-02-12", nil},
	}
	for _, s := range script {
		if n := run(s.day); n != len(s.want) {
			t.Errorf("%s: %d reminded, want %v", s.day, n, s.want)
		}
		if n := run(s.day); n != 0 {
			t.Errorf("%s again: %d reminded, want none", s.day, n)
		}
	}
	// Each reminder went to its own operator's users, once each.
	rows, _ := w.db.Owner.Query(ctx, `SELECT n.user_id, n.kind, n.params->'Days'->>'ja', n.link FROM notifications n
		WHERE n.kind LIKE 'reminder.%' ORDER BY n.id`)
	var got []string
	var user int64
	var kind, days, link string
	if _, err := pgx.ForEachRow(rows, []any{&user, &kind, &days, &link}, func() error {
		who := map[int64]string{w.userB.UserID: "B", w.uFin.UserID: "Fin"}[user]
		if who == "" {
			t.Errorf("reminder to user %d, not an operator user of its assessment", user)
		}
		got = append(got, fmt.Sprintf("%s %s %s %s", who, kind, days, link))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	b, fin := fmt.Sprintf("/assessments/%d", aB), fmt.Sprintf("/assessments/%d", aFin)
	want := []string{"B reminder.due 30 " + b, "B reminder.due 7 " + b, "B reminder.due 3 " + b, "Fin reminder.due 30 " + fin,
		"B reminder.overdue 7 " + b, "Fin reminder.due 7 " + fin, "B reminder.overdue 14 " + b, "Fin reminder.overdue 7 " + fin,
		"B reminder.overdue 42 " + b}
	if !slices.Equal(got, want) {
		t.Errorf("reminders\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	var jobs int
	if err := w.db.Owner.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'notify.mail'
		AND (args->>'notification_id')::bigint IN (SELECT id FROM notifications WHERE kind LIKE 'reminder.%')`).Scan(&jobs); err != nil || jobs != len(want) {
		t.Errorf("%d mail jobs for %d reminders (%v)", jobs, len(want), err)
	}

	// The escalation list on 2026-02-11, by hand: METI (electricity)
	// sees B only, with its user and the register's contacts (the one
	// regOperator wrote, then ours); the NCO sees B and Fin.
	today := day("2026-02-11")
	list := func(p *identity.Principal, sector string) []string {
		t.Helper()
		var out []string
		w.must(t, p, func(tx pgx.Tx) error {
			cs, err := postgres.ListEscalation(ctx, tx, cy.ID, sector, true)
			for _, c := range cs {
				var names []string
				for _, k := range c.Contacts {
					names = append(names, fmt.Sprintf("%s<%s>%v", k.Name, k.Email, k.User))
				}
				out = append(out, fmt.Sprintf("%s|%s|%s|%s|%d|%s|%s", c.OperatorName.Ja, c.SectorCode, c.Status,
					kijun.ISODate(c.Due), c.DaysOverdue(today), kijun.ISODate(*c.RemindedOn), strings.Join(names, ",")))
			}
			return err
		})
		return out
	}
	wantMETI := []string{"電力B|electricity|in_progress|2025-12-31|42|2026-02-11|userB<userB@example.jp>true,contact of 電力B<>false,電力B 連絡先<sec@b.example.jp>false"}
	if got := list(w.meti, ""); !slices.Equal(got, wantMETI) {
		t.Errorf("METI's list\n got %q\nwant %q", got, wantMETI)
	}
	wantNCO := append(wantMETI, "銀行F|finance|not_started|2026-01-31|11|2026-02-07|uFin<uFin@example.jp>true,contact of 銀行F<>false")
	if got := list(w.nco, ""); !slices.Equal(got, wantNCO) {
		t.Errorf("the NCO's list\n got %q\nwant %q", got, wantNCO)
	}
	if got := list(w.nco, "finance"); !slices.Equal(got, wantNCO[1:]) {
		t.Errorf("the NCO's finance list %q", got)
	}
	if got := list(w.fsa, "electricity"); len(got) != 0 {
		t.Errorf("FSA sees electricity's list: %q", got)
	}

	// By hand: not twice the same day, and not on a day the schedule
	// reminded already.
	send := func(p *identity.Principal, d string) int {
		t.Helper()
		var n int
		w.must(t, p, func(tx pgx.Tx) error {
			cs, err := postgres.ListEscalation(ctx, tx, cy.ID, "", false)
			if err != nil {
				return err
			}
			n, err = postgres.SendReminderNow(ctx, tx, p, cs, cy.FiscalYear, day(d), "test")
			return err
		})
		return n
	}
	if n := send(w.meti, "2026-02-11"); n != 0 {
		t.Errorf("by hand on a day already reminded: %d", n)
	}
	if n := send(w.meti, "2026-02-12"); n != 1 {
		t.Errorf("by hand: %d reminded, want 1", n)
	}
	if n := send(w.meti, "2026-02-12"); n != 0 {
		t.Errorf("by hand twice: %d reminded, want 0", n)
	}
	if n := run("2026-02-12"); n != 0 {
		t.Errorf("the schedule after a reminder by hand: %d", n)
	}
	var audited int
	if err := w.db.Owner.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'reminder.send' AND operator_id = $1`, w.opB).Scan(&audited); err != nil || audited != 1 {
		t.Errorf("%d reminder.send audit events, want 1 (%v)", audited, err)
	}
}
