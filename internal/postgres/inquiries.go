package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/bulletin"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
)

// Inquiries (問い合わせ) and FAQ entries (よくある質問); docs/bulletins.md.
// Row-level security shows an inquiry to its operator's users, to the
// ministry asked and, once escalated, to the NCO; to nobody else.

const inquiryColumns = `q.id, q.operator_id, q.sector_code, q.ministry_code, q.subject, q.created_at, q.escalated_at,
	o.name_ja, coalesce(nullif(o.name_en, ''), o.name_ja), m.name_ja, m.name_en,
	coalesce((SELECT max(created_at) FROM inquiry_messages x WHERE x.inquiry_id = q.id), q.created_at),
	coalesce((SELECT side FROM inquiry_messages x WHERE x.inquiry_id = q.id ORDER BY x.id DESC LIMIT 1), 'operator'),
	q.closed_at, coalesce(q.closed_side, '')
	FROM inquiries q JOIN operators o ON o.id = q.operator_id JOIN ministries m ON m.code = q.ministry_code`

func scanInquiry(r pgx.CollectableRow) (bulletin.Inquiry, error) {
	var q bulletin.Inquiry
	var side, closedSide string
	err := r.Scan(&q.ID, &q.OperatorID, &q.SectorCode, &q.MinistryCode, &q.Subject, &q.CreatedAt, &q.EscalatedAt,
		&q.OperatorName.Ja, &q.OperatorName.En, &q.MinistryName.Ja, &q.MinistryName.En, &q.LastAt, &side, &q.ClosedAt, &closedSide)
	q.LastSide, q.ClosedSide = bulletin.Side(side), bulletin.Side(closedSide)
	return q, err
}

// inquiryStatusSQL filters by status ("": every inquiry); $1 is the status.
const inquiryStatusSQL = `($1 = '' OR (q.closed_at IS NOT NULL) = ($1 = 'closed'))`

// ListInquiries lists the inquiries the reader may see of status (""
// for all), the most recently written first.
func ListInquiries(ctx context.Context, tx pgx.Tx, status bulletin.InquiryStatus, limit int) ([]bulletin.Inquiry, error) {
	rows, _ := tx.Query(ctx, `SELECT `+inquiryColumns+` WHERE `+inquiryStatusSQL+` ORDER BY 12 DESC, q.id DESC LIMIT $2`, string(status), limit)
	return pgx.CollectRows(rows, scanInquiry)
}

// ListInquiriesAfter lists the inquiries the reader may see of status
// ("" for all) with an id above after, oldest first, limit of them, and
// whether more follow (the API's cursor pagination).
func ListInquiriesAfter(ctx context.Context, tx pgx.Tx, status bulletin.InquiryStatus, after int64, limit int) ([]bulletin.Inquiry, bool, error) {
	rows, _ := tx.Query(ctx, `SELECT `+inquiryColumns+` WHERE `+inquiryStatusSQL+` AND q.id > $2 ORDER BY q.id LIMIT $3`,
		string(status), after, limit+1)
	out, err := pgx.CollectRows(rows, scanInquiry)
	if len(out) > limit {
		return out[:limit], true, err
	}
	return out, false, err
}

// GetInquiry reads inquiry id with its messages, if the reader may see it.
// An author's name is given where the reader may see that user.
func GetInquiry(ctx context.Context, tx pgx.Tx, id int64) (bulletin.Inquiry, error) {
	rows, _ := tx.Query(ctx, `SELECT `+inquiryColumns+` WHERE q.id = $1`, id)
	q, err := pgx.CollectExactlyOneRow(rows, scanInquiry)
	if errors.Is(err, pgx.ErrNoRows) {
		return q, kijun.Errorf(kijun.ENotFound, "error.not_found", nil)
	}
	if err != nil {
		return q, err
	}
	rows, _ = tx.Query(ctx, `SELECT x.id, x.inquiry_id, x.side, coalesce(u.display_name, ''), x.body, x.created_at
		FROM inquiry_messages x LEFT JOIN users u ON u.id = x.author_id WHERE x.inquiry_id = $1 ORDER BY x.id`, id)
	q.Messages, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (bulletin.Message, error) {
		var m bulletin.Message
		var side string
		err := r.Scan(&m.ID, &m.InquiryID, &side, &m.AuthorName, &m.Body, &m.CreatedAt)
		m.Side = bulletin.Side(side)
		return m, err
	})
	return q, err
}

func inquiryAudit(p *identity.Principal, q bulletin.Inquiry, action, requestID string) audit.Event {
	ev := ActorOf(p, requestID)
	ev.Action, ev.ObjectType, ev.ObjectID = action, "inquiry", strconv.FormatInt(q.ID, 10)
	ev.MinistryCode, ev.SectorCode, ev.OperatorID = q.MinistryCode, q.SectorCode, q.OperatorID
	return ev
}

// CreateInquiry opens p's operator's inquiry q (checked by
// bulletin.CheckInquiry, allowed by the policy) to q.MinistryCode, which
// must oversee the operator's sector, with its first message; audits it
// and notifies the ministry.
func CreateInquiry(ctx context.Context, tx pgx.Tx, p *identity.Principal, q bulletin.Inquiry, body, requestID string) (bulletin.Inquiry, error) {
	err := tx.QueryRow(ctx, `INSERT INTO inquiries (operator_id, sector_code, ministry_code, subject, created_by)
		SELECT o.id, o.sector_code, $2, $3, $4 FROM operators o
		WHERE o.id = $1 AND EXISTS (SELECT 1 FROM sector_oversight s WHERE s.sector_code = o.sector_code AND s.ministry_code = $2)
		RETURNING id, sector_code, created_at`, q.OperatorID, q.MinistryCode, strings.TrimSpace(q.Subject), p.UserID).
		Scan(&q.ID, &q.SectorCode, &q.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return q, kijun.Errorf(kijun.EInvalid, "inquiry.error.ministry", nil)
	}
	if err != nil {
		return q, err
	}
	if err := addMessage(ctx, tx, p, q.ID, bulletin.SideOperator, body); err != nil {
		return q, err
	}
	if err := Audit(ctx, tx, inquiryAudit(p, q, "inquiry.create", requestID), nil,
		map[string]any{"subject": q.Subject, "ministry": q.MinistryCode}); err != nil {
		return q, err
	}
	_, err = Notify(ctx, tx, inquiryEvent(notify.InquiryAsked, q, p))
	return q, err
}

func addMessage(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64, side bulletin.Side, body string) error {
	_, err := tx.Exec(ctx, `INSERT INTO inquiry_messages (inquiry_id, side, author_id, body) VALUES ($1, $2, $3, $4)`,
		id, string(side), p.UserID, strings.TrimSpace(body))
	return err
}

// inquiryEvent is a notice about inquiry q: to the ministry asked
// (inquiry.asked), to the NCO (inquiry.escalated, on the ministry's
// scope), or to the operator's users (inquiry.answered).
func inquiryEvent(k notify.Kind, q bulletin.Inquiry, actor *identity.Principal) notify.Event {
	e := notify.Event{Kind: k, Link: "/inquiries/" + strconv.FormatInt(q.ID, 10), Actor: actor.UserID,
		Params: map[string]kijun.Text{"Subject": {Ja: q.Subject, En: q.Subject}}}
	switch k {
	case notify.InquiryAnswered, notify.InquiryClosed:
		e.Scope = authz.Resource{OperatorID: q.OperatorID, SectorCode: q.SectorCode}
	case notify.InquiryEscalated:
		e.Scope = authz.Resource{MinistryCode: q.MinistryCode}
		e.Params["Ministry"] = q.MinistryName
	default:
		e.Scope = authz.Resource{MinistryCode: q.MinistryCode}
		e.Params["Operator"] = q.OperatorName
	}
	return e
}

// AddInquiryMessage writes p's message in inquiry q (read and allowed by
// the caller) as side, audits it and tells the other side: an operator's
// message to the ministry, the ministry's or the NCO's to the operator.
//
// A message in a closed thread reopens it (bulletin.Inquiry.Reopens),
// audited as inquiry.reopen.
func AddInquiryMessage(ctx context.Context, tx pgx.Tx, p *identity.Principal, q bulletin.Inquiry, side bulletin.Side, body, requestID string) error {
	if err := addMessage(ctx, tx, p, q.ID, side, body); err != nil {
		return err
	}
	if q.Reopens() {
		if _, err := tx.Exec(ctx, `UPDATE inquiries SET closed_at = NULL, closed_by = NULL, closed_side = NULL WHERE id = $1`, q.ID); err != nil {
			return err
		}
		if err := Audit(ctx, tx, inquiryAudit(p, q, "inquiry.reopen", requestID), map[string]any{"status": bulletin.InquiryClosed},
			map[string]any{"status": bulletin.InquiryOpen, "side": side}); err != nil {
			return err
		}
	}
	if err := Audit(ctx, tx, inquiryAudit(p, q, "inquiry.message", requestID), nil, map[string]any{"side": side}); err != nil {
		return err
	}
	k := notify.InquiryAnswered
	if side == bulletin.SideOperator {
		k = notify.InquiryAsked
	}
	_, err := Notify(ctx, tx, inquiryEvent(k, q, p))
	return err
}

// CloseInquiry closes inquiry q (解決済み) as p writing on side, which
// bulletin.CanClose must allow (the caller checks; the database refuses
// otherwise), with body as a last message when not blank; audits it and
// tells the operator's users (inquiry.closed). Closed already: a
// conflict.
func CloseInquiry(ctx context.Context, tx pgx.Tx, p *identity.Principal, q bulletin.Inquiry, side bulletin.Side, body, requestID string) error {
	if strings.TrimSpace(body) != "" {
		if err := addMessage(ctx, tx, p, q.ID, side, body); err != nil {
			return err
		}
	}
	tag, err := tx.Exec(ctx, `UPDATE inquiries SET closed_at = now(), closed_by = $2, closed_side = $3
		WHERE id = $1 AND closed_at IS NULL`, q.ID, p.UserID, string(side))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return kijun.Errorf(kijun.EConflict, "inquiry.error.closed", nil)
	}
	if err := Audit(ctx, tx, inquiryAudit(p, q, "inquiry.close", requestID), map[string]any{"status": bulletin.InquiryOpen},
		map[string]any{"status": bulletin.InquiryClosed, "side": side, "message": strings.TrimSpace(body) != ""}); err != nil {
		return err
	}
	_, err = Notify(ctx, tx, inquiryEvent(notify.InquiryClosed, q, p))
	return err
}

// EscalateInquiry escalates inquiry q to the NCO (回付), as its ministry's
// user p, audits it and notifies the NCO. Escalated (or closed) already:
// a conflict.
func EscalateInquiry(ctx context.Context, tx pgx.Tx, p *identity.Principal, q bulletin.Inquiry, requestID string) error {
	tag, err := tx.Exec(ctx, `UPDATE inquiries SET escalated_at = now(), escalated_by = $2
		WHERE id = $1 AND escalated_at IS NULL AND closed_at IS NULL`, q.ID, p.UserID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return kijun.Errorf(kijun.EConflict, "inquiry.error.escalated", nil)
	}
	if err := Audit(ctx, tx, inquiryAudit(p, q, "inquiry.escalate", requestID), nil, nil); err != nil {
		return err
	}
	_, err = Notify(ctx, tx, inquiryEvent(notify.InquiryEscalated, q, p))
	return err
}

// PublishFAQ publishes f (checked by bulletin.CheckFAQ, its sectors
// allowed by the policy) as p, for f.Ministry ("" for the NCO), and
// audits it.
func PublishFAQ(ctx context.Context, tx pgx.Tx, p *identity.Principal, f bulletin.FAQ, requestID string) (bulletin.FAQ, error) {
	err := tx.QueryRow(ctx, `INSERT INTO faqs (ministry_code, sectors, question, answer, inquiry_id, published_by, corrects)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, published_at`, nullText(f.Ministry), f.Sectors,
		strings.TrimSpace(f.Question), strings.TrimSpace(f.Answer), nullID(f.InquiryID), p.UserID, nullID(f.Corrects)).Scan(&f.ID, &f.PublishedAt)
	if IsUniqueViolation(err) {
		return f, kijun.Errorf(kijun.EConflict, "faq.error.corrected", nil)
	}
	if err != nil {
		return f, err
	}
	ev := ActorOf(p, requestID)
	ev.Action, ev.ObjectType, ev.ObjectID, ev.MinistryCode = "faq.publish", "faq", strconv.FormatInt(f.ID, 10), f.Ministry
	return f, Audit(ctx, tx, ev, nil, map[string]any{"sectors": f.Sectors, "inquiry_id": f.InquiryID, "corrects": f.Corrects})
}

// WithdrawFAQ withdraws FAQ entry f (取り下げ; read by the caller, allowed
// by the policy: its publisher or the NCO) with reason (checked by
// bulletin.CheckWithdrawal) and audits it. Withdrawn already: a conflict.
func WithdrawFAQ(ctx context.Context, tx pgx.Tx, p *identity.Principal, f bulletin.FAQ, reason, requestID string) error {
	tag, err := tx.Exec(ctx, `INSERT INTO faq_withdrawals (faq_id, reason, withdrawn_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		f.ID, strings.TrimSpace(reason), p.UserID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return kijun.Errorf(kijun.EConflict, "faq.error.withdrawn", nil)
	}
	ev := ActorOf(p, requestID)
	ev.Action, ev.ObjectType, ev.ObjectID, ev.MinistryCode = "faq.withdraw", "faq", strconv.FormatInt(f.ID, 10), f.Ministry
	return Audit(ctx, tx, ev, nil, map[string]any{"reason": strings.TrimSpace(reason)})
}

// GetFAQ reads FAQ entry id if the reader sees it (row-level security),
// withdrawn or corrected ones included.
func GetFAQ(ctx context.Context, tx pgx.Tx, id int64) (bulletin.FAQ, error) {
	list, err := listFAQs(ctx, tx, `WHERE f.id = $1`, id)
	if err != nil {
		return bulletin.FAQ{}, err
	}
	if len(list) == 0 {
		return bulletin.FAQ{}, kijun.Errorf(kijun.ENotFound, "error.not_found", nil)
	}
	return list[0], nil
}

// faqCurrentSQL keeps the entries shown to readers (bulletin.FAQ.Current):
// neither withdrawn nor replaced by a correction.
const faqCurrentSQL = `NOT EXISTS (SELECT 1 FROM faq_withdrawals w WHERE w.faq_id = f.id)
	AND NOT EXISTS (SELECT 1 FROM faqs c WHERE c.corrects = f.id)`

// ListFAQs lists the FAQ entries the reader may see (RLS: the operators of
// their sectors, the ministries overseeing them or that published them,
// the NCO), newest first: the current ones, and for their publisher and
// the NCO also those withdrawn or corrected (marked). Where an entry came
// from is given to its publisher and the NCO only.
func ListFAQs(ctx context.Context, tx pgx.Tx, limit int) ([]bulletin.FAQ, error) {
	return listFAQs(ctx, tx, `WHERE (kijun_nco() OR f.ministry_code = ANY (kijun_ministries()) OR `+faqCurrentSQL+`)
		ORDER BY f.published_at DESC, f.id DESC LIMIT $1`, limit)
}

// ListFAQsAfter lists the current FAQ entries the reader may see with an
// id above after, oldest first, limit of them, and whether more follow
// (the API's cursor pagination); withdrawn and corrected entries are
// left out for everyone.
func ListFAQsAfter(ctx context.Context, tx pgx.Tx, after int64, limit int) ([]bulletin.FAQ, bool, error) {
	out, err := listFAQs(ctx, tx, `WHERE f.id > $1 AND `+faqCurrentSQL+` ORDER BY f.id LIMIT $2`, after, limit+1)
	if len(out) > limit {
		return out[:limit], true, err
	}
	return out, false, err
}

func listFAQs(ctx context.Context, tx pgx.Tx, tail string, args ...any) ([]bulletin.FAQ, error) {
	rows, _ := tx.Query(ctx, `SELECT f.id, coalesce(f.ministry_code, ''), f.sectors, f.question, f.answer,
			CASE WHEN kijun_nco() OR f.ministry_code = ANY (kijun_ministries()) THEN coalesce(f.inquiry_id, 0) ELSE 0 END,
			f.published_at, coalesce(m.name_ja, ''), coalesce(m.name_en, ''), coalesce(f.corrects, 0),
			coalesce((SELECT c.id FROM faqs c WHERE c.corrects = f.id), 0), w.withdrawn_at, coalesce(w.reason, '')
		FROM faqs f LEFT JOIN ministries m ON m.code = f.ministry_code LEFT JOIN faq_withdrawals w ON w.faq_id = f.id `+tail, args...)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (bulletin.FAQ, error) {
		var f bulletin.FAQ
		err := r.Scan(&f.ID, &f.Ministry, &f.Sectors, &f.Question, &f.Answer, &f.InquiryID, &f.PublishedAt, &f.SenderName.Ja, &f.SenderName.En,
			&f.Corrects, &f.CorrectedBy, &f.WithdrawnAt, &f.WithdrawnReason)
		return f, err
	})
}

// InquiryMinistries lists the ministries overseeing sector, which an
// operator of it may ask.
func InquiryMinistries(ctx context.Context, q Querier, sector string) ([]kijun.Named, error) {
	rows, _ := q.Query(ctx, `SELECT m.code, m.name_ja, m.name_en FROM sector_oversight s JOIN ministries m ON m.code = s.ministry_code
		WHERE s.sector_code = $1 ORDER BY m.sort_order, m.code`, sector)
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (kijun.Named, error) {
		var n kijun.Named
		err := r.Scan(&n.Code, &n.Name.Ja, &n.Name.En)
		return n, err
	})
}

// OperatorNames reads the names and sectors of operators ids that the
// reader may see, in the order of ids (an inquiry's asker chooses among
// its own operators).
func OperatorNames(ctx context.Context, tx pgx.Tx, ids []int64) ([]bulletin.Org, []kijun.Text, error) {
	rows, _ := tx.Query(ctx, `SELECT o.id, o.sector_code, o.name_ja, coalesce(nullif(o.name_en, ''), o.name_ja)
		FROM unnest($1::bigint[]) WITH ORDINALITY AS x(id, n) JOIN operators o ON o.id = x.id ORDER BY x.n`, ids)
	var orgs []bulletin.Org
	var names []kijun.Text
	var o bulletin.Org
	var t kijun.Text
	_, err := pgx.ForEachRow(rows, []any{&o.OperatorID, &o.SectorCode, &t.Ja, &t.En}, func() error {
		orgs, names = append(orgs, o), append(names, t)
		return nil
	})
	return orgs, names, err
}
