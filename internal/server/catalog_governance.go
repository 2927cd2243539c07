package server

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/exchange"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/postgres"
	catpages "github.com/kijun-portal/kijun/web/pages/catalog"
)

// catalogGovernanceRoutes registers the revision process of a baseline
// version (docs/catalog-governance.md): consultation, comments, the
// public-comment results, the decision and the 改定理由.
func (s *Server) catalogGovernanceRoutes(h routeFunc) {
	get, post := http.MethodGet, http.MethodPost
	h(get, "/catalogs/{id}/governance", authz.ViewConsultation, s.handleGovernance)
	h(post, "/catalogs/{id}/reasons", authz.GovernCatalog, s.handleReasons)
	h(post, "/catalogs/{id}/consultation/withdraw", authz.GovernCatalog, s.handleWithdraw)
	h(post, "/catalogs/{id}/comments", authz.CommentCatalog, s.handleCatalogComment)
	h(post, "/catalogs/{id}/public-comments", authz.GovernCatalog, s.handlePublicCommentAdd)
	h(get, "/catalogs/public-comments/{pc}/download", authz.ViewCatalog, s.handlePublicCommentDownload)
	h(post, "/catalogs/{id}/decide", authz.GovernCatalog, s.handleDecide)
	h(get, "/catalogs/{id}/diff.xlsx", authz.ViewCatalog, s.handleCatalogDiffXLSX)
}

// maxPublicCommentSize bounds the public-comment document.
const maxPublicCommentSize = postgres.DefaultEvidenceLimit

// loadGovernance fills the governance page's view from the database.
func (s *Server) loadGovernance(r *http.Request, v *catpages.GovernanceView) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	return postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		c, err := getCatalog(r.Context(), tx, p, id)
		if err != nil {
			return err
		}
		if c.Status == catalog.Draft && !authz.Can(p, authz.GovernCatalog, authz.Resource{}) {
			return errNotFound
		}
		v.Catalog = *c
		ch, ok, err := postgres.RevisionChanges(r.Context(), tx, c)
		if err != nil {
			return err
		}
		v.HasBase = ok
		v.Revised = catpages.RevisedRows(ch, c.Reasons)
		v.Comments, err = postgres.ListCatalogComments(r.Context(), tx, id)
		return err
	})
}

func (s *Server) renderGovernance(w http.ResponseWriter, r *http.Request, status int, v catpages.GovernanceView) error {
	if err := s.loadGovernance(r, &v); err != nil {
		return err
	}
	p := principal(r)
	v.CanGovern = authz.Can(p, authz.GovernCatalog, authz.Resource{})
	v.CanComment = authz.Can(p, authz.CommentCatalog, authz.Resource{}) && v.Catalog.Status == catalog.Consultation
	v.Ministries = p.Ministries
	if v.Decide.DecidedOn == "" {
		v.Decide.DecidedOn = s.now().In(kijun.JST).Format("2006-01-02")
	}
	if v.Notice == "" {
		switch done := r.URL.Query().Get("done"); done {
		case "consultation", "reasons", "withdrawn", "commented", "public_added", "decided", "in_force":
			v.Notice = i18n.From(r.Context()).T("govui.done." + done)
		}
	}
	return s.render(w, r, status, catpages.Governance(v))
}

func (s *Server) handleGovernance(w http.ResponseWriter, r *http.Request) error {
	return s.renderGovernance(w, r, http.StatusOK, catpages.GovernanceView{})
}

func (s *Server) governanceDone(w http.ResponseWriter, r *http.Request, id int64, done, anchor string) error {
	http.Redirect(w, r, "/catalogs/"+itoa(id)+"/governance?done="+done+anchor, http.StatusSeeOther)
	return nil
}

// handleReasons saves the 改定理由 of the draft's revised controls: one
// field reason-<ref> per control.
func (s *Server) handleReasons(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return kijun.Errorf(kijun.EInvalid, "error.bad_request", nil)
	}
	p := principal(r)
	typed := map[string]string{}
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		c, err := draftForEdit(r.Context(), tx, p, id)
		if err != nil {
			return err
		}
		ch, _, err := postgres.RevisionChanges(r.Context(), tx, c)
		if err != nil {
			return err
		}
		for _, ref := range ch.Revised() {
			val, sent := r.PostForm["reason-"+ref]
			if !sent {
				continue
			}
			reason := strings.TrimSpace(strings.Join(val, "\n"))
			typed[ref] = reason
			if reason == strings.TrimSpace(c.Reasons[ref]) {
				continue
			}
			if err := postgres.SetReason(r.Context(), tx, id, ref, reason, actor(r)); err != nil {
				if ke, ok := kerr(err); ok {
					ke.Args = mergeArgs(ke.Args, map[string]any{"Ref": ref})
				}
				return err
			}
		}
		return nil
	})
	if ke, ok := kerr(err); ok && ke.Code == kijun.EInvalid {
		v := catpages.GovernanceView{ReasonErrors: map[string]string{}, Typed: typed}
		ref, _ := ke.Args["Ref"].(string)
		v.ReasonErrors[ref] = i18n.From(r.Context()).T(ke.MessageID, ke.Args)
		return s.renderGovernance(w, r, http.StatusUnprocessableEntity, v)
	}
	if err != nil {
		return err
	}
	return s.governanceDone(w, r, id, "reasons", "#reasons-heading")
}

func mergeArgs(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func (s *Server) handleWithdraw(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if _, err := getCatalog(r.Context(), tx, p, id); err != nil {
			return err
		}
		return postgres.WithdrawConsultation(r.Context(), tx, id, actor(r))
	})
	if err != nil {
		return err
	}
	return s.governanceDone(w, r, id, "withdrawn", "")
}

// handleCatalogComment takes a ministry's comment on the version or on one
// of its controls.
func (s *Server) handleCatalogComment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return kijun.Errorf(kijun.EInvalid, "error.bad_request", nil)
	}
	p := principal(r)
	ministry := r.PostForm.Get("ministry")
	if ministry == "" && len(p.Ministries) == 1 {
		ministry = p.Ministries[0]
	}
	form := catpages.CommentForm{Ref: r.PostForm.Get("ref"), Body: r.PostForm.Get("body"), Ministry: ministry}
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if _, err := getCatalog(r.Context(), tx, p, id); err != nil {
			return err
		}
		_, err := postgres.AddCatalogComment(r.Context(), tx, p, id, ministry, form.Ref, form.Body, middleware.GetReqID(r.Context()))
		return err
	})
	if ke, ok := kerr(err); ok && (ke.Code == kijun.EInvalid || ke.Code == kijun.EConflict) {
		form.Error = i18n.From(r.Context()).T(ke.MessageID, ke.Args)
		form.Field = "body"
		if ke.MessageID == "catalog.governance.ref_unknown" {
			form.Field = "ref"
		} else if ke.MessageID == "catalog.governance.ministry" {
			form.Field = "ministry"
		}
		return s.renderGovernance(w, r, http.StatusUnprocessableEntity, catpages.GovernanceView{Comment: form})
	}
	if err != nil {
		return err
	}
	return s.governanceDone(w, r, id, "commented", "#comments-heading")
}

// handlePublicCommentAdd attaches the public-comment results: a document
// (the evidence checks) and its summary.
func (s *Server) handlePublicCommentAdd(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	loc := i18n.From(r.Context())
	up, err := readUpload(w, r, "file", maxPublicCommentSize, "govui.public.no_file")
	summary := ""
	if r.MultipartForm != nil {
		summary = strings.Join(r.MultipartForm.Value["summary"], "\n")
	}
	refuse := func(ke *kijun.Error, field string) error {
		return s.renderGovernance(w, r, http.StatusUnprocessableEntity, catpages.GovernanceView{
			Public: catpages.PublicForm{Summary: summary, Field: field, Error: loc.T(ke.MessageID, ke.Args)}})
	}
	if ke, ok := kerr(err); ok {
		return refuse(ke, "file")
	}
	if err != nil {
		return err
	}
	p := principal(r)
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if _, err := getCatalog(r.Context(), tx, p, id); err != nil {
			return err
		}
		_, err := postgres.AddPublicComment(r.Context(), tx, id, up.Name, up.Data, maxPublicCommentSize, summary, actor(r))
		return err
	})
	if ke, ok := kerr(err); ok && (ke.Code == kijun.EInvalid || ke.Code == kijun.EConflict) {
		field := "file"
		if ke.MessageID == "catalog.governance.summary_required" || ke.MessageID == "catalog.governance.too_long" {
			field = "summary"
		}
		return refuse(ke, field)
	}
	if err != nil {
		return err
	}
	return s.governanceDone(w, r, id, "public_added", "#public-heading")
}

// handlePublicCommentDownload sends a public-comment document to whoever
// may read its version (RLS), as an attachment.
func (s *Server) handlePublicCommentDownload(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "pc")
	if err != nil {
		return err
	}
	p := principal(r)
	var pc catalog.PublicComment
	var data []byte
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		pc, data, err = postgres.GetPublicComment(r.Context(), tx, id)
		if err != nil {
			return err
		}
		_, err = getCatalog(r.Context(), tx, p, pc.CatalogID)
		return err
	})
	if err != nil {
		return err
	}
	return sendUpload(w, pc.ContentType, pc.FileName, data)
}

// parseDate reads a form date (YYYY-MM-DD) as that day in Japan; the zero
// time when it is not one.
func parseDate(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), kijun.JST)
	if err != nil {
		return time.Time{}
	}
	return t
}

// handleDecide records the decision of a version under consultation. The
// ministries hear of it; when its 施行日 is today or past it comes into
// force at once and the catalog.published fan-out is queued.
func (s *Server) handleDecide(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return kijun.Errorf(kijun.EInvalid, "error.bad_request", nil)
	}
	f := catpages.DecideForm{DecidedBy: r.PostForm.Get("decided_by"), Reference: r.PostForm.Get("reference"),
		DecidedOn: r.PostForm.Get("decided_on"), EffectiveOn: r.PostForm.Get("effective_on"), Note: r.PostForm.Get("note")}
	d := catalog.Decision{DecidedBy: f.DecidedBy, Reference: f.Reference, DecidedOn: parseDate(f.DecidedOn),
		EffectiveOn: parseDate(f.EffectiveOn), Note: f.Note}
	loc := i18n.From(r.Context())
	if ps := d.Validate(); len(ps) > 0 {
		f.Errors = map[string]string{}
		for _, pr := range ps {
			if _, seen := f.Errors[pr.Field]; !seen {
				f.Errors[pr.Field] = loc.T(pr.MessageID, pr.Args)
			}
		}
		return s.renderGovernance(w, r, http.StatusUnprocessableEntity, catpages.GovernanceView{Decide: f})
	}
	p := principal(r)
	var inForce bool
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if _, err := getCatalog(r.Context(), tx, p, id); err != nil {
			return err
		}
		if inForce, err = postgres.Decide(r.Context(), tx, id, d, actor(r)); err != nil {
			return err
		}
		events, err := postgres.ConsultationEvents(r.Context(), tx, id, notify.CatalogDecided, p.UserID)
		if err != nil {
			return err
		}
		if _, err := postgres.Notify(r.Context(), tx, events...); err != nil {
			return err
		}
		if inForce {
			return postgres.Enqueue(r.Context(), tx, notify.CatalogPublishedArgs{CatalogID: id})
		}
		return nil
	})
	if ke, ok := kerr(err); ok && ke.Code == kijun.EConflict {
		f.Message = loc.T(ke.MessageID, ke.Args)
		return s.renderGovernance(w, r, http.StatusConflict, catpages.GovernanceView{Decide: f})
	}
	if err != nil {
		return err
	}
	if inForce {
		return s.governanceDone(w, r, id, "in_force", "")
	}
	return s.governanceDone(w, r, id, "decided", "")
}

// handleCatalogDiffXLSX exports the changes of version id against ?from=
// (default: the version it was based on), with the 改定理由, as XLSX.
func (s *Server) handleCatalogDiffXLSX(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	var ch catalog.Changes
	var nc *catalog.Catalog
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if nc, err = getCatalog(r.Context(), tx, p, id); err != nil {
			return err
		}
		_, basedOn, err := otherVersions(r.Context(), tx, p, nc)
		if err != nil {
			return err
		}
		from := r.URL.Query().Get("from")
		if from == "" && basedOn != 0 {
			from = strconv.FormatInt(basedOn, 10)
		}
		var oc *catalog.Catalog
		if from != "" {
			fromID, err := parseID(from)
			if err != nil {
				return err
			}
			if oc, err = getCatalog(r.Context(), tx, p, fromID); err != nil {
				return err
			}
		}
		ch = catalog.Diff(oc, nc)
		return nil
	})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := exchange.WriteCatalogDiff(&buf, i18n.From(r.Context()).Lang, ch, nc.Reasons); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="`+nc.Code+"-"+url.PathEscape(nc.Version)+`-changes.xlsx"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(buf.Bytes())
	return err
}
