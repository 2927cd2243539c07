package postgres

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/remind"
)

// ListReminderRules lists cycle's reminder rules the reader may see (RLS:
// the NCO all, a ministry the defaults and its sectors'): the defaults
// first, then by sector, kind and days.
func ListReminderRules(ctx context.Context, q Querier, cycle int64) ([]remind.Rule, error) {
	rows, _ := q.Query(ctx, `SELECT id, cycle_id, coalesce(sector_code, ''), kind, days, created_at FROM reminder_rules
		WHERE cycle_id = $1 ORDER BY sector_code NULLS FIRST, kind, days DESC`, cycle)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (remind.Rule, error) {
		var x remind.Rule
		err := r.Scan(&x.ID, &x.CycleID, &x.SectorCode, &x.Kind, &x.Days, &x.CreatedAt)
		return x, err
	})
}

// GetReminderRule reads rule id if the reader may see it.
func GetReminderRule(ctx context.Context, tx pgx.Tx, id int64) (remind.Rule, error) {
	rows, _ := tx.Query(ctx, `SELECT id, cycle_id, coalesce(sector_code, ''), kind, days, created_at FROM reminder_rules WHERE id = $1`, id)
	x, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (remind.Rule, error) {
		var x remind.Rule
		err := r.Scan(&x.ID, &x.CycleID, &x.SectorCode, &x.Kind, &x.Days, &x.CreatedAt)
		return x, err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return x, kijun.Errorf(kijun.ENotFound, "error.not_found", nil)
	}
	return x, err
}

// ruleAudit is what the audit log keeps of a rule.
func ruleAudit(r remind.Rule) map[string]any {
	return map[string]any{"cycle_id": r.CycleID, "sector": r.SectorCode, "kind": string(r.Kind), "days": r.Days}
}

// AddReminderRule adds r (checked by remind.ParseRule, allowed by the
// policy) and audits it. The same rule twice is refused (remind.error.
// duplicate, on days).
func AddReminderRule(ctx context.Context, tx pgx.Tx, p *identity.Principal, r remind.Rule, requestID string) (remind.Rule, error) {
	err := tx.QueryRow(ctx, `INSERT INTO reminder_rules (cycle_id, sector_code, kind, days, created_by)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id, created_at`,
		r.CycleID, nullText(r.SectorCode), string(r.Kind), r.Days, nullID(p.UserID)).Scan(&r.ID, &r.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, kijun.Errorf(kijun.EConflict, "remind.error.duplicate", nil)
	}
	if err != nil {
		return r, err
	}
	ev := ActorOf(p, requestID)
	ev.Action, ev.ObjectType, ev.ObjectID, ev.SectorCode = "reminder.rule.add", "reminder_rule", strconv.FormatInt(r.ID, 10), r.SectorCode
	return r, Audit(ctx, tx, ev, nil, ruleAudit(r))
}

// DeleteReminderRule removes r (read and allowed by the caller) and
// audits it; the reminders it sent stay in the audit log.
func DeleteReminderRule(ctx context.Context, tx pgx.Tx, p *identity.Principal, r remind.Rule, requestID string) error {
	tag, err := tx.Exec(ctx, `DELETE FROM reminder_rules WHERE id = $1`, r.ID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return kijun.Errorf(kijun.ENotFound, "error.not_found", nil)
	}
	ev := ActorOf(p, requestID)
	ev.Action, ev.ObjectType, ev.ObjectID, ev.SectorCode = "reminder.rule.remove", "reminder_rule", strconv.FormatInt(r.ID, 10), r.SectorCode
	return Audit(ctx, tx, ev, ruleAudit(r), nil)
}

// SendDueReminders evaluates every open cycle's rules for day (a day in
// Japan) in one statement: each open assessment (assessment.Status.Owed) of an
// active operator for which a rule fires on day (kijun_reminder_fires,
// from its effective due date) and that has no reminder of day yet gets
// one row in reminders_sent — the rule with the lowest id when several
// fire — and its operator's users a notice with its mail job (Notify).
// A second run for the same day finds the rows and sends nothing. It
// runs in a system transaction and returns how many assessments were
// reminded.
func SendDueReminders(ctx context.Context, tx pgx.Tx, day time.Time) (int, error) {
	rows, _ := tx.Query(ctx, dueRemindersSQL, dateOf(day), remind.OpenStatuses())
	var events []notify.Event
	var c remind.Candidate
	var fy int
	_, err := pgx.ForEachRow(rows, []any{&c.AssessmentID, &c.OperatorID, &c.SectorCode, &c.OperatorName.Ja, &c.OperatorName.En,
		&c.Status, &c.Due, &fy}, func() error {
		events = append(events, remind.Notice(c, kijun.FiscalYear(fy), day, 0))
		return nil
	})
	if err != nil {
		return 0, err
	}
	_, err = Notify(ctx, tx, events...)
	return len(events), err
}

// dueRemindersSQL evaluates every rule of every open cycle for day $1
// against the open assessments (statuses $2), records what fires and
// returns the reminded assessments with what their notices say.
const dueRemindersSQL = `WITH fire AS (
			SELECT DISTINCT ON (a.id) r.id AS rule_id, a.id, a.operator_id, a.sector_code
			FROM cycles c
			JOIN reminder_rules r ON r.cycle_id = c.id
			JOIN assessments a ON a.cycle_id = c.id AND (r.sector_code IS NULL OR r.sector_code = a.sector_code)
			WHERE c.status = 'open' AND c.opens_on <= $1 AND a.status = ANY ($2)
			  AND kijun_reminder_fires(r.kind, r.days, coalesce(a.due_on, c.due_on), $1)
			  AND NOT EXISTS (SELECT 1 FROM reminders_sent s WHERE s.assessment_id = a.id AND s.day = $1)
			ORDER BY a.id, r.id
		), sent AS (
			INSERT INTO reminders_sent (rule_id, assessment_id, operator_id, sector_code, day)
			SELECT f.rule_id, f.id, f.operator_id, f.sector_code, $1 FROM fire f
			JOIN operators o ON o.id = f.operator_id AND o.status = 'active'
			ON CONFLICT DO NOTHING RETURNING assessment_id
		)
		SELECT a.id, a.operator_id, a.sector_code, o.name_ja, o.name_en, a.status, coalesce(a.due_on, c.due_on), c.fiscal_year
		FROM sent JOIN assessments a ON a.id = sent.assessment_id
		JOIN operators o ON o.id = a.operator_id JOIN cycles c ON c.id = a.cycle_id
		ORDER BY a.id`

// dateOf is the JST calendar date of t, as the database's date.
func dateOf(t time.Time) string { return assessment.Day(t).Format(time.DateOnly) }

// ListEscalation lists the open assessments (assessment.Status.Owed) of cycle that
// the reader sees (RLS; sector narrows it), most overdue first, with the
// last activity (the assessment's or an answer's last change), the last
// day a reminder went out, and the contacts: the register's, and (with
// users) the operator's portal users (people: not the service accounts of
// its API tokens).
func ListEscalation(ctx context.Context, tx pgx.Tx, cycle int64, sector string, users bool) ([]remind.Candidate, error) {
	rows, _ := tx.Query(ctx, `SELECT a.id, a.operator_id, o.name_ja, o.name_en, a.sector_code, a.status,
			coalesce(a.due_on, c.due_on),
			greatest(a.updated_at, (SELECT max(x.updated_at) FROM answers x WHERE x.assessment_id = a.id)),
			(SELECT max(s.day) FROM reminders_sent s WHERE s.assessment_id = a.id)::timestamptz,
			ARRAY(SELECT jsonb_build_object('name', k.name, 'email', k.email, 'phone', k.phone, 'role', k.role)
				FROM operator_contacts k WHERE k.operator_id = a.operator_id ORDER BY k.sort_order, k.id),
			CASE WHEN $4 THEN ARRAY(SELECT DISTINCT jsonb_build_object('name', u.display_name, 'email', u.email, 'role', g.role)
				FROM role_grants g JOIN users u ON u.id = g.user_id AND NOT u.service
				WHERE g.operator_id = a.operator_id AND g.revoked_at IS NULL) ELSE '{}' END
		FROM assessments a JOIN cycles c ON c.id = a.cycle_id JOIN operators o ON o.id = a.operator_id
		WHERE a.cycle_id = $1 AND a.status = ANY ($2) AND ($3 = '' OR a.sector_code = $3)
		ORDER BY a.sector_code, coalesce(a.due_on, c.due_on), o.name_ja, a.id`, cycle, remind.OpenStatuses(), sector, users)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (remind.Candidate, error) {
		var c remind.Candidate
		var reg, us []contactJSON
		err := r.Scan(&c.AssessmentID, &c.OperatorID, &c.OperatorName.Ja, &c.OperatorName.En, &c.SectorCode, &c.Status,
			&c.Due, &c.LastActivity, &c.RemindedOn, &reg, &us)
		for _, x := range us {
			c.Contacts = append(c.Contacts, remind.Contact{Name: x.Name, Email: x.Email, Role: x.Role, User: true})
		}
		for _, x := range reg {
			c.Contacts = append(c.Contacts, remind.Contact{Name: x.Name, Email: x.Email, Phone: x.Phone, Role: x.Role})
		}
		return c, err
	})
}

type contactJSON struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
	Role  string `json:"role"`
}

// SendReminderNow reminds the operators of assessments (read from the
// reader's escalation list, allowed by the policy) on day, by hand: one
// reminders_sent row each (rule_id NULL), one notice to each operator's
// users, one audit event each. An assessment already reminded on day (by
// a rule or by hand) is skipped: a second click the same day sends
// nothing. It returns the number reminded.
func SendReminderNow(ctx context.Context, tx pgx.Tx, p *identity.Principal, cs []remind.Candidate, fy kijun.FiscalYear, day time.Time, requestID string) (int, error) {
	var ids []int64
	for _, c := range cs {
		ids = append(ids, c.AssessmentID)
	}
	rows, _ := tx.Query(ctx, `INSERT INTO reminders_sent (assessment_id, operator_id, sector_code, day, sent_by)
		SELECT a.id, a.operator_id, a.sector_code, $2, $3 FROM assessments a
		WHERE a.id = ANY ($1) AND NOT EXISTS (SELECT 1 FROM reminders_sent s WHERE s.assessment_id = a.id AND s.day = $2)
		ON CONFLICT DO NOTHING RETURNING assessment_id`, ids, dateOf(day), p.UserID)
	sent, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, err
	}
	var events []notify.Event
	for _, c := range cs {
		for _, id := range sent {
			if id != c.AssessmentID {
				continue
			}
			events = append(events, remind.Notice(c, fy, day, p.UserID))
			ev := ActorOf(p, requestID)
			ev.Action, ev.ObjectType, ev.ObjectID = "reminder.send", "assessment", strconv.FormatInt(c.AssessmentID, 10)
			ev.SectorCode, ev.OperatorID = c.SectorCode, c.OperatorID
			if err := Audit(ctx, tx, ev, nil, map[string]any{"day": dateOf(day), "due": c.Due.Format(time.DateOnly),
				"days_overdue": c.DaysOverdue(day)}); err != nil {
				return 0, err
			}
		}
	}
	_, err = Notify(ctx, tx, events...)
	return len(events), err
}
