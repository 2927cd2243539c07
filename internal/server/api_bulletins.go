package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/bulletin"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/pages/bulletins"
)

// The API's bulletins (周知), inquiries (問い合わせ) and FAQ (よくある質問;
// docs/bulletins.md): each handler goes through the page's own code path
// (publishBulletin, ackBulletin, loadBulletin, createInquiry,
// replyInquiry, escalateInquiry, loadInquiry), so the policy, the checks
// and the audit are the page's.
func (s *Server) apiBulletinRoutes(a apiRoute) {
	a(http.MethodGet, "/bulletins", authz.ViewBulletins, s.apiBulletins)
	a(http.MethodPost, "/bulletins", authz.PublishBulletin, s.apiBulletinPublish)
	a(http.MethodGet, "/bulletins/{id}", authz.ViewBulletins, s.apiBulletin)
	a(http.MethodPost, "/bulletins/{id}/acknowledge", authz.ReadBulletin, s.apiBulletinAck)
	a(http.MethodGet, "/bulletins/{id}/receipts", authz.ViewBulletinReport, s.apiBulletinReceipts)
	a(http.MethodGet, "/inquiries", authz.ViewInquiries, s.apiInquiries)
	a(http.MethodPost, "/inquiries", authz.AskInquiry, s.apiInquiryCreate)
	a(http.MethodGet, "/inquiries/{id}", authz.ViewInquiries, s.apiInquiry)
	a(http.MethodPost, "/inquiries/{id}/messages", authz.ViewInquiries, s.apiInquiryReply)
	a(http.MethodPost, "/inquiries/{id}/escalate", authz.EscalateInquiry, s.apiInquiryEscalate)
	a(http.MethodGet, "/faq", authz.ViewBulletins, s.apiFAQ)
	a(http.MethodPost, "/inquiries/{id}/close", authz.CloseInquiry, s.apiInquiryClose)
	a(http.MethodPost, "/faq/{id}/withdraw", authz.WithdrawFAQ, s.apiFAQWithdraw)
}

// --- bulletins ---

type apiAudience struct {
	Kind             bulletin.AudienceKind `json:"kind"`
	Ministries       []string              `json:"ministries"`
	Sectors          []string              `json:"sectors"`
	Designation      string                `json:"designation,omitempty"`
	OperatorIDs      []int64               `json:"operator_ids"`
	CorporateNumbers []string              `json:"corporate_numbers,omitempty"`
}

type apiBulletin struct {
	ID          int64             `json:"id"`
	Ministry    string            `json:"ministry,omitempty"`
	SenderName  kijun.Text        `json:"sender_name"`
	Category    bulletin.Category `json:"category"`
	Title       string            `json:"title"`
	Body        string            `json:"body"`
	Audience    apiAudience       `json:"audience"`
	AckBy       string            `json:"ack_by,omitempty"`
	Corrects    int64             `json:"corrects,omitempty"`
	PublishedAt time.Time         `json:"published_at"`
	// Recipient: the token's organisation received it (else it sent it,
	// or the NCO oversees it).
	Recipient    bool `json:"recipient"`
	Read         bool `json:"read"`
	Acknowledged bool `json:"acknowledged"`
	// Organisations are the token's recipient organisations (GET one).
	Organisations []apiBulletinRecipient `json:"organisations,omitempty"`
}

type apiBulletinRecipient struct {
	ID             int64      `json:"id"`
	Ministry       string     `json:"ministry,omitempty"`
	OperatorID     int64      `json:"operator_id,omitempty"`
	Sector         string     `json:"sector,omitempty"`
	Name           kijun.Text `json:"name"`
	Readers        int        `json:"readers"`
	FirstReadAt    *time.Time `json:"first_read_at,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	Overdue        bool       `json:"overdue"`
}

type apiReceipts struct {
	BulletinID   int64                  `json:"bulletin_id"`
	Recipients   int                    `json:"recipients"`
	Read         int                    `json:"read"`
	Acknowledged int                    `json:"acknowledged"`
	Overdue      int                    `json:"overdue"`
	Items        []apiBulletinRecipient `json:"items"`
}

func bulletinJSON(b bulletin.Bulletin) apiBulletin {
	a := b.Audience
	out := apiBulletin{ID: b.ID, Ministry: b.Ministry, SenderName: b.SenderName, Category: b.Category, Title: b.Title, Body: b.Body,
		Audience: apiAudience{Kind: a.Kind, Ministries: kijun.NonNil(a.Ministries), Sectors: kijun.NonNil(a.Sectors), Designation: a.Designation,
			OperatorIDs: kijun.NonNil(a.Operators)},
		Corrects: b.Corrects, PublishedAt: b.PublishedAt}
	if b.Ministry == "" {
		out.SenderName = ncoSenderName()
	}
	if b.AckBy != nil {
		out.AckBy = kijun.ISODate(*b.AckBy)
	}
	return out
}

func recipientJSON(b bulletin.Bulletin, x bulletin.Recipient, now time.Time) apiBulletinRecipient {
	return apiBulletinRecipient{ID: x.ID, Ministry: x.MinistryCode, OperatorID: x.OperatorID, Sector: x.SectorCode, Name: x.Name,
		Readers: x.Readers, FirstReadAt: x.FirstReadAt, AcknowledgedAt: x.AckedAt, AcknowledgedBy: x.AckedBy,
		Overdue: bulletin.AckOverdue(b.AckBy, x.AckedAt != nil, now)}
}

// apiBulletins lists the bulletins the token may see (row-level security,
// as the page: those its organisation received, those its ministry sent,
// every one for the NCO), oldest first from the cursor.
func (s *Server) apiBulletins(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	return listPage(s, w, r, func(tx pgx.Tx) ([]postgres.BulletinListItem, bool, error) {
		return postgres.ListBulletinsAfter(r.Context(), tx, after, limit)
	}, func(it postgres.BulletinListItem) int64 { return it.ID }, every(func(it postgres.BulletinListItem) apiBulletin {
		j := bulletinJSON(it.Bulletin)
		j.Recipient, j.Read, j.Acknowledged = it.Recipient, it.Read, it.Recipient && it.Acked
		return j
	}))
}

// writeBulletin answers with bulletin id as the token sees it, with its
// recipient organisations; like the page, a recipient's reading it
// records the read.
func (s *Server) writeBulletin(w http.ResponseWriter, r *http.Request, id int64, status int) error {
	var out apiBulletin
	now := s.now()
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		v, err := s.loadBulletin(r, tx, id)
		if err != nil {
			return err
		}
		if len(v.Mine) > 0 {
			if err := postgres.MarkBulletinRead(r.Context(), tx, id); err != nil {
				return err
			}
			if v.Mine, err = postgres.MyRecipients(r.Context(), tx, id); err != nil {
				return err
			}
		}
		out = bulletinJSON(v.B)
		acked := true
		for _, x := range v.Mine {
			if authz.Can(principal(r), authz.ReadBulletin, authz.Resource{MinistryCode: x.MinistryCode, OperatorID: x.OperatorID, SectorCode: x.SectorCode}) {
				out.Organisations = append(out.Organisations, recipientJSON(v.B, x, now))
				acked = acked && x.AckedAt != nil
			}
		}
		// Read: opening it just now recorded the read of each.
		out.Recipient = len(out.Organisations) > 0
		out.Read, out.Acknowledged = out.Recipient, out.Recipient && acked
		return nil
	})
	if err != nil {
		return err
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", apiPrefix+"/bulletins/"+itoa(id))
	}
	return writeJSON(w, status, out)
}

func (s *Server) apiBulletin(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.writeBulletin(w, r, id, http.StatusOK)
}

// apiBulletinInput is a bulletin to publish.
type apiBulletinInput struct {
	Category string `json:"category"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	AckBy    string `json:"ack_by"`
	Corrects int64  `json:"corrects"`
	Audience struct {
		Kind             string   `json:"kind"`
		Ministries       []string `json:"ministries"`
		Sectors          []string `json:"sectors"`
		Designation      string   `json:"designation"`
		CorporateNumbers []string `json:"corporate_numbers"`
	} `json:"audience"`
}

// bulletinFields maps the form's field names to the API's.
var bulletinFields = map[string]string{"audience": "audience.kind", "ministries": "audience.ministries",
	"sectors": "audience.sectors", "designation": "audience.designation", "operators": "audience.corporate_numbers"}

// apiBulletinPublish publishes a bulletin through the page's code path
// (publishBulletin: the same checks, the same audience rule and policy).
func (s *Server) apiBulletinPublish(w http.ResponseWriter, r *http.Request) error {
	var in apiBulletinInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	d := bulletin.Draft{Category: in.Category, Title: in.Title, Body: in.Body, AckBy: in.AckBy, Audience: in.Audience.Kind,
		Ministries: in.Audience.Ministries, Sectors: in.Audience.Sectors, Designation: in.Audience.Designation,
		Operators: strings.Join(in.Audience.CorporateNumbers, ",")}
	if in.Corrects != 0 {
		d.Corrects = strconv.FormatInt(in.Corrects, 10)
	}
	id, errs, err := s.publishBulletin(r, d)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return formFieldErrors(errs, bulletinFields)
	}
	return s.writeBulletin(w, r, id, http.StatusCreated)
}

// apiBulletinAck acknowledges a bulletin for the token's recipient
// organisation (recipient_id: one of "organisations", needed only when
// there are several) through the page's code path; a second
// acknowledgement changes nothing.
func (s *Server) apiBulletinAck(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		RecipientID int64 `json:"recipient_id"`
	}
	if r.ContentLength != 0 {
		if err := readJSON(w, r, &in); err != nil {
			return err
		}
	}
	if err := s.ackBulletin(r, id, in.RecipientID); err != nil {
		return err
	}
	return s.writeBulletin(w, r, id, http.StatusOK)
}

// apiBulletinReceipts is the sender's report (the NCO's too): each
// recipient organisation with its reads and acknowledgement, and the
// counts, as the page and its CSV show them.
func (s *Server) apiBulletinReceipts(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var v bulletins.ShowView
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		v, err = s.loadBulletin(r, tx, id)
		return err
	})
	if err != nil {
		return err
	}
	if v.Report == nil {
		return errNotFound
	}
	c := v.Report.Counts
	out := apiReceipts{BulletinID: id, Recipients: c.Recipients, Read: c.Read, Acknowledged: c.Acked, Overdue: c.Overdue,
		Items: []apiBulletinRecipient{}}
	for _, x := range v.Report.Recipients {
		out.Items = append(out.Items, recipientJSON(v.B, x, v.Now))
	}
	return writeJSON(w, http.StatusOK, out)
}

// formFieldErrors turns a page form's errors (field → message id) into
// the API's, with the API's field names.
func formFieldErrors(errs map[string]string, names map[string]string) fieldErrors {
	out := fieldErrors{}
	for f, id := range errs {
		if n, ok := names[f]; ok {
			f = n
		}
		out[f] = fieldMsg{ID: id}
	}
	return out
}

// ncoSenderName is the NCO's name as the sender of a bulletin or an FAQ
// entry (they store no ministry).
func ncoSenderName() kijun.Text {
	return kijun.Text{Ja: i18n.New(kijun.Ja).T("bulletin.sender_nco"), En: i18n.New(kijun.En).T("bulletin.sender_nco")}
}

// --- inquiries ---

type apiInquiryMessage struct {
	ID        int64         `json:"id"`
	Side      bulletin.Side `json:"side"`
	Author    string        `json:"author"`
	Body      string        `json:"body"`
	CreatedAt time.Time     `json:"created_at"`
}

type apiInquiry struct {
	ID           int64               `json:"id"`
	OperatorID   int64               `json:"operator_id"`
	OperatorName kijun.Text          `json:"operator_name"`
	Sector       string              `json:"sector"`
	Ministry     string              `json:"ministry"`
	MinistryName kijun.Text          `json:"ministry_name"`
	Subject      string              `json:"subject"`
	CreatedAt    time.Time           `json:"created_at"`
	EscalatedAt  *time.Time          `json:"escalated_at,omitempty"`
	LastAt       time.Time           `json:"last_at"`
	LastSide     bulletin.Side       `json:"last_side"`
	Messages     []apiInquiryMessage `json:"messages,omitempty"`
	// Status is open or closed (解決済み); a closed one says when and by
	// which side.
	Status     bulletin.InquiryStatus `json:"status"`
	ClosedAt   *time.Time             `json:"closed_at,omitempty"`
	ClosedSide bulletin.Side          `json:"closed_side,omitempty"`
}

func inquiryJSON(q bulletin.Inquiry) apiInquiry {
	out := apiInquiry{ID: q.ID, OperatorID: q.OperatorID, OperatorName: q.OperatorName, Sector: q.SectorCode, Ministry: q.MinistryCode,
		MinistryName: q.MinistryName, Subject: q.Subject, CreatedAt: q.CreatedAt, EscalatedAt: q.EscalatedAt, LastAt: q.LastAt,
		LastSide: q.LastSide, Status: q.Status(), ClosedAt: q.ClosedAt, ClosedSide: q.ClosedSide}
	for _, m := range q.Messages {
		out.Messages = append(out.Messages, apiInquiryMessage{ID: m.ID, Side: m.Side, Author: m.AuthorName, Body: m.Body, CreatedAt: m.CreatedAt})
	}
	return out
}

// apiInquiries lists the inquiries the token may see (its operator's, its
// ministry's, the NCO's escalated ones), oldest first from the cursor;
// status= open (the default), closed or all.
func (s *Server) apiInquiries(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	status, ok := bulletin.ParseInquiryStatus(r.URL.Query().Get("status"))
	if !ok {
		return fieldErrors{"status": {ID: "api.error.bad_query"}}
	}
	return listPage(s, w, r, func(tx pgx.Tx) ([]bulletin.Inquiry, bool, error) {
		return postgres.ListInquiriesAfter(r.Context(), tx, status, after, limit)
	}, func(q bulletin.Inquiry) int64 { return q.ID }, every(inquiryJSON))
}

// writeInquiry answers with inquiry id and its thread.
func (s *Server) writeInquiry(w http.ResponseWriter, r *http.Request, id int64, status int) error {
	var out apiInquiry
	err := postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		q, err := loadInquiry(r, tx, id)
		out = inquiryJSON(q)
		return err
	})
	if err != nil {
		return err
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", apiPrefix+"/inquiries/"+itoa(id))
	}
	return writeJSON(w, status, out)
}

func (s *Server) apiInquiry(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.writeInquiry(w, r, id, http.StatusOK)
}

// apiInquiryInput is a new inquiry: operator_id only when the token has
// several operators.
type apiInquiryInput struct {
	OperatorID int64  `json:"operator_id"`
	Ministry   string `json:"ministry"`
	Subject    string `json:"subject"`
	Body       string `json:"body"`
}

var inquiryFields = map[string]string{"operator": "operator_id"}

// apiInquiryCreate asks a ministry overseeing the operator's sector,
// through the page's code path (createInquiry).
func (s *Server) apiInquiryCreate(w http.ResponseWriter, r *http.Request) error {
	var in apiInquiryInput
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	form := bulletins.InquiryForm{Ministry: strings.TrimSpace(in.Ministry), Subject: in.Subject, Body: in.Body}
	if in.OperatorID != 0 {
		form.Operator = strconv.FormatInt(in.OperatorID, 10)
	}
	id, err := s.createInquiry(r, &form)
	if err != nil {
		return err
	}
	if len(form.Errors) > 0 {
		return formFieldErrors(form.Errors, inquiryFields)
	}
	return s.writeInquiry(w, r, id, http.StatusCreated)
}

// readJSONOf reads the request's JSON body into v for a write to the
// object that load reads. When the body is bad, load runs first: an
// object the caller may not see is not found, whatever the request holds.
func (s *Server) readJSONOf(w http.ResponseWriter, r *http.Request, v any, load func(pgx.Tx) error) error {
	jsonErr := readJSON(w, r, v)
	if jsonErr == nil {
		return nil
	}
	if err := postgres.InTx(r.Context(), s.db, principal(r), load); err != nil {
		return err
	}
	return jsonErr
}

// apiInquiryReply writes a message in a thread the token sees, as its
// side (replyInquiry).
func (s *Server) apiInquiryReply(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Body string `json:"body"`
	}
	if err := s.readJSONOf(w, r, &in, func(tx pgx.Tx) error { _, err := loadInquiry(r, tx, id); return err }); err != nil {
		return err
	}
	msg, _, err := s.replyInquiry(r, id, in.Body)
	if err != nil {
		return err
	}
	if msg != "" {
		return fieldErrors{"body": {ID: msg}}
	}
	return s.writeInquiry(w, r, id, http.StatusCreated)
}

// apiInquiryEscalate escalates (回付) an inquiry to the NCO, by the
// ministry asked (escalateInquiry); a second time changes nothing.
func (s *Server) apiInquiryEscalate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.escalateInquiry(r, id); err != nil {
		return err
	}
	return s.writeInquiry(w, r, id, http.StatusOK)
}

// apiInquiryClose closes (解決済み) an inquiry, by the answering side
// (closeInquiry), with an optional last message; closed already changes
// nothing.
func (s *Server) apiInquiryClose(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Body string `json:"body"`
	}
	if r.ContentLength != 0 {
		if err := s.readJSONOf(w, r, &in, func(tx pgx.Tx) error { _, err := loadInquiry(r, tx, id); return err }); err != nil {
			return err
		}
	}
	msg, err := s.closeInquiry(r, id, in.Body)
	if err != nil {
		return err
	}
	if msg != "" {
		return fieldErrors{"body": {ID: msg}}
	}
	return s.writeInquiry(w, r, id, http.StatusOK)
}

// --- FAQ ---

type apiFAQEntry struct {
	ID          int64      `json:"id"`
	Ministry    string     `json:"ministry,omitempty"`
	SenderName  kijun.Text `json:"sender_name"`
	Sectors     []string   `json:"sectors"`
	Question    string     `json:"question"`
	Answer      string     `json:"answer"`
	InquiryID   int64      `json:"inquiry_id,omitempty"`
	PublishedAt time.Time  `json:"published_at"`
}

// apiFAQ lists the FAQ entries the token may see (RLS, as the page),
// oldest first from the cursor; where one came from is given to its
// publisher and the NCO only.
func (s *Server) apiFAQ(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := pageParams(r)
	if err != nil {
		return err
	}
	return listPage(s, w, r, func(tx pgx.Tx) ([]bulletin.FAQ, bool, error) {
		return postgres.ListFAQsAfter(r.Context(), tx, after, limit)
	}, func(f bulletin.FAQ) int64 { return f.ID }, every(func(f bulletin.FAQ) apiFAQEntry {
		j := apiFAQEntry{ID: f.ID, Ministry: f.Ministry, SenderName: f.SenderName, Sectors: kijun.NonNil(f.Sectors), Question: f.Question,
			Answer: f.Answer, InquiryID: f.InquiryID, PublishedAt: f.PublishedAt}
		if f.Ministry == "" {
			j.SenderName = ncoSenderName()
		}
		return j
	}))
}

// apiFAQWithdraw withdraws (取り下げ) an FAQ entry with a reason, by its
// publisher or the NCO (withdrawFAQ); it then leaves the list.
func (s *Server) apiFAQWithdraw(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := s.readJSONOf(w, r, &in, func(tx pgx.Tx) error { _, err := loadManagedFAQ(r, tx, id); return err }); err != nil {
		return err
	}
	msg, err := s.withdrawFAQ(r, id, in.Reason)
	if err != nil {
		return err
	}
	if msg != "" {
		return fieldErrors{"reason": {ID: msg}}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
