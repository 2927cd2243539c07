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

func (s *Server) renderInquiries(w http.ResponseWriter, r *http.Request, status int, form bulletins.InquiryForm) error {
	p := principal(r)
	v := bulletins.InquiriesView{Form: form}
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		var err error
		if v.Items, err = postgres.ListInquiries(r.Context(), tx, 500); err != nil {
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
	notice := map[string]string{"asked": "inquiry.asked", "replied": "inquiry.replied", "escalated": "inquiry.escalated"}[r.URL.Query().Get("done")]
	return s.renderInquiry(w, r, http.StatusOK, id, "", "", notice)
}

func (s *Server) renderInquiry(w http.ResponseWriter, r *http.Request, status int, id int64, reply, replyErr, notice string) error {
	p := principal(r)
	var v bulletins.InquiryView
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		q, err := loadInquiry(r, tx, id)
		v = bulletins.InquiryView{Q: q, Reply: reply, ReplyError: replyErr, Notice: notice,
			CanEscalate: !q.Escalated() && authz.Can(p, authz.EscalateInquiry, authz.Resource{MinistryCode: q.MinistryCode}),
			CanFAQ:      authz.Can(p, authz.PublishFAQ, authz.Resource{SectorCode: q.SectorCode})}
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
	msg, err := s.replyInquiry(r, id, body)
	if err != nil {
		return err
	}
	if msg != "" {
		return s.renderInquiry(w, r, http.StatusUnprocessableEntity, id, body, msg, "")
	}
	http.Redirect(w, r, "/inquiries/"+itoa(id)+"?done=replied", http.StatusSeeOther)
	return nil
}

// replyInquiry writes body in inquiry id as the reader's side, for the
// page and the API; msg is the message id of a body refused (the thread
// must be the reader's first: else not found).
func (s *Server) replyInquiry(r *http.Request, id int64, body string) (msg string, err error) {
	p := principal(r)
	msg = bulletin.CheckMessage(body)
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		q, err := loadInquiry(r, tx, id)
		if err != nil || msg != "" {
			return err
		}
		return postgres.AddInquiryMessage(r.Context(), tx, p, q, inquirySide(r, q), body, middleware.GetReqID(r.Context()))
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
	notice := map[string]string{"published": "faq.published"}[r.URL.Query().Get("done")]
	return s.renderFAQ(w, r, http.StatusOK, form, notice)
}

func (s *Server) renderFAQ(w http.ResponseWriter, r *http.Request, status int, form bulletins.FAQForm, notice string) error {
	p := principal(r)
	names, err := postgres.LoadReferenceNames(r.Context(), s.db)
	if err != nil {
		return err
	}
	v := bulletins.FAQView{Form: form, Notice: notice, Names: bulletinNames(names), Sectors: publishSectors(p, names, authz.PublishFAQ)}
	v.CanPublish = len(v.Sectors) > 0
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		v.Items, err = postgres.ListFAQs(r.Context(), tx, 500)
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
		Inquiry: strings.TrimSpace(r.PostFormValue("inquiry")), Sectors: bulletin.CleanCodes(r.PostForm["sectors"])}
	f := bulletin.FAQ{Ministry: senderMinistry(p), Sectors: form.Sectors, Question: form.Question, Answer: form.Answer,
		InquiryID: formID(form.Inquiry)}
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
			_, err := postgres.PublishFAQ(r.Context(), tx, p, f, middleware.GetReqID(r.Context()))
			return err
		})
		if err != nil {
			return err
		}
	}
	if len(form.Errors) > 0 {
		return s.renderFAQ(w, r, http.StatusUnprocessableEntity, form, "")
	}
	http.Redirect(w, r, "/faq?done=published", http.StatusSeeOther)
	return nil
}
