package server

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/a-h/templ"
	"github.com/jackc/pgx/v5"

	"github.com/kijun-portal/kijun/internal/assessment"
	"github.com/kijun-portal/kijun/internal/authz"
	"github.com/kijun-portal/kijun/internal/kijun"
	"github.com/kijun-portal/kijun/internal/postgres"
	"github.com/kijun-portal/kijun/web/layout"
	"github.com/kijun-portal/kijun/web/pages"
)

// render writes a page with the request's chrome: who is signed in and
// the areas the policy lets them open.
//
// The page is rendered into a buffer and sent in one write: templ writes
// element by element, which on a large dashboard meant hundreds of small
// socket writes; and a page that fails half-way is never sent half-done.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) error {
	ctx := layout.WithChrome(r.Context(), s.chrome(r))
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<20 { // keep no giant buffers
			buf.Reset()
			pageBuffers.Put(buf)
		}
	}()
	buf.Reset()
	if err := c.Render(ctx, buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (s *Server) chrome(r *http.Request) layout.Chrome {
	c := layout.Chrome{Path: r.URL.RequestURI(), PagePath: r.URL.Path, DevIDP: s.dev != nil, DevMail: s.dev != nil && s.dev.Mailbox != nil}
	p := principal(r)
	// Whoever has no role yet sees the public sector registry; the others
	// reach it from the home page, and the header keeps their daily work.
	if !p.HasAnyGrant() {
		c.Nav = []layout.NavLink{{Label: "nav.sectors", Href: "/sectors"}}
	}
	if p.SignedIn() {
		c.UserName = p.Name
		c.Unread, _ = r.Context().Value(unreadKey{}).(int) // read with the principal
	}
	if !p.HasAnyGrant() {
		c.Section = section(c.PagePath, c.Nav, nil)
		return c
	}
	// An operator's users see their own organisation.
	if !authz.Can(p, authz.ListOperators, authz.Resource{}) && len(p.Operators) > 0 {
		c.Nav = append(c.Nav, layout.NavLink{Label: "nav.my_operator", Href: "/operators/" + strconv.FormatInt(p.Operators[0], 10)})
	}
	for _, n := range []struct {
		action authz.Action
		link   layout.NavLink
	}{
		{authz.ListAssessments, layout.NavLink{Label: "nav.assessments", Href: "/assessments"}},
		{authz.ViewDashboards, layout.NavLink{Label: "nav.dashboards", Href: "/dashboards"}},
		{authz.ViewPlans, layout.NavLink{Label: "nav.plans", Href: "/plans"}},
		{authz.ViewSectorProfile, layout.NavLink{Label: "nav.sector_profile", Href: "/profile"}},
		{authz.ListOperators, layout.NavLink{Label: "nav.operators", Href: "/operators"}},
		{authz.ViewCatalog, layout.NavLink{Label: "nav.catalog", Href: "/catalogs"}},
		{authz.ViewBulletins, layout.NavLink{Label: "nav.bulletins", Href: "/bulletins"}},
		{authz.ViewInquiries, layout.NavLink{Label: "nav.inquiries", Href: "/inquiries"}},
		{authz.ListIncidents, layout.NavLink{Label: "nav.incidents", Href: "/incidents"}},
	} {
		if authz.Can(p, n.action, authz.Resource{}) {
			c.Nav = append(c.Nav, n.link)
		}
	}
	// Administration is one entry, the 管理 hub, shown when it lists a
	// tool (admin.go).
	tools := adminHub(p)
	if len(tools) > 0 {
		c.Nav = append(c.Nav, layout.NavLink{Label: "nav.admin", Href: "/admin"})
	}
	c.Section = section(c.PagePath, c.Nav, tools)
	return c
}

// section returns the Href of the menu entry path belongs to: the entry
// whose Href path is, or is under, with the longest Href; a page of a
// tool the hub lists belongs to the hub (/users/5 to /admin, while
// /incidents/templates is the hub's and /incidents/5 the reports').
func section(path string, nav []layout.NavLink, tools []pages.AdminGroup) string {
	best, bestLen := "", 0
	try := func(href, entry string) {
		if len(href) > bestLen && (path == href || strings.HasPrefix(path, href+"/")) {
			best, bestLen = entry, len(href)
		}
	}
	for _, n := range nav {
		try(n.Href, n.Href)
	}
	for _, g := range tools {
		for _, t := range g.Tools {
			try(t.Href, "/admin")
		}
	}
	return best
}

// handleHome introduces the portal; a signed-in user also sees what is
// waiting: an operator its assessments, a ministry those submitted for its
// review.
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) error {
	// Signed in without any role (sign-in lands here): the home page would
	// look as if nothing had happened; the pending page says why and whom
	// to ask.
	if p := principal(r); p.SignedIn() && !p.HasAnyGrant() {
		http.Redirect(w, r, "/pending", http.StatusSeeOther)
		return nil
	}
	v := pages.HomeView{}
	if err := s.db.QueryRow(r.Context(), `SELECT count(*) FROM sectors`).Scan(&v.SectorCount); err != nil {
		return err
	}
	p := principal(r)
	if p.HasAnyGrant() {
		v.SignedIn = true
		v.Areas = s.chrome(r).Nav
		// An operator's assessments of every cycle still open; a ministry's
		// pending reviews of any cycle.
		f := assessment.Filter{Limit: 10, OpenCycles: true}
		if len(p.Operators) == 0 {
			f.Status, f.OpenCycles, v.Reviewer = string(assessment.Submitted), false, true
		}
		err := postgres.InTx(r.Context(), s.db, p, func(tx pgx.Tx) error {
			list, err := postgres.ListAssessments(r.Context(), tx, f)
			v.Assessments, v.AssessmentTotal = list.Assessments, list.Total
			if err == nil && authz.Can(p, authz.ViewMyAssignments, authz.Resource{}) {
				v.Assigned, err = s.myAssignments(r, tx)
			}
			if err == nil { // what waits for the reader's internal check (orgfollow.go)
				err = s.homeChecks(r, tx, p, &v)
			}
			if err != nil || !v.Reviewer {
				return err
			}
			// What is past its due date in the principal's scope
			// (docs/deadlines.md): assessments of open cycles, plans
			// and answers to evaluations.
			over, err := postgres.ListAssessments(r.Context(), tx, assessment.Filter{OpenCycles: true,
				Status: assessment.StatusOverdue, Limit: 1})
			if err != nil {
				return err
			}
			v.OverdueAssessments = over.Total
			if !p.NCO && len(p.Ministries) == 0 {
				return nil
			}
			if v.InquiriesWaiting, err = inquiriesWaiting(r, tx); err != nil {
				return err
			}
			if v.OverduePlans, err = postgres.OverduePlans(r.Context(), tx); err != nil {
				return err
			}
			v.OverdueEvaluations, err = postgres.OverdueEvaluations(r.Context(), tx)
			return err
		})
		if err != nil {
			return err
		}
		if len(v.OverduePlans)+len(v.OverdueEvaluations)+len(v.CheckPlans) > 0 {
			names, err := postgres.LoadReferenceNames(r.Context(), s.db)
			if err != nil {
				return err
			}
			v.Ministries = kijun.NameMap(names.Ministries)
		}
		if len(v.Assigned) > 0 {
			if v.Sections, err = s.sectionNames(r); err != nil {
				return err
			}
		}
	}
	return s.render(w, r, http.StatusOK, pages.Home(v))
}

// handleLanguage stores the language choice in a cookie for a year and
// returns to the page the user was on.
func (s *Server) handleLanguage(w http.ResponseWriter, r *http.Request) error {
	lang := kijun.ParseLang(r.PostFormValue("lang"))
	http.SetCookie(w, &http.Cookie{
		Name: langCookie, Value: string(lang), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil,
	})
	http.Redirect(w, r, localPath(r.PostFormValue("next")), http.StatusSeeOther)
	return nil
}

// localPath returns p when it is a path on this site, else "/", so that a
// crafted form cannot redirect users elsewhere.
func localPath(p string) string {
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(p, "//") || strings.Contains(p, "\\") {
		return "/"
	}
	return u.RequestURI()
}
