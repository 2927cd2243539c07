package postgres

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/bulletin"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
)

// Bulletins (周知; docs/bulletins.md). Row-level security decides who
// reads what: the NCO every bulletin, a ministry those it sent, each
// recipient organisation's users those it received.

// bulletinAudienceSQL writes the recipients of bulletin $1 from its
// audience columns: bulletin.Audience.Includes in SQL (a test derives one
// from the other). It runs in the publishing transaction, as the
// publisher: a ministry's query sees only its sectors' operators anyway.
const bulletinAudienceSQL = `INSERT INTO bulletin_recipients (bulletin_id, sender_ministry, ministry_code, operator_id, sector_code)
	SELECT b.id, b.ministry_code, NULL, o.id, o.sector_code FROM bulletins b JOIN operators o ON ` + bulletinOperatorAudienceSQL + `
	WHERE b.id = $1
	UNION ALL
	SELECT b.id, b.ministry_code, m.code, NULL, NULL FROM bulletins b JOIN ministries m ON NOT m.is_coordinator AND (
	     b.audience_kind = 'everyone'
	  OR b.audience_kind = 'ministries' AND m.code = ANY (b.audience_ministries))
	WHERE b.id = $1`

// bulletinOperatorAudienceSQL is the operator half of Audience.Includes:
// operator o is in bulletin b's audience.
const bulletinOperatorAudienceSQL = `o.status = 'active' AND (
	     b.audience_kind = 'everyone'
	  OR b.audience_kind = 'sectors' AND o.sector_code = ANY (b.audience_sectors)
	  OR b.audience_kind = 'scope' AND (o.designation = b.audience_designation OR o.designation = 'both')
	     AND (cardinality(b.audience_sectors) = 0 OR o.sector_code = ANY (b.audience_sectors))
	  OR b.audience_kind = 'operators' AND o.id = ANY (b.audience_operators))`

// DeliverToLaterOperators gives the bulletins that still ask for an
// acknowledgement due on day (a day in Japan) or later
// (bulletin.Bulletin.ReachesLater) to the active operators in their
// audience (Audience.Includes) that are not recipients yet — operators
// designated or made active after publication — and tells their users
// (bulletin.published). A system transaction: the daily job, before the
// acknowledgement reminders. It returns how many recipients it added.
func DeliverToLaterOperators(ctx context.Context, tx pgx.Tx, day time.Time) (int, error) {
	rows, err := tx.Query(ctx, `WITH added AS (
		INSERT INTO bulletin_recipients (bulletin_id, sender_ministry, ministry_code, operator_id, sector_code)
		SELECT b.id, b.ministry_code, NULL, o.id, o.sector_code FROM bulletins b JOIN operators o ON `+bulletinOperatorAudienceSQL+`
		WHERE b.ack_by >= $1 AND NOT EXISTS (SELECT 1 FROM bulletin_recipients r WHERE r.bulletin_id = b.id AND r.operator_id = o.id)
		RETURNING bulletin_id, operator_id, sector_code)
		SELECT `+bulletinColumns+`, x.operator_id, x.sector_code`+bulletinFrom+` JOIN added x ON x.bulletin_id = b.id ORDER BY b.id, x.operator_id`,
		dateOf(day))
	if err != nil {
		return 0, err
	}
	var events []notify.Event
	for rows.Next() {
		var s authz.Resource
		b, err := scanBulletin(rows, &s.OperatorID, &s.SectorCode)
		if err != nil {
			rows.Close()
			return 0, err
		}
		events = append(events, notify.Event{Kind: notify.BulletinPublished, Scope: s, Params: bulletinParams(b),
			Link: "/bulletins/" + strconv.FormatInt(b.ID, 10)})
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	_, err = Notify(ctx, tx, events...)
	return len(events), err
}

// PublishBulletin publishes b (checked by bulletin.Check, its audience
// allowed by the policy) as p — for its ministry, or the NCO when
// b.Ministry is "" — writes its recipients, audits it and queues the
// background job that notifies the recipients' users. Named operators the
// publisher cannot see or that are withdrawn are refused (bulletin.error.
// operators_unknown); a bulletin to correct that the publisher cannot see
// is refused too. It returns the bulletin and its number of recipients.
func PublishBulletin(ctx context.Context, tx pgx.Tx, p *identity.Principal, b bulletin.Bulletin, requestID string) (bulletin.Bulletin, int, error) {
	if b.Corrects != 0 {
		if _, err := GetBulletin(ctx, tx, b.Corrects); err != nil {
			if kijun.ErrorCode(err) == kijun.ENotFound {
				return b, 0, kijun.Errorf(kijun.EInvalid, "bulletin.error.corrects", nil)
			}
			return b, 0, err
		}
	}
	a := b.Audience
	var ackBy any
	if b.AckBy != nil {
		ackBy = kijun.ISODate(*b.AckBy)
	}
	err := tx.QueryRow(ctx, `INSERT INTO bulletins (ministry_code, category, title, body, audience_kind, audience_ministries,
			audience_sectors, audience_designation, audience_operators, ack_by, corrects, published_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id, published_at`,
		nullText(b.Ministry), string(b.Category), b.Title, b.Body, string(a.Kind), kijun.NonNil(a.Ministries), kijun.NonNil(a.Sectors),
		nullText(a.Designation), kijun.NonNil(a.Operators), ackBy, nullID(b.Corrects), p.UserID).Scan(&b.ID, &b.PublishedAt)
	if err != nil {
		return b, 0, err
	}
	b.PublishedBy = p.UserID
	tag, err := tx.Exec(ctx, bulletinAudienceSQL, b.ID)
	if err != nil {
		return b, 0, err
	}
	if a.Kind == bulletin.Operators && int(tag.RowsAffected()) != len(a.Operators) {
		return b, 0, kijun.Errorf(kijun.EInvalid, "bulletin.error.operators_unknown", nil)
	}
	ev := ActorOf(p, requestID)
	ev.Action, ev.ObjectType, ev.ObjectID, ev.MinistryCode = "bulletin.publish", "bulletin", strconv.FormatInt(b.ID, 10), b.Ministry
	after := map[string]any{"category": b.Category, "title": b.Title, "audience": a, "ack_by": ackBy,
		"corrects": b.Corrects, "recipients": tag.RowsAffected()}
	if err := Audit(ctx, tx, ev, nil, after); err != nil {
		return b, 0, err
	}
	return b, int(tag.RowsAffected()), Enqueue(ctx, tx, notify.BulletinPublishedArgs{BulletinID: b.ID})
}

const bulletinColumns = `b.id, coalesce(b.ministry_code, ''), b.category, b.title, b.body, b.audience_kind, b.audience_ministries,
	b.audience_sectors, coalesce(b.audience_designation, ''), b.audience_operators, b.ack_by, coalesce(b.corrects, 0),
	b.published_at, b.published_by, coalesce(m.name_ja, ''), coalesce(m.name_en, '')`

const bulletinFrom = ` FROM bulletins b LEFT JOIN ministries m ON m.code = b.ministry_code`

func scanBulletin(r pgx.Row, extra ...any) (bulletin.Bulletin, error) {
	var b bulletin.Bulletin
	var cat, kind string
	dest := []any{&b.ID, &b.Ministry, &cat, &b.Title, &b.Body, &kind, &b.Audience.Ministries, &b.Audience.Sectors,
		&b.Audience.Designation, &b.Audience.Operators, &b.AckBy, &b.Corrects, &b.PublishedAt, &b.PublishedBy,
		&b.SenderName.Ja, &b.SenderName.En}
	err := r.Scan(append(dest, extra...)...)
	b.Category, b.Audience.Kind = bulletin.Category(cat), bulletin.AudienceKind(kind)
	if b.AckBy != nil {
		t := kijun.Date(b.AckBy.Format(time.DateOnly)).Time()
		b.AckBy = &t
	}
	return b, err
}

// GetBulletin reads bulletin id if the reader may see it.
func GetBulletin(ctx context.Context, tx pgx.Tx, id int64) (bulletin.Bulletin, error) {
	b, err := scanBulletin(tx.QueryRow(ctx, `SELECT `+bulletinColumns+bulletinFrom+` WHERE b.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return b, kijun.Errorf(kijun.ENotFound, "error.not_found", nil)
	}
	return b, err
}

// BulletinListItem is a bulletin as the list shows it to its reader.
type BulletinListItem struct {
	bulletin.Bulletin
	// Recipient: the reader's organisation received it (else the reader
	// sent it or oversees it, as the NCO).
	Recipient bool
	Read      bool // the reader has opened it
	Acked     bool // every recipient organisation of the reader acknowledged it
}

// ListBulletins lists the bulletins the reader may see, newest first.
func ListBulletins(ctx context.Context, tx pgx.Tx, limit int) ([]BulletinListItem, error) {
	return listBulletins(ctx, tx, `ORDER BY b.published_at DESC, b.id DESC LIMIT $1`, limit)
}

// ListBulletinsAfter lists the bulletins the reader may see with an id
// above after, oldest first, limit of them, and whether more follow (the
// API's cursor pagination: ids only grow, so a client reading forward
// never misses one published meanwhile).
func ListBulletinsAfter(ctx context.Context, tx pgx.Tx, after int64, limit int) ([]BulletinListItem, bool, error) {
	out, err := listBulletins(ctx, tx, `WHERE b.id > $1 ORDER BY b.id LIMIT $2`, after, limit+1)
	if len(out) > limit {
		return out[:limit], true, err
	}
	return out, false, err
}

// listBulletins is the one query of both lists, with the reader's marks.
func listBulletins(ctx context.Context, tx pgx.Tx, tail string, args ...any) ([]BulletinListItem, error) {
	rows, err := tx.Query(ctx, `WITH mine AS (SELECT x.id, x.bulletin_id, x.acked_at FROM bulletin_recipients x
			WHERE x.operator_id = ANY (kijun_operators()) OR x.ministry_code = ANY (kijun_ministries()))
		SELECT `+bulletinColumns+`,
			EXISTS (SELECT 1 FROM mine WHERE mine.bulletin_id = b.id),
			EXISTS (SELECT 1 FROM mine JOIN bulletin_reads r ON r.recipient_id = mine.id
				WHERE mine.bulletin_id = b.id AND r.user_id = kijun_user_id()),
			coalesce((SELECT bool_and(mine.acked_at IS NOT NULL) FROM mine WHERE mine.bulletin_id = b.id), false)
		`+bulletinFrom+` `+tail, args...)
	if err != nil {
		return nil, err
	}
	var out []BulletinListItem
	for rows.Next() {
		var it BulletinListItem
		b, err := scanBulletin(rows, &it.Recipient, &it.Read, &it.Acked)
		if err != nil {
			rows.Close()
			return nil, err
		}
		it.Bulletin = b
		out = append(out, it)
	}
	return out, rows.Err()
}

const recipientColumns = `x.id, x.bulletin_id, coalesce(x.ministry_code, ''), coalesce(x.operator_id, 0), coalesce(x.sector_code, ''),
	coalesce(o.name_ja, m.name_ja, ''), coalesce(nullif(o.name_en, ''), o.name_ja, m.name_en, ''),
	(SELECT count(*) FROM bulletin_reads r WHERE r.recipient_id = x.id), (SELECT min(r.read_at) FROM bulletin_reads r WHERE r.recipient_id = x.id),
	x.acked_at, coalesce(u.display_name, '')
	FROM bulletin_recipients x LEFT JOIN operators o ON o.id = x.operator_id LEFT JOIN ministries m ON m.code = x.ministry_code
	LEFT JOIN users u ON u.id = x.acked_by`

func scanRecipient(r pgx.CollectableRow) (bulletin.Recipient, error) {
	var x bulletin.Recipient
	err := r.Scan(&x.ID, &x.BulletinID, &x.MinistryCode, &x.OperatorID, &x.SectorCode, &x.Name.Ja, &x.Name.En,
		&x.Readers, &x.FirstReadAt, &x.AckedAt, &x.AckedBy)
	return x, err
}

// BulletinRecipients lists the recipients of bulletin id the reader may
// see (the sender and the NCO: all), ministries first, then operators by
// sector and name.
func BulletinRecipients(ctx context.Context, tx pgx.Tx, id int64) ([]bulletin.Recipient, error) {
	rows, _ := tx.Query(ctx, `SELECT `+recipientColumns+` WHERE x.bulletin_id = $1
		ORDER BY x.operator_id NULLS FIRST, x.ministry_code, x.sector_code, o.name_ja, x.id`, id)
	return pgx.CollectRows(rows, scanRecipient)
}

// MyRecipients lists the reader's own organisations among bulletin id's
// recipients.
func MyRecipients(ctx context.Context, tx pgx.Tx, id int64) ([]bulletin.Recipient, error) {
	rows, _ := tx.Query(ctx, `SELECT `+recipientColumns+` WHERE x.bulletin_id = $1
		AND (x.operator_id = ANY (kijun_operators()) OR x.ministry_code = ANY (kijun_ministries())) ORDER BY x.id`, id)
	return pgx.CollectRows(rows, scanRecipient)
}

// MarkBulletinRead records that the reader opened bulletin id, for each of
// their organisations that received it (the first time counts). Reads are
// kept in bulletin_reads with their time, not in the audit log.
func MarkBulletinRead(ctx context.Context, tx pgx.Tx, id int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO bulletin_reads (recipient_id, user_id)
		SELECT x.id, kijun_user_id() FROM bulletin_recipients x WHERE x.bulletin_id = $1
		AND (x.operator_id = ANY (kijun_operators()) OR x.ministry_code = ANY (kijun_ministries()))
		ON CONFLICT DO NOTHING`, id)
	return err
}

// AckBulletin records p's acknowledgement of bulletin b for its recipient
// organisation x (allowed by the policy) and audits it. A second one is a
// conflict (bulletin.error.acked).
func AckBulletin(ctx context.Context, tx pgx.Tx, p *identity.Principal, b bulletin.Bulletin, x bulletin.Recipient, requestID string) error {
	tag, err := tx.Exec(ctx, `UPDATE bulletin_recipients SET acked_at = now(), acked_by = $2 WHERE id = $1 AND acked_at IS NULL`, x.ID, p.UserID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return kijun.Errorf(kijun.EConflict, "bulletin.error.acked", nil)
	}
	ev := ActorOf(p, requestID)
	ev.Action, ev.ObjectType, ev.ObjectID = "bulletin.acknowledge", "bulletin", strconv.FormatInt(b.ID, 10)
	ev.MinistryCode, ev.OperatorID, ev.SectorCode = x.MinistryCode, x.OperatorID, x.SectorCode
	return Audit(ctx, tx, ev, nil, map[string]any{"recipient_id": x.ID})
}

// BulletinPublishedEvents are the bulletin.published notices of bulletin
// id: one per recipient organisation, on its own tenant (system
// transactions, from the fan-out job).
func BulletinPublishedEvents(ctx context.Context, tx pgx.Tx, id int64) ([]notify.Event, error) {
	b, err := GetBulletin(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	params := bulletinParams(b)
	rows, _ := tx.Query(ctx, `SELECT coalesce(ministry_code, ''), coalesce(operator_id, 0), coalesce(sector_code, '')
		FROM bulletin_recipients WHERE bulletin_id = $1 ORDER BY id`, id)
	var s authz.Resource
	var events []notify.Event
	_, err = pgx.ForEachRow(rows, []any{&s.MinistryCode, &s.OperatorID, &s.SectorCode}, func() error {
		events = append(events, notify.Event{Kind: notify.BulletinPublished, Scope: s, Params: params,
			Link: "/bulletins/" + strconv.FormatInt(id, 10), Actor: b.PublishedBy})
		return nil
	})
	return events, err
}

// bulletinParams is the text of a bulletin's notices: its title (as
// written, in both languages) and its sender.
func bulletinParams(b bulletin.Bulletin) map[string]kijun.Text {
	sender := b.SenderName
	if b.Ministry == "" {
		sender = kijun.Text{Ja: "国家サイバー統括室", En: "National Cybersecurity Office"}
	}
	return map[string]kijun.Text{"Title": {Ja: b.Title, En: b.Title}, "Sender": sender}
}

// SendBulletinAckReminders notifies, once, the users of every recipient
// organisation that has not acknowledged a bulletin whose acknowledgement
// is due on day (a day in Japan) — the morning of the due date
// (bulletin.ack_due) — and records it (system transactions; the daily job).
func SendBulletinAckReminders(ctx context.Context, tx pgx.Tx, day time.Time) (int, error) {
	rows, err := tx.Query(ctx, `SELECT `+bulletinColumns+`, coalesce(x.ministry_code, ''), coalesce(x.operator_id, 0), coalesce(x.sector_code, '')
		`+bulletinFrom+` JOIN bulletin_recipients x ON x.bulletin_id = b.id
		WHERE b.ack_by = $1 AND x.acked_at IS NULL ORDER BY b.id, x.id`, dateOf(day))
	if err != nil {
		return 0, err
	}
	var events []notify.Event
	for rows.Next() {
		var s authz.Resource
		b, err := scanBulletin(rows, &s.MinistryCode, &s.OperatorID, &s.SectorCode)
		if err != nil {
			rows.Close()
			return 0, err
		}
		params := bulletinParams(b)
		params["Due"] = kijun.Text{Ja: kijun.FormatDate(kijun.Ja, *b.AckBy), En: kijun.FormatDate(kijun.En, *b.AckBy)}
		events = append(events, notify.Event{Kind: notify.BulletinAckDue, Scope: s, Params: params,
			Link: "/bulletins/" + strconv.FormatInt(b.ID, 10)})
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	_, err = Notify(ctx, tx, events...)
	return len(events), err
}

// ResolveOperators finds the active operators with the corporate numbers
// ns that the reader may see (RLS: a ministry its sectors'), for a
// bulletin's named audience.
func ResolveOperators(ctx context.Context, tx pgx.Tx, ns []string) ([]bulletin.Org, error) {
	rows, _ := tx.Query(ctx, `SELECT id, sector_code, designation FROM operators
		WHERE corporate_number = ANY ($1) AND status = 'active' ORDER BY id`, ns)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (bulletin.Org, error) {
		o := bulletin.Org{Active: true}
		err := r.Scan(&o.OperatorID, &o.SectorCode, &o.Designation)
		return o, err
	})
}
