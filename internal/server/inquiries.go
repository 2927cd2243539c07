package server

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/bulletin"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/pages/bulletins"
)

// inquiryOperators are the operators the reader may ask for (AskInquiry),
// by id, with their sectors.
func inquiryOperators(r *http.Request, tx pgx.Tx) ([]kijun.Named, map[string]string, error) {
	p := principal(r)
	var ids []int64
	for _, id := range p.Operators {
		if authz.Can(p, authz.AskInquiry, authz.Resource{OperatorID: id}) {
			ids = append(ids, id)
		}
	}
	orgs, names, err := postgres.OperatorNames(r.Context(), tx, ids)
	out, sectors := make([]kijun.Named, len(orgs)), map[string]string{}
	for i, o := range orgs {
		out[i] = kijun.Named{Code: strconv.FormatInt(o.OperatorID, 10), Name: names[i]}
		sectors[out[i].Code] = o.SectorCode
	}
	return out, sectors, err
}

func (s *Server) handleInquiryIndex(w http.ResponseWriter, r *http.Request) error {
	return s.renderInquiries(w, r, http.StatusOK, bulletins.InquiryForm{})
}

// inquiriesWaiting counts the open inquiries the reader sees that wait
// for the answering side (bulletin.Inquiry.WaitingForAnswer): the home
// page's to-do of a ministry or the NCO.
func inquiriesWaiting(r *http.Request, tx pgx.Tx) (int, error) {
	list, err := postgres.ListInquiries(r.Context(), tx, bulletin.InquiryOpen, 1000)
	n := 0
	for _, q := range list {
		if q.WaitingForAnswer() && inquirySide(r, q) != bulletin.SideOperator {
			n++
		}
	}
	return n, err
}

func (s *Server) renderInquiries(w http.ResponseWriter, r *http.Request, status int, form bulletins.InquiryForm) error {
	p := principal(r)
	// ?status= open (the default), closed or all; anything else: open.
	st, _ := bulletin.ParseInquiryStatus(r.URL.Query().Get("status"))
	v := bulletins.InquiriesView{Form: form, Status: string(st)}
	if st == "" {
		v.Status = "all"
	}
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		var err error
		if v.Items, err = postgres.ListInquiries(r.Context(), tx, st, 500); err != nil {
			return err
		}
		ops, sectors, err := inquiryOperators(r, tx)
		if err != nil || len(ops) == 0 {
			return err
		}
		v.CanAsk, v.Operators = true, ops
		// The ministries of every sector the reader's operators are in.
		seen := map[string]bool{}
		for _, o := range ops {
			ms, err := postgres.InquiryMinistries(r.Context(), tx, sectors[o.Code])
			if err != nil {
				return err
			}
			for _, m := range ms {
				if !seen[m.Code] {
					seen[m.Code] = true
					v.Ministries = append(v.Ministries, m)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.render(w, r, status, bulletins.Inquiries(v))
}

// handleInquiryCreate opens an inquiry of one of the reader's operators to
// a ministry overseeing its sector.
func (s *Server) handleInquiryCreate(w http.ResponseWriter, r *http.Request) error {
	form := bulletins.InquiryForm{Operator: r.PostFormValue("operator"), Ministry: r.PostFormValue("ministry"),
		Subject: r.PostFormValue("subject"), Body: r.PostFormValue("body")}
	id, err := s.createInquiry(r, &form)
	if err != nil {
		return err
	}
	if len(form.Errors) > 0 {
		return s.renderInquiries(w, r, http.StatusUnprocessableEntity, form)
	}
	http.Redirect(w, r, "/inquiries/"+itoa(id)+"?done=asked", http.StatusSeeOther)
	return nil
}

// createInquiry opens the inquiry of form, for the page and the API: the
// operator (form.Operator, or the reader's only one) must be one the
// policy lets the reader ask for, the ministry one overseeing its sector
// (RLS checks it). It sets form.Errors (the form's field names) when
// refused.
func (s *Server) createInquiry(r *http.Request, form *bulletins.InquiryForm) (int64, error) {
	p := principal(r)
	form.Errors = bulletin.CheckInquiry(form.Subject, form.Body)
	op := formID(form.Operator)
	if op == 0 && len(p.Operators) == 1 {
		op = p.Operators[0]
	}
	if !authz.Can(p, authz.AskInquiry, authz.Resource{OperatorID: op}) || op == 0 {
		form.Errors["operator"] = "inquiry.error.operator"
	}
	if len(form.Errors) > 0 {
		return 0, nil
	}
	var id int64
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		q, err := postgres.CreateInquiry(r.Context(), tx, p, bulletin.Inquiry{OperatorID: op, MinistryCode: form.Ministry,
			Subject: form.Subject, OperatorName: s.operatorName(r, tx, op)}, form.Body, middleware.GetReqID(r.Context()))
		id = q.ID
		return err
	})
	if kijun.ErrorCode(err) == kijun.EInvalid {
		form.Errors["ministry"] = "inquiry.error.ministry"
		return 0, nil
	}
	return id, err
}

// operatorName is an operator's name for a notice (empty when not visible).
func (s *Server) operatorName(r *http.Request, tx pgx.Tx, id int64) kijun.Text {
	if _, names, err := postgres.OperatorNames(r.Context(), tx, []int64{id}); err == nil && len(names) == 1 {
		return names[0]
	}
	return kijun.Text{}
}

// loadInquiry reads inquiry id if the policy lets the reader see it (row-
// level security answers the same): another operator or ministry, or the
// NCO before escalation, gets not found.
func loadInquiry(r *http.Request, tx pgx.Tx, id int64) (bulletin.Inquiry, error) {
	q, err := postgres.GetInquiry(r.Context(), tx, id)
	if err != nil {
		return q, err
	}
	if !authz.CanSeeInquiry(principal(r), q.OperatorID, q.MinistryCode, q.Escalated()) {
		return q, errNotFound
	}
	return q, nil
}

func (s *Server) handleInquiryShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	notice := map[string]string{"asked": "inquiry.asked", "replied": "inquiry.replied", "escalated": "inquiry.escalated",
		"closed": "inquiry.closed_notice", "reopened": "inquiry.reopened"}[r.URL.Query().Get("done")]
	return s.renderInquiry(w, r, http.StatusOK, id, bulletins.InquiryView{Notice: notice})
}

// renderInquiry shows inquiry id's thread; v carries what was typed and
// refused (Reply, ReplyError, Closing, CloseError) and a notice.
func (s *Server) renderInquiry(w http.ResponseWriter, r *http.Request, status int, id int64, v bulletins.InquiryView) error {
	p := principal(r)
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		q, err := loadInquiry(r, tx, id)
		v.Q = q
		v.CanEscalate = !q.Escalated() && !q.Closed() && authz.Can(p, authz.EscalateInquiry, authz.Resource{MinistryCode: q.MinistryCode})
		v.CanClose = !q.Closed() && canCloseInquiry(r, q)
		v.CanFAQ = authz.Can(p, authz.PublishFAQ, authz.Resource{SectorCode: q.SectorCode})
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, status, bulletins.Inquiry(v))
}

// inquirySide is the side p writes on in q: the operator's, the
// ministry's, or the NCO's (escalated inquiries).
func inquirySide(r *http.Request, q bulletin.Inquiry) bulletin.Side {
	p := principal(r)
	switch {
	case authz.Can(p, authz.AskInquiry, authz.Resource{OperatorID: q.OperatorID}):
		return bulletin.SideOperator
	case authz.Can(p, authz.EscalateInquiry, authz.Resource{MinistryCode: q.MinistryCode}):
		return bulletin.SideMinistry
	}
	return bulletin.SideNCO
}

// handleInquiryReply writes a message in a thread the reader sees.
func (s *Server) handleInquiryReply(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	body := r.PostFormValue("body")
	msg, reopened, err := s.replyInquiry(r, id, body)
	if err != nil {
		return err
	}
	if msg != "" {
		return s.renderInquiry(w, r, http.StatusUnprocessableEntity, id, bulletins.InquiryView{Reply: body, ReplyError: msg})
	}
	done := "replied"
	if reopened {
		done = "reopened"
	}
	http.Redirect(w, r, "/inquiries/"+itoa(id)+"?done="+done, http.StatusSeeOther)
	return nil
}

// replyInquiry writes body in inquiry id as the reader's side, for the
// page and the API; msg is the message id of a body refused (the thread
// must be the reader's first: else not found). A message in a closed
// thread reopens it (reopened).
func (s *Server) replyInquiry(r *http.Request, id int64, body string) (msg string, reopened bool, err error) {
	p := principal(r)
	msg = bulletin.CheckMessage(body)
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		q, err := loadInquiry(r, tx, id)
		if err != nil || msg != "" {
			return err
		}
		reopened = q.Reopens()
		return postgres.AddInquiryMessage(r.Context(), tx, p, q, inquirySide(r, q), body, middleware.GetReqID(r.Context()))
	})
	return msg, reopened, err
}

// canCloseInquiry reports whether the reader closes q: the policy
// (CloseInquiry on its ministry, or the NCO) and bulletin.CanClose on the
// side the reader writes on.
func canCloseInquiry(r *http.Request, q bulletin.Inquiry) bool {
	p := principal(r)
	return authz.Can(p, authz.CloseInquiry, authz.Resource{MinistryCode: q.MinistryCode}) &&
		bulletin.CanClose(inquirySide(r, q), q.Escalated())
}

// handleInquiryClose closes an inquiry (解決済み), with an optional last
// message; closed already changes nothing.
func (s *Server) handleInquiryClose(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	body := r.PostFormValue("body")
	msg, err := s.closeInquiry(r, id, body)
	if err != nil {
		return err
	}
	if msg != "" {
		return s.renderInquiry(w, r, http.StatusUnprocessableEntity, id, bulletins.InquiryView{Closing: body, CloseError: msg})
	}
	http.Redirect(w, r, "/inquiries/"+itoa(id)+"?done=closed", http.StatusSeeOther)
	return nil
}

// closeInquiry closes inquiry id, for the page and the API, with body as
// a last message when not blank (msg: the message id of a body refused).
// Only the answering side may (canCloseInquiry; anyone else who sees the
// thread, and everyone who does not: not found); closed already changes
// nothing.
func (s *Server) closeInquiry(r *http.Request, id int64, body string) (msg string, err error) {
	p := principal(r)
	if strings.TrimSpace(body) != "" {
		msg = bulletin.CheckMessage(body)
	}
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		q, err := loadInquiry(r, tx, id)
		if err != nil {
			return err
		}
		if !canCloseInquiry(r, q) {
			return errNotFound
		}
		if msg != "" || q.Closed() {
			return nil // closed already: the page shows when
		}
		return postgres.CloseInquiry(r.Context(), tx, p, q, inquirySide(r, q), body, middleware.GetReqID(r.Context()))
	})
	return msg, err
}

// handleInquiryEscalate escalates an inquiry to the NCO (the ministry
// asked); once only.
func (s *Server) handleInquiryEscalate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.escalateInquiry(r, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/inquiries/"+itoa(id)+"?done=escalated", http.StatusSeeOther)
	return nil
}

// escalateInquiry escalates inquiry id to the NCO, for the page and the
// API: only the ministry asked may (anyone else: not found); a second
// time changes nothing.
func (s *Server) escalateInquiry(r *http.Request, id int64) error {
	p := principal(r)
	return postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		q, err := loadInquiry(r, tx, id)
		if err != nil {
			return err
		}
		if !authz.Can(p, authz.EscalateInquiry, authz.Resource{MinistryCode: q.MinistryCode}) {
			return errNotFound
		}
		err = postgres.EscalateInquiry(r.Context(), tx, p, q, middleware.GetReqID(r.Context()))
		if kijun.ErrorCode(err) == kijun.EConflict {
			return nil // escalated already: the page shows when
		}
		return err
	})
}

func (s *Server) handleFAQIndex(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	form := bulletins.FAQForm{}
	// ?from= starts the form from an inquiry's words: its first message
	// and the last answer. The publisher edits out who asked.
	if from, err := queryID(r, "from"); err == nil && from != 0 && authz.Can(p, authz.PublishFAQ, authz.Resource{}) {
		err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
			q, err := loadInquiry(r, tx, from)
			if err != nil {
				return err
			}
			form.Inquiry, form.Sectors = itoa(q.ID), []string{q.SectorCode}
			for i, m := range q.Messages {
				if i == 0 {
					form.Question = m.Body
				} else if m.Side != bulletin.SideOperator {
					form.Answer = m.Body
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	// ?correct= starts the form from an entry the reader may correct: the
	// new entry replaces it once published.
	if c, err := queryID(r, "correct"); err == nil && c != 0 {
		err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
			f, err := loadManagedFAQ(r, tx, c)
			form.Question, form.Answer, form.Sectors, form.Corrects = f.Question, f.Answer, f.Sectors, itoa(f.ID)
			return err
		})
		if err != nil {
			return err
		}
	}
	notice := map[string]string{"published": "faq.published", "withdrawn": "faq.withdrawn_notice"}[r.URL.Query().Get("done")]
	return s.renderFAQ(w, r, http.StatusOK, bulletins.FAQView{Form: form, Notice: notice})
}

// loadManagedFAQ reads FAQ entry id if the reader may withdraw or correct
// it (authz.CanWithdrawFAQ: its publisher, the NCO); else not found.
func loadManagedFAQ(r *http.Request, tx pgx.Tx, id int64) (bulletin.FAQ, error) {
	f, err := postgres.GetFAQ(r.Context(), tx, id)
	if err != nil {
		return f, err
	}
	if !authz.CanWithdrawFAQ(principal(r), f.Ministry) {
		return f, errNotFound
	}
	return f, nil
}

// renderFAQ lists the FAQ with the publishing form; v carries the form
// as typed, a refused withdrawal and a notice.
func (s *Server) renderFAQ(w http.ResponseWriter, r *http.Request, status int, v bulletins.FAQView) error {
	p := principal(r)
	names, err := postgres.LoadReferenceNames(r.Context(), s.db)
	if err != nil {
		return err
	}
	v.Names, v.Sectors = bulletinNames(names), publishSectors(p, names, authz.PublishFAQ)
	v.CanPublish = len(v.Sectors) > 0
	v.Manage = map[int64]bool{}
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		v.Items, err = postgres.ListFAQs(r.Context(), tx, 500)
		for _, f := range v.Items {
			v.Manage[f.ID] = f.Current() && authz.CanWithdrawFAQ(p, f.Ministry)
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, status, bulletins.FAQ(v))
}

// handleFAQPublish publishes an FAQ entry for sectors the reader may
// publish for, from an inquiry it sees (inquiry=) or on its own.
func (s *Server) handleFAQPublish(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if err := r.ParseForm(); err != nil {
		return errBadText
	}
	form := bulletins.FAQForm{Question: r.PostFormValue("question"), Answer: r.PostFormValue("answer"),
		Inquiry: strings.TrimSpace(r.PostFormValue("inquiry")), Sectors: bulletin.CleanCodes(r.PostForm["sectors"]),
		Corrects: strings.TrimSpace(r.PostFormValue("corrects"))}
	f := bulletin.FAQ{Ministry: senderMinistry(p), Sectors: form.Sectors, Question: form.Question, Answer: form.Answer,
		InquiryID: formID(form.Inquiry), Corrects: formID(form.Corrects)}
	form.Errors = bulletin.CheckFAQ(f)
	names, err := postgres.LoadReferenceNames(r.Context(), s.db)
	if err != nil {
		return err
	}
	allowed := publishSectors(p, names, authz.PublishFAQ) // sectors that exist and the policy allows
	for _, sc := range f.Sectors {
		if !slices.ContainsFunc(allowed, func(n kijun.Named) bool { return n.Code == sc }) {
			form.Errors["sectors"] = "faq.error.sectors_foreign"
		}
	}
	if len(form.Errors) == 0 {
		err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
			if f.InquiryID != 0 {
				if _, err := loadInquiry(r, tx, f.InquiryID); err != nil {
					return err
				}
			}
			// A correction replaces an entry the reader may correct,
			// still current (withdrawn or corrected already: refused).
			if f.Corrects != 0 {
				old, err := loadManagedFAQ(r, tx, f.Corrects)
				if err != nil {
					return err
				}
				if !old.Current() {
					form.Errors["corrects"] = "faq.error.corrected"
					return nil
				}
				f.InquiryID = old.InquiryID
			}
			_, err := postgres.PublishFAQ(r.Context(), tx, p, f, middleware.GetReqID(r.Context()))
			if kijun.ErrorCode(err) == kijun.EConflict {
				form.Errors["corrects"] = "faq.error.corrected"
				return nil
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	if len(form.Errors) > 0 {
		return s.renderFAQ(w, r, http.StatusUnprocessableEntity, bulletins.FAQView{Form: form})
	}
	http.Redirect(w, r, "/faq?done=published", http.StatusSeeOther)
	return nil
}

// handleFAQWithdraw withdraws an FAQ entry (取り下げ) with a reason: its
// publisher or the NCO (anyone else: not found). Readers no longer see
// it; the publisher and the NCO see it marked, and the audit keeps it.
func (s *Server) handleFAQWithdraw(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	reason := r.PostFormValue("reason")
	msg, err := s.withdrawFAQ(r, id, reason)
	if err != nil {
		return err
	}
	if msg != "" {
		return s.renderFAQ(w, r, http.StatusUnprocessableEntity, bulletins.FAQView{Withdrawing: id, Reason: reason, ReasonError: msg})
	}
	http.Redirect(w, r, "/faq?done=withdrawn", http.StatusSeeOther)
	return nil
}

// withdrawFAQ withdraws FAQ entry id with reason, for the page and the
// API; msg is the message id of a reason refused. Withdrawn already
// changes nothing.
func (s *Server) withdrawFAQ(r *http.Request, id int64, reason string) (msg string, err error) {
	p := principal(r)
	msg = bulletin.CheckWithdrawal(reason)
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		f, err := loadManagedFAQ(r, tx, id)
		if err != nil || msg != "" {
			return err
		}
		if f.WithdrawnAt != nil {
			return nil
		}
		return postgres.WithdrawFAQ(r.Context(), tx, p, f, reason, middleware.GetReqID(r.Context()))
	})
	return msg, err
}
