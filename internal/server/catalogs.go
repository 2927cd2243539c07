package server

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/audit"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/catalog"
	"github.com/kijun-portal/kijun/internal/i18n"
	"github.com/kijun-portal/kijun/internal/identity"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/notify"
	"github.com/kijun-portal/kijun/internal/postgres"
	catpages "github.com/kijun-portal/kijun/web/pages/catalog"
)

// catalogRoutes registers the baseline catalog pages: browse, search,
// author, diff, import and export.
func (s *Server) catalogRoutes(h routeFunc) {
	get, post := http.MethodGet, http.MethodPost
	h(get, "/catalogs", authz.ViewCatalog, s.handleCatalogIndex)
	h(get, "/catalogs/import", authz.EditCatalog, s.handleCatalogImportForm)
	h(post, "/catalogs/import", authz.EditCatalog, s.handleCatalogImport)
	h(get, "/catalogs/{id}", authz.ViewCatalog, s.handleCatalogShow)
	h(get, "/catalogs/{id}/export.yaml", authz.ViewCatalog, s.handleCatalogExportYAML)
	h(get, "/catalogs/{id}/export.oscal.json", authz.ViewCatalog, s.handleCatalogExportOSCAL)
	h(get, "/catalogs/{id}/diff", authz.ViewCatalog, s.handleCatalogDiff)
	h(get, "/catalogs/{id}/controls/{ref}", authz.ViewCatalog, s.handleControlShow)

	// NCO authoring.
	h(get, "/catalogs/{id}/new-version", authz.EditCatalog, s.handleNewVersionForm)
	h(post, "/catalogs/{id}/new-version", authz.EditCatalog, s.handleNewVersion)
	h(get, "/catalogs/{id}/controls/new", authz.EditCatalog, s.handleControlNewForm)
	h(post, "/catalogs/{id}/controls", authz.EditCatalog, s.handleControlAdd)
	h(get, "/catalogs/{id}/controls/{ref}/edit", authz.EditCatalog, s.handleControlEditForm)
	h(post, "/catalogs/{id}/controls/{ref}", authz.EditCatalog, s.handleControlUpdate)
	h(post, "/catalogs/{id}/controls/{ref}/remove", authz.EditCatalog, s.handleControlRemove)
	// Opening consultation (意見募集) is the draft's last step here; the
	// rest of its way into force is catalog_governance.go's.
	h(get, "/catalogs/{id}/consult", authz.GovernCatalog, s.handlePublishForm)
	h(post, "/catalogs/{id}/consult", authz.GovernCatalog, s.handlePublish)
}

// errCatalogImmutable refuses editing a published or superseded version.
var errCatalogImmutable = kijun.Errorf(kijun.EConflict, "catalog.published_immutable", nil)

// visibleCatalog is the policy's second look at a loaded catalog: drafts
// exist only for the NCO (RLS hides them too).
func visibleCatalog(p *identity.Principal, c *catalog.Catalog) error {
	if c.Status == catalog.Draft && !authz.Can(p, authz.ViewDraftCatalog, authz.Resource{}) {
		return errNotFound
	}
	return nil
}

// getCatalog loads a catalog the principal may see, with its controls.
func getCatalog(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64) (*catalog.Catalog, error) {
	c, err := postgres.GetCatalog(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	return c, visibleCatalog(p, c)
}

// withoutControls is a catalog's header, for views that do not list them.
func withoutControls(c *catalog.Catalog) catalog.Catalog {
	h := *c
	h.Controls = nil
	return h
}

func (s *Server) handleCatalogIndex(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	v := catpages.IndexView{CanEdit: authz.Can(p, authz.EditCatalog, authz.Resource{})}
	err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		list, err := postgres.ListCatalogs(r.Context(), tx)
		for _, c := range list {
			if visibleCatalog(p, &c.Catalog) == nil {
				v.Catalogs = append(v.Catalogs, catpages.Summary{Catalog: c.Catalog, BasedOn: c.BasedOn, CreatedAt: c.CreatedAt, ControlCount: c.ControlCount})
			}
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, catpages.Index(v))
}

// otherVersions lists the versions of c's code the principal may see,
// other than c, for the diff's "compare with" choice.
func otherVersions(ctx context.Context, tx pgx.Tx, p *identity.Principal, c *catalog.Catalog) ([]catalog.Catalog, int64, error) {
	list, err := postgres.ListCatalogs(ctx, tx)
	if err != nil {
		return nil, 0, err
	}
	var out []catalog.Catalog
	var basedOn int64
	for _, o := range list {
		if o.ID == c.ID {
			basedOn = o.BasedOn
			continue
		}
		if o.Code == c.Code && visibleCatalog(p, &o.Catalog) == nil {
			out = append(out, o.Catalog)
		}
	}
	return out, basedOn, nil
}

func (s *Server) handleCatalogShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	q := r.URL.Query()
	v := catpages.ShowView{Filter: catpages.Filter{
		Q: strings.TrimSpace(q.Get("q")), Section: q.Get("section"), Theme: q.Get("theme"),
		CSF: q.Get("csf"), Sector: q.Get("sector"),
	}}
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		c, err := getCatalog(r.Context(), tx, p, id)
		if err != nil {
			return err
		}
		v.Total = len(c.Controls)
		if v.Filter.Active() {
			f := catalog.ControlFilter{Section: v.Filter.Section, Theme: v.Filter.Theme, CSF: v.Filter.CSF, Sector: v.Filter.Sector}
			if c.Controls, err = postgres.SearchControls(r.Context(), tx, id, v.Filter.Q, f); err != nil {
				return err
			}
		}
		v.Catalog = *c
		if v.Versions, v.BasedOn, err = otherVersions(r.Context(), tx, p, c); err != nil {
			return err
		}
		v.Names, err = postgres.LoadReferenceNames(r.Context(), tx)
		return err
	})
	if err != nil {
		return err
	}
	canEdit := authz.Can(p, authz.EditCatalog, authz.Resource{})
	v.CanEdit = canEdit && v.Catalog.Status == catalog.Draft
	v.CanStart = canEdit && v.Catalog.Status == catalog.Published
	v.CanGovernance = authz.Can(p, authz.ViewConsultation, authz.Resource{}) &&
		(v.Catalog.Status != catalog.Draft || authz.Can(p, authz.GovernCatalog, authz.Resource{}))
	loc := i18n.From(r.Context())
	switch q.Get("done") {
	case "published":
		v.Notice = loc.T("catalogui.notice.published")
	case "created":
		v.Notice = loc.T("catalogui.notice.created")
	case "imported":
		v.Notice = loc.T("catalogui.notice.imported")
	case "removed":
		v.Notice = loc.T("catalogui.notice.removed", map[string]any{"Ref": q.Get("ref")})
	}
	return s.render(w, r, http.StatusOK, catpages.Show(v))
}

func (s *Server) handleControlShow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	var v catpages.ControlView
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		c, err := getCatalog(r.Context(), tx, p, id)
		if err != nil {
			return err
		}
		v.Catalog = withoutControls(c)
		if v.Control, err = postgres.GetControl(r.Context(), tx, id, chiParam(r, "ref")); err != nil {
			return err
		}
		v.Names, err = postgres.LoadReferenceNames(r.Context(), tx)
		return err
	})
	if err != nil {
		return err
	}
	v.CanEdit = v.Catalog.Status == catalog.Draft && authz.Can(p, authz.EditCatalog, authz.Resource{})
	return s.render(w, r, http.StatusOK, catpages.Control(v))
}

// exportName is a download's file name: the code and version, with
// anything outside [A-Za-z0-9._-] replaced, so the header needs no quoting.
var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func exportName(c *catalog.Catalog, ext string) string {
	return unsafeFileChars.ReplaceAllString(c.Code+"-"+c.Version, "_") + ext
}

// loadForExport reads a visible catalog for download.
func (s *Server) loadForExport(r *http.Request) (*catalog.Catalog, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	p := principal(r)
	var c *catalog.Catalog
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		c, err = getCatalog(r.Context(), tx, p, id)
		return err
	})
	return c, err
}

// sendFile writes an export as an attachment.
func sendFile(w http.ResponseWriter, contentType, name string, body []byte) error {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err := w.Write(body)
	return err
}

func (s *Server) handleCatalogExportYAML(w http.ResponseWriter, r *http.Request) error {
	c, err := s.loadForExport(r)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := catalog.WriteYAML(&b, c); err != nil {
		return err
	}
	return sendFile(w, "application/yaml; charset=utf-8", exportName(c, ".yaml"), b.Bytes())
}

func (s *Server) handleCatalogExportOSCAL(w http.ResponseWriter, r *http.Request) error {
	c, err := s.loadForExport(r)
	if err != nil {
		return err
	}
	b, err := catalog.ExportOSCAL(c)
	if err != nil {
		return err
	}
	return sendFile(w, "application/json; charset=utf-8", exportName(c, ".oscal.json"), b)
}

// handleCatalogDiff compares version id with ?from= (another version the
// principal may see); without from, it offers the choice.
func (s *Server) handleCatalogDiff(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	var v catpages.DiffView
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		nc, err := getCatalog(r.Context(), tx, p, id)
		if err != nil {
			return err
		}
		v.New = withoutControls(nc)
		var basedOn int64
		if v.Versions, basedOn, err = otherVersions(r.Context(), tx, p, nc); err != nil {
			return err
		}
		from := r.URL.Query().Get("from")
		if from == "" && basedOn != 0 {
			from = strconv.FormatInt(basedOn, 10)
		}
		if from != "" {
			fromID, err := parseID(from)
			if err != nil {
				return err
			}
			oc, err := getCatalog(r.Context(), tx, p, fromID)
			if err != nil {
				return err
			}
			v.Old = withoutControls(oc)
			v.Changes = catalog.Diff(oc, nc)
		}
		v.Names, err = postgres.LoadReferenceNames(r.Context(), tx)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, catpages.Diff(v))
}

// --- NCO authoring -------------------------------------------------------

// actor is the audit actor of a request.
func actor(r *http.Request) audit.Event {
	return postgres.ActorOf(principal(r), middleware.GetReqID(r.Context()))
}

// kerr returns err's *kijun.Error, if it is one.
func kerr(err error) (*kijun.Error, bool) {
	var ke *kijun.Error
	ok := errors.As(err, &ke)
	return ke, ok
}

func (s *Server) handleNewVersionForm(w http.ResponseWriter, r *http.Request) error {
	return s.renderNewVersion(w, r, http.StatusOK, "", "")
}

func (s *Server) renderNewVersion(w http.ResponseWriter, r *http.Request, status int, version, msg string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	var c *catalog.Catalog
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		c, err = getCatalog(r.Context(), tx, p, id)
		return err
	})
	if err != nil {
		return err
	}
	if c.Status != catalog.Published {
		return kijun.Errorf(kijun.EConflict, "catalog.copy_not_published", nil)
	}
	return s.render(w, r, status, catpages.NewVersion(catpages.NewVersionView{From: withoutControls(c), Version: version, Error: msg}))
}

func (s *Server) handleNewVersion(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	version := strings.TrimSpace(r.PostFormValue("version"))
	var newID int64
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		newID, err = postgres.NewDraftFrom(r.Context(), tx, id, version, actor(r))
		return err
	})
	if ke, ok := kerr(err); ok && (ke.Code == kijun.EInvalid || ke.Code == kijun.EConflict) && ke.MessageID != "catalog.copy_not_published" {
		return s.renderNewVersion(w, r, statusOf(err), version, i18n.From(r.Context()).T(ke.MessageID, ke.Args))
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/catalogs/"+itoa(newID)+"?done=created", http.StatusSeeOther)
	return nil
}

// draftForEdit loads a draft for the editor; a published or superseded
// version refuses to be edited.
func draftForEdit(ctx context.Context, tx pgx.Tx, p *identity.Principal, id int64) (*catalog.Catalog, error) {
	c, err := getCatalog(ctx, tx, p, id)
	if err != nil {
		return nil, err
	}
	if c.Status != catalog.Draft {
		return nil, errCatalogImmutable
	}
	return c, nil
}

// renderControlForm shows the editor with f's content.
func (s *Server) renderControlForm(w http.ResponseWriter, r *http.Request, status int, f catpages.ControlForm) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		c, err := draftForEdit(r.Context(), tx, p, id)
		if err != nil {
			return err
		}
		f.Catalog = withoutControls(c)
		f.Names, err = postgres.LoadReferenceNames(r.Context(), tx)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, status, catpages.Edit(f))
}

func (s *Server) handleControlNewForm(w http.ResponseWriter, r *http.Request) error {
	return s.renderControlForm(w, r, http.StatusOK, catpages.ControlForm{New: true, Control: catalog.Control{Section: r.URL.Query().Get("section")}})
}

func (s *Server) handleControlEditForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	var ctl catalog.Control
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if _, err := draftForEdit(r.Context(), tx, p, id); err != nil {
			return err
		}
		ctl, err = postgres.GetControl(r.Context(), tx, id, chiParam(r, "ref"))
		return err
	})
	if err != nil {
		return err
	}
	return s.renderControlForm(w, r, http.StatusOK, catpages.ControlForm{Control: ctl})
}

// controlFromForm reads the editor's fields as typed.
func controlFromForm(r *http.Request) catalog.Control {
	_ = r.ParseForm()
	f := r.PostForm
	version := atoiOr0(f.Get("version"))
	return catalog.Control{
		Ref:              strings.TrimSpace(f.Get("ref")),
		Section:          f.Get("section"),
		Title:            kijun.Text{Ja: strings.TrimSpace(f.Get("title_ja")), En: strings.TrimSpace(f.Get("title_en"))},
		Statement:        kijun.Text{Ja: strings.TrimSpace(f.Get("statement_ja")), En: strings.TrimSpace(f.Get("statement_en"))},
		Guidance:         kijun.Text{Ja: strings.TrimSpace(f.Get("guidance_ja")), En: strings.TrimSpace(f.Get("guidance_en"))},
		Themes:           f["themes"],
		CSF:              f["csf"],
		EvidenceExpected: f.Get("evidence_expected") == "true",
		Sectors:          f["sectors"],
		Version:          version,
	}
}

// problemField maps a validation problem of one control (path
// "controls[0] (GV-03) title.en", "controls[0] themes[1]") to the editor's
// field names.
func problemField(path string) []string {
	_, rest, _ := strings.Cut(path, "]")
	rest = strings.TrimSpace(rest)
	if strings.HasPrefix(rest, "(") {
		if _, after, ok := strings.Cut(rest, ")"); ok {
			rest = strings.TrimSpace(after)
		}
	}
	if i := strings.Index(rest, "["); i >= 0 {
		rest = rest[:i]
	}
	switch rest {
	case "title", "statement", "guidance":
		return []string{rest + ".ja", rest + ".en"}
	case "":
		return []string{"ref"}
	}
	return []string{rest}
}

// formErrors turns the store's refusal into messages by field. It reports
// false for errors that are not about the form's content.
func formErrors(err error, f *catpages.ControlForm) bool {
	ke, ok := kerr(err)
	if !ok {
		return false
	}
	add := func(field, id string, args map[string]any) {
		if f.Errors == nil {
			f.Errors = map[string][]catpages.FieldError{}
		}
		if !f.New && field == "ref" { // the ref is not editable: its prefix follows the section
			field = "section"
		}
		f.Errors[field] = append(f.Errors[field], catpages.FieldError{ID: id, Args: args})
	}
	switch {
	case ke.MessageID == "catalog.invalid":
		problems, _ := ke.Args["Problems"].([]catalog.Problem)
		for _, p := range problems {
			for _, field := range problemField(p.Path) {
				add(field, p.ID, p.Args)
			}
		}
		return true
	case ke.MessageID == "catalog.ref_exists":
		add("ref", ke.MessageID, ke.Args)
		return true
	}
	return false
}

func (s *Server) handleControlAdd(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f := catpages.ControlForm{New: true, Control: controlFromForm(r)}
	f.Control.Ref = strings.ToUpper(f.Control.Ref)
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		if _, err := draftForEdit(r.Context(), tx, principal(r), id); err != nil {
			return err
		}
		_, err := postgres.AddControl(r.Context(), tx, id, f.Control, actor(r))
		return err
	})
	if formErrors(err, &f) {
		return s.renderControlForm(w, r, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/catalogs/"+itoa(id)+"/controls/"+f.Control.Ref, http.StatusSeeOther)
	return nil
}

// handleControlUpdate saves the editor. When someone saved the control
// after the editor loaded it, nothing is written: the form comes back with
// the stored control beside what was typed, and its version set to the
// stored one, so that saving again overwrites knowingly.
func (s *Server) handleControlUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ref := chiParam(r, "ref")
	f := catpages.ControlForm{Control: controlFromForm(r)}
	f.Control.Ref = ref
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		if _, err := draftForEdit(r.Context(), tx, principal(r), id); err != nil {
			return err
		}
		_, err := postgres.UpdateControl(r.Context(), tx, id, ref, f.Control, f.Control.Version, actor(r))
		return err
	})
	if ke, ok := kerr(err); ok && ke.MessageID == "catalog.conflict" {
		if cur, ok := ke.Args["Current"].(catalog.Control); ok {
			f.Current = &cur
			f.Control.Version = cur.Version
			f.Message = i18n.From(r.Context()).T(ke.MessageID, ke.Args)
			return s.renderControlForm(w, r, http.StatusConflict, f)
		}
	}
	if formErrors(err, &f) {
		return s.renderControlForm(w, r, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/catalogs/"+itoa(id)+"/controls/"+ref, http.StatusSeeOther)
	return nil
}

// handleControlRemove removes a control of a draft, provided it is still
// the version the editor saw; otherwise the editor comes back with the
// stored control.
func (s *Server) handleControlRemove(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ref := chiParam(r, "ref")
	version := atoiOr0(r.PostFormValue("version"))
	err = postgres.InTx(r.Context(), s.db, principal(r), func(tx pgx.Tx) error {
		if _, err := draftForEdit(r.Context(), tx, principal(r), id); err != nil {
			return err
		}
		return postgres.RemoveControl(r.Context(), tx, id, ref, version, actor(r))
	})
	if ke, ok := kerr(err); ok && ke.MessageID == "catalog.conflict" {
		if cur, ok := ke.Args["Current"].(catalog.Control); ok {
			return s.renderControlForm(w, r, http.StatusConflict, catpages.ControlForm{
				Control: cur, Message: i18n.From(r.Context()).T("catalogui.remove.conflict", map[string]any{"Ref": ref}),
			})
		}
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/catalogs/"+itoa(id)+"?done=removed&ref="+ref, http.StatusSeeOther)
	return nil
}

// renderPublish shows the confirmation: what will be superseded, what
// changed, and every problem that would stop publishing.
func (s *Server) renderPublish(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	v := catpages.PublishView{Message: msg}
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		c, err := getCatalog(r.Context(), tx, p, id)
		if err != nil {
			return err
		}
		if c.Status != catalog.Draft {
			return kijun.Errorf(kijun.EConflict, "catalog.not_draft", nil)
		}
		v.Catalog = *c
		v.WithoutEnglish = catalog.WithoutEnglish(c)
		ref, err := postgres.LoadCatalogReference(r.Context(), tx)
		if err != nil {
			return err
		}
		for _, pr := range catalog.Validate(c, ref) {
			if pr.Level != catalog.Warning {
				v.Problems = append(v.Problems, pr)
			}
		}
		if ch, ok, err := postgres.RevisionChanges(r.Context(), tx, c); err != nil {
			return err
		} else if ok {
			v.MissingReasons = catalog.MissingReasons(ch, c.Reasons)
		}
		list, err := postgres.ListCatalogs(r.Context(), tx)
		if err != nil {
			return err
		}
		for _, o := range list {
			if o.Code == c.Code && o.Status == catalog.Published {
				old, err := postgres.GetCatalog(r.Context(), tx, o.ID)
				if err != nil {
					return err
				}
				ch := catalog.Diff(old, c)
				v.Superseded, v.Changes = old, &ch
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.render(w, r, status, catpages.Publish(v))
}

func (s *Server) handlePublishForm(w http.ResponseWriter, r *http.Request) error {
	return s.renderPublish(w, r, http.StatusOK, "")
}

func (s *Server) handlePublish(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p := principal(r)
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		if _, err := getCatalog(r.Context(), tx, p, id); err != nil {
			return err
		}
		if err := postgres.OpenConsultation(r.Context(), tx, id, actor(r)); err != nil {
			return err
		}
		// The ministries hear that they may comment (a dozen ministries:
		// written here; the catalog.published fan-out to every operator
		// is queued when a version comes into force).
		events, err := postgres.ConsultationEvents(r.Context(), tx, id, notify.CatalogConsultationOpened, p.UserID)
		if err != nil {
			return err
		}
		_, err = postgres.Notify(r.Context(), tx, events...)
		return err
	})
	if ke, ok := kerr(err); ok && (ke.MessageID == "catalog.invalid" || ke.MessageID == "catalog.publish_needs_english" ||
		ke.MessageID == catalog.MsgReasonsMissing) {
		return s.renderPublish(w, r, http.StatusUnprocessableEntity, i18n.From(r.Context()).T(ke.MessageID, ke.Args))
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/catalogs/"+itoa(id)+"/governance?done=consultation", http.StatusSeeOther)
	return nil
}

func (s *Server) handleCatalogImportForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, catpages.Import(catpages.ImportView{}))
}

// sniffCatalog says how to read an uploaded catalog from its content, not
// its name: OSCAL JSON starts with "{", anything else textual is read as
// Kijun YAML. Binary files (spreadsheets, archives, images) are refused.
func sniffCatalog(data []byte) (kind string, ok bool) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return "", false
	}
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return "oscal", true
	}
	return "yaml", true
}

// handleCatalogImport reads an uploaded YAML or OSCAL JSON catalog. Every
// problem is listed with its location and nothing is stored unless there
// are none (warnings aside); a clean file becomes a new draft.
func (s *Server) handleCatalogImport(w http.ResponseWriter, r *http.Request) error {
	loc := i18n.From(r.Context())
	refuse := func(v catpages.ImportView, msgID string, args map[string]any) error {
		if msgID != "" {
			v.Message = loc.T(msgID, args)
		}
		return s.render(w, r, http.StatusUnprocessableEntity, catpages.Import(v))
	}
	up, err := readUpload(w, r, "file", catalog.MaxImportBytes, "catalogui.import.no_file")
	var ke *kijun.Error
	if errors.As(err, &ke) {
		return refuse(catpages.ImportView{}, ke.MessageID, ke.Args)
	}
	data := up.Data
	v := catpages.ImportView{FileName: up.Name}
	if len(bytes.TrimSpace(data)) == 0 {
		return refuse(v, "catalogui.import.no_file", nil)
	}
	kind, ok := sniffCatalog(data)
	if !ok {
		return refuse(v, "catalogui.import.not_text", nil)
	}
	p := principal(r)
	var c *catalog.Catalog
	var problems []catalog.Problem
	err = postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
		ref, err := postgres.LoadCatalogReference(r.Context(), tx)
		if err != nil {
			return err
		}
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		if kind == "oscal" {
			c, problems = catalog.ImportOSCAL(data, ref)
		} else {
			c, problems = catalog.ParseYAML(data, ref)
		}
		if c == nil || catalog.HasErrors(problems) {
			return nil
		}
		id, created, err := postgres.ImportCatalog(r.Context(), tx, c, actor(r))
		if err != nil {
			return err
		}
		if !created {
			return kijun.Errorf(kijun.EConflict, "catalog.version_exists", map[string]any{"Code": c.Code, "Version": c.Version})
		}
		c.ID = id
		return nil
	})
	if ke, ok := kerr(err); ok && (ke.Code == kijun.EConflict || ke.Code == kijun.EInvalid) {
		if ps, ok := ke.Args["Problems"].([]catalog.Problem); ok {
			v.Problems = ps
		}
		return refuse(v, ke.MessageID, ke.Args)
	}
	if err != nil {
		return err
	}
	if c == nil || catalog.HasErrors(problems) {
		v.Problems = problems
		return refuse(v, "", nil)
	}
	if len(problems) > 0 { // stored, with warnings worth reading
		v.Problems, v.Imported = problems, c
		return s.render(w, r, http.StatusOK, catpages.Import(v))
	}
	http.Redirect(w, r, "/catalogs/"+itoa(c.ID)+"?done=imported", http.StatusSeeOther)
	return nil
}
