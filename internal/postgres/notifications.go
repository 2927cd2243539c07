package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
)

// Notify writes, in tx (the transaction of the change), one notification
// per recipient of each event: the users who hold a grant in the event's
// scope (kijun_scope_recipients: people, and service accounts whose token
// lives) and whom the policy lets do the event's audience action there
// (notify.Recipients), and queues one mail job per notification of a
// person (notify.MailArgs) in the same transaction. A service account has
// no mailbox: its notice is written settled (mailed_at set), without a
// job, and read through the API. However many
// the events (a reminder run notifies thousands of operators), it takes
// the same few round trips: the candidates of every event, the ids, the
// rows and the jobs, each in one statement.
func Notify(ctx context.Context, tx pgx.Tx, events ...notify.Event) ([]notify.Note, error) {
	if err := queueWebhookEvents(ctx, tx, events); err != nil {
		return nil, err
	}
	cands, service, err := scopePrincipals(ctx, tx, events)
	if err != nil {
		return nil, err
	}
	var notes []notify.Note
	var from []int // the event of each note
	for i, e := range events {
		for _, u := range notify.Recipients(e, cands[i]) {
			notes = append(notes, notify.Note{UserID: u, Kind: e.Kind, Params: e.Params, Link: e.Link})
			from = append(from, i)
		}
	}
	if len(notes) == 0 {
		return nil, nil
	}
	ids, err := nextNotificationIDs(ctx, tx, len(notes))
	if err != nil {
		return nil, err
	}
	n := len(notes)
	users, kinds, params, links := make([]int64, n), make([]string, n), make([]string, n), make([]string, n)
	ministries, sectors, operators := make([]any, n), make([]any, n), make([]any, n)
	settled := make([]bool, n)
	jobs := make([]river.JobArgs, 0, n)
	pj := make([]string, len(events))
	for i, e := range events {
		b, err := json.Marshal(e.Params)
		if err != nil {
			return nil, err
		}
		if e.Params == nil {
			b = []byte("{}")
		}
		pj[i] = string(b)
	}
	for k := range notes {
		e := events[from[k]]
		notes[k].ID = ids[k]
		users[k], kinds[k], params[k], links[k] = notes[k].UserID, string(e.Kind), pj[from[k]], e.Link
		if !e.Kind.Personal() {
			ministries[k], sectors[k], operators[k] = nullText(e.Scope.MinistryCode), nullText(e.Scope.SectorCode), nullID(e.Scope.OperatorID)
		}
		if settled[k] = service[notes[k].UserID]; !settled[k] {
			jobs = append(jobs, notify.MailArgs{NotificationID: ids[k]})
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO notifications (id, user_id, ministry_code, sector_code, operator_id, kind, params, link, mailed_at)
		SELECT id, u, m, s, o, k, p, l, CASE WHEN x THEN now() END
		FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::jsonb[], $8::text[], $9::boolean[])
			AS t(id, u, m, s, o, k, p, l, x)`,
		ids, users, ministries, sectors, operators, kinds, params, links, settled); err != nil {
		return nil, err
	}
	return notes, Enqueue(ctx, tx, jobs...)
}

func nextNotificationIDs(ctx context.Context, tx pgx.Tx, n int) ([]int64, error) {
	rows, _ := tx.Query(ctx, `SELECT nextval('notifications_id_seq') FROM generate_series(1, $1)`, n)
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// scopePrincipals builds, for each event, the principal of every user
// who holds a grant in its scope, from those grants only (enough for the
// policy to decide on that scope): one query for all events. Grant
// notices (Kind.Personal) need none. service holds the candidates that
// are service accounts.
func scopePrincipals(ctx context.Context, tx pgx.Tx, events []notify.Event) (_ [][]*identity.Principal, service map[int64]bool, err error) {
	out := make([][]*identity.Principal, len(events))
	service = map[int64]bool{}
	var idx []int
	var ms, ss []string
	var ops []int64
	for i, e := range events {
		if !e.Kind.Personal() {
			idx, ms, ss, ops = append(idx, i), append(ms, e.Scope.MinistryCode), append(ss, e.Scope.SectorCode), append(ops, e.Scope.OperatorID)
		}
	}
	if len(idx) == 0 {
		return out, service, nil
	}
	oversight, err := Oversight(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	rows, _ := tx.Query(ctx, `SELECT e.n, g.user_id, g.role, coalesce(g.ministry_code, ''), coalesce(g.operator_id, 0), coalesce(g.sector_code, ''), g.service
		FROM unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY AS e(m, s, o, n)
		CROSS JOIN LATERAL kijun_scope_recipients(e.m, e.s, e.o) g ORDER BY e.n`, ms, ss, ops)
	cur := -1
	var byUser map[int64][]identity.Grant
	var order []int64
	flush := func() {
		if cur < 0 {
			return
		}
		ps := make([]*identity.Principal, 0, len(order))
		for _, u := range order {
			ps = append(ps, identity.NewPrincipal(u, "", "", byUser[u], oversight))
		}
		out[idx[cur]] = ps
	}
	var n int
	var g identity.Grant
	var role string
	var svc bool
	_, err = pgx.ForEachRow(rows, []any{&n, &g.UserID, &role, &g.MinistryCode, &g.OperatorID, &g.SectorCode, &svc}, func() error {
		if svc {
			service[g.UserID] = true
		}
		if n-1 != cur {
			flush()
			cur, byUser, order = n-1, map[int64][]identity.Grant{}, nil
		}
		g.Role = identity.Role(role)
		if _, ok := byUser[g.UserID]; !ok {
			order = append(order, g.UserID)
		}
		byUser[g.UserID] = append(byUser[g.UserID], g)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	flush()
	return out, service, addDeputyships(ctx, tx, events, out)
}

// addDeputyships gives the candidates of each event told to those who do
// an operator's internal check (audience SignOffAssessment) the
// delegations naming them as deputy there (不在時の代理), of absent users
// among the candidates who still do that check; the policy
// (authz.DeputyFor) then tells a deputy during the absence only.
func addDeputyships(ctx context.Context, tx pgx.Tx, events []notify.Event, cands [][]*identity.Principal) error {
	var ops []int64
	for _, e := range events {
		if e.Kind.Audience() == authz.SignOffAssessment && e.Scope.OperatorID != 0 && !slices.Contains(ops, e.Scope.OperatorID) {
			ops = append(ops, e.Scope.OperatorID)
		}
	}
	if len(ops) == 0 {
		return nil
	}
	type deputyship struct {
		deputy int64
		d      identity.Deputyship
	}
	rows, _ := tx.Query(ctx, `SELECT d.deputy_id, d.id, d.operator_id, d.user_id, d.user_name, d.starts_on, d.ends_on
		FROM operator_delegations d WHERE d.operator_id = ANY ($1) AND d.cancelled_at IS NULL
		AND d.ends_on >= (now() AT TIME ZONE 'Asia/Tokyo')::date ORDER BY d.id`, ops)
	ds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (deputyship, error) {
		var x deputyship
		err := r.Scan(&x.deputy, &x.d.ID, &x.d.OperatorID, &x.d.ForUserID, &x.d.ForName, &x.d.From, &x.d.To)
		return x, err
	})
	if err != nil || len(ds) == 0 {
		return err
	}
	for i, e := range events {
		if e.Kind.Audience() != authz.SignOffAssessment || e.Scope.OperatorID == 0 {
			continue
		}
		checker := map[int64]bool{}
		for _, p := range cands[i] {
			checker[p.UserID] = slices.Contains(p.CheckOperators, e.Scope.OperatorID)
		}
		for _, p := range cands[i] {
			for _, x := range ds {
				if x.deputy == p.UserID && x.d.OperatorID == e.Scope.OperatorID && checker[x.d.ForUserID] {
					p.Deputyships = append(p.Deputyships, x.d)
				}
			}
		}
	}
	return nil
}

// noteColumns are the columns scanNote reads.
const noteColumns = `id, user_id, kind, params, link, created_at, read_at`

// ListNotifications lists the reader's notifications, newest first: row-
// level security shows a user only their own.
func ListNotifications(ctx context.Context, tx pgx.Tx, limit int) ([]notify.Note, error) {
	rows, _ := tx.Query(ctx, `SELECT `+noteColumns+` FROM notifications
		WHERE user_id = kijun_user_id() ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
	return pgx.CollectRows(rows, scanNote)
}

func scanNote(r pgx.CollectableRow) (notify.Note, error) {
	var n notify.Note
	var kind string
	var params []byte
	err := r.Scan(&n.ID, &n.UserID, &kind, &params, &n.Link, &n.CreatedAt, &n.ReadAt)
	n.Kind = notify.Kind(kind)
	if err == nil {
		err = json.Unmarshal(params, &n.Params)
	}
	return n, err
}

// MarkNotificationsRead marks the reader's notification id read, or all of
// them when id is 0. Another user's id marks nothing.
func MarkNotificationsRead(ctx context.Context, tx pgx.Tx, id int64, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE notifications SET read_at = $2
		WHERE user_id = kijun_user_id() AND read_at IS NULL AND ($1 = 0 OR id = $1)`, id, now)
	return err
}

// GetNotification reads the reader's notification id; another user's is
// not found.
func GetNotification(ctx context.Context, tx pgx.Tx, id int64) (notify.Note, error) {
	rows, _ := tx.Query(ctx, `SELECT `+noteColumns+` FROM notifications
		WHERE user_id = kijun_user_id() AND id = $1`, id)
	n, err := pgx.CollectExactlyOneRow(rows, scanNote)
	if errors.Is(err, pgx.ErrNoRows) {
		return n, kijun.Errorf(kijun.ENotFound, "error.not_found", nil)
	}
	return n, err
}

// MailTarget is a notification with what its mail needs: the recipient's
// address and language and their delivery choice for its kind.
type MailTarget struct {
	notify.Note
	Email    string
	Name     string
	Lang     kijun.Lang
	Delivery notify.Delivery
	MailedAt *time.Time
	// Service: the recipient is a service account, which has no mailbox
	// (its notices are read through the API).
	Service bool
}

const mailTargetSQL = `SELECT n.id, n.user_id, n.kind, n.params, n.link, n.created_at, n.read_at,
		u.email, u.display_name, coalesce(s.lang, 'ja'), coalesce(p.delivery, 'immediate'), n.mailed_at, u.service
	FROM notifications n JOIN users u ON u.id = n.user_id
	LEFT JOIN notification_settings s ON s.user_id = n.user_id
	LEFT JOIN notification_prefs p ON p.user_id = n.user_id AND p.kind = n.kind`

func scanMailTarget(r pgx.CollectableRow) (MailTarget, error) {
	var t MailTarget
	var kind, lang, delivery string
	var params []byte
	err := r.Scan(&t.ID, &t.UserID, &kind, &params, &t.Link, &t.CreatedAt, &t.ReadAt,
		&t.Email, &t.Name, &lang, &delivery, &t.MailedAt, &t.Service)
	t.Kind, t.Lang, t.Delivery = notify.Kind(kind), kijun.Lang(lang), notify.Delivery(delivery)
	if err == nil {
		err = json.Unmarshal(params, &t.Params)
	}
	return t, err
}

// LockMailTarget reads notification id for mailing and locks it until tx
// ends, so that two workers never send it at once (system transactions).
func LockMailTarget(ctx context.Context, tx pgx.Tx, id int64) (MailTarget, error) {
	rows, _ := tx.Query(ctx, mailTargetSQL+` WHERE n.id = $1 FOR UPDATE OF n`, id)
	t, err := pgx.CollectExactlyOneRow(rows, scanMailTarget)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, kijun.Errorf(kijun.ENotFound, "error.not_found", nil)
	}
	return t, err
}

// DigestTargets locks and lists user's notices not yet mailed, created
// before before, that the user wants in the daily digest.
func DigestTargets(ctx context.Context, tx pgx.Tx, user int64, before time.Time) ([]MailTarget, error) {
	rows, _ := tx.Query(ctx, mailTargetSQL+` WHERE n.user_id = $1 AND n.mailed_at IS NULL AND n.created_at < $2
		AND p.delivery = 'digest' ORDER BY n.created_at, n.id FOR UPDATE OF n`, user, before)
	return pgx.CollectRows(rows, scanMailTarget)
}

// DigestUsers lists the people (not service accounts) with notices
// waiting for a digest made before before.
func DigestUsers(ctx context.Context, tx pgx.Tx, before time.Time) ([]int64, error) {
	rows, _ := tx.Query(ctx, `SELECT DISTINCT n.user_id FROM notifications n
		JOIN notification_prefs p ON p.user_id = n.user_id AND p.kind = n.kind AND p.delivery = 'digest'
		JOIN users u ON u.id = n.user_id AND NOT u.service
		WHERE n.mailed_at IS NULL AND n.created_at < $1 ORDER BY 1`, before)
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// MarkMailed records that notices ids went out (or were settled without
// a mail) at now.
func MarkMailed(ctx context.Context, tx pgx.Tx, now time.Time, ids ...int64) error {
	_, err := tx.Exec(ctx, `UPDATE notifications SET mailed_at = $2 WHERE id = ANY($1) AND mailed_at IS NULL`, ids, now)
	return err
}

// GetPrefs reads the reader's notification preferences.
func GetPrefs(ctx context.Context, tx pgx.Tx) (notify.Prefs, error) {
	p := notify.Prefs{Lang: kijun.Ja, Delivery: map[notify.Kind]notify.Delivery{}}
	var lang string
	err := tx.QueryRow(ctx, `SELECT lang FROM notification_settings WHERE user_id = kijun_user_id()`).Scan(&lang)
	if err == nil {
		p.Lang = kijun.Lang(lang)
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return p, err
	}
	rows, _ := tx.Query(ctx, `SELECT kind, delivery FROM notification_prefs WHERE user_id = kijun_user_id()`)
	var k, d string
	_, err = pgx.ForEachRow(rows, []any{&k, &d}, func() error {
		p.Delivery[notify.Kind(k)] = notify.Delivery(d)
		return nil
	})
	return p, err
}

// SavePrefs replaces the reader's preferences with p (checked by the
// caller with Kind.Allowed; the database refuses a mandatory kind off).
func SavePrefs(ctx context.Context, tx pgx.Tx, p notify.Prefs) error {
	if _, err := tx.Exec(ctx, `INSERT INTO notification_settings (user_id, lang) VALUES (kijun_user_id(), $1)
		ON CONFLICT (user_id) DO UPDATE SET lang = EXCLUDED.lang`, string(p.Lang)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM notification_prefs WHERE user_id = kijun_user_id()`); err != nil {
		return err
	}
	var kinds, ds []string
	for k, d := range p.Delivery {
		if d != notify.Immediate {
			kinds, ds = append(kinds, string(k)), append(ds, string(d))
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO notification_prefs (user_id, kind, delivery)
		SELECT kijun_user_id(), k, d FROM unnest($1::text[], $2::text[]) AS x(k, d)`, kinds, ds)
	return err
}

// CycleOpenedEvents are the cycle.opened notices of cycle id: one per
// enrolled operator, about that operator (system transactions).
func CycleOpenedEvents(ctx context.Context, tx pgx.Tx, id int64) ([]notify.Event, error) {
	rows, _ := tx.Query(ctx, `SELECT a.id, a.operator_id, a.sector_code, o.name_ja, o.name_en, c.fiscal_year
		FROM assessments a JOIN operators o ON o.id = a.operator_id JOIN cycles c ON c.id = a.cycle_id
		WHERE a.cycle_id = $1 ORDER BY a.id`, id)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (notify.Event, error) {
		var e notify.Event
		var aid int64
		var name kijun.Text
		var fy int
		err := r.Scan(&aid, &e.Scope.OperatorID, &e.Scope.SectorCode, &name.Ja, &name.En, &fy)
		e.Kind, e.Link, e.Params = notify.CycleOpened, "/assessments/"+strconv.FormatInt(aid, 10), notify.Params(name, kijun.FiscalYear(fy))
		return e, err
	})
}

// CatalogPublishedEvents are the catalog.published notices of catalog id:
// one per ministry and one per active operator that has users with an
// active grant (nobody else could receive one), each on its own tenant
// (system transactions).
func CatalogPublishedEvents(ctx context.Context, tx pgx.Tx, id int64) ([]notify.Event, error) {
	var title, version kijun.Text
	if err := tx.QueryRow(ctx, `SELECT title_ja, coalesce(nullif(title_en, ''), title_ja), version FROM catalogs
		WHERE id = $1 AND status <> 'draft'`, id).Scan(&title.Ja, &title.En, &version.Ja); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, kijun.ErrNotFound
		}
		return nil, err
	}
	version.En = version.Ja
	params := map[string]kijun.Text{"Catalog": title, "Version": version}
	link := "/catalogs/" + strconv.FormatInt(id, 10)
	rows, _ := tx.Query(ctx, `SELECT DISTINCT ministry_code FROM role_grants
		WHERE revoked_at IS NULL AND ministry_code IS NOT NULL ORDER BY 1`)
	ministries, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	var events []notify.Event
	for _, m := range ministries {
		events = append(events, notify.Event{Kind: notify.CatalogPublished, Scope: authz.Resource{MinistryCode: m}, Params: params, Link: link})
	}
	rows, _ = tx.Query(ctx, `SELECT o.id, o.sector_code FROM operators o WHERE o.status = 'active'
		AND EXISTS (SELECT 1 FROM role_grants g WHERE g.operator_id = o.id AND g.revoked_at IS NULL) ORDER BY o.id`)
	var e notify.Event
	_, err = pgx.ForEachRow(rows, []any{&e.Scope.OperatorID, &e.Scope.SectorCode}, func() error {
		events = append(events, notify.Event{Kind: notify.CatalogPublished, Scope: e.Scope, Params: params, Link: link})
		return nil
	})
	return events, err
}

// ReferenceName reads the name of a ministry or a sector (table
// "ministries" or "sectors") for a notice's parameters.
func ReferenceName(ctx context.Context, tx pgx.Tx, table, code string) (kijun.Text, error) {
	var t kijun.Text
	if table != "ministries" && table != "sectors" {
		return t, errors.New("postgres: ReferenceName of " + table)
	}
	err := tx.QueryRow(ctx, `SELECT name_ja, name_en FROM `+table+` WHERE code = $1`, code).Scan(&t.Ja, &t.En)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, kijun.ErrNotFound
	}
	return t, err
}
