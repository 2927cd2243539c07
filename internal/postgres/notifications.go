package postgres

import (
	"context"
	"encoding/json"
	"errors"
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
// scope (kijun_scope_grants) and whom the policy lets do the event's
// audience action there (notify.Recipients), and queues one mail job per
// notification (notify.MailArgs) in the same transaction.
func Notify(ctx context.Context, tx pgx.Tx, events ...notify.Event) ([]notify.Note, error) {
	var notes []notify.Note
	var oversight map[string][]string
	for _, e := range events {
		var users []int64
		if e.Kind == notify.GrantGiven || e.Kind == notify.GrantRevoked {
			users = notify.Recipients(e, nil)
		} else {
			if oversight == nil {
				var err error
				if oversight, err = Oversight(ctx, tx); err != nil {
					return nil, err
				}
			}
			cands, err := scopePrincipals(ctx, tx, e, oversight)
			if err != nil {
				return nil, err
			}
			users = notify.Recipients(e, cands)
		}
		for _, u := range users {
			notes = append(notes, notify.Note{UserID: u, Kind: e.Kind, Params: e.Params, Link: e.Link})
		}
		if len(users) == 0 {
			continue
		}
		ids, err := nextNotificationIDs(ctx, tx, len(users))
		if err != nil {
			return nil, err
		}
		params, err := json.Marshal(e.Params)
		if err != nil {
			return nil, err
		}
		if e.Params == nil {
			params = []byte("{}")
		}
		var scope [3]any
		if e.Kind != notify.GrantGiven && e.Kind != notify.GrantRevoked {
			scope = [3]any{nullText(e.Scope.MinistryCode), nullText(e.Scope.SectorCode), nullID(e.Scope.OperatorID)}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO notifications (id, user_id, ministry_code, sector_code, operator_id, kind, params, link)
			SELECT i, u, $3, $4, $5, $6, $7, $8 FROM unnest($1::bigint[], $2::bigint[]) AS x(i, u)`,
			ids, users, scope[0], scope[1], scope[2], string(e.Kind), params, e.Link); err != nil {
			return nil, err
		}
		jobs := make([]river.JobArgs, len(users))
		for i := range users {
			notes[len(notes)-len(users)+i].ID = ids[i]
			jobs[i] = notify.MailArgs{NotificationID: ids[i]}
		}
		if err := Enqueue(ctx, tx, jobs...); err != nil {
			return nil, err
		}
	}
	return notes, nil
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

// scopePrincipals builds the principal of every user who holds a grant in
// e's scope, from those grants only (enough for the policy to decide on
// this scope).
func scopePrincipals(ctx context.Context, tx pgx.Tx, e notify.Event, oversight map[string][]string) ([]*identity.Principal, error) {
	rows, _ := tx.Query(ctx, `SELECT user_id, role, coalesce(ministry_code, ''), coalesce(operator_id, 0), coalesce(sector_code, '')
		FROM kijun_scope_grants($1, $2, $3)`, e.Scope.MinistryCode, e.Scope.SectorCode, e.Scope.OperatorID)
	byUser := map[int64][]identity.Grant{}
	var order []int64
	var g identity.Grant
	var role string
	_, err := pgx.ForEachRow(rows, []any{&g.UserID, &role, &g.MinistryCode, &g.OperatorID, &g.SectorCode}, func() error {
		g.Role = identity.Role(role)
		if _, ok := byUser[g.UserID]; !ok {
			order = append(order, g.UserID)
		}
		byUser[g.UserID] = append(byUser[g.UserID], g)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]*identity.Principal, 0, len(order))
	for _, u := range order {
		out = append(out, identity.NewPrincipal(u, "", "", byUser[u], oversight))
	}
	return out, nil
}

// ListNotifications lists the reader's notifications, newest first: row-
// level security shows a user only their own.
func ListNotifications(ctx context.Context, tx pgx.Tx, limit int) ([]notify.Note, error) {
	rows, _ := tx.Query(ctx, `SELECT id, user_id, kind, params, link, created_at, read_at FROM notifications
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
	rows, _ := tx.Query(ctx, `SELECT id, user_id, kind, params, link, created_at, read_at FROM notifications
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
}

const mailTargetSQL = `SELECT n.id, n.user_id, n.kind, n.params, n.link, n.created_at, n.read_at,
		u.email, u.display_name, coalesce(s.lang, 'ja'), coalesce(p.delivery, 'immediate'), n.mailed_at
	FROM notifications n JOIN users u ON u.id = n.user_id
	LEFT JOIN notification_settings s ON s.user_id = n.user_id
	LEFT JOIN notification_prefs p ON p.user_id = n.user_id AND p.kind = n.kind`

func scanMailTarget(r pgx.CollectableRow) (MailTarget, error) {
	var t MailTarget
	var kind, lang, delivery string
	var params []byte
	err := r.Scan(&t.ID, &t.UserID, &kind, &params, &t.Link, &t.CreatedAt, &t.ReadAt,
		&t.Email, &t.Name, &lang, &delivery, &t.MailedAt)
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

// DigestUsers lists the users with notices waiting for a digest made
// before before.
func DigestUsers(ctx context.Context, tx pgx.Tx, before time.Time) ([]int64, error) {
	rows, _ := tx.Query(ctx, `SELECT DISTINCT n.user_id FROM notifications n
		JOIN notification_prefs p ON p.user_id = n.user_id AND p.kind = n.kind AND p.delivery = 'digest'
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
