package server

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/bulletin"
	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/pages/bulletins"
)

// bulletinRoutes: bulletins (周知), inquiries (問い合わせ) and the FAQ
// (よくある質問); docs/bulletins.md.
func (s *Server) bulletinRoutes(h routeFunc) {
	h(http.MethodGet, "/bulletins", authz.ViewBulletins, s.handleBulletinIndex)
	h(http.MethodGet, "/bulletins/new", authz.PublishBulletin, s.handleBulletinNew)
	h(http.MethodPost, "/bulletins", authz.PublishBulletin, s.handleBulletinPublish)
	h(http.MethodGet, "/bulletins/{id}", authz.ViewBulletins, s.handleBulletinShow)
	h(http.MethodPost, "/bulletins/{id}/ack", authz.ReadBulletin, s.handleBulletinAck)
	h(http.MethodGet, "/bulletins/{id}/report.csv", authz.ViewBulletinReport, s.handleBulletinReportCSV)
	h(http.MethodGet, "/inquiries", authz.ViewInquiries, s.handleInquiryIndex)
	h(http.MethodPost, "/inquiries", authz.AskInquiry, s.handleInquiryCreate)
	h(http.MethodGet, "/inquiries/{id}", authz.ViewInquiries, s.handleInquiryShow)
	h(http.MethodPost, "/inquiries/{id}/messages", authz.ViewInquiries, s.handleInquiryReply)
	h(http.MethodPost, "/inquiries/{id}/escalate", authz.EscalateInquiry, s.handleInquiryEscalate)
	h(http.MethodPost, "/inquiries/{id}/close", authz.CloseInquiry, s.handleInquiryClose)
	h(http.MethodGet, "/faq", authz.ViewBulletins, s.handleFAQIndex)
	h(http.MethodPost, "/faq", authz.PublishFAQ, s.handleFAQPublish)
	h(http.MethodPost, "/faq/{id}/withdraw", authz.WithdrawFAQ, s.handleFAQWithdraw)
}

// errNobody rolls back a bulletin whose audience has no organisation.
var errNobody = errors.New("bulletin: nobody in the audience")

// senderMinistry is the ministry p publishes as: "" for the NCO, else
// its (first) ministry.
func senderMinistry(p *identity.Principal) string {
	if p.NCO || len(p.Ministries) == 0 {
		return ""
	}
	return p.Ministries[0]
}

// publishSectors are the sectors p may address (a bulletin or an FAQ
// entry) under action, in reference order.
func publishSectors(p *identity.Principal, names kijun.ReferenceNames, action authz.Action) []kijun.Named {
	var out []kijun.Named
	for _, s := range names.Sectors {
		if authz.Can(p, action, authz.Resource{SectorCode: s.Code}) {
			out = append(out, s)
		}
	}
	return out
}

// overseeingMinistries are the ministries that oversee a sector, in
// reference order (the NCO oversees none).
func overseeingMinistries(names kijun.ReferenceNames) []kijun.Named {
	var out []kijun.Named
	for _, m := range names.Ministries {
		for _, ms := range names.Oversight {
			if slices.Contains(ms, m.Code) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

func bulletinNames(names kijun.ReferenceNames) bulletins.Names {
	return bulletins.Names{Sectors: kijun.NameMap(names.Sectors), Ministries: kijun.NameMap(names.Ministries)}
}

func (s *Server) handleBulletinIndex(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	v := bulletins.ListView{CanPublish: authz.Can(p, authz.PublishBulletin, authz.Resource{})}
	now := s.now()
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		items, err := postgres.ListBulletins(r.Context(), tx, 500)
		for _, it := range items {
			v.Items = append(v.Items, bulletins.Item{B: it.Bulletin, Recipient: it.Recipient, Read: it.Read, Acked: it.Acked,
				Overdue: it.Recipient && bulletin.AckOverdue(it.AckBy, it.Acked, now)})
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, bulletins.List(v))
}

func (s *Server) handleBulletinNew(w http.ResponseWriter, r *http.Request) error {
	return s.renderBulletinForm(w, r, http.StatusOK, bulletin.Draft{Category: string(bulletin.Alert), Audience: string(bulletin.Sectors)}, nil)
}

func (s *Server) renderBulletinForm(w http.ResponseWriter, r *http.Request, status int, d bulletin.Draft, errs map[string]string) error {
	p := principal(r)
	names, err := postgres.LoadReferenceNames(r.Context(), s.db)
	if err != nil {
		return err
	}
	v := bulletins.FormView{Form: d, Errors: errs, Wide: authz.Can(p, authz.PublishWideBulletin, authz.Resource{}),
		Sectors: publishSectors(p, names, authz.PublishBulletin), Ministries: overseeingMinistries(names)}
	if m := senderMinistry(p); m != "" {
		v.Sender = kijun.Name(names.Ministries, m)
	} else {
		v.Sender = kijun.Text{Ja: i18n.New(kijun.Ja).T("bulletin.sender_nco"), En: i18n.New(kijun.En).T("bulletin.sender_nco")}
	}
	return s.render(w, r, status, bulletins.New(v))
}

// handleBulletinPublish publishes a bulletin from the page's form.
func (s *Server) handleBulletinPublish(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return errBadText
	}
	d := bulletin.Draft{Category: r.PostFormValue("category"), Title: r.PostFormValue("title"), Body: r.PostFormValue("body"),
		AckBy: r.PostFormValue("ack_by"), Corrects: r.PostFormValue("corrects"), Audience: r.PostFormValue("audience"),
		Ministries: r.PostForm["ministries"], Sectors: r.PostForm["sectors"], Designation: r.PostFormValue("designation"),
		Operators: r.PostFormValue("operators")}
	id, errs, err := s.publishBulletin(r, d)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return s.renderBulletinForm(w, r, http.StatusUnprocessableEntity, d, errs)
	}
	http.Redirect(w, r, "/bulletins/"+itoa(id)+"?done=published", http.StatusSeeOther)
	return nil
}

// publishBulletin publishes d as the request's principal, for the page and
// the API alike: bulletin.Check on the fields, then the policy on its
// audience — a wide one (everyone, ministries, a scope of all sectors)
// needs the NCO; sectors and named operators the policy on each. errs
// holds the message id of each field (the form's names) refused.
func (s *Server) publishBulletin(r *http.Request, d bulletin.Draft) (id int64, errs map[string]string, err error) {
	p := principal(r)
	b, errs := bulletin.Check(d, s.now())
	b.Ministry = senderMinistry(p)
	a := b.Audience
	if len(errs) == 0 {
		names, err := postgres.LoadReferenceNames(r.Context(), s.db)
		if err != nil {
			return 0, nil, err
		}
		if a.Wide() && !authz.Can(p, authz.PublishWideBulletin, authz.Resource{}) {
			errs["audience"] = "bulletin.error.audience_wide"
		}
		// Sectors that exist and the policy lets p address.
		allowed := publishSectors(p, names, authz.PublishBulletin)
		for _, sc := range a.Sectors {
			if !slices.ContainsFunc(allowed, func(n kijun.Named) bool { return n.Code == sc }) {
				errs["sectors"] = "bulletin.error.sectors_foreign"
			}
		}
		ms := overseeingMinistries(names)
		for _, m := range a.Ministries {
			if !slices.ContainsFunc(ms, func(n kijun.Named) bool { return n.Code == m }) {
				errs["ministries"] = "bulletin.error.ministries"
			}
		}
	}
	if len(errs) > 0 {
		return 0, errs, nil
	}
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if b.Corrects != 0 {
			if _, err := postgres.GetBulletin(r.Context(), tx, b.Corrects); kijun.ErrorCode(err) == kijun.ENotFound {
				errs["corrects"] = "bulletin.error.corrects"
				return nil
			} else if err != nil {
				return err
			}
		}
		if a.Kind == bulletin.Operators {
			orgs, err := postgres.ResolveOperators(r.Context(), tx, a.CorporateNumbers)
			if err != nil {
				return err
			}
			if len(orgs) != len(a.CorporateNumbers) {
				errs["operators"] = "bulletin.error.operators_unknown"
				return nil
			}
			for _, o := range orgs {
				if !authz.Can(p, authz.PublishBulletin, authz.Resource{SectorCode: o.SectorCode, OperatorID: o.OperatorID}) {
					errs["operators"] = "bulletin.error.operators_unknown"
					return nil
				}
				b.Audience.Operators = append(b.Audience.Operators, o.OperatorID)
			}
		}
		nb, n, err := postgres.PublishBulletin(r.Context(), tx, p, b, middleware.GetReqID(r.Context()))
		if err == nil && n == 0 {
			errs["audience"] = "bulletin.error.nobody"
			return errNobody // rolls the bulletin back
		}
		id = nb.ID
		return err
	})
	if err != nil && err != errNobody {
		return 0, nil, err
	}
	return id, errs, nil
}

// loadBulletin reads bulletin id with what the reader may do with it: its
// recipient organisations of the reader (ReadBulletin on each), and the
// report if the reader sent it or is the NCO. Anyone else: not found.
func (s *Server) loadBulletin(r *http.Request, tx pgx.Tx, id int64) (bulletins.ShowView, error) {
	p := principal(r)
	v := bulletins.ShowView{Now: s.now()}
	b, err := postgres.GetBulletin(r.Context(), tx, id)
	if err != nil {
		return v, err
	}
	v.B = b
	mine, err := postgres.MyRecipients(r.Context(), tx, id)
	if err != nil {
		return v, err
	}
	for _, x := range mine {
		if authz.Can(p, authz.ReadBulletin, authz.Resource{MinistryCode: x.MinistryCode, OperatorID: x.OperatorID, SectorCode: x.SectorCode}) {
			v.Mine = append(v.Mine, x)
		}
	}
	if authz.CanViewBulletinReport(p, b.Ministry) {
		rs, err := postgres.BulletinRecipients(r.Context(), tx, id)
		if err != nil {
			return v, err
		}
		v.Report = &bulletins.Report{Recipients: rs, Counts: bulletin.Tally(b, rs, v.Now)}
	}
	if len(v.Mine) == 0 && v.Report == nil {
		return v, errNotFound
	}
	names, err := postgres.LoadReferenceNames(r.Context(), tx)
	v.Names = bulletinNames(names)
	return v, err
}

// handleBulletinShow shows a bulletin; a recipient's opening it marks it
// read for the reader's organisations.
func (s *Server) handleBulletinShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var v bulletins.ShowView
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		if v, err = s.loadBulletin(r, tx, id); err != nil {
			return err
		}
		if len(v.Mine) > 0 {
			return postgres.MarkBulletinRead(r.Context(), tx, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	v.Notice = map[string]string{"published": "bulletin.published", "acked": "bulletin.acked"}[r.URL.Query().Get("done")]
	return s.render(w, r, http.StatusOK, bulletins.Show(v))
}

// handleBulletinAck records the acknowledgement of one of the reader's
// recipient organisations (recipient=), when the bulletin asks for one.
func (s *Server) handleBulletinAck(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.ackBulletin(r, id, formID(r.PostFormValue("recipient"))); err != nil {
		return err
	}
	http.Redirect(w, r, "/bulletins/"+itoa(id)+"?done=acked", http.StatusSeeOther)
	return nil
}

// ackBulletin records, for the page and the API, the acknowledgement of
// bulletin id by the reader's recipient organisation rid (0: its only
// one). A bulletin that asks none, or an organisation not the reader's, is
// not found; one acknowledged already stays as it was.
func (s *Server) ackBulletin(r *http.Request, id, rid int64) error {
	p := principal(r)
	return postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		v, err := s.loadBulletin(r, tx, id)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(v.Mine, func(x bulletin.Recipient) bool { return x.ID == rid || rid == 0 && len(v.Mine) == 1 })
		if i < 0 || !v.B.AsksAck() {
			return errNotFound
		}
		if err := postgres.MarkBulletinRead(r.Context(), tx, id); err != nil {
			return err
		}
		err = postgres.AckBulletin(r.Context(), tx, p, v.B, v.Mine[i], middleware.GetReqID(r.Context()))
		if kijun.ErrorCode(err) == kijun.EConflict {
			return nil // acknowledged already: the page says when
		}
		return err
	})
}

// handleBulletinReportCSV writes who read and acknowledged a bulletin as
// CSV (UTF-8 with a BOM, cells defused against formulas).
func (s *Server) handleBulletinReportCSV(w http.ResponseWriter, r *http.Request) error {
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
	l := i18n.From(r.Context())
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	setAttachment(w, "bulletin-"+strconv.FormatInt(id, 10)+"-recipients.csv")
	cw, err := exchange.NewCSVWriter(w, bulletins.Header(l))
	if err != nil {
		return err
	}
	for _, x := range v.Report.Recipients {
		if err := cw.Write(bulletins.Record(l, x, v.Names)); err != nil {
			return err
		}
	}
	return cw.Flush()
}
